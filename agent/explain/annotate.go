package explain

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// annotator puts one step into words.
type annotator struct {
	x             *index
	st            *Step
	lf            *LogicalFlow
	before, after regs
	rep           *StepReport
	// first is the OpenFlow port the traced packet entered on.
	first int
}

func (a *annotator) note(format string, args ...any) {
	a.rep.Notes = append(a.rep.Notes, fmt.Sprintf(format, args...))
}

func (a *annotator) annotate() {
	if a.lf != nil {
		a.logical()
		return
	}
	if pipelineOf(a.st.Table) != "" {
		// A pipeline table without a logical flow behind it.
		if a.st.NoMatch {
			a.note("no flow matched in this table")
		} else if a.st.Cookie == 0 {
			a.note("flow shared by several logical flows (conjunctive match), or not from a logical flow")
		} else {
			a.note("no logical flow with cookie %#x in the Southbound database", a.st.Cookie)
		}
		return
	}
	a.physical()
}

// plumbingStages only prepare register bits for later stages.
var plumbingStages = []string{"_pre_acl", "_pre_lb", "_acl_hint", "_pre_stateful", "_acl_after_lb_action", "_acl_action",
	"_pre_hairpin", "_stateful", "_ip_routing_pre", "_ip_routing_ecmp", "_policy_ecmp", "_lookup_neighbor", "_learn_neighbor"}

func (a *annotator) logical() {
	lf := a.lf
	stage := lf.Stage()
	// Default flows (match "1") and register plumbing decide nothing.
	a.rep.Trivial = (lf.Match == "1" || a.st.Priority == 0) && !isDrop(lf.Actions)
	for _, p := range plumbingStages {
		if strings.HasSuffix(stage, p) && !isDrop(lf.Actions) {
			a.rep.Trivial = true
		}
	}
	hint := lf.ExternalIDs["stage-hint"]
	for _, row := range a.x.nbRows(hint) {
		a.rep.Objects = append(a.rep.Objects, nbObject(row))
	}
	switch {
	case strings.Contains(stage, "_acl") && !strings.Contains(stage, "hint") && !strings.Contains(stage, "pre_acl"):
		a.acl()
	case strings.HasSuffix(stage, "_ip_routing"):
		a.route()
	case strings.HasSuffix(stage, "_arp_resolve"):
		a.arpResolve()
	case strings.HasSuffix(stage, "_arp_request"):
		if strings.Contains(lf.Actions, "arp {") || strings.Contains(lf.Actions, "nd_ns {") {
			a.note("the next hop's MAC is unknown: chassisd sends an ARP (or ND) request for it and holds the packet until the reply")
		}
	case strings.HasSuffix(stage, "_l2_lkup"):
		a.l2Lookup()
	case strings.HasSuffix(stage, "_l2_unknown"):
		if isDrop(lf.Actions) {
			a.note("no port on %s has destination MAC %s, and no port takes unknown addresses", a.x.datapathName(a.before.metadata), a.before.dlDst)
		}
	case strings.HasSuffix(stage, "_arp_rsp"):
		a.note("the logical switch answers this ARP/ND request itself (the owner's address is known)")
	case strings.HasSuffix(stage, "_admission"):
		if isDrop(lf.Actions) {
			a.note("router %s does not accept this frame: its destination MAC is not the router port's, or the port is not resident here", a.x.datapathName(a.before.metadata))
		}
	case strings.Contains(stage, "dhcp"):
		if strings.Contains(lf.Actions, "put_dhcp") {
			a.note("DHCP: chassisd builds the reply from the DHCP options")
		}
	}
	if strings.Contains(lf.Actions, "ct_lb") {
		a.loadBalancer()
	}
	// A flow that only passes the packet on, and that nothing explains.
	if strings.TrimSpace(lf.Actions) == "next;" && len(a.rep.Notes) == 0 && len(a.rep.Objects) == 0 {
		a.rep.Trivial = true
	}
}

