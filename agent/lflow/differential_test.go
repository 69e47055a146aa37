package lflow

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// neutronTopology builds, through ovn-nbctl, a Neutron-like self-service
// network on chassis hv1: switch sw0 with two VIFs (port security), a
// metadata localport, a port group with allow-related ACLs that reference
// an address set, a drop port group, a router with SNAT and a gateway port
// on hv1 towards a provider switch with a localnet port, and a load
// balancer.
func neutronTopology(t *testing.T, c *sandbox.Central) {
	t.Helper()
	nb := func(args ...string) { c.MustNbctl(args...) }
	nb("ls-add", "sw0", "--", "set", "Logical_Switch", "sw0", `external_ids:"neutron:network_name"=selfservice`)
	for _, p := range []struct{ name, mac, ip string }{
		{"vm1", "fa:16:3e:00:00:11", "10.0.0.11"},
		{"vm2", "fa:16:3e:00:00:12", "10.0.0.12"},
	} {
		nb("lsp-add", "sw0", p.name)
		nb("lsp-set-addresses", p.name, p.mac+" "+p.ip)
		nb("lsp-set-port-security", p.name, p.mac+" "+p.ip)
	}
	nb("lsp-add", "sw0", "meta")
	nb("lsp-set-type", "meta", "localport")
	nb("lsp-set-addresses", "meta", "fa:16:3e:00:00:02 10.0.0.2")

	nb("create", "Address_Set", "name=as_sg1_ip4", `addresses="10.0.0.11","10.0.0.12"`)
	nb("pg-add", "pg_sg1", "vm1", "vm2")
	nb("pg-add", "neutron_pg_drop", "vm1", "vm2")
	nb("acl-add", "neutron_pg_drop", "from-lport", "1001", "inport == @neutron_pg_drop && ip", "drop")
	nb("acl-add", "neutron_pg_drop", "to-lport", "1001", "outport == @neutron_pg_drop && ip", "drop")
	nb("acl-add", "pg_sg1", "from-lport", "1002", "inport == @pg_sg1 && ip4", "allow-related")
	nb("acl-add", "pg_sg1", "to-lport", "1002", "outport == @pg_sg1 && ip4 && ip4.src == $as_sg1_ip4", "allow-related")
	nb("acl-add", "pg_sg1", "to-lport", "1002", "outport == @pg_sg1 && ip4 && ip4.src == 0.0.0.0/0 && tcp.dst == {22, 80, 443}", "allow-related")
	nb("acl-add", "pg_sg1", "to-lport", "1002", "outport == @pg_sg1 && ip4 && ip4.src == $as_sg1_ip4 && udp.dst >= 1000 && udp.dst <= 1010", "allow-related")

	nb("lr-add", "lr0")
	nb("lrp-add", "lr0", "lrp0", "fa:16:3e:00:00:01", "10.0.0.1/24")
	routerPort(nb, "sw0", "rp0", "lrp0")

	nb("ls-add", "public")
	localnetPort(nb, "public", "ln-public", "physnet")
	nb("lrp-add", "lr0", "lrp-pub", "fa:16:3e:00:00:fe", "172.24.4.1/24")
	nb("lrp-set-gateway-chassis", "lrp-pub", "hv1", "10")
	routerPort(nb, "public", "rp-pub", "lrp-pub")
	nb("lr-nat-add", "lr0", "snat", "172.24.4.1", "10.0.0.0/24")
	nb("lr-nat-add", "lr0", "dnat_and_snat", "172.24.4.100", "10.0.0.11")

	nb("lb-add", "lb0", "10.0.0.200:80", "10.0.0.11:8080,10.0.0.12:8080", "tcp")
	nb("ls-lb-add", "sw0", "lb0")
	nb("lr-lb-add", "lr0", "lb0")
	nb("lb-add", "lb6", "[fd00::200]:80", "[fd00::11]:8080,[fd00::12]:8080", "tcp")
	nb("ls-lb-add", "sw0", "lb6")
	nb("lb-add", "lbu", "10.0.0.201", "10.0.0.11,10.0.0.12")
	nb("lb-add", "lbu", "10.0.0.202:53", "10.0.0.11:5353", "udp")
	nb("set", "Load_Balancer", "lbu", `options:hairpin_snat_ip="10.0.0.250 fd00::250"`)
	nb("ls-lb-add", "sw0", "lbu")

	// DHCPv4 and DHCPv6 for the VMs, IPv6 with router advertisements, DNS.
	dhcp4 := c.MustNbctl("create", "DHCP_Options", "cidr=10.0.0.0/24",
		`options="lease_time"="3600" "router"="10.0.0.1" "server_id"="10.0.0.1" "server_mac"="fa:16:3e:00:00:01" "dns_server"="{8.8.8.8}" "mtu"="1442"`)
	dhcp6 := c.MustNbctl("create", "DHCP_Options", "cidr=fd00\\:\\:/64",
		`options="server_id"="fa:16:3e:00:00:01"`)
	for _, p := range []struct{ name, mac, ip4, ip6 string }{
		{"vm1", "fa:16:3e:00:00:11", "10.0.0.11", "fd00::11"},
		{"vm2", "fa:16:3e:00:00:12", "10.0.0.12", "fd00::12"},
	} {
		nb("lsp-set-addresses", p.name, p.mac+" "+p.ip4+" "+p.ip6)
		nb("lsp-set-port-security", p.name, p.mac+" "+p.ip4+" "+p.ip6)
		nb("lsp-set-dhcpv4-options", p.name, dhcp4)
		nb("lsp-set-dhcpv6-options", p.name, dhcp6)
	}
	nb("lrp-del", "lrp0")
	nb("lrp-add", "lr0", "lrp0", "fa:16:3e:00:00:01", "10.0.0.1/24", "fd00::1/64")
	nb("set", "Logical_Router_Port", "lrp0", "ipv6_ra_configs:address_mode=dhcpv6_stateful", "ipv6_ra_configs:send_periodic=false")
	dns := c.MustNbctl("create", "DNS", `records={vm1="10.0.0.11"}`)
	nb("add", "Logical_Switch", "sw0", "dns_records", dns)

	// A second tenant switch behind the router with a port on another
	// chassis (fake, never runs a controller) and one here.
	nb("ls-add", "sw1")
	nb("lrp-add", "lr0", "lrp1", "fa:16:3e:00:01:01", "10.0.1.1/24")
	routerPort(nb, "sw1", "rp1", "lrp1")
	nb("lsp-add", "sw1", "vm3")
	nb("lsp-set-addresses", "vm3", "fa:16:3e:00:01:13 10.0.1.13")
	nb("lsp-add", "sw1", "vm4")
	nb("lsp-set-addresses", "vm4", "fa:16:3e:00:01:14 10.0.1.14")
	nb("pg-set-ports", "pg_sg1", "vm1", "vm2", "vm3", "vm4")
	nb("set", "Address_Set", "as_sg1_ip4", `addresses="10.0.0.11","10.0.0.12","10.0.1.13","10.0.1.14"`)

	// Logged ACLs with a meter, and control-plane protection (controller
	// meters).
	nb("meter-add", "acl-meter", "drop", "10", "pktps", "5")
	nb("meter-add", "copp-meter", "drop", "100", "pktps")
	nb("--log", "--meter=acl-meter", "--name=drop-log", "--severity=warning", "acl-add", "pg_sg1", "from-lport", "1003",
		"inport == @pg_sg1 && tcp.dst == 23", "drop")
	nb("copp-add", "copp0", "arp", "copp-meter")
	nb("copp-add", "copp0", "dhcpv4-opts", "copp-meter")
	nb("ls-copp-add", "copp0", "sw0")
	nb("lr-copp-add", "copp0", "lr0")

	// A gateway router pinned to hv1 (l3gateway ports) behind a join
	// switch, with its own provider network, NAT, a route and the LB.
	nb("lr-add", "gw0")
	nb("set", "Logical_Router", "gw0", "options:chassis=hv1")
	nb("ls-add", "join")
	nb("lrp-add", "gw0", "gw0-join", "00:00:00:00:ee:01", "100.64.0.1/16")
	routerPort(nb, "join", "join-gw0", "gw0-join")
	nb("lrp-add", "lr0", "lr0-join", "00:00:00:00:ee:02", "100.64.0.2/16")
	routerPort(nb, "join", "join-lr0", "lr0-join")
	nb("ls-add", "ext")
	nb("lrp-add", "gw0", "gw0-ext", "00:00:00:00:ee:03", "172.24.5.1/24")
	routerPort(nb, "ext", "ext-gw0", "gw0-ext")
	localnetPort(nb, "ext", "ln-ext", "physnet")
	nb("lr-nat-add", "gw0", "snat", "172.24.5.1", "10.0.0.0/8")
	nb("lr-nat-add", "gw0", "dnat_and_snat", "172.24.5.100", "10.0.1.13")
	nb("lr-route-add", "gw0", "10.0.0.0/16", "100.64.0.2")
	nb("lr-lb-add", "gw0", "lb0")

	// A VM directly on the provider network (localnet + bridge mapping).
	nb("lsp-add", "ext", "vm7")
	nb("lsp-set-addresses", "vm7", "fa:16:3e:00:05:07 172.24.5.7")
	nb("lsp-set-port-security", "vm7", "fa:16:3e:00:05:07 172.24.5.7")

	// A virtual port (keepalived-style VIP) with the two VMs as parents.
	nb("lsp-add", "sw0", "vip0")
	nb("lsp-set-type", "vip0", "virtual")
	nb("lsp-set-options", "vip0", "virtual-ip=10.0.0.100", "virtual-parents=vm1,vm2")

	// A template load balancer resolved through Chassis_Template_Var.
	nb("create", "Chassis_Template_Var", "chassis=hv1", `variables={vip="10.0.0.210",vport="81",backends="10.0.0.11:8081,10.0.0.12:8081"}`)
	lbt := c.MustNbctl("create", "Load_Balancer", "name=lbt", "protocol=tcp", `options:template=true`, `options:address-family=ipv4`, `vips:"^vip:^vport"="^backends"`)
	nb("add", "Logical_Switch", "sw0", "load_balancer", lbt)

	// Static MAC bindings (one overriding learnt ones).
	nb("static-mac-binding-add", "lrp-pub", "172.24.4.50", "00:00:00:00:aa:50")
	nb("static-mac-binding-add", "lrp-pub", "172.24.4.51", "00:00:00:00:aa:51")
	smb := c.MustNbctl("--bare", "--columns=_uuid", "find", "Static_MAC_Binding", `ip="172.24.4.51"`)
	nb("set", "Static_MAC_Binding", smb, "override_dynamic_mac=true")
	// A port with port security but no IP, one with a subnet, one with
	// IPv6 only.
	nb("lsp-add", "sw0", "vm5")
	nb("lsp-set-addresses", "vm5", "fa:16:3e:00:00:15")
	nb("lsp-set-port-security", "vm5", "fa:16:3e:00:00:15", "fa:16:3e:00:00:25 10.0.0.0/24 10.0.0.99/24")
	nb("lsp-add", "sw0", "vm6")
	nb("lsp-set-addresses", "vm6", "unknown")
	nb("lsp-set-port-security", "vm6", "fa:16:3e:00:00:16 fd00::16 fd00:1::/64")
}

