package explain

import (
	"encoding/json"
	"fmt"
	"strings"
)

// JSON renders the explanation for tools.
func (ex *Explanation) JSON() (string, error) {
	b, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode explanation: %w", err)
	}
	return string(b) + "\n", nil
}

// Text renders the explanation for people: the packet, the verdict, then
// the steps grouped by logical datapath and pipeline. Steps that only pass
// the packet on are left out unless verbose.
func (ex *Explanation) Text(verbose bool) string {
	var b strings.Builder
	p := ex.Packet
	fmt.Fprintf(&b, "Packet:  %s\n", p.Summary)
	if f := p.From; f != nil {
		fmt.Fprintf(&b, "From:    %s on %s (%s %s), OVS port %s (ofport %d) on chassis %s (this one)\n",
			f.LogicalPort, f.Datapath, f.MAC, f.IP, f.Interface, f.OFPort, f.Chassis)
	}
	if t := p.To; t != nil {
		fmt.Fprintf(&b, "To:      %s", t.IP)
		if t.L4Port != 0 {
			fmt.Fprintf(&b, " port %d", t.L4Port)
		}
		if t.LogicalPort != "" {
			fmt.Fprintf(&b, ", port %s on %s", t.LogicalPort, t.Datapath)
			if t.Chassis != "" {
				fmt.Fprintf(&b, ", bound to chassis %s", t.Chassis)
			}
		}
		fmt.Fprintf(&b, " (destination MAC %s)\n", t.MAC)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "         %s\n", n)
	}
	fmt.Fprintf(&b, "Trace:   ofproto/trace %s %s\n", ex.Bridge, p.Flow)
	fmt.Fprintf(&b, "\nVerdict: %s\n", ex.Verdict.Summary)
	for _, o := range ex.Verdict.Objects {
		if line := objectLine(o); !strings.Contains(ex.Verdict.Summary, o.Summary) {
			fmt.Fprintf(&b, "         %s\n", line)
		} else if o.Neutron["security_group_rule_id"] != "" && !strings.Contains(ex.Verdict.Summary, o.Neutron["security_group_rule_id"]) {
			fmt.Fprintf(&b, "         %s\n", line)
		}
	}

	fmt.Fprintf(&b, "\nPath through %s on chassis %s (t: OpenFlow table, p: priority", ex.Bridge, ex.Chassis)
	if !verbose {
		b.WriteString("; steps that only pass the packet on are hidden, -v shows them")
	}
	b.WriteString("):\n")
	for pi, pass := range ex.Passes {
		if pi > 0 {
			b.WriteString(passHeader(pass))
		}
		lastHeader := ""
		for _, seg := range pass.Segments {
			header := segmentHeader(seg)
			for _, st := range seg.Steps {
				if st.Trivial && !st.Decisive && !verbose && st.Origin != OriginForeign && st.Origin != OriginDrift {
					continue
				}
				if header != lastHeader {
					fmt.Fprintf(&b, "  %s\n", header)
					lastHeader = header
				}
				writeStep(&b, st, verbose)
			}
		}
	}
	if ex.ForeignFlows > 0 {
		fmt.Fprintf(&b, "\nWarning: %d step(s) hit flows chassisd did not install (marked !!).\n", ex.ForeignFlows)
	}
	for _, n := range ex.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	return b.String()
}

func passHeader(p PassReport) string {
	var b strings.Builder
	b.WriteString("  ~~ conntrack")
	if p.CTZone != "" {
		fmt.Fprintf(&b, " (zone %s)", p.CTZone)
	}
	if p.CTDefault {
		fmt.Fprintf(&b, ": traced as a new connection, ct_state=%s (--ct-next sets another state)", p.CTState)
	} else {
		fmt.Fprintf(&b, ": traced with ct_state=%s", p.CTState)
	}
	if p.NAT != "" {
		fmt.Fprintf(&b, "; NAT %s", p.NAT)
	}
	b.WriteString(" ~~\n")
	return b.String()
}