func isDrop(actions string) bool {
	return strings.HasPrefix(strings.TrimSpace(actions), "drop;") || strings.Contains(actions, "/* drop */")
}

var (
	portGroupRE  = regexp.MustCompile(`@([A-Za-z0-9_.-]+)`)
	addrSetRE    = regexp.MustCompile(`\$([A-Za-z0-9_.-]+)`)
	neutronPGRE  = regexp.MustCompile(`^pg_([0-9a-f]{8})_([0-9a-f]{4})_([0-9a-f]{4})_([0-9a-f]{4})_([0-9a-f]{12})$`)
	quotedNameRE = regexp.MustCompile(`(outport|inport) = "([^"]+)"`)
)

// aclAction is what an ACL logical flow does, in ACL terms.
func aclAction(actions string) string {
	switch {
	case strings.Contains(actions, "reject"), strings.Contains(actions, "tcp_reset"), strings.Contains(actions, "icmp4 {"), strings.Contains(actions, "icmp6 {"):
		return "reject"
	case isDrop(actions):
		return "drop"
	case strings.Contains(actions, "reg0[1] = 1"), strings.Contains(actions, "ct_commit"):
		return "allow-related"
	case strings.Contains(actions, "next;"):
		return "allow"
	}
	return ""
}

// aclMatch extracts the ACL's own match from a logical flow's match
// ("reg0[7] == 1 && (inport == @pg && ip4)" → "inport == @pg && ip4").
func aclMatch(m string) string {
	if !strings.HasSuffix(m, ")") {
		return ""
	}
	depth := 0
	for i := len(m) - 1; i >= 0; i-- {
		switch m[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				if i >= 4 && strings.HasSuffix(m[:i], "&& ") {
					return m[i+1 : len(m)-1]
				}
				return ""
			}
		}
	}
	return ""
}

func (a *annotator) acl() {
	lf := a.lf
	action := aclAction(lf.Actions)
	match := aclMatch(lf.Match)
	hasACL := false
	for _, o := range a.rep.Objects {
		if o.Kind == "ACL" {
			hasACL = true
		}
	}
	if match == "" && !hasACL {
		// A flow of the stage itself, not of an ACL.
		switch {
		case action == "drop" && strings.Contains(lf.Match, "ct.inv"):
			a.note("conntrack marks this packet invalid (or its connection was blocked): dropped")
		case action == "drop":
			a.note("no ACL allows this packet: dropped by default")
		case lf.Match != "1" && strings.Contains(lf.Match, "ct.est") && !strings.Contains(lf.Match, "!ct.est"):
			a.note("reply or continuation of a connection the ACLs allowed: allowed")
		case lf.Match != "1":
			a.note("no ACL of this port matched: allowed by default")
		}
		return
	}
	if !hasACL {
		dir := "from-lport"
		if strings.HasPrefix(a.lf.Stage(), "ls_out") {
			dir = "to-lport"
		}
		obj := Object{Kind: "ACL", ID: lf.ExternalIDs["stage-hint"],
			Summary: fmt.Sprintf("ACL %s %q, %s", dir, match, action)}
		a.rep.Objects = append(a.rep.Objects, obj)
	}
	for _, pg := range portGroupRE.FindAllStringSubmatch(match, -1) {
		switch name := pg[1]; {
		case name == "neutron_pg_drop":
			a.note("port group neutron_pg_drop: Neutron's drop-all group, every port with port security is in it; only what a security group rule allows gets through")
		case neutronPGRE.MatchString(name):
			m := neutronPGRE.FindStringSubmatch(name)
			a.note("port group %s: Neutron security group %s", name, strings.Join(m[1:], "-"))
		default:
			a.note("port group %s", name)
		}
	}
	for _, as := range addrSetRE.FindAllStringSubmatch(match, -1) {
		a.note("address set %s", as[1])
	}
}

