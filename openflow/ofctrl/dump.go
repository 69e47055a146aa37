package ofctrl

import (
	"context"
	"fmt"

	"github.com/chassisd/chassisd/openflow/conn"
)

// State is a set of flows, groups and meters, e.g. what a switch holds.
type State struct {
	Flows  []Flow
	Groups []Group
	Meters []Meter
}

// Dump reads the flows, groups and meters of the switch behind cn and
// decodes them with dec (for debugging tools and tests).
func Dump(ctx context.Context, cn *conn.Conn, dec Decoder) (*State, error) {
	fs, err := cn.FlowStats(ctx, conn.FlowStatsRequest{Table: conn.TableAll})
	if err != nil {
		return nil, err
	}
	st := &State{}
	for i := range fs {
		m, err := dec.DecodeMatch(fs[i].Match)
		if err != nil {
			return nil, fmt.Errorf("table %d priority %d: match: %w", fs[i].Table, fs[i].Priority, err)
		}
		raw, err := fs[i].Actions()
		if err != nil {
			return nil, fmt.Errorf("table %d priority %d: %w", fs[i].Table, fs[i].Priority, err)
		}
		acts, err := dec.DecodeActions(raw)
		if err != nil {
			return nil, fmt.Errorf("table %d priority %d: actions: %w", fs[i].Table, fs[i].Priority, err)
		}
		st.Flows = append(st.Flows, Flow{Table: fs[i].Table, Priority: fs[i].Priority, Cookie: fs[i].Cookie, Match: m, Actions: acts})
	}
	gds, err := cn.GroupDescs(ctx, conn.GroupAll)
	if err != nil {
		return nil, err
	}
	for _, gd := range gds {
		g, err := groupFromDesc(gd, dec)
		if err != nil {
			return nil, err
		}
		st.Groups = append(st.Groups, *g)
	}
	mcs, err := cn.MeterConfigs(ctx, conn.MeterAll)
	if err != nil {
		return nil, err
	}
	for _, mc := range mcs {
		st.Meters = append(st.Meters, Meter{ID: mc.MeterID, Flags: mc.Flags, Bands: append([]byte(nil), mc.Bands...)})
	}
	return st, nil
}

// Apply puts every entry of s into the desired table.
func (s *State) Apply(t Txn) {
	for _, m := range s.Meters {
		t.PutMeter(m)
	}
	for _, g := range s.Groups {
		t.PutGroup(g)
	}
	for _, f := range s.Flows {
		t.PutFlow(f)
	}
}
