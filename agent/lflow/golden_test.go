package lflow

import (
	"encoding/json"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The golden files are a Southbound snapshot and the logical flows the real
// ovn-controller 23.03.1 installed for it, captured by
// TestDifferentialOVNController with LFLOW_UPDATE_GOLDEN=1. They let the
// translation and its incremental paths be checked without OVS.

func loadGolden(t testing.TB, name string) (*Input, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+"-sb.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g goldenSnapshot
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	in, err := buildInput(g.SB, "hv1", g.Ifaces)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.ReadFile(filepath.Join("testdata", name+"-ovn-controller.flows"))
	if err != nil {
		t.Fatal(err)
	}
	return in, strings.Split(strings.TrimSpace(string(fb)), "\n")
}

func flowTexts(tr *Translator) []string {
	var out []string
	for _, f := range tr.Flows() {
		out = append(out, FlowText(f))
	}
	return out
}

func newTestTranslator() *Translator {
	return New(Options{Features: Features{DPMeter: true, CTZeroSNAT: true}, Logger: quietLogger})
}

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestGolden(t *testing.T) {
	for _, sc := range scenarios {
		if sc.noGolden {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			in, want := loadGolden(t, sc.name)
			tr := newTestTranslator()
			tr.Full(in)
			acc := loadAcceptedDiffs(t)
			a, b := acc.rewrite(normalizeFlows(want)), acc.rewrite(normalizeFlows(flowTexts(tr)))
			onlyTheirs, onlyMine := diffSorted(a, b)
			onlyTheirs, onlyMine = acc.filter(onlyTheirs, "-"), acc.filter(onlyMine, "+")
			for _, l := range onlyTheirs {
				t.Errorf("only in ovn-controller: %s", l)
			}
			for _, l := range onlyMine {
				t.Errorf("only in lflow: %s", l)
			}
			if len(want) == 0 {
				t.Fatal("empty golden flow list")
			}
		})
	}
	// The conjunction ids themselves come from ovn-controller's hash.
	in, want := loadGolden(t, "neutron")
	tr := newTestTranslator()
	tr.Full(in)
	if n := countSameConjIDs(want, flowTexts(tr)); n == 0 {
		t.Errorf("no conj_id equal to ovn-controller's")
	}
}

// sameFlows compares two translators' outputs exactly (conj ids included).
func sameFlows(t *testing.T, what string, got, want *Translator) {
	t.Helper()
	// Group and meter ids depend on allocation order (in ovn-controller
	// too); conjunction ids do not.
	canon := func(tr *Translator) []string {
		l := flowTexts(tr)
		sort.Strings(l)
		return renumber(renumber(l, reGroup, "group:G"), reMeter, "meter:M")
	}
	g, w := canon(got), canon(want)
	onlyG, onlyW := diffSorted(g, w)
	if len(onlyG)+len(onlyW) == 0 {
		return
	}
	for i, l := range onlyG {
		if i < 10 {
			t.Errorf("%s: extra %s", what, l)
		}
	}
	for i, l := range onlyW {
		if i < 10 {
			t.Errorf("%s: missing %s", what, l)
		}
	}
	t.Errorf("%s: %d extra, %d missing", what, len(onlyG), len(onlyW))
}

func cloneInput(in *Input) *Input {
	c := *in
	c.Flows = append([]LogicalFlow(nil), in.Flows...)
	c.Ports = append([]PortBinding(nil), in.Ports...)
	c.Datapaths = append([]Datapath(nil), in.Datapaths...)
	c.AddressSets = map[string][]string{}
	for k, v := range in.AddressSets {
		c.AddressSets[k] = append([]string(nil), v...)
	}
	c.PortGroups = map[string][]string{}
	for k, v := range in.PortGroups {
		c.PortGroups[k] = append([]string(nil), v...)
	}
	return &c
}

func full(in *Input) *Translator {
	tr := newTestTranslator()
	tr.Full(in)
	return tr
}

