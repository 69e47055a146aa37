package physical

import (
	"bufio"
	"context"
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

// physicalTables are the tables whose flows come from physical.c, i.e.
// everything Compute owns (the SB-fed helper tables 66-75 are
// agent/lflow's).
var physicalTables = map[int]bool{0: true, 37: true, 38: true, 39: true, 40: true, 41: true,
	64: true, 65: true}

// scenario is one topology for the differential test.
type scenario struct {
	name           string
	encapType      string
	bridgeMappings []string
	providers      []string // provider bridges to create
	// build creates the NB topology (and SB fakes that must exist before the
	// agent starts); after runs once ovn-controller has bound the VIFs.
	build func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis)
	after func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis)
	vifs  []string // OVS dummy interfaces with iface-id = name
	up    []string // ports that must be up on hv1
	// ready reports whether ovn-controller has created everything the
	// scenario expects (tunnels, patch ports).
	ready func(ch *sandbox.Chassis) (bool, error)
	// minFlows guards against an unrealised topology.
	minFlows int
	// expect are substrings that must occur in ovn-controller's dump: the
	// features the scenario is meant to exercise.
	expect []string
	// expectRE are regular expressions that must match a line of the dump.
	expectRE []string
	// churn, when set, changes the topology after the first comparison;
	// ovn-controller applies it incrementally, Compute from scratch, and
	// the two are compared again. churnReady tells when it is applied.
	churn      func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis)
	churnReady func(ch *sandbox.Chassis) (bool, error)
}

// TestDifferentialOVNController builds topologies with the real ovn-northd
// and ovn-controller 23.03, reads SB and OVS back into Input, and compares
// Compute's flows with ovn-controller's physical tables.
func TestDifferentialOVNController(t *testing.T) {
	if testing.Short() {
		t.Skip("starts OVS and OVN daemons")
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, sc) })
	}
}

func runScenario(t *testing.T, sc scenario) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "192.168.0.1", sc.encapType, sc.bridgeMappings...)
	for _, br := range sc.providers {
		if err := ch.AddBridge(br); err != nil {
			t.Fatal(err)
		}
	}
	sc.build(t, central, ch)
	if err := central.WaitSync(); err != nil {
		t.Fatal(err)
	}

	ch.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := ch.WaitBridge("br-int"); err != nil {
		t.Fatal(err)
	}
	for _, vif := range sc.vifs {
		if err := ch.AddVIF(vif, "dummy", vif); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range sc.up {
		if err := central.WaitPortUp(p, "hv1"); err != nil {
			t.Fatal(err)
		}
	}
	if sc.after != nil {
		sc.after(t, central, ch)
	}

	accepted := readAcceptedDiffs(t)
	dump := settle(t, ch, sc.ready)
	checkExercised(t, sc, dump)
	flows := compareWithCompute(t, central, ch, dump, accepted, "Compute", false)

	if sc.churn != nil {
		sc.churn(t, central, ch)
		dump = settle(t, ch, sc.churnReady)
		flows = compareWithCompute(t, central, ch, dump, accepted, "Compute after churn", true)
	}

	// Then replace ovn-controller: empty br-int, install the computed flows
	// through openflow/ofctrl and check that the switch reports them exactly
	// as it reported ovn-controller's (this checks the wire encoding too).
	if err := ch.StopAgent(); err != nil {
		t.Fatalf("stop ovn-controller: %v", err)
	}
	if _, err := ch.Ofctl("br-int", "del-flows"); err != nil {
		t.Fatal(err)
	}
	if left, err := dumpPhysical(ch); err != nil || len(left) != 0 {
		t.Fatalf("br-int not empty after del-flows (%d flows): %v", len(left), err)
	}
	installed := installAndDump(t, ch, flows)
	bad := reportDiff(t, accepted, dump, installed, "installed", sc.churn != nil)
	t.Logf("after installing the computed flows: %d flows, %d unaccepted differences", len(installed), bad)
}