// route describes a routing decision from the logical flow.
func (a *annotator) route() {
	lf := a.lf
	if lf.Match == "1" || isDrop(lf.Actions) {
		if isDrop(lf.Actions) {
			a.note("router %s has no route to %s", a.x.datapathName(a.before.metadata), a.before.nwDst)
		}
		return
	}
	prefix := ""
	for _, f := range []string{"ip4.dst == ", "ip6.dst == "} {
		if i := strings.Index(lf.Match, f); i >= 0 {
			prefix = strings.Fields(lf.Match[i+len(f):])[0]
		}
	}
	out := ""
	if m := quotedNameRE.FindStringSubmatch(lf.Actions); m != nil && m[1] == "outport" {
		out = m[2]
	}
	via := ""
	for _, part := range strings.Split(lf.Actions, ";") {
		part = strings.TrimSpace(part)
		for _, reg := range []string{"reg0 = ", "xxreg0 = "} {
			if v, ok := strings.CutPrefix(part, reg); ok {
				if v == "ip4.dst" || v == "ip6.dst" {
					via = "directly connected: the next hop is the destination itself"
				} else {
					via = "next hop " + v
				}
			}
		}
	}
	s := "route"
	if prefix != "" {
		s += " to " + prefix
	}
	if out != "" {
		s += " out of " + out
	}
	if via != "" {
		s += ", " + via
	}
	if strings.Contains(lf.Actions, "select(") {
		s += " (ECMP: one of several next hops, chosen by hash)"
	}
	a.note("%s", s)
}

func (a *annotator) arpResolve() {
	nh := ipv4String(a.before.reg0)
	if a.before.reg0 == 0 {
		nh = "the next hop"
	}
	switch {
	case a.after.dlDst == "00:00:00:00:00:00":
		a.note("next hop %s has no known MAC yet (no MAC_Binding): the packet goes on to ARP resolution", nh)
	case a.after.dlDst != a.before.dlDst && a.after.dlDst != "":
		owner := ""
		for _, p := range a.x.Ports {
			for _, entry := range p.MAC {
				if mac, _ := portAddresses(entry); mac == a.after.dlDst {
					owner = p.Name
				}
			}
		}
		if owner != "" {
			a.note("ARP resolution: next hop %s is at %s (address of port %s)", nh, a.after.dlDst, owner)
		} else {
			a.note("ARP resolution: next hop %s is at %s", nh, a.after.dlDst)
		}
	}
}

func (a *annotator) l2Lookup() {
	out := a.x.portName(a.after.metadata, a.after.outport)
	switch {
	case out == "":
		if isDrop(a.lf.Actions) {
			a.note("destination MAC %s: dropped", a.before.dlDst)
		}
	case strings.HasPrefix(out, "_MC_"):
		a.note("destination MAC %s: sent to multicast group %s", a.before.dlDst, out)
	default:
		a.note("destination MAC %s is port %s", a.before.dlDst, out)
	}
}

var (
	backendsRE = regexp.MustCompile(`ct_lb(?:_mark)?\(backends=([^;)]*)`)
	natDstRE   = regexp.MustCompile(`nat\(dst=([^)]*)\)`)
)

