package explain

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Explanation is the answer to "why did this packet go there?".
type Explanation struct {
	Chassis string       `json:"chassis"`
	Bridge  string       `json:"bridge"`
	Packet  Packet       `json:"packet"`
	Verdict Verdict      `json:"verdict"`
	Passes  []PassReport `json:"passes"`
	// ForeignFlows counts the steps that hit a flow chassisd did not
	// install (or installed differently).
	ForeignFlows int      `json:"foreign_flows"`
	Notes        []string `json:"notes,omitempty"`
	// Args, Traces and Catalog are what the explanation was computed from
	// (only with --with-catalog); the last trace is the one explained.
	Args    []string   `json:"args,omitempty"`
	Traces  []TraceRun `json:"traces,omitempty"`
	Catalog *Catalog   `json:"catalog,omitempty"`
}

// TraceRun is one ofproto/trace run: its flow and its output.
type TraceRun struct {
	Flow   string `json:"flow"`
	Output string `json:"output"`
}

// PassReport is one pass through the bridge, its steps grouped by logical
// datapath and pipeline.
type PassReport struct {
	RecircID string `json:"recirc_id,omitempty"`
	// CTState is the conntrack state the pass was traced with, CTZone the
	// zone of the lookup; CTDefault says it is ofproto/trace's default
	// assumption (a new connection) rather than a --ct-next value.
	CTState   string `json:"ct_state,omitempty"`
	CTDefault bool   `json:"ct_default,omitempty"`
	CTZone    string `json:"ct_zone,omitempty"`
	// NAT is the translation conntrack applied before the pass, if any.
	NAT             string    `json:"nat,omitempty"`
	Segments        []Segment `json:"segments"`
	DatapathActions string    `json:"datapath_actions,omitempty"`
}

// Segment is a run of consecutive steps in one logical datapath and
// pipeline ("" for the physical tables ovn-controller fills itself).
type Segment struct {
	Datapath    string       `json:"datapath,omitempty"`
	DatapathKey uint32       `json:"datapath_key,omitempty"`
	Router      bool         `json:"router,omitempty"`
	Pipeline    string       `json:"pipeline"`
	Steps       []StepReport `json:"steps"`
}

// StepReport is one explained OpenFlow lookup.
type StepReport struct {
	Bridge   string `json:"bridge"`
	Table    int    `json:"table"`
	Priority int    `json:"priority"`
	Cookie   string `json:"cookie,omitempty"`
	Depth    int    `json:"depth"`
	NoMatch  bool   `json:"no_match,omitempty"`
	// Stage is the logical stage (ls_in_acl, ...) or the physical
	// table's name (remote_output, ...).
	Stage       string          `json:"stage"`
	Match       string          `json:"openflow_match,omitempty"`
	Actions     []string        `json:"openflow_actions,omitempty"`
	LogicalFlow *LogicalFlowRef `json:"logical_flow,omitempty"`
	Objects     []Object        `json:"objects,omitempty"`
	// Notes say in words what the step did.
	Notes []string `json:"notes,omitempty"`
	// Origin is chassisd, learned, drift or foreign.
	Origin     string `json:"origin"`
	OriginNote string `json:"origin_note,omitempty"`
	// Trivial steps only pass the packet on; the short form hides them.
	Trivial bool `json:"trivial,omitempty"`
	// Lookup marks a helper table a logical action called and returned
	// from (port security, MAC bindings, ...).
	Lookup bool `json:"lookup,omitempty"`
	// Decisive marks the step the verdict names.
	Decisive bool `json:"decisive,omitempty"`
}

// LogicalFlowRef is the logical flow behind a step.
type LogicalFlowRef struct {
	UUID    string `json:"uuid"`
	Match   string `json:"match"`
	Actions string `json:"actions"`
	Hint    string `json:"stage_hint,omitempty"`
	Source  string `json:"source,omitempty"`
}

// Object is a Northbound, Neutron or Southbound object a step comes from.
type Object struct {
	Kind    string            `json:"kind"` // ACL, Load_Balancer, NAT, Route, Port, ...
	ID      string            `json:"id,omitempty"`
	Name    string            `json:"name,omitempty"`
	Summary string            `json:"summary"`
	Neutron map[string]string `json:"neutron,omitempty"`
}

// Verdict is what finally happened to the packet.
type Verdict struct {
	// Kind is one of the Verdict* constants.
	Kind    string   `json:"kind"`
	Summary string   `json:"summary"`
	Reason  string   `json:"reason,omitempty"`
	Outputs []Output `json:"outputs,omitempty"`
	// Stage and Datapath locate the decisive step (drops, controller).
	Stage    string   `json:"stage,omitempty"`
	Datapath string   `json:"datapath,omitempty"`
	Objects  []Object `json:"objects,omitempty"`
}