var sbTables = []string{
	"Chassis", "HA_Chassis", "HA_Chassis_Group", "Datapath_Binding", "Port_Binding",
	"Logical_DP_Group", "Multicast_Group", "Address_Set", "Port_Group", "Chassis_Template_Var",
	"Meter", "Meter_Band", "Logical_Flow", "MAC_Binding", "Static_MAC_Binding", "FDB",
	"Load_Balancer", "SB_Global",
}

func readSB(t *testing.T, c *sandbox.Central) sbSnapshot {
	t.Helper()
	sb := sbSnapshot{}
	for _, tbl := range sbTables {
		out, err := c.Sbctl("--format=json", "list", tbl)
		if err != nil {
			t.Fatalf("list %s: %v", tbl, err)
		}
		rows, err := parseSBList(out)
		if err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		sb[tbl] = rows
	}
	return sb
}

// scenario is one topology for the differential test: setup builds it
// (NB, and SB rows no chassis would write), vifs are the logical ports that
// get an interface on hv1, up those that must be bound before comparing.
type scenario struct {
	name  string
	setup func(t *testing.T, c *sandbox.Central)
	vifs  []string
	up    []string
	steps []step
	// noGolden keeps the scenario out of testdata (too big to check in).
	noGolden bool
}

// step is one change applied after the first comparison.
type step struct {
	name string
	do   func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis, ifaces map[string]bool)
}

