package explain

import (
	"fmt"
	"strings"
)

// verdict decides what finally happened to the packet: where it left the
// bridge, or where and why it was dropped.
func (w *walker) verdict(tr *Trace) {
	v := &w.ex.Verdict
	var outs, ctrl []located[Output]
	for _, o := range w.outputs {
		if o.v.Kind == "controller" {
			ctrl = append(ctrl, o)
		} else {
			outs = append(outs, o)
		}
	}
	switch {
	case len(outs) > 0:
		w.outputVerdict(outs)
	case len(ctrl) > 0 && w.endsAt(ctrl[len(ctrl)-1].ref):
		// The packet went to the controller and the pipeline stopped
		// there (arp{}, icmp4{}, a paused put_dhcp_opts, ...); a
		// controller action the pipeline continues after (put_arp) is a
		// side effect.
		o := ctrl[len(ctrl)-1]
		w.report(o.ref).Decisive = true
		v.Kind, v.Stage, v.Datapath = VerdictController, o.v.Stage, o.v.Datapath
		v.Outputs = []Output{o.v}
		v.Reason = controllerReason(o.v.Action, o.r)
		v.Summary = fmt.Sprintf("SENT TO CHASSISD (controller) from %s on %s: %s", o.v.Stage, o.v.Datapath, v.Reason)
	case len(tr.Passes) > 0 && strings.Contains(tr.Passes[len(tr.Passes)-1].DatapathActions, "hash("):
		v.Kind = VerdictIncomplete
		v.Summary = "INCOMPLETE: the datapath picks a load-balancer backend (or ECMP path) by hash, and ofproto/trace stops there"
		v.Reason = "re-run with --backend to follow one backend"
	default:
		w.dropVerdict()
	}
}

// endsAt reports whether ref is the last step of the trace, lookups aside.
func (w *walker) endsAt(ref stepRef) bool {
	if len(w.steps) == 0 || ref.pass != len(w.steps)-1 {
		return false
	}
	last := w.steps[len(w.steps)-1]
	for i := len(last) - 1; i >= 0; i-- {
		if isHelperTable(last[i].v.Table) {
			continue
		}
		return last[i].ref == ref
	}
	return false
}

func (w *walker) outputVerdict(outs []located[Output]) {
	v := &w.ex.Verdict
	for _, o := range outs {
		w.report(o.ref).Decisive = true
		v.Outputs = append(v.Outputs, o.v)
	}
	o := outs[0].v
	if len(outs) == 1 && o.Kind == "vif" && o.OFPort == w.firstInPort {
		v.Kind = VerdictReplied
		v.Summary = fmt.Sprintf("ANSWERED: a reply goes back out of %s (OVS port %s)", o.LogicalPort, o.Interface)
		if st := w.loopbackStage(); st != "" {
			v.Summary += ", built by " + st
			v.Stage = st
		}
		return
	}
	var parts []string
	for _, lo := range outs {
		parts = append(parts, describeOutput(lo.v))
	}
	switch o.Kind {
	case "tunnel":
		v.Kind = VerdictTunnel
	case "physical":
		v.Kind = VerdictPhysical
	default:
		v.Kind = VerdictDelivered
	}
	if len(outs) == 1 {
		v.Summary = parts[0]
		return
	}
	v.Summary = fmt.Sprintf("COPIES to %d destinations:\n%s", len(outs), "  - "+strings.Join(parts, "\n  - "))
}

func describeOutput(o Output) string {
	switch o.Kind {
	case "tunnel":
		s := fmt.Sprintf("FORWARDED to chassis %s through %s tunnel %s (remote %s)", o.Chassis, o.TunnelType, o.Interface, o.RemoteIP)
		if o.LogicalPort != "" {
			s += fmt.Sprintf(", for logical port %s of %s", o.LogicalPort, o.Datapath)
		}
		return s
	case "physical":
		return fmt.Sprintf("SENT to the physical network through %s (localnet port %s of %s)", o.Interface, o.LogicalPort, o.Datapath)
	}
	return fmt.Sprintf("DELIVERED to %s of %s, OVS port %s (ofport %d) on this chassis", o.LogicalPort, o.Datapath, o.Interface, o.OFPort)
}

// loopbackStage finds the logical stage that turned the packet around
// (ARP responder, ICMP echo reply, ...).
func (w *walker) loopbackStage() string {
	stage := ""
	for _, p := range w.ex.Passes {
		for _, s := range p.Segments {
			for _, st := range s.Steps {
				if st.LogicalFlow != nil && (strings.Contains(st.LogicalFlow.Actions, "outport = inport") ||
					strings.Contains(st.LogicalFlow.Actions, "flags.loopback = 1")) && s.Pipeline == "ingress" {
					stage = st.Stage
				}
			}
		}
	}
	return stage
}