func TestIncrementalFlowsInAnyOrder(t *testing.T) {
	in, _ := loadGolden(t, "neutron")
	want := full(in)

	// Start without flows and add them one by one, in random order.
	empty := cloneInput(in)
	empty.Flows = nil
	tr := full(empty)
	rng := rand.New(rand.NewSource(1))
	perm := rng.Perm(len(in.Flows))
	for _, i := range perm {
		tr.PutFlow(in.Flows[i])
	}
	sameFlows(t, "flows added one by one", tr, want)

	// Delete half and put them back.
	for _, i := range perm[:len(perm)/2] {
		tr.DeleteFlow(in.Flows[i].UUID)
	}
	if tr.NumFlows() >= want.NumFlows() {
		t.Errorf("deleting half the logical flows left %d of %d flows", tr.NumFlows(), want.NumFlows())
	}
	for _, i := range perm[:len(perm)/2] {
		tr.PutFlow(in.Flows[i])
	}
	sameFlows(t, "flows deleted and re-added", tr, want)
}

func TestIncrementalAddressSetAndPortGroup(t *testing.T) {
	in, _ := loadGolden(t, "neutron")
	tr := full(in)

	var asName, pgName string
	for n := range in.AddressSets {
		if strings.HasPrefix(n, "as_sg1") {
			asName = n
		}
	}
	for n := range in.PortGroups {
		if strings.HasSuffix(n, "_pg_sg1") {
			pgName = n
		}
	}
	if asName == "" || pgName == "" {
		t.Fatalf("snapshot lacks the address set or port group: %v %v", in.AddressSets, in.PortGroups)
	}

	mod := cloneInput(in)
	mod.AddressSets[asName] = []string{"10.0.0.11", "192.168.7.0/24", "10.9.9.9"}
	tr.PutAddressSet(asName, mod.AddressSets[asName])
	sameFlows(t, "address set changed", tr, full(mod))

	mod.PortGroups[pgName] = []string{"vm1"}
	tr.PutPortGroup(pgName, mod.PortGroups[pgName])
	sameFlows(t, "port group shrunk", tr, full(mod))

	tr.PutAddressSet(asName, in.AddressSets[asName])
	tr.PutPortGroup(pgName, in.PortGroups[pgName])
	sameFlows(t, "both restored", tr, full(in))

	// A deleted address set makes its flows fail to parse (and vanish).
	mod = cloneInput(in)
	delete(mod.AddressSets, asName)
	tr.DeleteAddressSet(asName)
	sameFlows(t, "address set deleted", tr, full(mod))
	tr.PutAddressSet(asName, in.AddressSets[asName])
	sameFlows(t, "address set re-added", tr, full(in))
}

func TestIncrementalPortLocality(t *testing.T) {
	in, _ := loadGolden(t, "neutron")
	tr := full(in)
	mod := cloneInput(in)
	var vm2 PortBinding
	for i := range mod.Ports {
		if mod.Ports[i].Name == "vm2" {
			mod.Ports[i].Related = false
			mod.Ports[i].Resident = false
			vm2 = mod.Ports[i]
		}
	}
	if vm2.Name == "" {
		t.Fatal("no vm2 in snapshot")
	}
	tr.PutPort(vm2)
	sameFlows(t, "vm2 no longer local", tr, full(mod))
	for _, p := range in.Ports {
		if p.Name == "vm2" {
			tr.PutPort(p)
		}
	}
	sameFlows(t, "vm2 local again", tr, full(in))

	mod = cloneInput(in)
	mod.Ports = nil
	for _, p := range in.Ports {
		if p.Name != "vm2" {
			mod.Ports = append(mod.Ports, p)
		}
	}
	tr.DeletePort("vm2")
	sameFlows(t, "vm2 deleted", tr, full(mod))
	for _, p := range in.Ports {
		if p.Name == "vm2" {
			tr.PutPort(p)
		}
	}
	sameFlows(t, "vm2 back", tr, full(in))

	// A datapath that stops being local takes its flows away.
	mod = cloneInput(in)
	var dp Datapath
	for i := range mod.Datapaths {
		if !mod.Datapaths[i].IsSwitch() && mod.Datapaths[i].Local {
			mod.Datapaths[i].Local = false
			dp = mod.Datapaths[i]
			break
		}
	}
	tr.PutDatapath(dp)
	sameFlows(t, "router not local", tr, full(mod))
	for _, d := range in.Datapaths {
		if d.UUID == dp.UUID {
			tr.PutDatapath(d)
		}
	}
	sameFlows(t, "router local again", tr, full(in))
}

