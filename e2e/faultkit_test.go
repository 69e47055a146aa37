package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// The fault suite's tools: a two-chassis Neutron-style setup with traffic
// across a geneve tunnel and across a router, probes that count every lost
// reply, flow snapshots to find missing and stale flows, and a report row
// per fault.

// faultEnv: net1 192.168.101.0/24 with vm1 on hv1 and vm2 on hv2; net2
// 192.168.102.0/24 with vm3 on hv2, joined to net1 by router r1. vm1 -> vm2
// crosses the geneve tunnel; vm1 -> vm3 crosses the tunnel and the router.
type faultEnv struct {
	tp            *Topology
	hv1, hv2      *Node
	vm1, vm2, vm3 *VM
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	tp := NewTopology(t)
	e := &faultEnv{tp: tp}
	e.hv1 = tp.AddNode("hv1")
	e.hv2 = tp.AddNode("hv2")
	net1 := neutronNetwork(t, tp, "fa010000-0000-0000-0000-000000000001", "fault-net1", "1442")
	net2 := neutronNetwork(t, tp, "fa020000-0000-0000-0000-000000000002", "fault-net2", "1442")
	neutronPort(t, tp, net1, "f-vm1", "fa:16:3e:fa:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, net1, "f-vm2", "fa:16:3e:fa:00:02", "192.168.101.12", "hv2")
	neutronPort(t, tp, net2, "f-vm3", "fa:16:3e:fa:00:03", "192.168.102.13", "hv2")
	tp.Central.MustNbctl("lr-add", "r1",
		"--", "lrp-add", "r1", "r1-net1", "fa:16:3e:fa:ff:01", "192.168.101.254/24",
		"--", "lsp-add", net1, "rp-net1", "--", "lsp-set-type", "rp-net1", "router",
		"--", "lsp-set-addresses", "rp-net1", "router", "--", "lsp-set-options", "rp-net1", "router-port=r1-net1",
		"--", "lrp-add", "r1", "r1-net2", "fa:16:3e:fa:ff:02", "192.168.102.254/24",
		"--", "lsp-add", net2, "rp-net2", "--", "lsp-set-type", "rp-net2", "router",
		"--", "lsp-set-addresses", "rp-net2", "router", "--", "lsp-set-options", "rp-net2", "router-port=r1-net2")
	must(t, tp.Central.WaitSync())
	e.vm1 = e.hv1.AddVM("fvm1", "f-vm1", "fa:16:3e:fa:00:01", "192.168.101.11/24", 1442, "192.168.101.254")
	e.vm2 = e.hv2.AddVM("fvm2", "f-vm2", "fa:16:3e:fa:00:02", "192.168.101.12/24", 1442, "192.168.101.254")
	e.vm3 = e.hv2.AddVM("fvm3", "f-vm3", "fa:16:3e:fa:00:03", "192.168.102.13/24", 1442, "192.168.102.254")
	must(t, e.hv1.WaitTunnel("hv2"))
	if err := e.vm1.PingEventually(e.vm2.IP, settle); err != nil {
		t.Fatalf("vm1 -> vm2 before any fault: %v", err)
	}
	if err := e.vm1.PingEventually(e.vm3.IP, settle); err != nil {
		t.Fatalf("vm1 -> vm3 through r1 before any fault: %v", err)
	}
	return e
}

// probeInterval is the spacing of probe pings: a loss of one reply is a
// gap of 50 ms.
const probeInterval = 50 * time.Millisecond

// probe is a continuous ping whose every reply is accounted for.
type probe struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuilder
	done chan struct{}
}

func startProbe(t *testing.T, name string, from *VM, ip string) *probe {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", from.NS.Name, "busybox", "ping", "-i",
		strconv.FormatFloat(probeInterval.Seconds(), 'f', 3, 64), "-W", "2", ip)
	p := &probe{name: name, cmd: cmd, out: &syncBuilder{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start probe %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.done })
	return p
}

var seqRE = regexp.MustCompile(`seq=(\d+) `)

// probeResult counts a probe's replies.
type probeResult struct {
	Sent, Lost int
	MaxGap     time.Duration // longest run of lost replies
}

// stop interrupts the ping (letting late replies arrive first) and counts
// the requests that got no reply.
func (p *probe) stop() (probeResult, error) {
	time.Sleep(300 * time.Millisecond)
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	out := p.out.String()
	var r probeResult
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "packets transmitted") {
			fmt.Sscanf(strings.TrimSpace(line), "%d packets transmitted", &r.Sent)
		}
	}
	if r.Sent == 0 {
		return r, fmt.Errorf("probe %s: no statistics in %q", p.name, out)
	}
	got := map[int]bool{}
	for _, m := range seqRE.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		got[n] = true
	}
	run := 0
	for seq := 0; seq < r.Sent; seq++ {
		if got[seq] {
			run = 0
			continue
		}
		r.Lost++
		run++
		if d := time.Duration(run) * probeInterval; d > r.MaxGap {
			r.MaxGap = d
		}
	}
	return r, nil
}

// flowSet is br-int's flows without statistics or cookies, as a set.
type flowSet map[string]bool

var cookieRE = regexp.MustCompile(`^cookie=0x[0-9a-f]+, `)

