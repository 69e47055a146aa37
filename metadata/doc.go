// Package metadata does the OVN metadata agent's job on a chassis, in
// process: for each Neutron network that has a metadata localport and a VIF
// bound here, an ovnmeta-<network> network namespace joined to the
// integration bridge by a veth (tap<net[:10]>0 outside with
// external_ids:iface-id=<localport>, tap<net[:10]>1 inside with the
// localport's MAC and addresses), and an HTTP proxy listening there on
// 169.254.169.254:80 (and [fe80::a9fe:a9fe]:80) that forwards each request
// to Nova's metadata API signed with the instance's identity, as Neutron's
// neutron-ovn-metadata-agent and its haproxy do.
//
// The package knows nothing of OVSDB: the agent computes the networks to
// serve (State) and the (network, address) → instance lookup from the
// Southbound database, and plugs the veth through the Switch interface.
// The listeners are sockets opened inside each namespace on a locked OS
// thread and served by this process' goroutines. Namespaces outlive the
// process so that a restart does not interrupt metadata.
//
// Configuration comes from Neutron's INI files (LoadConfig); see the
// README's metadata section for the options honoured and the limits.
package metadata
