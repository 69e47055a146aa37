package runtime

import "testing"

// FuzzParseZones reads conntrack zones as br-int's external_ids record
// them (ct-zone-<name>): whatever was written there, never a panic, and
// only zones an agent could have assigned (1..65535). The "-1" seed was a
// finding: it used to come back as zone -1.
func FuzzParseZones(f *testing.F) {
	f.Add("ct-zone-lsp1", "5")
	f.Add("ct-zone-lr1_dnat", "65535")
	f.Add("ct-zone-x", "-1")
	f.Add("ct-zone-y", "70000")
	f.Fuzz(func(t *testing.T, k, v string) {
		for name, z := range ParseZones(map[string]string{k: v}) {
			if z < 1 || z > 65535 {
				t.Fatalf("zone %d for %q", z, name)
			}
		}
	})
}
