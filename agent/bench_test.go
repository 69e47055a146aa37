package agent_test

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// benchScale sets the size of BenchmarkTakeOver's topology:
// CHASSISD_BENCH_PORTS ports in total (default 400), spread over four
// Neutron-style networks behind one router, one in eight bound here.
func benchScale() int {
	if v, err := strconv.Atoi(os.Getenv("CHASSISD_BENCH_PORTS")); err == nil && v >= 8 {
		return v
	}
	return 400
}

// buildLargeTopology creates sandbox.BuildNeutronScale's topology and binds
// one port in eight to this chassis (dummy interfaces), the others to a fake
// remote chassis.
func buildLargeTopology(b testing.TB, c *sandbox.Central, ch *sandbox.Chassis, ports int) {
	names, err := c.BuildNeutronScale(ports)
	if err != nil {
		b.Fatal(err)
	}
	c.MustSbctl("chassis-add", "hvremote", "geneve", "172.16.0.2")
	var vsctl, sbctl []string
	for i, name := range names {
		if i%8 == 0 {
			vsctl = append(vsctl, "--", "add-port", "br-int", "t"+name, "--", "set", "Interface", "t"+name,
				"type=dummy", "external_ids:iface-id="+name)
		} else {
			sbctl = append(sbctl, "--", "lsp-bind", name, "hvremote")
		}
	}
	c.MustSbctl(sbctl[1:]...)
	ch.MustVsctl(vsctl[1:]...)
}

// peakRSS is a process's high-water resident set size in MiB.
func peakRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkTakeOver measures, for ovn-controller and then chassisd on the
// same chassis and Southbound database, the time from starting the agent on
// an empty br-int until `ovn-nbctl --wait=hv sync` returns (that is, until
// the agent reports the flows of the current state as installed), the
// latency of one ACL added with --wait=hv (an incremental change), and the
// agent's peak memory. Run it with hack/bench.sh.
func BenchmarkTakeOver(b *testing.B) {
	central := sandbox.NewCentral(b, sandbox.CentralOptions{})
	ch := central.NewChassis(b, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "172.16.0.1", "geneve")
	ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev")
	chassisdBin := sandbox.BuildBinary(b, "github.com/chassisd/chassisd/cmd/chassisd")

	ports := benchScale()
	// The first run lets the reference register the chassis and create br-int.
	ch.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := central.WaitChassis("hv1"); err != nil {
		b.Fatal(err)
	}
	buildLargeTopology(b, central, ch, ports)
	central.MustNbctl("--wait=hv", "--timeout=300", "sync")
	if err := ch.ExitAgent(true); err != nil {
		b.Fatal(err)
	}

	measure := func(spec sandbox.AgentSpec) (time.Duration, time.Duration, float64, int) {
		for _, what := range []string{"del-flows", "del-groups", "del-meters"} {
			ch.MustOfctl("br-int", what)
		}
		start := time.Now()
		ch.MustStartAgent(spec)
		central.MustNbctl("--wait=hv", "--timeout=300", "sync")
		elapsed := time.Since(start)
		// One incremental change: a new ACL on the security group.
		start = time.Now()
		central.MustNbctl("--wait=hv", "--timeout=300", "acl-add", "sg_default", "to-lport", "1002",
			"outport == @sg_default && ip4 && tcp.dst == 8443", "allow-related")
		change := time.Since(start)
		central.MustNbctl("--wait=hv", "--timeout=300", "acl-del", "sg_default", "to-lport", "1002",
			"outport == @sg_default && ip4 && tcp.dst == 8443")
		rss := peakRSS(ch.AgentPid())
		flows := strings.Count(ch.MustOfctl("br-int", "dump-flows", "--no-stats"), "\n")
		if err := ch.ExitAgent(true); err != nil {
			b.Fatal(err)
		}
		return elapsed, change, rss, flows
	}
	var refT, ourT, refC, ourC []time.Duration
	var refMem, ourMem float64
	var refFlows, ourFlows int
	b.ResetTimer()
	for range b.N {
		t, c, m, f := measure(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
		refT, refC, refMem, refFlows = append(refT, t), append(refC, c), max(refMem, m), f
		t, c, m, f = measure(sandbox.AgentSpec{Kind: sandbox.AgentChassisd, Binary: chassisdBin, Env: benchEnv()})
		ourT, ourC, ourMem, ourFlows = append(ourT, t), append(ourC, c), max(ourMem, m), f
	}
	b.StopTimer()
	median := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	rt, ot := median(refT), median(ourT)
	rc, oc := median(refC), median(ourC)
	b.ReportMetric(rt.Seconds(), "ovn-controller-s")
	b.ReportMetric(ot.Seconds(), "chassisd-s")
	b.ReportMetric(ot.Seconds()/rt.Seconds(), "time-ratio")
	b.ReportMetric(rc.Seconds()*1000, "ovn-controller-acl-ms")
	b.ReportMetric(oc.Seconds()*1000, "chassisd-acl-ms")
	b.ReportMetric(refMem, "ovn-controller-MiB")
	b.ReportMetric(ourMem, "chassisd-MiB")
	b.ReportMetric(float64(refFlows), "ovn-controller-flows")
	b.ReportMetric(float64(ourFlows), "chassisd-flows")
	b.Logf("%d ports: ovn-controller %v (ACL change %v) %.0f MiB %d flows; chassisd %v (ACL change %v) %.0f MiB %d flows",
		ports, rt, rc, refMem, refFlows, ot, oc, ourMem, ourFlows)
}

// benchEnv passes CHASSISD_BENCH_GOGC to chassisd as GOGC, to see how much
// of its peak memory is garbage-collector headroom.
func benchEnv() []string {
	if v := os.Getenv("CHASSISD_BENCH_GOGC"); v != "" {
		return []string{"GOGC=" + v}
	}
	return nil
}
