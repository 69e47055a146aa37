// Package metadata will own the OVN metadata agent's job on a chassis: for
// each Neutron network with a metadata localport bound here, an
// ovnmeta-<network> network namespace with a veth into br-int carrying the
// localport's addresses, and a proxy there that forwards 169.254.169.254
// requests to the Nova metadata API with the instance headers Neutron adds.
//
// Nothing is implemented yet; the agent does not call this package.
package metadata
