package lflow

import (
	"fmt"

	"github.com/chassisd/chassisd/agent/internal/ovshash"
	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/expr"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// consider translates one logical flow for each of its local datapaths
// (consider_logical_flow in controller/lflow.c). ls has no outputs yet.
func (t *Translator) consider(ls *lflowState) {
	ls.deps = map[depKey]struct{}{}
	f := &ls.f
	var dps []string
	switch {
	case f.Datapath != "":
		dps = []string{f.Datapath}
	case f.DPGroup != "":
		t.addDep(ls, depKey{depDPGroup, f.DPGroup})
		dps = t.dpGroups[f.DPGroup]
	default:
		return
	}
	if f.TableID < 0 || f.TableID >= actions.LogicalPipelineLen {
		// northd never writes one; it would land in the physical tables.
		t.logFailure(ls, "table", fmt.Errorf("table_id %d out of range 0..%d", f.TableID, actions.LogicalPipelineLen-1))
		return
	}
	var parsed *parsedActions
	for _, dpUUID := range dps {
		t.addDep(ls, depKey{depDatapath, dpUUID})
		dp := t.datapaths[dpUUID]
		if dp == nil || !dp.Local {
			continue
		}
		if parsed == nil {
			parsed = t.parseActions(ls)
			if parsed.err != nil {
				t.logFailure(ls, "actions", parsed.err)
				return
			}
		}
		t.considerDP(ls, dp, parsed)
	}
}

type parsedActions struct {
	acts    actions.Actions
	prereqs *expr.Expr
	err     error
}

func (t *Translator) parseActions(ls *lflowState) *parsedActions {
	f := &ls.f
	text := t.expandTemplates(ls, f.Actions)
	pp := t.parseParamsFor(f.Pipeline, f.TableID)
	acts, prereqs, err := actions.Parse(text, pp)
	if err != nil {
		return &parsedActions{err: fmt.Errorf("parse actions %q: %w", text, err)}
	}
	return &parsedActions{acts: acts, prereqs: prereqs}
}

func (t *Translator) parseParamsFor(p Pipeline, table int) *actions.ParseParams {
	k := [2]int{int(p), table}
	pp := t.parseParams[k]
	if pp == nil {
		pp = actions.NewParseParams(t.symtab, p, table)
		t.parseParams[k] = pp
	}
	return pp
}

func (t *Translator) expandTemplates(ls *lflowState, s string) string {
	out, names := expr.ExpandTemplates(s, t.tmplVars)
	for _, n := range names {
		t.addDep(ls, depKey{depTemplate, n})
	}
	return out
}

// lookupPort resolves a logical port name in datapath dp as lookup_port_cb
// does: "none" is 0, then a port of dp, then a multicast group of dp.
func (t *Translator) lookupPort(ls *lflowState, dp *Datapath, name string) (uint32, bool) {
	if name == "none" {
		return 0, true
	}
	t.addDep(ls, depKey{depPort, name})
	if pb := t.ports[name]; pb != nil && pb.Datapath == dp.UUID {
		return pb.TunnelKey, true
	}
	mk := dp.UUID + " " + name
	t.addDep(ls, depKey{depMCGroup, mk})
	if g := t.mcGroups[mk]; g != nil {
		return g.TunnelKey, true
	}
	return 0, false
}

func (t *Translator) considerDP(ls *lflowState, dp *Datapath, pa *parsedActions) {
	f := &ls.f
	if f.InOutPort != "" {
		t.addDep(ls, depKey{depPort, f.InOutPort})
		pb := t.ports[f.InOutPort]
		if pb == nil {
			return
		}
		if _, ok := t.relatedIDs[lportID(dp.TunnelKey, pb.TunnelKey)]; !ok {
			return
		}
	}

	ingress := f.Pipeline == Ingress
	first := uint8(pipeline.TableLogIngress)
	if !ingress {
		first = pipeline.TableLogEgress
	}
	ptable := first + uint8(f.TableID)

	lookup := func(name string) (uint32, bool) { return t.lookupPort(ls, dp, name) }
	asRefs := map[string]int{}
	pgRefs := map[string]bool{}
	var prereqs *expr.Expr
	if pa.prereqs != nil {
		prereqs = pa.prereqs.Clone()
	}
	match := t.expandTemplates(ls, f.Match)
	compiled, err := expr.Compile(match, expr.CompileOptions{
		Symtab:     t.symtab,
		AddrSets:   t.addrSets,
		PortGroups: t.portGroups,
		DPID:       int64(dp.TunnelKey),
		Prereqs:    prereqs,
		LookupPort: lookup,
		IsChassisResident: func(port string) bool {
			t.addDep(ls, depKey{depPort, port})
			pb := t.ports[port]
			return pb != nil && pb.Resident
		},
		AddrSetRefs:   asRefs,
		PortGroupRefs: pgRefs,
	})
	for name := range asRefs {
		t.addDep(ls, depKey{depAddrSet, name})
	}
	for name := range pgRefs {
		t.addDep(ls, depKey{depPortGroup, name})
	}
	if err != nil {
		t.logFailure(ls, "match", err)
		return
	}
	if len(compiled.Matches) == 0 {
		return
	}
	if compiled.NConjs > 0 {
		start := t.conj.alloc(f.UUID, dp.UUID, compiled.NConjs)
		if start == 0 {
			t.log.Error("32-bit conjunction ids exhausted", "lflow", f.UUID)
			return
		}
		ls.conjs = append(ls.conjs, conjRange{start, compiled.NConjs})
		expr.SetConjBase(compiled.Matches, start)
	}

	var ctrlMeter uint32
	if f.ControllerMeter != "" {
		if id, ok := t.meterTable.AssignID(f.ControllerMeter); ok {
			ctrlMeter = id
			ls.meters = append(ls.meters, id)
			t.ref(t.meterRefs, t.metersDirty, id)
		} else {
			t.log.Warn("unable to assign id for meter", "meter", f.ControllerMeter)
		}
	}

	ep := actions.DefaultEncodeParams(f.Pipeline, dp.IsSwitch())
	ep.LookupPort = lookup
	ep.TunnelOFPort = func(name string) (uint32, bool) {
		t.addDep(ls, depKey{depPort, name})
		pb := t.ports[name]
		if pb == nil || pb.Datapath != dp.UUID || pb.Chassis == "" {
			return 0, false
		}
		t.addDep(ls, depKey{depTunnel, pb.Chassis})
		p, ok := t.tunnels[pb.Chassis]
		return p, ok
	}
	ep.GroupTable = t.groupTable
	ep.MeterTable = t.meterTable
	ep.CollectorSetIDs = t.collectors
	ep.LflowUUID = parseUUID(f.UUID)
	ep.DPKey = dp.TunnelKey
	ep.CtrlMeterID = ctrlMeter
	if _, ok := dp.ExternalIDs["snat-ct-zone"]; ok {
		ep.CommonNATCTZone = pipeline.RegSNATZone
	}
	ep.DPMeterSupport = t.features.DPMeter
	ep.CTZeroSNATSupport = t.features.CTZeroSNAT
	ep.DPHashL4Sym = t.features.DPHashL4Sym
	ofacts, err := pa.acts.Encode(&ep)
	if err != nil {
		t.logFailure(ls, "actions", err)
		return
	}
	t.noteGroupsMeters(ls, pa.acts, ofacts)

	cookie := uint64(ovshash.UUIDPart0(f.UUID))
	inReg := pipeline.RegOutport
	if ingress {
		inReg = pipeline.RegInport
	}
	var plain *contrib
	for _, m := range compiled.Matches {
		fm := m.Flow
		fm.SetUint(flow.FieldMetadata, uint64(dp.TunnelKey), ^uint64(0))
		if dp.IsSwitch() {
			if port, _, ok := fm.GetUint(inReg); ok && port != 0 {
				if _, rel := t.relatedIDs[lportID(dp.TunnelKey, uint32(port))]; !rel {
					continue
				}
			}
		}
		if len(m.Conjunctions) == 0 {
			if plain == nil {
				plain = &contrib{source: f.UUID, cookie: cookie, actions: ofacts}
			}
			t.addFlow(&ls.out, ptable, uint16(f.Priority), fm, plain)
			continue
		}
		conj := make(flow.Actions, len(m.Conjunctions))
		for i, c := range m.Conjunctions {
			conj[i] = c.Action()
		}
		t.addFlow(&ls.out, ptable, uint16(f.Priority), fm, &contrib{source: f.UUID, actions: conj, conj: true})
	}
}

// noteGroupsMeters records the groups and meters the encoded actions use:
// group and meter actions in the OpenFlow actions, log(meter=...) in the
// logical ones (its id may not appear in the OpenFlow actions when OVS has
// no datapath meters, but ovn-controller still installs the meter).
func (t *Translator) noteGroupsMeters(ls *lflowState, acts actions.Actions, as flow.Actions) {
	for _, a := range as {
		switch a := a.(type) {
		case flow.GroupAction:
			ls.groups = append(ls.groups, a.ID)
			t.ref(t.groupRefs, t.groupsDirty, a.ID)
		case flow.MeterAction:
			ls.meters = append(ls.meters, a.ID)
			t.ref(t.meterRefs, t.metersDirty, a.ID)
		case flow.Clone:
			t.noteGroupsMeters(ls, nil, a.Actions)
		}
	}
	t.noteLogMeters(ls, acts)
}

func (t *Translator) noteLogMeters(ls *lflowState, acts actions.Actions) {
	for _, a := range acts {
		switch a := a.(type) {
		case *actions.Log:
			if a.HasMeter {
				if id, ok := t.meterTable.AssignID(a.Meter); ok {
					ls.meters = append(ls.meters, id)
					t.ref(t.meterRefs, t.metersDirty, id)
				}
			}
		case *actions.Nest:
			t.noteLogMeters(ls, a.Nested)
		}
	}
}

func parseUUID(s string) [16]byte {
	u, err := actions.ParseUUID(s)
	if err != nil {
		return [16]byte{}
	}
	return u
}
