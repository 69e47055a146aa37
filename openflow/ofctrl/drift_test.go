package ofctrl

import (
	"testing"

	"github.com/chassisd/chassisd/openflow/flow"
)

// TestDriftSettlesOnTunnelMetadata installs flows that write the Geneve
// option (tun_metadata0) the way the physical pipeline does — a 4-byte
// set_field of the outport and a move of the inport into bits 16..30 — and
// the other spellings OVS trims (zero, partial masks). ovs-vswitchd dumps
// such set_fields with the value shortened to its significant bytes; the
// dump must still compare equal, so a drift check finds nothing and sends
// nothing. Before the fix every check "repaired" these flows.
func TestDriftSettlesOnTunnelMetadata(t *testing.T) {
	sw, ctx := start(t)
	tm := flow.FieldTunMetadata(0)
	var m flow.Match
	m.SetUint(flow.FieldMetadata, 1, ^uint64(0))
	acts := []flow.Actions{
		// remote output (table 39 in OVN 23.03)
		{flow.Load(flow.Subfield{Field: flow.FieldTunID, Bits: 24}, 1),
			flow.SetField{Field: tm, Value: []byte{0, 0, 0, 2}},
			flow.Move{Src: flow.Subfield{Field: flow.FieldReg(14), Bits: 15}, Dst: flow.Subfield{Field: tm, Offset: 16, Bits: 15}},
			flow.Output{Port: 1}},
		{flow.SetField{Field: tm, Value: []byte{0, 0, 0, 0}}},
		{flow.SetField{Field: tm, Value: []byte{0x12, 0x34, 0x56, 0x78}}},
		{flow.SetField{Field: tm, Value: []byte{0, 0, 0, 1}, Mask: []byte{0, 0, 0, 0xff}}},
		{flow.SetField{Field: tm, Value: []byte{0, 0, 1, 0}, Mask: []byte{0, 0, 0xff, 0}}},
		{flow.Load(flow.Subfield{Field: tm, Offset: 8, Bits: 8}, 0)},
		// tunnel input (table 0): reads the option back
		{flow.Move{Src: flow.Subfield{Field: tm, Offset: 16, Bits: 15}, Dst: flow.Subfield{Field: flow.FieldReg(14), Bits: 15}},
			flow.Move{Src: flow.Subfield{Field: tm, Bits: 16}, Dst: flow.Subfield{Field: flow.FieldReg(15), Bits: 16}}},
	}
	c := New(sw.Mgmt("br-int"))
	c.Update(func(tx Txn) {
		for i, a := range acts {
			mi := m
			mi.SetUint(flow.FieldReg(15), uint64(i+1), ^uint64(0))
			tx.PutFlow(FromFlow(flow.Flow{Table: 39, Priority: 100, Match: mi, Actions: a}))
		}
	})
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if rej := c.Rejections(); len(rej) > 0 {
		t.Fatalf("switch rejected %v", rej)
	}
	mods := c.Stats().FlowMods
	for round := 1; round <= 2; round++ {
		n, err := c.CheckDrift(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("drift check %d repaired %d unchanged flows", round, n)
		}
	}
	if got := c.Stats().FlowMods; got != mods {
		t.Errorf("drift checks sent %d flow mods for flows nobody changed:\n%s", got-mods, sw.Ofctl("dump-flows", "br-int", "--no-stats"))
	}
}