var scenarios = []scenario{
	{
		name: "neutron",
		setup: func(t *testing.T, c *sandbox.Central) {
			neutronTopology(t, c)
			c.MustSbctl("lsp-bind", "vm4", "hv2")
			// Learnt rows written the way pinctrl writes them.
			lr0 := c.MustSbctl("--bare", "--columns=_uuid", "find", "Datapath_Binding", "external_ids:name=lr0")
			c.MustSbctl("create", "MAC_Binding", "logical_port=lrp-pub", "ip=172.24.4.60", "mac=\"00:00:00:00:aa:60\"", "datapath="+lr0)
			c.MustSbctl("create", "MAC_Binding", "logical_port=lrp0", "ip=\"fd00::99\"", "mac=\"00:00:00:00:aa:99\"", "datapath="+lr0)
			c.MustSbctl("create", "MAC_Binding", "logical_port=lrp-pub", "ip=172.24.4.51", "mac=\"00:00:00:00:bb:51\"", "datapath="+lr0)
			swKey := c.MustSbctl("--bare", "--columns=tunnel_key", "find", "Datapath_Binding", "external_ids:name=sw0")
			c.MustSbctl("create", "FDB", "mac=\"00:00:00:00:cc:01\"", "dp_key="+swKey, "port_key=1")
		},
		vifs:  []string{"vm1", "vm2", "meta", "vm3", "vm5", "vm6", "vm7"},
		up:    []string{"vm1", "vm2", "vm3", "vm5", "vm6", "vm7"},
		steps: neutronSteps,
	},
	{
		// The benchmark's generated topology, every VIF bound here: many
		// port groups, conjunctions and datapath groups.
		name: "scale",
		setup: func(t *testing.T, c *sandbox.Central) {
			if err := createBenchTopology(c); err != nil {
				t.Fatal(err)
			}
		},
		vifs:     benchPorts(),
		up:       benchPorts()[len(benchPorts())-1:],
		noGolden: true,
	},
	{
		name:  "remote-gateway",
		setup: remoteGatewayTopology,
		vifs:  []string{"vm1"},
		up:    []string{"vm1"},
	},
}

