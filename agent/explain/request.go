package explain

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Request is one explain command line.
type Request struct {
	// From is a logical port, a Neutron port id (or a unique prefix of it),
	// a Neutron port name or an OVS interface on the integration bridge.
	From string
	// To is the destination: an IP address with an optional L4 port.
	To    string
	Proto string
	// Overrides of what the bindings say (to test port security, ...).
	SrcMAC, SrcIP, DstMAC string
	// RawFlow is an ofproto/trace flow given instead of From/To.
	RawFlow string
	// CTNext are the conntrack states of the successive recirculations.
	CTNext []string
	// Backend picks the load-balancer backend to follow ("IP[:port]").
	Backend string
	// NBDB is a Northbound remote for the objects only the NB holds.
	NBDB string
	// OVSUnixctl is ovs-vswitchd's control socket (found when empty).
	OVSUnixctl string
	JSON       bool
	Verbose    bool
	// WithCatalog adds the arguments, the raw trace and the catalog to the
	// JSON output, so that the explanation can be recomputed (bug reports,
	// tests).
	WithCatalog bool
	// Args is the command line ParseArgs parsed.
	Args []string
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func newFlagSet(r *Request, out *bytes.Buffer) *flag.FlagSet {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&r.From, "from", "", "source `port`: logical port, Neutron port id (or a unique prefix), Neutron port name, or OVS interface on br-int")
	fs.StringVar(&r.To, "to", "", "destination `ip[:port]` (IPv6 with a port: [addr]:port)")
	fs.StringVar(&r.Proto, "proto", "", "`protocol`: tcp, udp or icmp (default: icmp, or tcp when --to has a port)")
	fs.StringVar(&r.SrcMAC, "src-mac", "", "source `mac` instead of the port's (e.g. to test port security)")
	fs.StringVar(&r.SrcIP, "src-ip", "", "source `ip` instead of the port's (e.g. to test port security)")
	fs.StringVar(&r.DstMAC, "dst-mac", "", "destination `mac` instead of the one explain picks")
	fs.Var((*stringList)(&r.CTNext), "ct-next", "conntrack `flags` for the next recirculation (ofproto/trace --ct-next), e.g. trk,est; repeat for later ones")
	fs.StringVar(&r.Backend, "backend", "", "load-balancer `backend` ip[:port] to follow (default: the one the first datapath hash gives)")
	fs.StringVar(&r.NBDB, "nb-db", "", "Northbound database `remote` (e.g. tcp:10.0.0.1:6641) to name ACLs, NAT rules, routes and their Neutron ids")
	fs.StringVar(&r.OVSUnixctl, "ovs-unixctl", "", "ovs-vswitchd control `socket` (default: found in $OVS_RUNDIR)")
	fs.BoolVar(&r.JSON, "json", false, "print JSON for tools")
	fs.BoolVar(&r.WithCatalog, "with-catalog", false, "with --json: include the traces and the data the explanation was computed from (bug reports)")
	fs.BoolVar(&r.Verbose, "v", false, "same as --verbose")
	fs.BoolVar(&r.Verbose, "verbose", false, "show every step (also those that only pass the packet on) and its OpenFlow rule")
	return fs
}

// Usage is the explain command's help.
func Usage() string {
	var b bytes.Buffer
	b.WriteString(`usage: explain --from PORT --to IP[:PORT] [--proto tcp|udp|icmp] [options]
       explain [options] FLOW            (an ofproto/trace flow, e.g. in_port=3,icmp,nw_dst=10.0.0.5)

Traces a packet through this chassis' OpenFlow tables with ovs-vswitchd's
ofproto/trace and explains each step in OVN and Neutron terms.

options:
`)
	var r Request
	fs := newFlagSet(&r, &b)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "v" {
			return // listed with --verbose
		}
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if f.Name == "verbose" {
			name = "-v, --verbose"
		}
		if arg != "" {
			name += " " + strings.ToUpper(arg)
		}
		fmt.Fprintf(&b, "  %-24s %s\n", name, usage)
	})
	return b.String()
}

// ErrHelp is returned by ParseArgs for -h/--help.
var ErrHelp = errors.New("help requested")