func (a *annotator) loadBalancer() {
	lf := a.lf
	backends := ""
	if m := backendsRE.FindStringSubmatch(lf.Actions); m != nil {
		backends = strings.ReplaceAll(m[1], ",", ", ")
	}
	vip := lbVIP(lf.Match)
	obj := Object{Kind: "Load_Balancer", ID: lf.ExternalIDs["stage-hint"]}
	proto := ""
	if lb := a.x.loadBalancerByHint(obj.ID); lb != nil {
		obj.Name, obj.Neutron, proto = lb.Name, neutronIDs(lb.ExternalIDs), lb.Protocol
		if id := lb.ExternalIDs["lb_id"]; id != "" {
			obj.ID = id
		}
	}
	s := "load balancer"
	if obj.Name != "" {
		s += " " + obj.Name
	}
	if proto != "" {
		s += " (" + proto + ")"
	}
	if vip != "" {
		s += ": VIP " + vip
	}
	if backends != "" {
		s += " -> backends " + backends
	}
	obj.Summary = s
	// The Northbound row, when looked up, says less than this.
	kept := a.rep.Objects[:0]
	for _, o := range a.rep.Objects {
		if o.Kind != "Load_Balancer" {
			kept = append(kept, o)
		} else if o.Name != "" {
			obj.Name = o.Name
		}
	}
	a.rep.Objects = append(kept, obj)
	chosen, hashed := "", false
	for _, act := range a.st.Actions {
		if m := natDstRE.FindStringSubmatch(act.Text); m != nil && chosen == "" {
			chosen = m[1]
		}
		for _, n := range act.Notes {
			if n == "no live bucket" {
				hashed = true
			}
		}
	}
	switch {
	case chosen != "" && strings.Contains(backends, ","):
		a.note("backend selection: the datapath hashes the connection to pick one backend; this trace follows %s", chosen)
	case chosen != "":
		a.note("backend %s", chosen)
	case hashed:
		a.note("backend selection: the datapath hashes the connection to pick a backend (dp_hash); ofproto/trace cannot follow that choice")
	}
}

// lbVIP reads "ip4.dst == 10.0.0.10 && tcp.dst == 80" as 10.0.0.10:80.
func lbVIP(match string) string {
	ip, port := "", ""
	for _, f := range []string{"ip4.dst == ", "ip6.dst == ", "reg1 == ", "xxreg1 == "} {
		if i := strings.Index(match, f); i >= 0 && ip == "" {
			ip = strings.Trim(strings.Fields(match[i+len(f):])[0], "()")
		}
	}
	for _, f := range []string{"tcp.dst == ", "udp.dst == ", "sctp.dst == ", "reg2[0..15] == "} {
		if i := strings.Index(match, f); i >= 0 && port == "" {
			port = strings.Trim(strings.Fields(match[i+len(f):])[0], "()")
		}
	}
	switch {
	case ip == "":
		return ""
	case port == "":
		return ip
	case strings.Contains(ip, ":"):
		return "[" + ip + "]:" + port
	}
	return ip + ":" + port
}

// physical describes the tables ovn-controller fills itself.
func (a *annotator) physical() {
	x, st := a.x, a.st
	// The row behind the flow, as ovn-detrace names it.
	if p := x.portByCookie(st.Cookie); p != nil {
		a.rep.Objects = append(a.rep.Objects, Object{Kind: "Port_Binding", ID: p.UUID, Name: p.Name,
			Summary: fmt.Sprintf("port binding %s of %s", p.Name, x.datapathName(p.Datapath))})
	} else if m := x.multicastByCookie(st.Cookie); m != nil {
		a.rep.Objects = append(a.rep.Objects, Object{Kind: "Multicast_Group", ID: m.UUID, Name: m.Name,
			Summary: fmt.Sprintf("multicast group %s of %s: %s", m.Name, x.datapathName(m.Datapath), strings.Join(m.Ports, ", "))})
	}
	switch st.Table {
	case pipeline.TablePhyToLog:
		a.phyToLog()
	case pipeline.TableOutputInit, pipeline.TableOutputLargeProcess:
		a.rep.Trivial = st.Priority == 0
	case pipeline.TableSaveInport:
		a.rep.Trivial = true
	case pipeline.TableRemoteOutput:
		if st.Priority == 0 {
			a.rep.Trivial = true
			return
		}
		for _, act := range st.Actions {
			if n, ok := outputPort(act.Text); ok {
				if ifc := x.ifByPort[n]; ifc != nil && (ifc.RemoteIP != "" || ifc.RemoteChassis != "") {
					port := x.portByDP[[2]uint32{a.before.metadata, a.before.outport}]
					where := ifc.RemoteChassis
					if port != nil && port.Chassis != "" {
						where = port.Chassis
					}
					a.note("%s is on chassis %s: encapsulated (%s) through tunnel %s to %s",
						x.portName(a.before.metadata, a.before.outport), where, ifc.Type, ifc.Name, ifc.RemoteIP)
				}
			}
		}
	case pipeline.TableLocalOutput:
		// After a tunnel output, the miss here is normal; as the last
		// step it explains a drop.
		a.rep.Trivial = true
		if st.Priority == 0 {
			a.note("logical port %s is not on this chassis and no tunnel leads to it", x.portName(a.before.metadata, a.before.outport))
		}
	case pipeline.TableCheckLoopback:
		if st.Priority == 0 {
			a.rep.Trivial = true
			return
		}
		if len(st.Actions) == 0 || st.Actions[0].Text == "drop" {
			a.note("the packet would go back out of the port it came in on (%s): OVN does not hairpin it", x.portName(a.before.metadata, a.before.inport))
		}
	case pipeline.TableLogToPhy:
		a.logToPhy()
	case pipeline.TableChkInPortSec, pipeline.TableChkInPortSecND, pipeline.TableChkOutPortSec:
		a.portSecurity()
	case pipeline.TableMACBinding:
		if st.NoMatch {
			a.note("no MAC binding for %s", ipv4String(a.before.reg0))
			return
		}
		if mb := x.macBindingByCookie(st.Cookie); mb != nil {
			kind := "learned"
			if mb.Static {
				kind = "static"
			}
			a.note("MAC binding (%s): %s is at %s on %s", kind, mb.IP, mb.MAC, mb.LogicalPort)
		}
	default:
		a.rep.Trivial = st.NoMatch || isHelperTable(st.Table)
	}
}