// Verdict kinds.
const (
	VerdictDelivered  = "delivered"  // to a port on this chassis
	VerdictTunnel     = "tunnel"     // to another chassis
	VerdictPhysical   = "physical"   // onto a provider network
	VerdictReplied    = "replied"    // answered back to the sender
	VerdictController = "controller" // handed to chassisd (pinctrl)
	VerdictDropped    = "dropped"
	VerdictIncomplete = "incomplete" // the trace could not follow the packet
)

// Output is one place the packet leaves the bridge for.
type Output struct {
	Kind        string `json:"kind"` // vif, tunnel, physical, controller
	LogicalPort string `json:"logical_port,omitempty"`
	Datapath    string `json:"datapath,omitempty"`
	Interface   string `json:"interface,omitempty"`
	OFPort      int    `json:"ofport,omitempty"`
	Chassis     string `json:"chassis,omitempty"`
	RemoteIP    string `json:"remote_ip,omitempty"`
	TunnelType  string `json:"tunnel_type,omitempty"`
	Action      string `json:"action,omitempty"` // controller: the logical action
	Stage       string `json:"stage,omitempty"`
}

// regs is the part of the packet's logical state the walk follows.
type regs struct {
	metadata, inport, outport uint32
	reg0                      uint32
	inPort                    int
	dlSrc, dlDst, nwSrc       string
	nwDst                     string
}

func regsFromFlow(flow string) regs {
	var r regs
	for _, kv := range strings.Split(flow, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch k {
		case "metadata":
			r.metadata = parseUint32(v)
		case "reg14":
			r.inport = parseUint32(v)
		case "reg15":
			r.outport = parseUint32(v)
		case "reg0":
			r.reg0 = parseUint32(v)
		case "in_port":
			r.inPort, _ = strconv.Atoi(v)
		case "dl_src":
			r.dlSrc = v
		case "dl_dst":
			r.dlDst = v
		case "nw_src", "ipv6_src":
			r.nwSrc = v
		case "nw_dst", "ipv6_dst":
			r.nwDst = v
		}
	}
	return r
}

func parseUint32(s string) uint32 {
	s, _, _ = strings.Cut(s, "/")
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0
	}
	return uint32(v)
}

// apply follows one action (and its "X is now Y" remarks).
func (r *regs) apply(a Action) {
	if rest, ok := strings.CutPrefix(a.Text, "set_field:"); ok {
		val, field, ok := strings.Cut(rest, "->")
		if ok {
			switch field {
			case "metadata":
				r.metadata = parseUint32(val)
			case "reg14":
				r.inport = parseUint32(val)
			case "reg15":
				r.outport = parseUint32(val)
			case "eth_dst":
				r.dlDst = val
			case "eth_src":
				r.dlSrc = val
			case "in_port":
				if val == "ANY" {
					r.inPort = -1
				} else {
					r.inPort, _ = strconv.Atoi(val)
				}
			}
		}
	}
	for _, n := range a.Notes {
		field, val, ok := strings.Cut(n, " is now ")
		if !ok {
			continue
		}
		v := parseUint32(val)
		switch {
		case strings.HasPrefix(field, "OXM_OF_METADATA"):
			r.metadata = v
		case strings.HasPrefix(field, "NXM_NX_REG14"):
			r.inport = v
		case strings.HasPrefix(field, "NXM_NX_REG15"):
			r.outport = v
		case field == "NXM_NX_REG0[]" || field == "NXM_NX_XXREG0[96..127]":
			r.reg0 = v
		case field == "NXM_OF_IN_PORT[]":
			r.inPort = int(v)
		}
	}
}

func ipv4String(v uint32) string {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// Explain annotates a parsed trace with the catalog and decides the
// verdict. packet describes what was traced (BuildPacket's result, or just
// the flow for a raw trace).
func Explain(tr *Trace, cat *Catalog, packet Packet) *Explanation {
	x := newIndex(cat)
	ex := &Explanation{Chassis: cat.Chassis, Bridge: cat.Bridge, Packet: packet}
	w := walker{x: x, ex: ex}
	for pi := range tr.Passes {
		w.pass(pi, &tr.Passes[pi])
	}
	w.verdict(tr)
	hinted := false
	for _, p := range ex.Passes {
		for _, s := range p.Segments {
			for _, st := range s.Steps {
				if st.Origin == OriginForeign || st.Origin == OriginDrift {
					ex.ForeignFlows++
				}
				hinted = hinted || (st.LogicalFlow != nil && st.LogicalFlow.Hint != "" && !st.Trivial)
			}
		}
	}
	if v := ex.Verdict; v.Kind == VerdictTunnel && len(v.Outputs) == 1 {
		o := v.Outputs[0]
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s's egress pipeline (to-lport ACLs, port security of %s) runs on chassis %s when the packet arrives there.",
			o.Datapath, o.LogicalPort, o.Chassis))
	}
	if hinted && !cat.NorthboundRead {
		ex.Notes = append(ex.Notes, "run with --nb-db REMOTE to name the ACLs, routes and NAT rules behind the logical flows, with their Neutron ids.")
	}
	return ex
}

