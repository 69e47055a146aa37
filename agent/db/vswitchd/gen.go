// Package vswitchd holds the libovsdb models of the local Open_vSwitch
// database, generated from the OVS 3.1 schema (version 8.3.1).
package vswitchd

//go:generate go run github.com/ovn-org/libovsdb/cmd/modelgen -extended -p vswitchd -o . vswitch.ovsschema