// TestChangesReplay checks that applying every Delta to an empty table
// yields Flows().
func TestChangesReplay(t *testing.T) {
	in, _ := loadGolden(t, "neutron")
	tr := newTestTranslator()
	installed := map[string]string{}
	apply := func() {
		d := tr.Changes()
		for _, k := range d.DeleteFlows {
			delete(installed, keyText(k.Table, k.Priority, k.Match.String()))
		}
		for _, f := range d.PutFlows {
			installed[keyText(f.Table, f.Priority, f.Match.String())] = FlowText(f)
		}
	}
	check := func(what string) {
		t.Helper()
		apply()
		var got []string
		for _, v := range installed {
			got = append(got, v)
		}
		sort.Strings(got)
		want := flowTexts(tr)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: replayed %d flows, translator has %d", what, len(got), len(want))
		}
	}
	tr.Full(in)
	check("full")
	for _, f := range in.Flows[:len(in.Flows)/3] {
		tr.DeleteFlow(f.UUID)
	}
	check("deletions")
	for n := range in.AddressSets {
		tr.PutAddressSet(n, []string{"1.2.3.4"})
	}
	check("address sets")
	tr.Full(in)
	check("full again")
	if d := tr.Changes(); !d.Empty() {
		t.Errorf("Changes not empty right after Changes: %+v", d)
	}
	// A reconnect recomputes everything; nothing changed, nothing to send.
	tr.Full(in)
	if d := tr.Changes(); !d.Empty() {
		t.Errorf("Full of the same input reported %d flow puts, %d deletes, %d group puts, %d meter puts",
			len(d.PutFlows), len(d.DeleteFlows), len(d.PutGroups), len(d.PutMeters))
	}
}

func keyText(table uint8, prio uint16, m string) string {
	return strings.Join([]string{string(rune(table)), string(rune(prio)), m}, "|")
}

func TestIncrementalExtraSources(t *testing.T) {
	in, _ := loadGolden(t, "neutron")
	if len(in.MACBindings) == 0 || len(in.FDBs) == 0 || len(in.LoadBalancers) == 0 {
		t.Fatalf("snapshot lacks MAC bindings, FDB or load balancers")
	}
	want := full(in)

	empty := cloneInput(in)
	empty.MACBindings, empty.FDBs, empty.LoadBalancers = nil, nil, nil
	tr := full(empty)
	if tr.NumFlows() >= want.NumFlows() {
		t.Fatalf("no flows from MAC bindings, FDB and load balancers")
	}
	for _, b := range in.MACBindings {
		tr.PutMACBinding(b)
	}
	for _, f := range in.FDBs {
		tr.PutFDB(f)
	}
	for _, lb := range in.LoadBalancers {
		tr.PutLoadBalancer(lb)
	}
	sameFlows(t, "rows added one by one", tr, want)

	for _, b := range in.MACBindings {
		tr.DeleteMACBinding(b.UUID)
	}
	for _, f := range in.FDBs {
		tr.DeleteFDB(f.UUID)
	}
	for _, lb := range in.LoadBalancers {
		tr.DeleteLoadBalancer(lb.UUID)
	}
	sameFlows(t, "rows deleted", tr, full(empty))

	// The flows follow the ports: a port security source disappears with
	// its port's residency.
	for _, lb := range in.LoadBalancers {
		tr.PutLoadBalancer(lb)
	}
	tr.SetLBHairpinUseCTLabel(!in.LBHairpinUseCTLabel)
	mod := cloneInput(empty)
	mod.LoadBalancers = in.LoadBalancers
	mod.LBHairpinUseCTLabel = !in.LBHairpinUseCTLabel
	sameFlows(t, "hairpin ct_mark/ct_label switched", tr, full(mod))
}

