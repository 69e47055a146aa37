package agent_test

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// topology builds one NB scenario; it runs with the chassis hv1 prepared
// (ports of type dummy) and a fake remote chassis hv2.
type topology struct {
	name  string
	build func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis)
}

var topologies = []topology{
	{"seed self-service network with security groups", func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
		c.MustNbctl("ls-add", "net1", "--", "set", "Logical_Switch", "net1", "other_config:subnet=192.168.101.0/24", "other_config:mtu=1442")
		c.MustNbctl("lsp-add", "net1", "meta", "--", "lsp-set-type", "meta", "localport",
			"--", "lsp-set-addresses", "meta", "fa:16:3e:00:00:01 192.168.101.1")
		for i, vm := range []string{"vm1", "vm2", "vm3"} {
			addr := fmt.Sprintf("fa:16:3e:00:00:1%d 192.168.101.1%d", i+1, i+1)
			c.MustNbctl("lsp-add", "net1", vm, "--", "lsp-set-addresses", vm, addr, "--", "lsp-set-port-security", vm, addr)
		}
		c.MustNbctl("pg-add", "pg_sg", "vm1", "vm2", "vm3", "--", "pg-add", "neutron_pg_drop", "vm1", "vm2", "vm3")
		c.MustNbctl("acl-add", "neutron_pg_drop", "from-lport", "1001", "inport == @neutron_pg_drop && ip", "drop")
		c.MustNbctl("acl-add", "neutron_pg_drop", "to-lport", "1001", "outport == @neutron_pg_drop && ip", "drop")
		c.MustNbctl("acl-add", "pg_sg", "from-lport", "1002", "inport == @pg_sg && ip4", "allow-related")
		c.MustNbctl("acl-add", "pg_sg", "to-lport", "1002", "outport == @pg_sg && ip4 && ip4.src == $pg_sg_ip4", "allow-related")
		c.MustNbctl("acl-add", "pg_sg", "to-lport", "1002", "outport == @pg_sg && ip4 && tcp.dst == 22", "allow-related")
		ch.MustVsctl("add-port", "br-int", "tap-meta", "--", "set", "Interface", "tap-meta", "type=dummy", "external_ids:iface-id=meta")
		bindVIF(ch, "vm1")
		bindVIF(ch, "vm2")
		c.MustSbctl("lsp-bind", "vm3", "hv2")
	}},
	{"two switches behind a router with NAT and a load balancer", func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
		c.MustNbctl("lr-add", "lr0", "--", "lrp-add", "lr0", "lr0-ls1", "00:00:00:00:ff:01", "10.0.1.1/24",
			"--", "lrp-add", "lr0", "lr0-ls2", "00:00:00:00:ff:02", "10.0.2.1/24")
		for _, ls := range []string{"ls1", "ls2"} {
			c.MustNbctl("ls-add", ls, "--", "lsp-add", ls, ls+"-lr0", "--", "lsp-set-type", ls+"-lr0", "router",
				"--", "lsp-set-addresses", ls+"-lr0", "router", "--", "lsp-set-options", ls+"-lr0", "router-port=lr0-"+ls)
		}
		c.MustNbctl("lsp-add", "ls1", "vm1", "--", "lsp-set-addresses", "vm1", "00:00:00:00:00:01 10.0.1.10")
		c.MustNbctl("lsp-add", "ls2", "vm2", "--", "lsp-set-addresses", "vm2", "00:00:00:00:00:02 10.0.2.10")
		c.MustNbctl("lsp-add", "ls2", "vm3", "--", "lsp-set-addresses", "vm3", "00:00:00:00:00:03 10.0.2.11")
		c.MustNbctl("lr-nat-add", "lr0", "dnat_and_snat", "172.24.4.10", "10.0.1.10")
		c.MustNbctl("lb-add", "lb0", "10.0.0.100:80", "10.0.1.10:8080,10.0.2.10:8080", "tcp")
		c.MustNbctl("ls-lb-add", "ls1", "lb0", "--", "lr-lb-add", "lr0", "lb0")
		bindVIF(ch, "vm1")
		bindVIF(ch, "vm2")
		c.MustSbctl("lsp-bind", "vm3", "hv2")
	}},
	{"provider network with a localnet port", func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
		ch.MustVsctl("add-br", "br-provider", "--", "set", "Bridge", "br-provider", "datapath_type=netdev")
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-mappings=physnet1:br-provider")
		c.MustNbctl("ls-add", "prov", "--", "lsp-add", "prov", "ln", "--", "lsp-set-type", "ln", "localnet",
			"--", "lsp-set-addresses", "ln", "unknown", "--", "lsp-set-options", "ln", "network_name=physnet1",
			"--", "set", "Logical_Switch_Port", "ln", "tag_request=100")
		c.MustNbctl("lsp-add", "prov", "vm1", "--", "lsp-set-addresses", "vm1", "00:00:00:00:01:01 203.0.113.10")
		c.MustNbctl("lsp-add", "prov", "vm3", "--", "lsp-set-addresses", "vm3", "00:00:00:00:01:03 203.0.113.11")
		bindVIF(ch, "vm1")
		c.MustSbctl("lsp-bind", "vm3", "hv2")
	}},
	{"router with a gateway port on this chassis", func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
		ch.MustVsctl("add-br", "br-ex", "--", "set", "Bridge", "br-ex", "datapath_type=netdev")
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-mappings=public:br-ex")
		c.MustNbctl("ls-add", "public", "--", "lsp-add", "public", "ln-public", "--", "lsp-set-type", "ln-public", "localnet",
			"--", "lsp-set-addresses", "ln-public", "unknown", "--", "lsp-set-options", "ln-public", "network_name=public")
		c.MustNbctl("lr-add", "lr0", "--", "lrp-add", "lr0", "lr0-public", "00:00:20:20:12:13", "172.24.4.1/24",
			"--", "lrp-set-gateway-chassis", "lr0-public", "hv1", "20",
			"--", "lrp-add", "lr0", "lr0-ls1", "00:00:00:00:ff:01", "10.0.1.1/24")
		c.MustNbctl("lsp-add", "public", "public-lr0", "--", "lsp-set-type", "public-lr0", "router",
			"--", "lsp-set-addresses", "public-lr0", "router", "--", "lsp-set-options", "public-lr0", "router-port=lr0-public")
		c.MustNbctl("ls-add", "ls1", "--", "lsp-add", "ls1", "ls1-lr0", "--", "lsp-set-type", "ls1-lr0", "router",
			"--", "lsp-set-addresses", "ls1-lr0", "router", "--", "lsp-set-options", "ls1-lr0", "router-port=lr0-ls1")
		c.MustNbctl("lsp-add", "ls1", "vm1", "--", "lsp-set-addresses", "vm1", "00:00:00:00:00:01 10.0.1.10")
		c.MustNbctl("lr-nat-add", "lr0", "snat", "172.24.4.1", "10.0.1.0/24")
		bindVIF(ch, "vm1")
	}},
}