// ParseArgs parses an explain command line (the arguments of `chassisd
// explain`, also those of the unixctl command).
func ParseArgs(args []string) (*Request, error) {
	r := &Request{Args: append([]string(nil), args...)}
	var out bytes.Buffer
	fs := newFlagSet(r, &out)
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ErrHelp
			}
			return nil, fmt.Errorf("%v", strings.TrimSpace(firstLine(out.String()+"\n"+err.Error())))
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		if r.RawFlow != "" {
			return nil, fmt.Errorf("one flow expected, got %q and %q", r.RawFlow, rest[0])
		}
		r.RawFlow, rest = rest[0], rest[1:]
	}
	switch {
	case r.RawFlow != "" && (r.From != "" || r.To != ""):
		return nil, errors.New("give either a flow or --from/--to, not both")
	case r.RawFlow == "" && (r.From == "" || r.To == ""):
		return nil, errors.New("--from and --to are required (or give an ofproto/trace flow)")
	}
	if r.Proto != "" && r.Proto != "tcp" && r.Proto != "udp" && r.Proto != "icmp" {
		return nil, fmt.Errorf("--proto %q: want tcp, udp or icmp", r.Proto)
	}
	if r.To != "" {
		if _, _, err := parseDest(r.To); err != nil {
			return nil, err
		}
	}
	for _, ip := range []string{r.SrcIP} {
		if ip != "" {
			if _, err := netip.ParseAddr(ip); err != nil {
				return nil, fmt.Errorf("--src-ip: %w", err)
			}
		}
	}
	return r, nil
}

// parseDest parses "10.0.0.5", "10.0.0.5:80", "fd00::5" or "[fd00::5]:80".
func parseDest(s string) (netip.Addr, int, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, 0, nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("--to %q: want IP or IP:port", s)
	}
	return ap.Addr(), int(ap.Port()), nil
}

// Packet is what was traced.
type Packet struct {
	// Flow is the ofproto/trace flow.
	Flow    string    `json:"flow"`
	Summary string    `json:"summary,omitempty"`
	From    *Endpoint `json:"from,omitempty"`
	To      *Endpoint `json:"to,omitempty"`
	Notes   []string  `json:"notes,omitempty"`
}

// Endpoint is one end of the packet.
type Endpoint struct {
	LogicalPort string            `json:"logical_port,omitempty"`
	Datapath    string            `json:"datapath,omitempty"`
	MAC         string            `json:"mac,omitempty"`
	IP          string            `json:"ip,omitempty"`
	L4Port      int               `json:"l4_port,omitempty"`
	Interface   string            `json:"interface,omitempty"`
	OFPort      int               `json:"ofport,omitempty"`
	Chassis     string            `json:"chassis,omitempty"`
	Neutron     map[string]string `json:"neutron,omitempty"`
}

// sourcePort is the TCP/UDP source port of traced packets.
const sourcePort = 33333