func outputPort(action string) (int, bool) {
	rest, ok := strings.CutPrefix(action, "output:")
	if !ok {
		return 0, false
	}
	var n int
	if _, err := fmt.Sscanf(rest, "%d", &n); err != nil {
		return 0, false
	}
	return n, true
}

func (a *annotator) phyToLog() {
	x, st := a.x, a.st
	inPort := regsFromFlow(st.Match).inPort
	if inPort == 0 {
		inPort = a.before.inPort
	}
	ifc := x.ifByPort[inPort]
	ifName := fmt.Sprintf("ofport %d", inPort)
	if ifc != nil {
		ifName = fmt.Sprintf("%s (ofport %d)", ifc.Name, inPort)
	}
	if st.Priority == 0 || st.NoMatch {
		a.note("OVS port %s is not a port chassisd has bound: nothing handles its packets", ifName)
		return
	}
	if a.after.metadata == 0 {
		a.note("from OVS port %s", ifName)
		return
	}
	dp := x.datapathName(a.after.metadata)
	switch {
	case ifc != nil && (ifc.RemoteIP != "" || ifc.RemoteChassis != ""):
		a.note("received from chassis %s through tunnel %s: %s, from port %s to port %s", ifc.RemoteChassis, ifName, dp,
			x.portName(a.after.metadata, a.after.inport), x.portName(a.after.metadata, a.after.outport))
	case ifc != nil && ifc.Type == "patch":
		a.note("from the physical network through %s: logical port %s of %s", ifName, x.portName(a.after.metadata, a.after.inport), dp)
	default:
		a.note("from OVS port %s: logical port %s of %s", ifName, x.portName(a.after.metadata, a.after.inport), dp)
	}
}

func (a *annotator) logToPhy() {
	x, st := a.x, a.st
	if st.Priority == 0 {
		a.note("logical port %s has no OVS port here", x.portName(a.before.metadata, a.before.outport))
		return
	}
	for _, act := range st.Actions {
		if n, ok := outputPort(act.Text); ok {
			ifc := x.ifByPort[n]
			switch {
			case ifc == nil:
				a.note("out of ofport %d", n)
			case ifc.Type == "patch":
				a.note("onto the physical network through patch port %s (to %s; localnet port %s)", ifc.Name, ifc.PatchPeer, ifc.LocalnetPort)
			default:
				a.note("out of OVS port %s (ofport %d): logical port %s", ifc.Name, n, x.portName(a.before.metadata, a.before.outport))
			}
			return
		}
		if strings.HasPrefix(act.Text, "clone(") && a.after.metadata != a.before.metadata {
			from := x.portName(a.before.metadata, a.before.outport)
			to := x.portName(a.after.metadata, a.after.inport)
			a.note("through the patch %s -> %s into %s", from, to, x.datapathName(a.after.metadata))
			return
		}
	}
}