// stepRef locates a step in the explanation.
type stepRef struct{ pass, seg, step int }

type walker struct {
	x  *index
	ex *Explanation
	// outputs in trace order, with where they happened.
	outputs []located[Output]
	// lastByPass is the last step of each pass, for drop verdicts.
	steps [][]located[*Step]
	// firstInPort is the OpenFlow port the packet entered on.
	firstInPort int
}

type located[T any] struct {
	v   T
	ref stepRef
	r   regs
}

func (w *walker) report(ref stepRef) *StepReport {
	return &w.ex.Passes[ref.pass].Segments[ref.seg].Steps[ref.step]
}

func (w *walker) pass(pi int, p *Pass) {
	r := regsFromFlow(p.Flow)
	if pi == 0 {
		w.firstInPort = r.inPort
	}
	pr := PassReport{RecircID: p.RecircID, CTState: p.CTState, CTDefault: p.CTDefault,
		DatapathActions: p.DatapathActions}
	if p.NATFrom != "" && p.NATFrom != p.NATTo {
		pr.NAT = natSummary(p.NATFrom, p.NATTo)
	}
	for _, kv := range strings.Split(p.Flow, ",") {
		if z, ok := strings.CutPrefix(kv, "ct_zone="); ok {
			pr.CTZone = z
		}
	}
	w.ex.Passes = append(w.ex.Passes, pr)
	w.steps = append(w.steps, nil)
	for si := range p.Steps {
		w.step(pi, &p.Steps[si], &r)
	}
}

func natSummary(from, to string) string {
	f, t := strings.Split(from, ","), strings.Split(to, ",")
	var changed []string
	for i := range f {
		if i < len(t) && f[i] != t[i] {
			changed = append(changed, f[i]+" -> "+strings.SplitN(t[i], "=", 2)[1])
		}
	}
	return strings.Join(changed, ", ")
}

func (w *walker) step(pi int, st *Step, r *regs) {
	x := w.x
	pr := &w.ex.Passes[pi]
	rep := StepReport{Bridge: st.Bridge, Table: st.Table, Priority: st.Priority, Depth: st.Depth,
		NoMatch: st.NoMatch, Match: st.Match, Lookup: isHelperTable(st.Table)}
	if st.Cookie != 0 {
		rep.Cookie = fmt.Sprintf("%#x", st.Cookie)
	}
	for _, a := range st.Actions {
		if a.Text != "" {
			rep.Actions = append(rep.Actions, a.Text)
		}
	}
	integration := st.Bridge == "" || st.Bridge == x.Bridge || x.Bridge == ""
	before := *r
	mr := regsFromFlow(st.Match)
	if mr.metadata != 0 {
		r.metadata, before.metadata = mr.metadata, mr.metadata
	}
	if strings.Contains(st.Match, "reg15=") {
		r.outport, before.outport = mr.outport, mr.outport
	}
	if strings.Contains(st.Match, "reg14=") {
		r.inport, before.inport = mr.inport, mr.inport
	}
	pipe := ""
	if integration {
		pipe = pipelineOf(st.Table)
	}
	var lf *LogicalFlow
	if integration && pipe != "" {
		lf = x.logicalFlow(st.Cookie, st.Table, before.metadata)
	}
	switch {
	case !integration:
		rep.Stage = "bridge " + st.Bridge
		rep.Trivial = true
		rep.Origin = OriginOtherBridge
	case lf != nil:
		rep.Stage = lf.Stage()
		if rep.Stage == "" {
			rep.Stage = tableName(st.Table)
		}
		rep.LogicalFlow = &LogicalFlowRef{UUID: lf.UUID, Match: lf.Match, Actions: lf.Actions,
			Hint: lf.ExternalIDs["stage-hint"], Source: lf.ExternalIDs["source"]}
	default:
		rep.Stage = tableName(st.Table)
	}
	if integration {
		rep.Origin, rep.OriginNote = x.installed(st)
	}
	// Follow the actions: outputs, state changes.
	for _, a := range st.Actions {
		if integration {
			w.noteOutput(pi, st, lf, a, r, rep.Stage)
		}
		r.apply(a)
	}
	if integration {
		ann := annotator{x: x, st: st, lf: lf, before: before, after: *r, rep: &rep, first: w.firstInPort}
		ann.annotate()
	}
	// Segments: a new one whenever the datapath or pipeline changes. A
	// lookup that a logical action calls (port security, MAC bindings)
	// stays with the step that called it.
	dp := before.metadata
	if pipe == "" && st.Table == pipeline.TablePhyToLog {
		dp = r.metadata // table 0 decides the datapath
	}
	segs := &pr.Segments
	helper := integration && isHelperTable(st.Table) && len(*segs) > 0
	if helper {
		last := (*segs)[len(*segs)-1]
		pipe, dp = last.Pipeline, last.DatapathKey
	}
	if n := len(*segs); n == 0 || (*segs)[n-1].Pipeline != pipe || (*segs)[n-1].DatapathKey != dp {
		seg := Segment{Pipeline: pipe, DatapathKey: dp}
		if dp != 0 {
			seg.Datapath = x.datapathName(dp)
			if d := x.dpByKey[dp]; d != nil {
				seg.Router = d.Router
			}
		}
		*segs = append(*segs, seg)
	}
	seg := &(*segs)[len(*segs)-1]
	seg.Steps = append(seg.Steps, rep)
	ref := stepRef{pass: pi, seg: len(*segs) - 1, step: len(seg.Steps) - 1}
	w.steps[pi] = append(w.steps[pi], located[*Step]{v: st, ref: ref, r: before})
	// The step that called a lookup with something to say is shown too.
	if helper && !rep.Trivial && st.Depth > 0 {
		for i := len(w.steps[pi]) - 2; i >= 0; i-- {
			if p := w.steps[pi][i]; p.v.Depth < st.Depth {
				w.report(p.ref).Trivial = false
				break
			}
		}
	}
	// Outputs recorded during the actions point at this step.
	for i := range w.outputs {
		if w.outputs[i].ref.pass == pi && w.outputs[i].ref.seg == -1 {
			w.outputs[i].ref = ref
		}
	}
}