func TestIncrementalTemplateVars(t *testing.T) {
	in, _ := loadGolden(t, "neutron")
	if len(in.TemplateVars) == 0 {
		t.Fatal("snapshot has no template variables")
	}
	tr := full(in)
	mod := cloneInput(in)
	mod.TemplateVars = map[string]string{}
	for k, v := range in.TemplateVars {
		mod.TemplateVars[k] = v
	}
	mod.TemplateVars["vip"] = "10.0.0.211"
	mod.TemplateVars["backends"] = "10.0.0.12:9090"
	tr.SetTemplateVars(mod.TemplateVars)
	sameFlows(t, "template vars changed", tr, full(mod))
	if tr.NumFlows() == 0 || strings.Contains(strings.Join(flowTexts(tr), "\n"), "10.0.0.210") {
		t.Errorf("old template value still in use")
	}
	tr.SetTemplateVars(in.TemplateVars)
	sameFlows(t, "template vars restored", tr, full(in))
}

// A full recompute keeps the ids of groups still in use.
func TestFullKeepsGroupIDs(t *testing.T) {
	in, _ := loadGolden(t, "neutron")
	tr := newTestTranslator()
	tr.Full(in)
	before := map[uint32]string{}
	for _, g := range tr.Groups() {
		before[g.ID] = GroupText(g)
	}
	if len(before) < 2 {
		t.Fatalf("want at least 2 groups, have %d", len(before))
	}
	// Drop the flows that use lb0's backends, recompute everything.
	mod := cloneInput(in)
	mod.Flows = nil
	for _, f := range in.Flows {
		if !strings.Contains(f.Actions, "10.0.0.11:8080") {
			mod.Flows = append(mod.Flows, f)
		}
	}
	tr.Changes()
	tr.Full(mod)
	d := tr.Changes()
	after := map[uint32]string{}
	for _, g := range tr.Groups() {
		after[g.ID] = GroupText(g)
		if b, ok := before[g.ID]; !ok || b != GroupText(g) {
			t.Errorf("group %d changed across Full: %q -> %q", g.ID, b, GroupText(g))
		}
	}
	if len(after) >= len(before) || len(d.DeleteGroups) != len(before)-len(after) || len(d.PutGroups) != 0 {
		t.Errorf("groups %d -> %d; delta puts %d deletes %v", len(before), len(after), len(d.PutGroups), d.DeleteGroups)
	}
}

// Update (snapshot diffing onto the incremental methods) equals Full.
func TestUpdateEqualsFull(t *testing.T) {
	neutron, _ := loadGolden(t, "neutron")
	remote, _ := loadGolden(t, "remote-gateway")

	tr := newTestTranslator()
	tr.Update(neutron)
	sameFlows(t, "update from empty", tr, full(neutron))

	mod := cloneInput(neutron)
	for n := range mod.AddressSets {
		mod.AddressSets[n] = append(mod.AddressSets[n], "10.99.0.1")
	}
	for n := range mod.PortGroups {
		if len(mod.PortGroups[n]) > 1 {
			mod.PortGroups[n] = mod.PortGroups[n][1:]
		}
	}
	mod.Flows = mod.Flows[:len(mod.Flows)-40]
	mod.Flows[0].Priority++
	for i := range mod.Ports {
		if mod.Ports[i].Name == "vm3" {
			mod.Ports[i].Related, mod.Ports[i].Resident = false, false
		}
	}
	mod.MACBindings = mod.MACBindings[1:]
	mod.LoadBalancers = mod.LoadBalancers[1:]
	tr.Update(mod)
	sameFlows(t, "update to a modified snapshot", tr, full(mod))

	tr.Update(neutron)
	sameFlows(t, "update back", tr, full(neutron))

	tr.Update(remote)
	sameFlows(t, "update to another topology", tr, full(remote))
	tr.Update(&Input{})
	if tr.NumFlows() != 0 || tr.NumLogicalFlows() != 0 {
		t.Errorf("update to nothing left %d flows", tr.NumFlows())
	}
}
