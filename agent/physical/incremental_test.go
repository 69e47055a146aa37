package physical

import (
	"sort"
	"testing"

	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// desiredTable models how an agent keeps incremental results: flows keyed
// by (table, priority, match), each linked to the rows that produce it, as
// ovn-controller's desired flow table does.
type desiredTable map[flowKey]*desiredEntry

type desiredEntry struct {
	flow    ofctrl.Flow
	origins map[string]bool
}

func newDesiredTable(r Result) desiredTable {
	t := desiredTable{}
	t.add(r)
	return t
}

func (t desiredTable) add(r Result) {
	for i, f := range r.Flows {
		k := flowKey{f.Table, f.Priority, f.Match.Key()}
		e := t[k]
		if e == nil {
			e = &desiredEntry{flow: f, origins: map[string]bool{}}
			t[k] = e
		}
		if len(r.Origins[i]) == 0 {
			e.origins[""] = true
		}
		for _, o := range r.Origins[i] {
			e.origins[o] = true
		}
	}
}

// update unlinks the rows, drops flows no row wants any more, then adds the
// recomputed flows of those rows.
func (t desiredTable) update(rows map[string]bool, r Result) {
	for k, e := range t {
		for o := range e.origins {
			if rows[o] {
				delete(e.origins, o)
			}
		}
		if len(e.origins) == 0 {
			delete(t, k)
		}
	}
	t.add(r)
}

func (t desiredTable) texts() []string {
	var out []string
	for _, e := range t {
		out = append(out, normalizeDumpLine(e.flow.String(), nil))
	}
	sort.Strings(out)
	return out
}

func TestIncrementalEqualsFull(t *testing.T) {
	port := func(in *Input, name string) *PortBinding {
		for i := range in.Ports {
			if in.Ports[i].LogicalPort == name {
				return &in.Ports[i]
			}
		}
		t.Fatalf("no port %s", name)
		return nil
	}
	cases := []struct {
		name    string
		changed []string // logical ports
		modify  func(in *Input)
	}{
		{"remote VIF moves here", []string{"vm2"}, func(in *Input) {
			port(in, "vm2").Chassis = "hv1"
			in.VIFs["vm2"] = 11
		}},
		{"local VIF leaves", []string{"vm1"}, func(in *Input) {
			port(in, "vm1").Chassis = "hv2"
			delete(in.VIFs, "vm1")
		}},
		{"container retagged", []string{"c1"}, func(in *Input) { port(in, "c1").Tag = 11 }},
		{"parent VIF rekeyed", []string{"vm1"}, func(in *Input) { port(in, "vm1").TunnelKey = 20 }},
		{"multichassis VIF on a localnet switch", []string{"vm4"}, func(in *Input) {
			port(in, "vm4").AdditionalChassis = []string{"hv2"}
			in.VIFMTU = map[string]uint16{"vm4": 1500}
		}},
		{"external port released", []string{"ext1"}, func(in *Input) { port(in, "ext1").Chassis = "" }},
		{"localnet retagged", []string{"ln-public"}, func(in *Input) { port(in, "ln-public").Tag = 200 }},
		{"router port MAC changes", []string{"lr0-public"}, func(in *Input) {
			port(in, "lr0-public").MAC = []string{"00:00:00:00:ff:99 172.16.0.1/24"}
		}},
		{"gateway moves away", []string{"cr-lr0-public"}, func(in *Input) { port(in, "cr-lr0-public").Chassis = "hv2" }},
		{"patch port rekeyed", []string{"lr0-ls1"}, func(in *Input) { port(in, "lr0-ls1").TunnelKey = 9 }},
		{"port deleted", []string{"vm3"}, func(in *Input) {
			var ps []PortBinding
			for _, p := range in.Ports {
				if p.LogicalPort != "vm3" {
					ps = append(ps, p)
				}
			}
			in.Ports = ps
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, in := referenceInput(), referenceInput()
			table := newDesiredTable(ComputeResult(old))
			var uuids []string
			for _, name := range tc.changed {
				uuids = append(uuids, port(old, name).UUID)
			}
			tc.modify(in)
			rows := Affected(old, in, uuids)
			table.update(rows, ComputeFor(in, rows))

			want := flowTexts(Compute(in))
			got := table.texts()
			missing, extra := diffSets(want, got)
			for _, m := range missing {
				t.Errorf("incremental lacks:\n  %s", m)
			}
			for _, e := range extra {
				t.Errorf("incremental has stale:\n  %s", e)
			}
			t.Logf("%d rows recomputed", len(rows))
		})
	}
}