// TestDifferentialOVNController compares, for each scenario, the flows of
// the real ovn-controller in the tables this package fills (logical
// pipelines, MAC bindings, FDB, LB hairpin, port security; see
// dumpLogicalTables) with this package's translation of the same Southbound
// database, then installs the translation into the emptied br-int through
// ofctrl and compares again.
func TestDifferentialOVNController(t *testing.T) {
	if testing.Short() {
		t.Skip("needs OVS/OVN sandbox")
	}
	sandbox.RequireRoot(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, sc) })
	}
}

func runScenario(t *testing.T, sc scenario) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "127.0.0.1", "geneve", "physnet:br-phys")
	if err := ch.AddBridge("br-phys"); err != nil {
		t.Fatal(err)
	}
	central.MustSbctl("chassis-add", "hv2", "geneve", "127.0.0.2")
	sc.setup(t, central)
	ch.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := ch.WaitBridge("br-int"); err != nil {
		t.Fatal(err)
	}
	ifaces := map[string]bool{}
	var args []string
	for _, p := range sc.vifs {
		args = append(args, "--", "add-port", "br-int", p, "--", "set", "Interface", p,
			"type=dummy", "external_ids:iface-id="+p)
		ifaces[p] = true
	}
	ch.MustVsctl(args[1:]...)
	for _, p := range sc.up {
		if err := central.WaitPortUp(p, "hv1"); err != nil {
			t.Fatal(err)
		}
	}
	central.MustNbctl("--wait=hv", "sync")
	dump := settledDump(ch)
	sb := readSB(t, central)
	groupDump := ch.MustOfctl("br-int", "dump-groups")
	meterDump := ch.MustOfctl("br-int", "dump-meters")

	if os.Getenv("LFLOW_UPDATE_GOLDEN") == "1" && !sc.noGolden {
		writeGolden(t, sc.name, sb, ifaces, dumpLogicalTables(dump))
	}
	in, err := buildInput(sb, "hv1", ifaces)
	if err != nil {
		t.Fatal(err)
	}
	tr := New(Options{Features: Features{DPMeter: true, CTZeroSNAT: true}})
	tr.Full(in)
	var mine []string
	for _, f := range tr.Flows() {
		mine = append(mine, FlowText(f))
	}
	theirs := dumpLogicalTables(dump)
	if len(theirs) == 0 {
		t.Fatalf("ovn-controller installed no logical flows:\n%s", dump)
	}
	accepted := loadAcceptedDiffs(t)
	t.Logf("ovn-controller: %d flows, lflow: %d; %d logical flows in SB; conj ids identical: %d",
		len(theirs), len(mine), len(in.Flows), countSameConjIDs(theirs, mine))
	a := compareFlows(t, "full", theirs, tr, accepted)
	compareGroupsMeters(t, tr, groupDump, meterDump)
	if dir := os.Getenv("LFLOW_DIFF_DIR"); dir != "" {
		for name, text := range map[string]string{"groups.txt": groupDump, "meters.txt": meterDump,
			"ovn-controller.txt": strings.Join(a, "\n") + "\n", "dump.txt": dump} {
			_ = os.WriteFile(filepath.Join(dir, sc.name+"-"+name), []byte(text), 0o644)
		}
	}

	// Incremental steps: change the topology, let ovn-controller follow,
	// bring the translator to the new snapshot with Update (the incremental
	// methods) and compare again.
	for _, st := range sc.steps {
		if t.Failed() {
			return
		}
		st.do(t, central, ch, ifaces)
		central.MustNbctl("--wait=hv", "sync")
		dump = settledDump(ch)
		in, err := buildInput(readSB(t, central), "hv1", ifaces)
		if err != nil {
			t.Fatal(err)
		}
		tr.Changes()
		tr.Update(in)
		d := tr.Changes()
		t.Logf("step %q: %d flows put, %d deleted", st.name, len(d.PutFlows), len(d.DeleteFlows))
		a = compareFlows(t, st.name, dumpLogicalTables(dump), tr, accepted)
		compareGroupsMeters(t, tr, ch.MustOfctl("br-int", "dump-groups"), ch.MustOfctl("br-int", "dump-meters"))
	}
	if !t.Failed() {
		installAndCompare(t, ch, tr, accepted, a)
	}
}