// settle waits until ready (if set) holds and ovn-controller's physical
// flows are unchanged twice in a row, and returns them.
func settle(t *testing.T, ch *sandbox.Chassis, ready func(*sandbox.Chassis) (bool, error)) []string {
	t.Helper()
	var dump []string
	err := sandbox.Eventually(20*time.Second, func() (bool, error) {
		if ready != nil {
			if ok, err := ready(ch); !ok || err != nil {
				return false, err
			}
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
	return dump
}

// compareWithCompute gathers Input from the databases, computes the flows,
// compares them with ovn-controller's dump and returns them.
func compareWithCompute(t *testing.T, central *sandbox.Central, ch *sandbox.Chassis, dump []string, accepted map[string]bool, what string, afterChurn bool) []ofctrl.Flow {
	t.Helper()
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
	flows := Compute(in)
	var mine []string
	for _, f := range flows {
		mine = append(mine, normalizeDumpLine(f.String(), nil))
	}
	sort.Strings(mine)
	bad := reportDiff(t, accepted, dump, mine, what, afterChurn)
	t.Logf("%s: compared %d ovn-controller flows with %d computed flows, %d unaccepted differences", what, len(dump), len(mine), bad)
	return flows
}

// checkExercised checks that ovn-controller's dump shows what the scenario
// is meant to exercise.
func checkExercised(t *testing.T, sc scenario, dump []string) {
	t.Helper()
	all := strings.Join(dump, "\n")
	for _, e := range sc.expect {
		if !strings.Contains(all, e) {
			t.Errorf("ovn-controller's dump lacks %q: the scenario does not exercise it", e)
		}
	}
	for _, e := range sc.expectRE {
		if !regexp.MustCompile("(?m)" + e).MatchString(all) {
			t.Errorf("ovn-controller's dump has no line matching %q: the scenario does not exercise it", e)
		}
	}
	if len(dump) < sc.minFlows {
		t.Errorf("only %d physical flows dumped (want >= %d): topology not realised", len(dump), sc.minFlows)
	}
}

// reportDiff reports the differences between ovn-controller's flows and
// ours that accepted-diffs.txt does not list, and returns their number.
func reportDiff(t *testing.T, accepted map[string]bool, theirs, ours []string, what string, afterChurn bool) int {
	t.Helper()
	missing, extra := diffSets(theirs, ours)
	n := len(missing)
	missing, extra = dropAmbiguous(accepted, missing, extra)
	if d := n - len(missing); d > 0 {
		t.Logf("%s: %d flow(s) differ only where ovn-controller's choice is ambiguous (accepted)", what, d)
	}
	var bad int
	var stale []*regexp.Regexp
	for k := range accepted {
		if re, ok := strings.CutPrefix(k, "stale: "); ok {
			stale = append(stale, regexp.MustCompile(re))
		}
	}
	isStale := func(l string) bool {
		for _, re := range stale {
			if re.MatchString(l) {
				return true
			}
		}
		return false
	}
	for _, m := range missing {
		if accepted["missing: "+stripCookie(m)] {
			continue
		}
		if afterChurn && isStale(stripCookie(m)) {
			t.Logf("%s: accepted stale ovn-controller flow: %s", what, m)
			continue
		}
		bad++
		t.Errorf("ovn-controller has, %s lacks:\n  %s", what, m)
	}
	for _, e := range extra {
		if accepted["extra: "+stripCookie(e)] {
			continue
		}
		bad++
		t.Errorf("%s has, ovn-controller lacks:\n  %s", what, e)
	}
	return bad
}

// installAndDump makes br-int's flows equal to flows with openflow/ofctrl
// and dumps the physical tables.
func installAndDump(t *testing.T, ch *sandbox.Chassis, flows []ofctrl.Flow) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctl := ofctrl.New(ch.Mgmt("br-int"))
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	v := ctl.SetFlows(flows)
	if err := ctl.WaitInstalled(ctx, v); err != nil {
		t.Fatalf("install computed flows: %v", err)
	}
	for _, r := range ctl.Rejections() {
		t.Errorf("switch rejected a computed flow: %+v", r)
	}
	out, err := dumpPhysical(ch)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hasInterfaces reports whether br-int's OVS DB has interfaces of type typ
// whose names contain each of names.
func hasInterfaces(ch *sandbox.Chassis, typ string, names ...string) (bool, error) {
	out, err := ch.Vsctl("--bare", "--columns=name", "find", "Interface", "type="+typ)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if !strings.Contains(out, n) {
			return false, nil
		}
	}
	return strings.TrimSpace(out) != "", nil
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

// dropAmbiguous removes pairs of differing flows that share a (table,
// priority, match) key listed as "ambiguous: <regexp>" in
// accepted-diffs.txt: ovn-controller keeps whichever of several candidate
// flows it generated first, in an order that depends on its hash tables.
func dropAmbiguous(accepted map[string]bool, missing, extra []string) ([]string, []string) {
	var res []*regexp.Regexp
	for k := range accepted {
		if re, ok := strings.CutPrefix(k, "ambiguous: "); ok {
			res = append(res, regexp.MustCompile(re))
		}
	}
	isAmbiguous := func(key string) bool {
		for _, re := range res {
			if re.MatchString(key) {
				return true
			}
		}
		return false
	}
	extraKeys := map[string]int{}
	for _, e := range extra {
		extraKeys[flowKeyText(e)]++
	}
	var keptMissing []string
	paired := map[string]int{}
	for _, m := range missing {
		k := flowKeyText(m)
		if isAmbiguous(k) && extraKeys[k] > paired[k] {
			paired[k]++
			continue
		}
		keptMissing = append(keptMissing, m)
	}
	var keptExtra []string
	for _, e := range extra {
		k := flowKeyText(e)
		if paired[k] > 0 {
			paired[k]--
			continue
		}
		keptExtra = append(keptExtra, e)
	}
	return keptMissing, keptExtra
}

// readAcceptedDiffs reads testdata/accepted-diffs.txt: lines
// "missing: <flow without cookie>", "extra: <flow without cookie>",
// "ambiguous: <regexp on table, priority and match>" or "stale: <regexp on
// a flow without cookie>" (a flow ovn-controller leaves behind; accepted
// only after churn), each preceded by a "# reason" comment.
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