func bindVIF(ch *sandbox.Chassis, lport string) {
	ch.MustVsctl("add-port", "br-int", "tap-"+lport, "--", "set", "Interface", "tap-"+lport, "type=dummy", "external_ids:iface-id="+lport)
}

// TestFlowsMatchOVNController is the differential test of issue 6: for
// each topology the real ovn-controller programs br-int, then chassisd takes
// over the same chassis after br-int was emptied, and the two flow tables
// (plus groups and meters) must be equal once normalized.
func TestFlowsMatchOVNController(t *testing.T) {
	accepted := loadAcceptedDiffs(t, "testdata/accepted-flow-diffs.txt")
	for _, topo := range topologies {
		t.Run(topo.name, func(t *testing.T) {
			central := sandbox.NewCentral(t, sandbox.CentralOptions{})
			ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
			ch.MustConfigure("hv1", "172.16.0.1", "geneve")
			ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev")
			central.MustSbctl("chassis-add", "hv2", "geneve", "172.16.0.2")
			ch.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
			if err := central.WaitChassis("hv1"); err != nil {
				t.Fatal(err)
			}
			topo.build(t, central, ch)
			central.MustNbctl("--wait=hv", "--timeout=30", "sync")
			want := dumpBrInt(t, ch)

			if err := ch.ExitAgent(true); err != nil {
				t.Fatal(err)
			}
			for _, what := range []string{"del-flows", "del-groups", "del-meters"} {
				ch.MustOfctl("br-int", what)
			}
			if got := dumpBrInt(t, ch); len(got) != 0 {
				t.Fatalf("br-int not empty after clearing: %v", got)
			}
			logs, _ := runAgent(t, ch)
			central.MustNbctl("--wait=hv", "--timeout=30", "sync")
			var got []string
			// nb_cfg is reported once the flows are installed; give
			// the reconciler a moment for a trailing round anyway.
			eventually(t, 20*time.Second, "chassisd's flows settle", func() (bool, error) {
				got = dumpBrInt(t, ch)
				return slices.Equal(got, dumpBrInt(t, ch)), nil
			})
			missing, extra := diffLines(want, got)
			missing, extra = filterAccepted(missing, accepted), filterAccepted(extra, accepted)
			if len(missing)+len(extra) > 0 {
				t.Errorf("br-int differs from ovn-controller's: %d flows missing, %d extra (of %d)\nmissing:\n  %s\nextra:\n  %s",
					len(missing), len(extra), len(want), strings.Join(head(missing, 40), "\n  "), strings.Join(head(extra, 40), "\n  "))
				t.Logf("chassisd log tail:\n%s", tail(logs.String(), 40))
			}
		})
	}
}