// settledDump dumps br-int until two consecutive dumps agree.
func settledDump(ch *sandbox.Chassis) string {
	var dump string
	for i := 0; i < 20; i++ {
		time.Sleep(300 * time.Millisecond)
		d := ch.MustOfctl("br-int", "dump-flows", "--no-stats")
		if d == dump {
			break
		}
		dump = d
	}
	return dump
}

// compareFlows compares ovn-controller's flows with the translator's after
// normalization and the accepted rewrites, reports the differences, and
// returns ovn-controller's normalized flows.
func compareFlows(t *testing.T, label string, theirs []string, tr *Translator, accepted *acceptedDiffs) []string {
	t.Helper()
	var mine []string
	for _, f := range tr.Flows() {
		mine = append(mine, FlowText(f))
	}
	a, b := accepted.rewrite(normalizeFlows(theirs)), accepted.rewrite(normalizeFlows(mine))
	onlyTheirs, onlyMine := diffSorted(a, b)
	onlyTheirs, onlyMine = accepted.filter(onlyTheirs, "-"), accepted.filter(onlyMine, "+")
	if len(onlyTheirs)+len(onlyMine) > 0 {
		var sb strings.Builder
		for _, l := range onlyTheirs {
			sb.WriteString("- " + l + "\n")
		}
		for _, l := range onlyMine {
			sb.WriteString("+ " + l + "\n")
		}
		t.Errorf("%s: %d flows only in ovn-controller (-), %d only in lflow (+):\n%s", label, len(onlyTheirs), len(onlyMine), sb.String())
	}
	return a
}

// countSameConjIDs counts the conj_id values present in both dumps.
func countSameConjIDs(a, b []string) int {
	ids := map[string]bool{}
	for _, l := range a {
		if m := reConjID.FindStringSubmatch(l); m != nil {
			ids[m[1]] = true
		}
	}
	n := 0
	for _, l := range b {
		if m := reConjID.FindStringSubmatch(l); m != nil && ids[m[1]] {
			n++
		}
	}
	return n
}

