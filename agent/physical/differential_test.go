package physical

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// physicalTables are the tables whose flows come from physical.c and the
// SB-fed parts of lflow.c, i.e. everything Compute owns.
var physicalTables = map[int]bool{0: true, 37: true, 38: true, 39: true, 40: true, 41: true,
	64: true, 65: true, 66: true, 67: true, 71: true, 72: true, 73: true, 74: true, 75: true}

// TestDifferentialOVNController builds a topology with the real ovn-northd
// and ovn-controller 23.03, reads SB and OVS back into Input, and compares
// Compute's flows with ovn-controller's physical tables.
func TestDifferentialOVNController(t *testing.T) {
	if testing.Short() {
		t.Skip("starts OVS and OVN daemons")
	}
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "192.168.0.1", "geneve", "physnet1:br-phys")
	if err := ch.AddBridge("br-phys"); err != nil {
		t.Fatal(err)
	}
	buildTopology(central)
	if err := central.WaitSync(); err != nil {
		t.Fatal(err)
	}
	central.MustSbctl("chassis-add", "hv2", "geneve", "192.168.0.2")
	central.MustSbctl("lsp-bind", "vm3", "hv2")

	ch.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := ch.WaitBridge("br-int"); err != nil {
		t.Fatal(err)
	}
	for _, vif := range []string{"vm1", "vm2", "lp1"} {
		if err := ch.AddVIF(vif, "dummy", vif); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"vm1", "vm2"} {
		if err := central.WaitPortUp(p, "hv1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := central.WaitPortUp("cr-lr0-public", "hv1"); err != nil {
		t.Logf("cr-lr0-public: %v", err)
	}
	// Let ovn-controller settle: tunnel and localnet patch present, dump
	// unchanged twice in a row.
	var dump []string
	err := sandbox.Eventually(20*time.Second, func() (bool, error) {
		out, err := ch.Vsctl("--bare", "--columns=name", "find", "Interface", "type=geneve")
		if err != nil || strings.TrimSpace(out) == "" {
			return false, err
		}
		out, err = ch.Vsctl("--bare", "--columns=name", "find", "Interface", "type=patch")
		if err != nil || !strings.Contains(out, "ln-public") {
			return false, err
		}
		d1, err := dumpPhysical(ch)
		if err != nil {
			return false, err
		}
		time.Sleep(500 * time.Millisecond)
		d2, err := dumpPhysical(ch)
		if err != nil {
			return false, err
		}
		dump = d2
		return strings.Join(d1, "\n") == strings.Join(d2, "\n"), nil
	})
	if err != nil {
		t.Fatalf("ovn-controller did not settle: %v", err)
	}

	sbList := func(table string) ([]dbRow, error) {
		out, err := central.Sbctl("--format=json", "list", table)
		if err != nil {
			return nil, err
		}
		return parseDBList(out)
	}
	ovsList := func(table string) ([]dbRow, error) {
		out, err := ch.Vsctl("--format=json", "list", table)
		if err != nil {
			return nil, err
		}
		return parseDBList(out)
	}
	in, err := gatherInput("hv1", sbList, ovsList)
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, f := range Compute(in) {
		mine = append(mine, normalizeDumpLine(f.String(), nil))
	}
	sort.Strings(mine)

	accepted := readAcceptedDiffs(t)
	missing, extra := diffSets(dump, mine)
	var bad int
	for _, m := range missing {
		if accepted["missing: "+stripCookie(m)] {
			continue
		}
		bad++
		t.Errorf("ovn-controller has, Compute lacks:\n  %s", m)
	}
	for _, e := range extra {
		if accepted["extra: "+stripCookie(e)] {
			continue
		}
		bad++
		t.Errorf("Compute has, ovn-controller lacks:\n  %s", e)
	}
	t.Logf("compared %d ovn-controller flows with %d computed flows, %d unaccepted differences", len(dump), len(mine), bad)
	if len(dump) < 40 {
		t.Errorf("only %d physical flows dumped: topology not realised", len(dump))
	}
}