func head(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}

// dumpBrInt returns br-int's flows, groups and meters, normalized: no
// statistics, ofport numbers replaced by interface names, and conjunction,
// group and meter ids renumbered in order of first appearance.
func dumpBrInt(t *testing.T, ch *sandbox.Chassis) []string {
	t.Helper()
	ports := map[string]string{}
	for _, line := range strings.Split(ch.MustOfctl("br-int", "show"), "\n") {
		if m := portLine.FindStringSubmatch(line); m != nil {
			ports[m[1]] = m[2]
		}
	}
	var lines []string
	for _, cmd := range []string{"dump-flows", "dump-groups", "dump-meters"} {
		out := ch.MustOfctl("br-int", cmd, "--no-stats")
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "OFPST_") || strings.HasPrefix(l, "NXST_") || strings.HasPrefix(l, "OFPST") {
				continue
			}
			l = ofportRef.ReplaceAllStringFunc(l, func(s string) string {
				m := ofportRef.FindStringSubmatch(s)
				if name, ok := ports[m[2]]; ok {
					return m[1] + name
				}
				return s
			})
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	return renumberIDs(lines)
}

var (
	portLine  = regexp.MustCompile(`^\s*(\d+)\((.+)\):`)
	ofportRef = regexp.MustCompile(`(in_port=|output:)(\d+)`)
	idRefs    = regexp.MustCompile(`(conj_id=|conjunction\(|group_id=|group:|meter=|meter:|meter_id=)(\d+)`)
)

// renumberIDs gives conjunction, group and meter ids canonical numbers: the
// order in which they first appear in the id-blind sorted listing.
func renumberIDs(lines []string) []string {
	blind := make([]string, len(lines))
	for i, l := range lines {
		blind[i] = idRefs.ReplaceAllString(l, "${1}N")
	}
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return blind[order[a]] < blind[order[b]] })
	ids := map[string]map[string]int{}
	kind := func(prefix string) string {
		switch prefix {
		case "conj_id=", "conjunction(":
			return "conj"
		case "group_id=", "group:":
			return "group"
		default:
			return "meter"
		}
	}
	for _, i := range order {
		for _, m := range idRefs.FindAllStringSubmatch(lines[i], -1) {
			k := kind(m[1])
			if ids[k] == nil {
				ids[k] = map[string]int{}
			}
			if _, ok := ids[k][m[2]]; !ok {
				ids[k][m[2]] = len(ids[k]) + 1
			}
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = idRefs.ReplaceAllStringFunc(l, func(s string) string {
			m := idRefs.FindStringSubmatch(s)
			return fmt.Sprintf("%s%d", m[1], ids[kind(m[1])][m[2]])
		})
	}
	sort.Strings(out)
	return out
}

func diffLines(want, got []string) (missing, extra []string) {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	for l, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, l)
		}
		for ; n < 0; n++ {
			extra = append(extra, l)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

// loadAcceptedDiffs reads regular expressions (one per line, "#" comments
// give the reason) of flow lines whose difference is accepted.
func loadAcceptedDiffs(t *testing.T, path string) []*regexp.Regexp {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	var out []*regexp.Regexp
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		re, err := regexp.Compile(l)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, re)
	}
	return out
}

func filterAccepted(lines []string, accepted []*regexp.Regexp) []string {
	var out []string
	for _, l := range lines {
		if !slices.ContainsFunc(accepted, func(re *regexp.Regexp) bool { return re.MatchString(l) }) {
			out = append(out, l)
		}
	}
	return out
}