// acceptedDiffs is testdata/accepted-diffs.txt: every rule follows a
// "# reason" comment and is one of
//
//	rewrite: REGEXP => REPLACEMENT   applied to both sides' normalized flows
//	- REGEXP                         a flow only ovn-controller installs
//	+ REGEXP                         a flow only lflow produces
//
// REGEXPs match whole normalized flow lines.
type acceptedDiffs struct {
	rewrites []rewriteRule
	only     map[string][]*regexp.Regexp // "-" and "+"
}

type rewriteRule struct {
	re   *regexp.Regexp
	repl string
}

func loadAcceptedDiffs(t *testing.T) *acceptedDiffs {
	t.Helper()
	acc := &acceptedDiffs{only: map[string][]*regexp.Regexp{}}
	f, err := os.Open("testdata/accepted-diffs.txt")
	if err != nil {
		if os.IsNotExist(err) {
			return acc
		}
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	reason := false
	for n := 1; s.Scan(); n++ {
		l := strings.TrimSpace(s.Text())
		switch {
		case l == "":
			reason = false
		case strings.HasPrefix(l, "#"):
			reason = true
		case !reason:
			t.Fatalf("accepted-diffs.txt:%d: rule without a # reason", n)
		case strings.HasPrefix(l, "rewrite: "):
			parts := strings.SplitN(strings.TrimPrefix(l, "rewrite: "), " => ", 2)
			if len(parts) != 2 {
				t.Fatalf("accepted-diffs.txt:%d: want rewrite: RE => REPL", n)
			}
			acc.rewrites = append(acc.rewrites, rewriteRule{regexp.MustCompile(parts[0]), parts[1]})
		case strings.HasPrefix(l, "- "), strings.HasPrefix(l, "+ "):
			acc.only[l[:1]] = append(acc.only[l[:1]], regexp.MustCompile("^(?:"+l[2:]+")$"))
		default:
			t.Fatalf("accepted-diffs.txt:%d: unknown rule %q", n, l)
		}
	}
	return acc
}

func (a *acceptedDiffs) rewrite(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		for _, r := range a.rewrites {
			l = r.re.ReplaceAllString(l, r.repl)
		}
		out[i] = l
	}
	sort.Strings(out)
	return out
}