func controllerReason(action string, r regs) string {
	switch action {
	case "arp":
		return fmt.Sprintf("ARP resolution: the next hop %s has no known MAC; chassisd sends an ARP request and holds the packet until the reply", ipv4String(r.reg0))
	case "nd_ns":
		return "ND resolution: the next hop has no known MAC; chassisd sends a neighbour solicitation and holds the packet until the reply"
	case "put_dhcp_opts", "put_dhcpv6_opts":
		return "DHCP: chassisd answers the request from the DHCP options"
	case "icmp4", "icmp6", "icmp4_error", "icmp6_error":
		return "chassisd answers with an ICMP error (unreachable, TTL exceeded or fragmentation needed)"
	case "reject", "tcp_reset", "sctp_abort":
		return "rejected: chassisd answers with a TCP reset or an ICMP unreachable"
	case "dns_lookup":
		return "DNS: chassisd answers from the DNS records"
	case "put_arp", "put_nd":
		return "chassisd learns a MAC binding from this packet"
	case "":
		return "the packet goes to chassisd"
	}
	return "chassisd handles " + action
}

// dropVerdict finds the step that dropped the packet in the last pass.
func (w *walker) dropVerdict() {
	v := &w.ex.Verdict
	v.Kind = VerdictDropped
	if len(w.steps) == 0 {
		v.Summary = "DROPPED: the trace has no steps"
		return
	}
	last := w.steps[len(w.steps)-1]
	var at *located[*Step]
	for i := len(last) - 1; i >= 0; i-- {
		st := last[i].v
		if isHelperTable(st.Table) || (st.Bridge != "" && w.x.Bridge != "" && st.Bridge != w.x.Bridge) {
			continue
		}
		if len(st.Actions) == 0 || (len(st.Actions) == 1 && st.Actions[0].Text == "drop") {
			at = &last[i]
			break
		}
	}
	if at == nil {
		v.Summary = "DROPPED: no flow sent the packet anywhere"
		return
	}
	rep := w.report(at.ref)
	rep.Decisive = true
	rep.Trivial = false
	seg := w.ex.Passes[at.ref.pass].Segments[at.ref.seg]
	v.Stage, v.Datapath, v.Objects = rep.Stage, seg.Datapath, rep.Objects
	where := rep.Stage
	if seg.Datapath != "" {
		where += " on " + seg.Datapath
	}
	switch {
	case rep.Origin == OriginForeign:
		v.Reason = fmt.Sprintf("a flow chassisd did not install (another controller's, or a manual change): table %d, priority %d, %s", rep.Table, rep.Priority, openflowText(*rep))
		v.Summary = "DROPPED by " + v.Reason
		return
	case rep.Origin == OriginDrift:
		v.Reason = fmt.Sprintf("a flow that differs from what chassisd installed (%s): table %d, priority %d, %s", rep.OriginNote, rep.Table, rep.Priority, openflowText(*rep))
		v.Summary = "DROPPED by " + v.Reason
		return
	case strings.HasSuffix(rep.Stage, "_apply_port_sec") || strings.Contains(rep.Stage, "port_sec"):
		v.Reason = w.portSecurityReason(at.ref.pass)
	case strings.Contains(rep.Stage, "_acl"):
		v.Reason = aclReason(rep, w.aclPort(at))
	}
	if v.Reason == "" && len(rep.Notes) > 0 {
		v.Reason = rep.Notes[0]
	}
	if v.Reason == "" {
		if rep.LogicalFlow != nil {
			v.Reason = fmt.Sprintf("logical flow %s priority %d: %s => %s", rep.Stage, rep.Priority, rep.LogicalFlow.Match, rep.LogicalFlow.Actions)
		} else {
			v.Reason = fmt.Sprintf("table %d priority %d drops it", rep.Table, rep.Priority)
		}
	}
	v.Summary = fmt.Sprintf("DROPPED in %s: %s", where, v.Reason)
}

func (w *walker) portSecurityReason(pass int) string {
	for _, s := range w.ex.Passes[pass].Segments {
		for _, st := range s.Steps {
			for _, n := range st.Notes {
				if strings.Contains(n, "REJECTS") {
					return n
				}
			}
		}
	}
	return ""
}

// aclPort names the port whose ACLs an ACL stage applies: the receiver's
// in the egress pipeline (to-lport), the sender's in the ingress one.
func (w *walker) aclPort(at *located[*Step]) string {
	if pipelineOf(at.v.Table) == "egress" {
		return w.x.portName(at.r.metadata, at.r.outport)
	}
	return w.x.portName(at.r.metadata, at.r.inport)
}

func aclReason(rep *StepReport, port string) string {
	var acl *Object
	for i := range rep.Objects {
		if rep.Objects[i].Kind == "ACL" {
			acl = &rep.Objects[i]
		}
	}
	if acl == nil {
		return ""
	}
	s := acl.Summary
	if rule := acl.Neutron["security_group_rule_id"]; rule != "" {
		s += ", security group rule " + rule
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "neutron_pg_drop") {
			dir := "egress"
			if strings.HasPrefix(rep.Stage, "ls_out") {
				dir = "ingress"
			}
			s += fmt.Sprintf("; no %s rule of %s's security groups allows this packet (Neutron's default drop)", dir, port)
		}
	}
	return s
}