// buildTopology creates, in NB: ls1 with two local VIFs (vm1 with port
// security and a nested container c1), a localport, a VIF to be bound on
// a fake remote chassis (vm3), a router lr0 and a provider switch "public"
// with a tagged localnet port, lr0's gateway port on hv1.
func buildTopology(c *sandbox.Central) {
	nb := c.MustNbctl
	nb("ls-add", "ls1")
	nb("lsp-add", "ls1", "vm1", "--", "lsp-set-addresses", "vm1", "00:00:00:00:01:01 10.0.0.11",
		"--", "lsp-set-port-security", "vm1", "00:00:00:00:01:01 10.0.0.11")
	nb("lsp-add", "ls1", "vm2", "--", "lsp-set-addresses", "vm2", "00:00:00:00:01:02 10.0.0.12 fd00::12")
	nb("lsp-add", "ls1", "vm3", "--", "lsp-set-addresses", "vm3", "00:00:00:00:01:03 10.0.0.13")
	nb("lsp-add", "ls1", "lp1", "--", "lsp-set-type", "lp1", "localport",
		"--", "lsp-set-addresses", "lp1", "00:00:00:00:01:04 10.0.0.2")
	nb("lsp-add", "ls1", "c1", "vm1", "10", "--", "lsp-set-addresses", "c1", "00:00:00:00:01:08 10.0.0.18")

	nb("lr-add", "lr0")
	nb("lrp-add", "lr0", "lr0-ls1", "00:00:00:00:ff:01", "10.0.0.1/24")
	nb("lsp-add", "ls1", "ls1-lr0", "--", "lsp-set-type", "ls1-lr0", "router",
		"--", "lsp-set-addresses", "ls1-lr0", "router", "--", "lsp-set-options", "ls1-lr0", "router-port=lr0-ls1")

	nb("ls-add", "public")
	nb("lrp-add", "lr0", "lr0-public", "00:00:00:00:ff:02", "172.16.0.1/24")
	nb("lsp-add", "public", "public-lr0", "--", "lsp-set-type", "public-lr0", "router",
		"--", "lsp-set-addresses", "public-lr0", "router", "--", "lsp-set-options", "public-lr0", "router-port=lr0-public")
	nb("lrp-set-gateway-chassis", "lr0-public", "hv1", "10")
	nb("lsp-add", "public", "ln-public", "--", "lsp-set-type", "ln-public", "localnet",
		"--", "lsp-set-addresses", "ln-public", "unknown", "--", "lsp-set-options", "ln-public", "network_name=physnet1",
		"--", "set", "Logical_Switch_Port", "ln-public", "tag_request=100")
}

var reTable = regexp.MustCompile(`table=(\d+)`)

// dumpPhysical dumps br-int and keeps the physical tables, normalized.
func dumpPhysical(ch *sandbox.Chassis) ([]string, error) {
	out, err := ch.Ofctl("br-int", "dump-flows", "--no-stats", "--no-names")
	if err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "OFPST_FLOW") || strings.HasPrefix(l, "NXST_FLOW") {
			continue
		}
		l = normalizeDumpLine(l, nil)
		if !physicalTables[tableOf(l)] {
			continue
		}
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return lines, sc.Err()
}

// diffSets returns the lines only in want (missing) and only in got (extra).
func diffSets(want, got []string) (missing, extra []string) {
	w := map[string]int{}
	for _, l := range want {
		w[l]++
	}
	for _, l := range got {
		if w[l] > 0 {
			w[l]--
			continue
		}
		extra = append(extra, l)
	}
	for _, l := range want {
		if w[l] > 0 {
			w[l]--
			missing = append(missing, l)
		}
	}
	return missing, extra
}

var reCookie = regexp.MustCompile(`^cookie=0x[0-9a-f]+, `)

// stripCookie drops the cookie (row UUIDs change from run to run).
func stripCookie(l string) string { return reCookie.ReplaceAllString(l, "") }

// readAcceptedDiffs reads testdata/accepted-diffs.txt: lines
// "missing: <flow without cookie>" or "extra: <flow without cookie>", each
// preceded by a "# reason" comment.
func readAcceptedDiffs(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "accepted-diffs.txt"))
	if err != nil {
		t.Fatalf("read accepted diffs: %v", err)
	}
	acc := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		acc[l] = true
	}
	return acc
}