func (a *acceptedDiffs) filter(lines []string, sign string) []string {
	var out []string
next:
	for _, l := range lines {
		for _, re := range a.only[sign] {
			if re.MatchString(l) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// writeGolden saves a Southbound snapshot and ovn-controller's logical
// flows for the OVS-less tests (golden_test.go).
func writeGolden(t *testing.T, name string, sb sbSnapshot, ifaces map[string]bool, flows []string) {
	t.Helper()
	b, err := json.MarshalIndent(goldenSnapshot{SB: sb, Ifaces: ifaces}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", name+"-sb.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", name+"-ovn-controller.flows"), []byte(strings.Join(flows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

type goldenSnapshot struct {
	SB     sbSnapshot      `json:"sb"`
	Ifaces map[string]bool `json:"ifaces"`
}

var reGroupID = regexp.MustCompile(`^group_id=\d+,`)

// compareGroupsMeters compares the groups and meters, ignoring their ids
// (the flow comparison already checks which flow uses which).
func compareGroupsMeters(t *testing.T, tr *Translator, groupDump, meterDump string) {
	t.Helper()
	var theirs, mine []string
	for _, l := range strings.Split(groupDump, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "group_id=") {
			theirs = append(theirs, reGroupID.ReplaceAllString(l, ""))
		}
	}
	for _, g := range tr.Groups() {
		mine = append(mine, reGroupID.ReplaceAllString(GroupText(g), ""))
	}
	sort.Strings(theirs)
	sort.Strings(mine)
	onlyA, onlyB := diffSorted(theirs, mine)
	for _, l := range onlyA {
		t.Errorf("group only in ovn-controller: %s", l)
	}
	for _, l := range onlyB {
		t.Errorf("group only in lflow: %s", l)
	}
	t.Logf("groups: ovn-controller %d, lflow %d", len(theirs), len(mine))
	theirs, mine = nil, nil
	cur := ""
	for _, l := range strings.Split(meterDump+"\n", "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "meter="):
			_, rest, _ := strings.Cut(l, " ")
			cur = rest
		case l == "" && cur != "":
			theirs = append(theirs, cur)
			cur = ""
		case cur != "":
			cur += " " + l
		}
	}
	for _, m := range tr.Meters() {
		_, rest, _ := strings.Cut(MeterText(m), " ")
		mine = append(mine, rest)
	}
	sort.Strings(theirs)
	sort.Strings(mine)
	onlyA, onlyB = diffSorted(theirs, mine)
	for _, l := range onlyA {
		t.Errorf("meter only in ovn-controller: %s", l)
	}
	for _, l := range onlyB {
		t.Errorf("meter only in lflow: %s", l)
	}
	t.Logf("meters: ovn-controller %d, lflow %d", len(theirs), len(mine))
}

// installAndCompare stops ovn-controller, empties br-int, installs this
// package's flows, groups and meters through openflow/ofctrl and checks
// that OVS then holds what ovn-controller had installed (normalized
// theirs), which also checks the wire encoding of every flow.
func installAndCompare(t *testing.T, ch *sandbox.Chassis, tr *Translator, accepted *acceptedDiffs, theirs []string) {
	t.Helper()
	if err := ch.StopAgent(); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"del-flows", "del-groups", "del-meters"} {
		ch.MustOfctl("br-int", cmd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctl := ofctrl.New(ch.Mgmt("br-int"), ofctrl.WithDecoder(ofctrl.FlowDecoder{}), ofctrl.WithLogger(quietLogger))
	if err := ctl.Connect(ctx); err != nil {
		t.Fatalf("ofctrl connect: %v", err)
	}
	defer ctl.Close()
	ctl.Update(func(tx ofctrl.Txn) {
		for _, g := range tr.Groups() {
			tx.PutGroup(g)
		}
		for _, m := range tr.Meters() {
			tx.PutMeter(m)
		}
		for _, f := range tr.Flows() {
			tx.PutFlow(f)
		}
	})
	if err := ctl.Sync(ctx); err != nil {
		t.Errorf("ofctrl sync: %v", err)
	}
	for _, r := range ctl.Rejections() {
		t.Errorf("rejected by OVS: %s: %v", r.What, r.Err)
	}
	dump := ch.MustOfctl("br-int", "dump-flows", "--no-stats")
	installed := accepted.rewrite(normalizeFlows(dumpLogicalTables(dump)))
	onlyTheirs, onlyInstalled := diffSorted(theirs, installed)
	onlyTheirs, onlyInstalled = accepted.filter(onlyTheirs, "-"), accepted.filter(onlyInstalled, "+")
	for _, l := range onlyTheirs {
		t.Errorf("installed by ovn-controller, not after lflow install: %s", l)
	}
	for _, l := range onlyInstalled {
		t.Errorf("installed from lflow, not by ovn-controller: %s", l)
	}
	t.Logf("installed through ofctrl: %d flows compared, %d/%d differ", len(installed), len(onlyTheirs), len(onlyInstalled))
	// ovn-controller's groups and meters equal ours (checked before), so
	// the installed ones must equal ours too.
	compareGroupsMeters(t, tr, ch.MustOfctl("br-int", "dump-groups"), ch.MustOfctl("br-int", "dump-meters"))
}

// routerPort adds switch port lsp on ls as the peer of router port lrp.
func routerPort(nb func(...string), ls, lsp, lrp string) {
	nb("lsp-add", ls, lsp)
	nb("lsp-set-type", lsp, "router")
	nb("lsp-set-addresses", lsp, "router")
	nb("lsp-set-options", lsp, "router-port="+lrp)
}

// localnetPort adds localnet port name on ls for the physical network.
func localnetPort(nb func(...string), ls, name, network string) {
	nb("lsp-add", ls, name)
	nb("lsp-set-type", name, "localnet")
	nb("lsp-set-addresses", name, "unknown")
	nb("lsp-set-options", name, "network_name="+network)
}

// remoteGatewayTopology: hv1 has one VM on a tenant switch; the router's
// gateway port (and its SNAT) lives on hv2, so the provider switch is not
// local here (always-redirect) and the router flows gated by
// is_chassis_resident() of the gateway port match nothing.
func remoteGatewayTopology(t *testing.T, c *sandbox.Central) {
	t.Helper()
	nb := func(args ...string) { c.MustNbctl(args...) }
	nb("ls-add", "sw0")
	nb("lsp-add", "sw0", "vm1")
	nb("lsp-set-addresses", "vm1", "fa:16:3e:00:00:11 10.0.0.11")
	nb("lsp-add", "sw0", "vm2")
	nb("lsp-set-addresses", "vm2", "fa:16:3e:00:00:12 10.0.0.12")
	nb("lr-add", "lr0")
	nb("lrp-add", "lr0", "lrp0", "fa:16:3e:00:00:01", "10.0.0.1/24")
	routerPort(nb, "sw0", "rp0", "lrp0")
	nb("ls-add", "public")
	localnetPort(nb, "public", "ln-public", "physnet")
	nb("lrp-add", "lr0", "lrp-pub", "fa:16:3e:00:00:fe", "172.24.4.1/24")
	nb("lrp-set-gateway-chassis", "lrp-pub", "hv2", "10")
	routerPort(nb, "public", "rp-pub", "lrp-pub")
	nb("lr-nat-add", "lr0", "snat", "172.24.4.1", "10.0.0.0/24")
	// A second router whose gateway has distributed NAT (no
	// always-redirect), unrelated to hv1.
	nb("lr-add", "lr1")
	nb("ls-add", "sw1")
	nb("lrp-add", "lr1", "lrp1", "fa:16:3e:00:01:01", "10.0.1.1/24")
	routerPort(nb, "sw1", "rp1", "lrp1")
	nb("lsp-add", "sw1", "vm9")
	nb("lsp-set-addresses", "vm9", "fa:16:3e:00:01:09 10.0.1.9")
	nb("ls-add", "public1")
	localnetPort(nb, "public1", "ln-public1", "physnet")
	nb("lrp-add", "lr1", "lrp1-pub", "fa:16:3e:00:01:fe", "172.24.6.1/24")
	nb("lrp-set-gateway-chassis", "lrp1-pub", "hv2", "10")
	routerPort(nb, "public1", "rp1-pub", "lrp1-pub")
	nb("lr-nat-add", "lr1", "dnat_and_snat", "172.24.6.9", "10.0.1.9", "vm9", "fa:16:3e:00:06:09")
	// Nothing of sw1/lr1/public1 is local to hv1 (no port of theirs here).
	c.MustSbctl("lsp-bind", "vm2", "hv2")
}

var neutronSteps = []step{
	{"address set grows", func(t *testing.T, c *sandbox.Central, _ *sandbox.Chassis, _ map[string]bool) {
		c.MustNbctl("add", "Address_Set", "as_sg1_ip4", "addresses", `"10.0.9.9"`)
	}},
	{"port leaves port group", func(t *testing.T, c *sandbox.Central, _ *sandbox.Chassis, _ map[string]bool) {
		c.MustNbctl("pg-set-ports", "pg_sg1", "vm1", "vm3", "vm4")
	}},
	{"new ACL", func(t *testing.T, c *sandbox.Central, _ *sandbox.Chassis, _ map[string]bool) {
		c.MustNbctl("acl-add", "pg_sg1", "to-lport", "1002", "outport == @pg_sg1 && ip6 && tcp.dst == 8080", "allow-related")
	}},
	{"VIF unplugged", func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis, ifaces map[string]bool) {
		ch.MustVsctl("del-port", "br-int", "vm5")
		delete(ifaces, "vm5")
		if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
			out, err := c.Sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=vm5")
			return err == nil && out == "", err
		}); err != nil {
			t.Fatal(err)
		}
	}},
	{"logical port deleted", func(t *testing.T, c *sandbox.Central, _ *sandbox.Chassis, _ map[string]bool) {
		c.MustNbctl("lsp-del", "vm6")
	}},
	{"load balancer VIP added", func(t *testing.T, c *sandbox.Central, _ *sandbox.Chassis, _ map[string]bool) {
		c.MustNbctl("lb-add", "lb0", "10.0.0.200:443", "10.0.0.11:8443,10.0.1.13:8443", "tcp")
	}},
	{"MAC binding learnt and FDB entry removed", func(t *testing.T, c *sandbox.Central, _ *sandbox.Chassis, _ map[string]bool) {
		lr0 := c.MustSbctl("--bare", "--columns=_uuid", "find", "Datapath_Binding", "external_ids:name=lr0")
		c.MustSbctl("create", "MAC_Binding", "logical_port=lrp0", "ip=10.0.0.77", `mac="00:00:00:00:aa:77"`, "datapath="+lr0)
		c.MustSbctl("--all", "destroy", "FDB")
	}},
}