// noteOutput records an action that sends the packet out of the bridge.
func (w *walker) noteOutput(pi int, st *Step, lf *LogicalFlow, a Action, r *regs, stage string) {
	x := w.x
	pending := stepRef{pass: pi, seg: -1}
	switch {
	case strings.HasPrefix(a.Text, "output:"):
		n, err := strconv.Atoi(strings.TrimPrefix(a.Text, "output:"))
		if err != nil {
			return
		}
		for _, note := range a.Notes {
			if strings.HasPrefix(note, "skipping output") {
				return
			}
		}
		o := Output{OFPort: n, Stage: stage, Datapath: x.datapathName(r.metadata),
			LogicalPort: x.portName(r.metadata, r.outport)}
		if ifc := x.ifByPort[n]; ifc != nil {
			o.Interface = ifc.Name
			switch {
			case ifc.RemoteChassis != "" || ifc.RemoteIP != "":
				o.Kind, o.Chassis, o.RemoteIP, o.TunnelType = "tunnel", ifc.RemoteChassis, ifc.RemoteIP, ifc.Type
				if p := x.portByDP[[2]uint32{r.metadata, r.outport}]; p != nil && p.Chassis != "" {
					o.Chassis = p.Chassis
				}
			case ifc.Type == "patch":
				o.Kind = "physical"
				if ifc.LocalnetPort != "" {
					o.LogicalPort = ifc.LocalnetPort
				}
			default:
				o.Kind = "vif"
				if ifc.IfaceID != "" {
					o.LogicalPort = ifc.IfaceID
				}
			}
		} else {
			o.Kind = "vif"
		}
		w.outputs = append(w.outputs, located[Output]{v: o, ref: pending, r: *r})
	case strings.HasPrefix(a.Text, "controller("):
		o := Output{Kind: "controller", Stage: stage, Datapath: x.datapathName(r.metadata)}
		if lf != nil {
			o.Action = controllerAction(lf.Actions)
		}
		w.outputs = append(w.outputs, located[Output]{v: o, ref: pending, r: *r})
	}
}

// controllerAction names the logical action that sends packets to the
// controller in a logical flow's actions (arp, put_dhcp_opts, ...).
func controllerAction(actions string) string {
	for _, name := range []string{"arp", "nd_ns", "put_arp", "put_nd", "put_dhcp_opts", "put_dhcpv6_opts",
		"icmp4", "icmp6", "icmp4_error", "icmp6_error", "tcp_reset", "sctp_abort", "reject",
		"dns_lookup", "handle_svc_check", "trigger_event", "put_fdb", "nd_na", "nd_na_router",
		"put_nd_ra_opts", "igmp", "bind_vport", "event", "log"} {
		for _, sep := range []string{" {", "{", "("} {
			if strings.HasPrefix(actions, name+sep) || strings.Contains(actions, "; "+name+sep) ||
				strings.Contains(actions, " = "+name+sep) {
				return name
			}
		}
	}
	return ""
}