// BuildPacket turns the request into an ofproto/trace flow, filling in
// what the bindings know: the OVS port, the source MAC and IP, and the
// destination MAC (the destination's own on the same network, else the
// router port that serves as gateway).
func BuildPacket(cat *Catalog, r *Request) (Packet, error) {
	if r.RawFlow != "" {
		return Packet{Flow: r.RawFlow, Summary: "the flow as given"}, nil
	}
	x := newIndex(cat)
	src, err := x.findPort(r.From)
	if err != nil {
		return Packet{}, err
	}
	var ifc *Interface
	for i := range cat.Interfaces {
		if cat.Interfaces[i].IfaceID == src.Name && cat.Interfaces[i].OFPort > 0 {
			ifc = &cat.Interfaces[i]
		}
	}
	if ifc == nil {
		switch {
		case src.Chassis != "" && src.Chassis != cat.Chassis:
			return Packet{}, fmt.Errorf("port %s is bound to chassis %s, not this one (%s): run explain there", src.Name, src.Chassis, cat.Chassis)
		default:
			return Packet{}, fmt.Errorf("port %s has no OVS interface on %s here (no interface with external_ids:iface-id=%s)", src.Name, cat.Bridge, src.Name)
		}
	}
	dst, l4, _ := parseDest(r.To)
	proto := r.Proto
	if proto == "" {
		proto = "icmp"
		if l4 != 0 {
			proto = "tcp"
		}
	}
	if proto == "icmp" && l4 != 0 {
		return Packet{}, fmt.Errorf("--to %s has a port but --proto is icmp", r.To)
	}
	p := Packet{From: &Endpoint{LogicalPort: src.Name, Datapath: x.datapathName(src.Datapath),
		Interface: ifc.Name, OFPort: ifc.OFPort, Chassis: cat.Chassis, Neutron: neutronIDs(src.ExternalIDs)}}
	srcMAC, srcIP := x.portAddress(src, dst.Is4())
	if r.SrcMAC != "" {
		srcMAC = strings.ToLower(r.SrcMAC)
		p.Notes = append(p.Notes, fmt.Sprintf("source MAC %s given on the command line", srcMAC))
	}
	if r.SrcIP != "" {
		srcIP = r.SrcIP
		p.Notes = append(p.Notes, fmt.Sprintf("source IP %s given on the command line", srcIP))
	}
	if srcMAC == "" || srcIP == "" {
		return Packet{}, fmt.Errorf("port %s has no %s address in its bindings (%q): give --src-mac and --src-ip",
			src.Name, family(dst), strings.Join(src.MAC, "; "))
	}
	sip, err := netip.ParseAddr(srcIP)
	if err != nil || sip.Is4() != dst.Is4() {
		return Packet{}, fmt.Errorf("source %s and destination %s are not of the same IP family", srcIP, dst)
	}
	p.From.MAC, p.From.IP = srcMAC, srcIP
	p.To = &Endpoint{IP: dst.String(), L4Port: l4}
	dstMAC, notes := x.nextHopMAC(src, sip, dst, p.To)
	p.Notes = append(p.Notes, notes...)
	if lb, backends := x.vip(dst, l4); lb != nil {
		p.Notes = append(p.Notes, fmt.Sprintf("%s is a VIP of load balancer %s (backends %s)", r.To, lb.Name, strings.ReplaceAll(backends, ",", ", ")))
	}
	if r.DstMAC != "" {
		dstMAC = strings.ToLower(r.DstMAC)
		p.Notes = append(p.Notes, fmt.Sprintf("destination MAC %s given on the command line", dstMAC))
	}
	if dstMAC == "" {
		return Packet{}, fmt.Errorf("no port on %s owns %s, no router connects %s, and no port anywhere has that address: give --dst-mac",
			x.datapathName(src.Datapath), dst, x.datapathName(src.Datapath))
	}
	p.To.MAC = dstMAC
	p.Flow, p.Summary = flowString(proto, ifc.OFPort, srcMAC, dstMAC, sip, dst, l4)
	return p, nil
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

func flowString(proto string, inPort int, srcMAC, dstMAC string, src, dst netip.Addr, l4 int) (flow, summary string) {
	v4 := dst.Is4()
	var b strings.Builder
	switch {
	case proto == "icmp" && v4:
		b.WriteString("icmp")
	case proto == "icmp":
		b.WriteString("icmp6")
	case v4:
		b.WriteString(proto)
	default:
		b.WriteString(proto + "6")
	}
	fmt.Fprintf(&b, ",in_port=%d,dl_src=%s,dl_dst=%s", inPort, srcMAC, dstMAC)
	if v4 {
		fmt.Fprintf(&b, ",nw_src=%s,nw_dst=%s,nw_ttl=64", src, dst)
	} else {
		fmt.Fprintf(&b, ",ipv6_src=%s,ipv6_dst=%s,nw_ttl=64", src, dst)
	}
	switch proto {
	case "icmp":
		if v4 {
			b.WriteString(",icmp_type=8,icmp_code=0")
		} else {
			b.WriteString(",icmp_type=128,icmp_code=0")
		}
		summary = fmt.Sprintf("icmp echo request %s -> %s", src, dst)
	case "tcp":
		fmt.Fprintf(&b, ",tp_src=%d,tp_dst=%d,tcp_flags=0x002", sourcePort, l4)
		summary = fmt.Sprintf("tcp SYN %s -> %s", netip.AddrPortFrom(src, sourcePort), netip.AddrPortFrom(dst, uint16(l4)))
	case "udp":
		fmt.Fprintf(&b, ",tp_src=%d,tp_dst=%d", sourcePort, l4)
		summary = fmt.Sprintf("udp %s -> %s", netip.AddrPortFrom(src, sourcePort), netip.AddrPortFrom(dst, uint16(l4)))
	}
	return b.String(), summary
}

// findPort resolves what the user called the source port.
func (x *index) findPort(name string) (*Port, error) {
	if p := x.portByNm[name]; p != nil {
		return p, nil
	}
	for _, ifc := range x.Interfaces {
		if ifc.Name == name && ifc.IfaceID != "" {
			if p := x.portByNm[ifc.IfaceID]; p != nil {
				return p, nil
			}
			return nil, fmt.Errorf("OVS interface %s has iface-id %s, which is no logical port in the Southbound database", name, ifc.IfaceID)
		}
	}
	var matches []*Port
	for i := range x.Ports {
		p := &x.Ports[i]
		if p.ExternalIDs["neutron:port_name"] == name && name != "" {
			matches = append(matches, p)
		}
	}
	if len(matches) == 0 && len(name) >= 6 {
		for i := range x.Ports {
			if strings.HasPrefix(x.Ports[i].Name, name) {
				matches = append(matches, &x.Ports[i])
			}
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return nil, fmt.Errorf("no logical port, Neutron port or OVS interface called %q", name)
	}
	var names []string
	for _, p := range matches {
		names = append(names, p.Name)
	}
	return nil, fmt.Errorf("%q matches several ports: %s", name, strings.Join(names, ", "))
}

// portAddress is the port's first MAC and its first IP of the family.
func (x *index) portAddress(p *Port, v4 bool) (mac, ip string) {
	for _, entry := range p.MAC {
		m, ips := portAddresses(entry)
		if m == "" {
			continue
		}
		if mac == "" {
			mac = m
		}
		for _, a := range ips {
			if a.Addr().Is4() == v4 && ip == "" {
				mac, ip = m, a.Addr().String()
			}
		}
	}
	return mac, ip
}

// owner finds the port (other than routers') that has address a,
// preferring datapath dp.
func (x *index) owner(a netip.Addr, dp uint32) (*Port, string) {
	var found *Port
	mac := ""
	for i := range x.Ports {
		p := &x.Ports[i]
		for _, entry := range p.MAC {
			m, ips := portAddresses(entry)
			for _, pre := range ips {
				if pre.Addr() == a && m != "" && (found == nil || p.Datapath == dp && found.Datapath != dp) {
					found, mac = p, m
				}
			}
		}
	}
	return found, mac
}

// nextHopMAC picks the destination MAC a VM on src's network would use.
func (x *index) nextHopMAC(src *Port, sip, dst netip.Addr, to *Endpoint) (string, []string) {
	dp := src.Datapath
	own, ownMAC := x.owner(dst, dp)
	if own != nil {
		to.LogicalPort, to.Datapath, to.Chassis = own.Name, x.datapathName(own.Datapath), own.Chassis
		to.Neutron = neutronIDs(own.ExternalIDs)
		if own.Datapath == dp && !isRouterSide(x, own) {
			return ownMAC, nil
		}
	}
	// Off the network: the gateway is a router port whose subnet holds
	// the source address.
	var gwMAC, gwNote string
	for i := range x.Ports {
		p := &x.Ports[i]
		if t := pipeline.PortType(p.Type); p.Datapath != dp || (t != pipeline.PortPatch && t != pipeline.PortL3Gateway) {
			continue
		}
		peer := x.portByNm[p.Options["peer"]]
		if peer == nil {
			continue
		}
		if d := x.dpByKey[peer.Datapath]; d == nil || !d.Router {
			continue
		}
		for _, entry := range peer.MAC {
			m, prefixes := portAddresses(entry)
			if peer == own {
				return m, nil // the router port's own address
			}
			for _, pre := range prefixes {
				if pre.Addr().Is4() == sip.Is4() && pre.Masked().Contains(sip) && gwMAC == "" {
					gwMAC = m
					gwNote = fmt.Sprintf("%s is not on %s: sent to the gateway, router port %s of %s (%s, %s)",
						dst, x.datapathName(dp), peer.Name, x.datapathName(peer.Datapath), pre.Addr(), m)
				}
			}
		}
	}
	if gwMAC != "" {
		if own != nil && own.Datapath == dp {
			return ownMAC, nil // the router port itself
		}
		return gwMAC, []string{gwNote}
	}
	if own != nil {
		return ownMAC, []string{fmt.Sprintf("%s is port %s on %s, but no router connects %s to it (a VM has no next hop for it); traced as if sent to %s's MAC %s",
			dst, own.Name, x.datapathName(own.Datapath), x.datapathName(dp), own.Name, ownMAC)}
	}
	return "", nil
}

// vip finds the load balancer with VIP addr (and port, when not 0).
func (x *index) vip(addr netip.Addr, port int) (*LoadBalancer, string) {
	for i := range x.LoadBalancers {
		lb := &x.LoadBalancers[i]
		for _, k := range sortedKeys(lb.VIPs) {
			if a, err := netip.ParseAddr(k); err == nil && a == addr && port == 0 {
				return lb, lb.VIPs[k]
			}
			if ap, err := netip.ParseAddrPort(k); err == nil && ap.Addr() == addr && (port == 0 || int(ap.Port()) == port) {
				return lb, lb.VIPs[k]
			}
		}
	}
	return nil, ""
}

// isRouterSide reports whether a port belongs to a router datapath.
func isRouterSide(x *index, p *Port) bool {
	d := x.dpByKey[p.Datapath]
	return d != nil && d.Router
}

// WithDPHash adds a datapath hash to a flow so that ofproto/trace can pick
// a select-group bucket (it cannot compute the hash itself).
func WithDPHash(flow string, hash int) string {
	return flow + ",dp_hash=" + strconv.Itoa(hash)
}
