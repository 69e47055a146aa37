package ofctrl

import (
	"testing"

	"github.com/chassisd/chassisd/openflow/conn"
)

// TestPlanOrderAndCommands checks, without a switch, which messages a round
// sends and in what order: meters first, then in the bundle group
// adds/modifies, flow deletes, flow adds/modifies, group deletes; meter
// deletes last.
func TestPlanOrderAndCommands(t *testing.T) {
	c := New("unused", WithDecoder(RawDecoder{}))
	keep := Flow{Table: 1, Priority: 1, Cookie: 1, Match: matchIPSrc(1, 1, 1, 1), Actions: actOutput(1)}
	modify := Flow{Table: 1, Priority: 2, Cookie: 1, Match: matchIPSrc(2, 2, 2, 2), Actions: actOutput(1)}
	recookie := Flow{Table: 1, Priority: 3, Cookie: 1, Match: matchIPSrc(3, 3, 3, 3), Actions: actOutput(1)}
	gone := Flow{Table: 1, Priority: 4, Cookie: 1, Match: matchIPSrc(4, 4, 4, 4), Actions: actOutput(1)}
	c.Update(func(t Txn) {
		for _, f := range []Flow{keep, modify, recookie, gone} {
			t.PutFlow(f)
		}
		t.PutGroup(Group{ID: 1, Type: conn.GroupTypeAll})
		t.PutMeter(Meter{ID: 1, Bands: conn.AppendDropBand(nil, 1, 1)})
	})
	// Pretend all of it is installed.
	c.mu.Lock()
	for k, d := range c.desired {
		c.installed[k] = &installedFlow{cookie: d.flow.Cookie, oxm: d.oxm, actions: d.actions}
	}
	c.installedGrp[1] = c.desiredGroups[1].canon
	c.installedMeter[1] = c.desiredMeters[1].canon
	c.dirty = map[flowKey]struct{}{}
	c.dirtyGroups = map[uint32]struct{}{}
	c.dirtyMeters = map[uint32]struct{}{}
	c.mu.Unlock()

	modify.Actions = actOutput(2)
	recookie.Cookie = 2
	added := Flow{Table: 1, Priority: 5, Match: matchIPSrc(5, 5, 5, 5), Actions: actGroup(2)}
	c.Update(func(t Txn) {
		t.PutFlow(keep) // unchanged: nothing
		t.PutFlow(modify)
		t.PutFlow(recookie)
		t.PutFlow(added)
		t.DeleteFlow(gone.Table, gone.Priority, gone.Match)
		t.DeleteGroup(1)
		t.PutGroup(Group{ID: 2, Type: conn.GroupTypeSelect, Buckets: []Bucket{{Actions: actOutput(1)}}})
		t.DeleteMeter(1)
		t.PutMeter(Meter{ID: 2, Bands: conn.AppendDropBand(nil, 2, 2)})
	})
	c.mu.Lock()
	pre, bundle, post := c.plan()
	c.mu.Unlock()

	if len(pre) != 1 || pre[0].id != 2 || conn.MeterModCommand(pre[0].cmd) != conn.MeterAdd {
		t.Fatalf("meters before: %+v", pre)
	}
	if len(post) != 1 || post[0].id != 1 || conn.MeterModCommand(post[0].cmd) != conn.MeterDelete {
		t.Fatalf("meters after: %+v", post)
	}
	type step struct {
		kind opKind
		cmd  uint8
		prio uint16
	}
	var got []step
	for _, o := range bundle {
		got = append(got, step{o.kind, o.cmd, o.key.priority})
	}
	if len(got) != 6 {
		t.Fatalf("bundle has %d messages: %+v", len(got), got)
	}
	if got[0] != (step{opGroup, uint8(conn.GroupAdd), 0}) {
		t.Fatalf("first is %+v, want the group add", got[0])
	}
	if got[1] != (step{opFlow, uint8(conn.FlowDeleteStrict), 4}) {
		t.Fatalf("second is %+v, want the flow delete", got[1])
	}
	want := map[step]bool{
		{opFlow, uint8(conn.FlowModifyStrict), 2}: true, // actions changed
		{opFlow, uint8(conn.FlowAdd), 3}:          true, // cookie changed
		{opFlow, uint8(conn.FlowAdd), 5}:          true, // new
	}
	for _, s := range got[2:5] {
		if !want[s] {
			t.Fatalf("unexpected %+v among flow changes %+v", s, got)
		}
	}
	if got[5] != (step{opGroup, uint8(conn.GroupDelete), 0}) {
		t.Fatalf("last is %+v, want the group delete", got[5])
	}
}