func dumpFlowSet(node *Node) (flowSet, error) {
	out, err := node.Ofctl("br-int", "dump-flows", "--no-stats")
	if err != nil {
		return nil, err
	}
	s := flowSet{}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "NXST_") || strings.HasPrefix(l, "OFPST_") {
			continue
		}
		// Flows ovs-vswitchd learns (learn actions) carry timeouts and
		// come and go with traffic.
		if strings.Contains(l, "idle_timeout=") || strings.Contains(l, "hard_timeout=") {
			continue
		}
		s[cookieRE.ReplaceAllString(l, "")] = true
	}
	return s, nil
}

// diff counts flows of want missing from s and flows of s not in want.
func (s flowSet) diff(want flowSet) (missing, stale int) {
	for f := range want {
		if !s[f] {
			missing++
		}
	}
	for f := range s {
		if !want[f] {
			stale++
		}
	}
	return missing, stale
}

// waitFlows polls both nodes until their flows equal the baselines (or
// timeout) and returns how long that took from start, with the last
// difference.
func waitFlows(nodes []*Node, want []flowSet, start time.Time, timeout time.Duration) (time.Duration, int, int) {
	var missing, stale int
	deadline := time.Now().Add(timeout)
	for {
		missing, stale = 0, 0
		for i, n := range nodes {
			got, err := dumpFlowSet(n)
			if err != nil {
				missing += len(want[i])
				continue
			}
			m, s := got.diff(want[i])
			missing += m
			stale += s
		}
		if missing == 0 && stale == 0 {
			return time.Since(start), 0, 0
		}
		if time.Now().After(deadline) {
			return -1, missing, stale
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// flowWatch samples a node's flow count while a fault runs, to catch a
// flush that a before/after comparison would miss.
type flowWatch struct {
	stopc chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	min   int
}

func watchFlowCount(node *Node) *flowWatch {
	w := &flowWatch{stopc: make(chan struct{}), done: make(chan struct{}), min: -1}
	go func() {
		defer close(w.done)
		for {
			if s, err := dumpFlowSet(node); err == nil {
				w.mu.Lock()
				if w.min < 0 || len(s) < w.min {
					w.min = len(s)
				}
				w.mu.Unlock()
			}
			select {
			case <-w.stopc:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *flowWatch) stop() int {
	close(w.stopc)
	<-w.done
	return w.min
}

// faultRow is one line of the fault table.
type faultRow struct {
	Fault          string
	Geneve, Router probeResult
	Converge       time.Duration // -1: did not converge
	Missing, Stale int
	Note           string
}

func (r faultRow) String() string {
	conv := "never"
	if r.Converge >= 0 {
		conv = r.Converge.Round(10 * time.Millisecond).String()
	}
	return fmt.Sprintf("| %s | %d/%d (gap %v) | %d/%d (gap %v) | %s | %d / %d | %s |", r.Fault,
		r.Geneve.Lost, r.Geneve.Sent, r.Geneve.MaxGap, r.Router.Lost, r.Router.Sent, r.Router.MaxGap,
		conv, r.Missing, r.Stale, r.Note)
}

const faultTableHeader = "| fault | lost across geneve | lost across router | converged after | flows missing / stale | note |\n|---|---|---|---|---|---|"

// reportFaults logs the table and appends it to $CHASSISD_FAULT_REPORT.
func reportFaults(t *testing.T, agent string, rows []faultRow) {
	var b strings.Builder
	fmt.Fprintf(&b, "agent: %s\n%s\n", agent, faultTableHeader)
	for _, r := range rows {
		b.WriteString(r.String() + "\n")
	}
	t.Logf("fault table:\n%s", b.String())
	if path := os.Getenv("CHASSISD_FAULT_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s: %s\n", t.Name(), b.String())
			f.Close()
		}
	}
}

// agentPanics counts Go panics and fatal errors in a node's agent log.
func agentPanics(node *Node) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(node.AgentLog()))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") {
			n++
		}
	}
	return n
}

// rssKB is a process's resident memory.
func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return -1
}

// newTopologyWith is NewTopology with a central built from opts (a
// clustered Southbound, ...).
func newTopologyWith(t *testing.T, opts sandbox.CentralOptions) *Topology {
	t.Helper()
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("end-to-end suite disabled; set %s=1 to run it", EnableEnv)
	}
	sandbox.RequireRoot(t)
	sandbox.Require(t, []string{"ip", "ethtool", "busybox", "ovn-nbctl"})
	agent := agentSpec(t)
	central := sandbox.NewCentral(t, opts)
	ul := sandbox.NewNetns(t, uniq("ul"))
	mustRun(t, ul.Exec, "ip", "link", "add", "br-ul", "type", "bridge")
	mustRun(t, ul.Exec, "ip", "link", "set", "br-ul", "up")
	return &Topology{t: t, Central: central, Underlay: ul, Agent: agent}
}

// connectedSBMember finds which member of a clustered SB the node's agent
// is connected to, from its log (the last "connected" line naming one).
func connectedSBMember(node *Node, c *sandbox.Central, members int) int {
	log := node.AgentLog()
	best, at := -1, -1
	for i := range members {
		sock := strings.TrimPrefix(c.SBMemberRemote(i), "unix:")
		for _, l := range []string{"endpoint=unix:" + sock, sock + ": connected"} {
			if j := strings.LastIndex(log, l); j > at {
				best, at = i, j
			}
		}
	}
	return best
}
