package lflow

import (
	"testing"
)

// FuzzPutFlow feeds arbitrary match and action text through one logical
// flow: the translator must never panic, and deleting the flow must give
// back exactly the flows of the unmodified input.
func FuzzPutFlow(f *testing.F) {
	in, _ := loadGolden(f, "neutron")
	for i, lf := range in.Flows {
		if i%25 == 0 {
			f.Add(lf.Match, lf.Actions, uint8(lf.TableID), lf.Pipeline == Egress)
		}
	}
	tr := newTestTranslator()
	tr.Full(in)
	want := tr.NumFlows()
	base := in.Flows[0]
	f.Fuzz(func(t *testing.T, match, acts string, table uint8, egress bool) {
		lf := base
		lf.UUID = "ffffffff-0000-4000-8000-00000000f022"
		lf.Match, lf.Actions, lf.TableID = match, acts, int(table%32)
		if egress {
			lf.Pipeline = Egress
		}
		tr.PutFlow(lf)
		tr.DeleteFlow(lf.UUID)
		if got := tr.NumFlows(); got != want {
			t.Fatalf("after put+delete of %q / %q: %d flows, want %d", match, acts, got, want)
		}
	})
}