func segmentHeader(s Segment) string {
	kind := "switch"
	if s.Router {
		kind = "router"
	}
	switch {
	case s.Pipeline == "" && s.Datapath != "":
		return "physical tables (" + s.Datapath + ")"
	case s.Pipeline == "":
		return "physical tables"
	}
	return fmt.Sprintf("%s %s, %s pipeline", kind, s.Datapath, s.Pipeline)
}

const stepTextCol = 40

func writeStep(b *strings.Builder, st StepReport, verbose bool) {
	mark := "    "
	switch {
	case st.Origin == OriginForeign || st.Origin == OriginDrift:
		mark = "!!  "
	case st.Decisive:
		mark = "==> "
	}
	indent := ""
	if st.Lookup {
		indent = "  "
	}
	head := fmt.Sprintf("  %s%s%s", mark, indent, st.Stage)
	loc := fmt.Sprintf("t%d p%d", st.Table, st.Priority)
	if st.NoMatch {
		loc = fmt.Sprintf("t%d miss", st.Table)
	}
	notes := append([]string(nil), st.Notes...)
	var text string
	switch {
	case st.LogicalFlow != nil:
		text = st.LogicalFlow.Match + "  =>  " + st.LogicalFlow.Actions
	case len(notes) > 0:
		text, notes = notes[0], notes[1:]
	case st.NoMatch:
		text = "no flow matched"
	default:
		text = openflowText(st)
	}
	line := fmt.Sprintf("%-*s %-11s ", stepTextCol-12, head, loc)
	fmt.Fprintf(b, "%s%s\n", line, text)
	pad := strings.Repeat(" ", len(line))
	for _, o := range st.Objects {
		if !verbose && isPlainPortObject(o) {
			continue
		}
		fmt.Fprintf(b, "%s%s\n", pad, objectLine(o))
	}
	for _, n := range notes {
		fmt.Fprintf(b, "%s%s\n", pad, n)
	}
	if st.Origin == OriginForeign || st.Origin == OriginDrift {
		fmt.Fprintf(b, "%s!! %s: %s\n", pad, st.Origin, st.OriginNote)
		if st.LogicalFlow == nil && len(st.Notes) > 0 {
			fmt.Fprintf(b, "%sOpenFlow: %s\n", pad, openflowText(st))
		}
	}
	if verbose {
		cookie := ""
		if st.Cookie != "" {
			cookie = " cookie " + st.Cookie
		}
		fmt.Fprintf(b, "%sOpenFlow%s: %s\n", pad, cookie, openflowText(st))
	}
}

func openflowText(st StepReport) string {
	m := st.Match
	if m == "" {
		m = "(any)"
	}
	acts := strings.Join(st.Actions, ",")
	if acts == "" {
		acts = "drop"
	}
	return m + "  =>  " + acts
}

func objectLine(o Object) string {
	s := o.Summary
	if o.ID != "" && !strings.Contains(s, o.ID) {
		s += " [" + o.Kind + " " + shortID(o.ID) + "]"
	}
	for _, k := range sortedKeys(o.Neutron) {
		switch k {
		case "security_group_rule_id":
			s += ", Neutron security group rule " + o.Neutron[k]
		case "fip_id":
			s += ", Neutron floating IP " + o.Neutron[k]
		case "port_name", "device_owner", "router_name", "vip", "vip_port_id", "network_name":
			s += fmt.Sprintf(", neutron:%s=%s", k, o.Neutron[k])
		}
	}
	return s
}

// isPlainPortObject is a port or datapath row that says nothing the step's
// own notes do not (no Neutron ids).
func isPlainPortObject(o Object) bool {
	switch o.Kind {
	case "Logical_Switch_Port", "Logical_Router_Port", "Logical_Switch", "Logical_Router", "Port_Binding":
		return len(o.Neutron) == 0
	}
	return false
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
