package config

import "testing"

// FuzzParse parses external_ids values as an operator (or a tool) may have
// written them: the configuration is accepted, refused or warned about,
// never a panic.
func FuzzParse(f *testing.F) {
	f.Add("ssl:10.0.0.1:6642,tcp:[2001:db8::1]:6642", "geneve,vxlan", "10.0.0.2,10.0.0.3", "physnet1:br-ex,physnet2:br-vlan", "true")
	f.Add("unix:/run/ovn/sb.sock", "geneve", "10.0.0.2", "", "")
	f.Add("tcp:host", "stt", "::1", "a:b:c", "1000")
	f.Fuzz(func(t *testing.T, remote, encapType, encapIP, mappings, other string) {
		ext := map[string]string{
			"system-id": "chassis-1", "ovn-remote": remote, "ovn-encap-type": encapType, "ovn-encap-ip": encapIP,
			"ovn-bridge-mappings": mappings, "ovn-monitor-all": other, "ovn-remote-probe-interval": other,
			"ovn-openflow-probe-interval": other, "ovn-encap-csum": other, "ovn-cms-options": other,
			"ovn-bridge-mappings-chassis-1": mappings, "ovn-chassis-mac-mappings": mappings,
		}
		_, _, _ = Parse(ext, "", "host")
		_, _ = ParseRemotes(remote)
		_, _ = ParseBridgeMappings(mappings)
	})
}