func (a *annotator) portSecurity() {
	x, st := a.x, a.st
	key, dir := a.before.inport, "ingress"
	if st.Table == pipeline.TableChkOutPortSec {
		key, dir = a.before.outport, "egress"
	}
	port := x.portByDP[[2]uint32{a.before.metadata, key}]
	name := x.portName(a.before.metadata, key)
	rejected := false
	for _, act := range st.Actions {
		if act.Text == portSecFailed {
			rejected = true
		}
	}
	allowed := ""
	if port != nil && len(port.PortSecurity) > 0 {
		allowed = " (allows " + strings.Join(port.PortSecurity, "; ") + ")"
	}
	switch {
	case st.NoMatch:
		a.rep.Trivial = true
		a.note("%s port security: %s has none", dir, name)
	case rejected && dir == "ingress":
		a.note("port security of %s%s REJECTS source %s %s", name, allowed, a.before.dlSrc, a.before.nwSrc)
	case rejected:
		a.note("port security of %s%s REJECTS destination %s %s", name, allowed, a.before.dlDst, a.before.nwDst)
	default:
		a.note("%s port security of %s%s: passed", dir, name, allowed)
	}
}

// nbObject describes a Northbound row.
func nbObject(r NBRow) Object {
	c := r.Columns
	o := Object{Kind: r.Table, ID: r.UUID, Name: c["name"], Neutron: neutronIDs(r.ExternalIDs)}
	switch r.Table {
	case "ACL":
		o.Summary = fmt.Sprintf("ACL %s priority %s %s %q", c["direction"], c["priority"], c["action"], c["match"])
		if c["name"] != "" {
			o.Summary += " (" + c["name"] + ")"
		}
	case "NAT":
		o.Summary = fmt.Sprintf("NAT %s: external %s <-> logical %s", c["type"], c["external_ip"], c["logical_ip"])
		if c["logical_port"] != "" {
			o.Summary += " on " + c["logical_port"]
		}
	case "Logical_Router_Static_Route":
		o.Summary = fmt.Sprintf("static route %s via %s", c["ip_prefix"], c["nexthop"])
		if c["output_port"] != "" {
			o.Summary += " out of " + c["output_port"]
		}
	case "Logical_Router_Policy":
		o.Summary = fmt.Sprintf("router policy priority %s %q %s", c["priority"], c["match"], c["action"])
		if c["nexthop"] != "" {
			o.Summary += " " + c["nexthop"]
		}
	case "Load_Balancer":
		o.Summary = fmt.Sprintf("load balancer %s (%s)", c["name"], c["protocol"])
	case "Logical_Switch_Port":
		o.Summary = fmt.Sprintf("switch port %s", c["name"])
	case "Logical_Router_Port":
		o.Summary = fmt.Sprintf("router port %s (%s %s)", c["name"], c["mac"], c["networks"])
	case "Logical_Switch", "Logical_Router":
		o.Summary = fmt.Sprintf("%s %s", strings.ToLower(strings.ReplaceAll(r.Table, "_", " ")), c["name"])
	default:
		o.Summary = r.Table + " " + r.UUID
	}
	return o
}

// neutronIDs keeps the neutron:* external_ids, without the prefix.
func neutronIDs(ids map[string]string) map[string]string {
	var out map[string]string
	for _, k := range sortedKeys(ids) {
		if n, ok := strings.CutPrefix(k, "neutron:"); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[n] = ids[k]
		}
	}
	return out
}
