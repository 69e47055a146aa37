package tunnel

import "testing"

// FuzzParse parses the strings tunnel takes from OVSDB (bridge mappings,
// the tunnel ids of existing ports): refused or parsed, never a panic.
func FuzzParse(f *testing.F) {
	f.Add("physnet1:br-ex,physnet2:br-vlan")
	f.Add("chassis-2@10.0.0.3%10.0.0.2")
	f.Add("chassis-2@10.0.0.3")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseBridgeMappings(s)
		_, _, _ = ParseTunnelID(s)
	})
}
