package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// EnableEnv must be "1" for the suite to run.
const EnableEnv = "CHASSISD_E2E"

// AgentArgsEnv adds space-separated flags to the agent's command line.
const AgentArgsEnv = "CHASSISD_E2E_AGENT_ARGS"

// underlayPrefix is the underlay subnet; chassis n gets .n.
const underlayPrefix = "172.31.255."

// Topology is one end-to-end setup: a central, an underlay and chassis.
type Topology struct {
	t        testing.TB
	Central  *sandbox.Central
	Underlay *sandbox.Netns
	// Agent is what the nodes run (see AgentFor for mixed mode).
	Agent sandbox.AgentSpec
	// Mixed puts chassisd on the first node and ovn-controller on the
	// others, to check that the two interoperate.
	Mixed bool
	Nodes []*Node
}

// Node is a chassis on the underlay.
type Node struct {
	*sandbox.Chassis
	// SystemID is the chassis name in SB; UnderlayIP its encap IP.
	SystemID   string
	UnderlayIP string
	topo       *Topology
	vmCount    int
	stateSaved bool
}

// VM is a network namespace with one interface (eth0) plugged into br-int.
type VM struct {
	Name string
	NS   *sandbox.Netns
	Node *Node
	// LogicalPort is the iface-id; OVSPort the veth end on br-int.
	LogicalPort, OVSPort string
	MAC, IP              string
}

// NewTopology starts a central and an empty underlay (a Linux bridge in its
// own namespace). It skips the test unless CHASSISD_E2E=1.
func NewTopology(t testing.TB) *Topology {
	t.Helper()
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("end-to-end suite disabled; set %s=1 to run it", EnableEnv)
	}
	sandbox.RequireRoot(t)
	sandbox.Require(t, []string{"ip", "ethtool", "busybox", "ovn-nbctl"})
	mixed := os.Getenv(sandbox.AgentEnv) == MixedAgents
	if mixed {
		t.Setenv(sandbox.AgentEnv, string(sandbox.AgentChassisd))
	}
	agent := agentSpec(t)
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ul := sandbox.NewNetns(t, uniq("ul"))
	mustRun(t, ul.Exec, "ip", "link", "add", "br-ul", "type", "bridge")
	mustRun(t, ul.Exec, "ip", "link", "set", "br-ul", "up")
	return &Topology{t: t, Central: central, Underlay: ul, Agent: agent, Mixed: mixed}
}

// MixedAgents as CHASSISD_E2E_AGENT runs chassisd on the first node and the
// real ovn-controller on the others.
const MixedAgents = "mixed"

// AgentFor is the agent node number n (0-based) runs.
func (tp *Topology) AgentFor(n int) sandbox.AgentSpec {
	if tp.Mixed && n > 0 {
		return sandbox.AgentSpec{Kind: sandbox.AgentOVNController}
	}
	return tp.Agent
}

// agentSpec resolves the agent from the environment, building chassisd from
// this repository when it is selected and CHASSISD_BIN is not set.
func agentSpec(t testing.TB) sandbox.AgentSpec {
	t.Helper()
	kind, err := sandbox.AgentKindFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	spec := sandbox.AgentSpec{Kind: kind}
	if args := strings.Fields(os.Getenv(AgentArgsEnv)); len(args) > 0 {
		spec.Args = args
	}
	switch kind {
	case sandbox.AgentOVNController:
		sandbox.Require(t, []string{"ovn-controller"})
	case sandbox.AgentChassisd:
		spec.Binary = os.Getenv(sandbox.ChassisdBinEnv)
		if spec.Binary == "" {
			bin, err := buildChassisd()
			if err != nil {
				t.Fatal(err)
			}
			spec.Binary = bin
		}
	}
	return spec
}

// The chassisd binary is built once per test process; TestMain removes it.
var (
	chassisdBuild struct {
		once sync.Once
		dir  string
		bin  string
		err  error
	}
)

func buildChassisd() (string, error) {
	b := &chassisdBuild
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "chassisd-e2e-")
		if b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "chassisd")
		goBin := "go"
		if _, err := exec.LookPath(goBin); err != nil {
			goBin = "/usr/local/go/bin/go"
		}
		if out, err := exec.Command(goBin, "build", "-o", b.bin, "github.com/chassisd/chassisd/cmd/chassisd").CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build chassisd: %w\n%s", err, out)
		}
	})
	return b.bin, b.err
}

// removeBuilds deletes what buildChassisd built.
func removeBuilds() {
	if chassisdBuild.dir != "" {
		_ = os.RemoveAll(chassisdBuild.dir)
	}
}

// AddNode starts a chassis named name in its own namespace, wires it to the
// underlay with encap IP 172.31.255.<n> on br-phy, configures it for OVN
// (geneve unless encapType says otherwise), starts the agent and waits for
// its Chassis row and br-int.
func (tp *Topology) AddNode(name string, bridgeMappings ...string) *Node {
	return tp.AddNodeWithEncap(name, "geneve", bridgeMappings...)
}

// AddNodeWithEncap is AddNode with an explicit ovn-encap-type.
func (tp *Topology) AddNodeWithEncap(name, encapType string, bridgeMappings ...string) *Node {
	tp.t.Helper()
	return tp.addNode(name, encapType, tp.AgentFor(len(tp.Nodes)), bridgeMappings)
}

// AddNodeWithAgent is AddNode with an explicit agent (e.g. the reference
// ovn-controller on a node that a test later hands over to chassisd).
func (tp *Topology) AddNodeWithAgent(name string, agent sandbox.AgentSpec, bridgeMappings ...string) *Node {
	tp.t.Helper()
	return tp.addNode(name, "geneve", agent, bridgeMappings)
}

func (tp *Topology) addNode(name, encapType string, agent sandbox.AgentSpec, bridgeMappings []string) *Node {
	t := tp.t
	t.Helper()
	n := len(tp.Nodes) + 1
	ch := tp.Central.NewChassis(t, sandbox.ChassisOptions{Name: name})
	node := &Node{Chassis: ch, SystemID: name, UnderlayIP: fmt.Sprintf("%s%d", underlayPrefix, n), topo: tp}
	// Runs before the chassis is stopped (cleanups run last-in first-out).
	t.Cleanup(func() {
		if t.Failed() {
			node.saveStateOnce()
		}
	})

	// Underlay: veth "ul-<name>" on br-ul, its peer "eth-ul" in the chassis
	// namespace as the only port of br-phy, which carries the encap IP so
	// that userspace tunnelling finds a route and resolves neighbours.
	ulEnd := ifName("ul-", name)
	mustRun(t, tp.Underlay.Exec, "ip", "link", "add", ulEnd, "type", "veth", "peer", "name", "eth-ul", "netns", ch.Netns())
	mustRun(t, tp.Underlay.Exec, "ip", "link", "set", ulEnd, "master", "br-ul", "up")
	mustRun(t, ch.Exec, "ip", "link", "set", "eth-ul", "up")
	mustRun(t, ch.Exec, "ethtool", "-K", "eth-ul", "tx", "off")
	mustRun(t, tp.Underlay.Exec, "ethtool", "-K", ulEnd, "tx", "off")
	must(t, ch.AddBridge("br-phy"))
	must(t, ch.AddPort("br-phy", "eth-ul", "", nil))
	must(t, ch.WaitBridge("br-phy"))
	mustRun(t, ch.Exec, "ip", "addr", "add", node.UnderlayIP+"/24", "dev", "br-phy")
	mustRun(t, ch.Exec, "ip", "link", "set", "br-phy", "up")

	// Provider bridges exist before the agent starts, as in a deployment.
	for _, m := range bridgeMappings {
		if _, br, ok := strings.Cut(m, ":"); ok && br != "" {
			must(t, ch.AddBridge(br))
		}
	}
	must(t, ch.Configure(name, node.UnderlayIP, encapType, bridgeMappings...))
	must(t, ch.StartAgent(agent))
	must(t, tp.Central.WaitChassis(name))
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		out, err := ch.Vsctl("list-br")
		return strings.Contains(out, "br-int"), err
	}); err != nil {
		t.Fatalf("%s: agent did not create br-int: %v", name, err)
	}
	must(t, ch.WaitBridge("br-int"))
	tp.Nodes = append(tp.Nodes, node)
	return node
}

// AddVM creates a VM namespace on node with eth0 (mac, cidr such as
// "192.168.101.11/24" or "" for none, e.g. to use DHCP; mtu; gw may be
// empty) plugged into br-int as logical port lport, and waits until the
// port is up in SB.
func (node *Node) AddVM(name, lport, mac, cidr string, mtu int, gw string) *VM {
	tp := node.topo
	t := tp.t
	t.Helper()
	node.vmCount++
	ns := sandbox.NewNetns(t, uniq(name))
	// IPv4 only: no IPv6 autoconfiguration chatter in captures (best effort:
	// kernels without IPv6 have no such knob).
	_, _ = ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	ovsPort := ifName("vif-", name)
	mustRun(t, ns.Exec, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", ovsPort, "netns", node.Netns())
	mustRun(t, ns.Exec, "ip", "link", "set", "eth0", "address", mac, "mtu", fmt.Sprint(mtu), "up")
	mustRun(t, ns.Exec, "ethtool", "-K", "eth0", "tx", "off")
	if cidr != "" {
		mustRun(t, ns.Exec, "ip", "addr", "add", cidr, "dev", "eth0")
	}
	if gw != "" {
		mustRun(t, ns.Exec, "ip", "route", "add", "default", "via", gw)
	}
	mustRun(t, node.Exec, "ip", "link", "set", ovsPort, "mtu", fmt.Sprint(mtu), "up")
	mustRun(t, node.Exec, "ethtool", "-K", ovsPort, "tx", "off")
	must(t, node.AddVIF(ovsPort, "", lport))
	// Before the namespace goes (cleanups run last-in first-out): save the
	// node's state while the VM is still plugged, then unplug it so that
	// ovs-vswitchd does not log errors for a vanished device.
	t.Cleanup(func() {
		if t.Failed() {
			node.saveStateOnce()
		}
		_, _ = node.Vsctl("--if-exists", "del-port", ovsPort)
	})
	must(t, tp.Central.WaitPortUp(lport, node.SystemID))
	ip, _, _ := strings.Cut(cidr, "/")
	return &VM{Name: name, NS: ns, Node: node, LogicalPort: lport, OVSPort: ovsPort, MAC: mac, IP: ip}
}

// saveStateOnce writes what helps to debug a failure into the node's
// directory (kept with CHASSISD_E2E_KEEP=1): OpenFlow tables, OVS ports,
// routes. Only the first call does anything.
func (node *Node) saveStateOnce() {
	if node.stateSaved {
		return
	}
	node.stateSaved = true
	var b strings.Builder
	for _, c := range []struct {
		title string
		run   func() (string, error)
	}{
		{"ovs-vsctl show", func() (string, error) { return node.Vsctl("show") }},
		{"br-int flows", func() (string, error) { return node.Ofctl("br-int", "--names", "dump-flows", "--no-stats") }},
		{"br-int groups", func() (string, error) { return node.Ofctl("br-int", "dump-groups") }},
		{"br-int ports", func() (string, error) { return node.Ofctl("br-int", "dump-ports-desc") }},
		{"tunnel routes", func() (string, error) { return node.Appctl("ovs/route/show") }},
		{"tunnel neighbours", func() (string, error) { return node.Appctl("tnl/neigh/show") }},
	} {
		out, err := c.run()
		fmt.Fprintf(&b, "==== %s ====\n%s\n", c.title, out)
		if err != nil {
			fmt.Fprintf(&b, "(error: %v)\n", err)
		}
	}
	path := filepath.Join(node.Dir(), "state.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err == nil {
		node.topo.t.Logf("%s: OVS state saved in %s (set CHASSISD_E2E_KEEP=1 to keep it)", node.SystemID, path)
	}
}

// ProviderSegment is a physical L2 network (a Linux bridge in its own
// namespace) that chassis provider bridges and plain hosts attach to.
type ProviderSegment struct {
	NS    *sandbox.Netns
	ports int
	topo  *Topology
}

// AddProviderSegment creates an empty provider segment; hostCIDR (if not
// empty) is an address of the segment's own bridge, a host on the physical
// network that VMs on localnet networks can reach.
func (tp *Topology) AddProviderSegment(name, hostCIDR string) *ProviderSegment {
	t := tp.t
	t.Helper()
	ns := sandbox.NewNetns(t, uniq(name))
	mustRun(t, ns.Exec, "ip", "link", "add", "br-pn", "type", "bridge")
	mustRun(t, ns.Exec, "ip", "link", "set", "br-pn", "up")
	if hostCIDR != "" {
		mustRun(t, ns.Exec, "ip", "addr", "add", hostCIDR, "dev", "br-pn")
	}
	return &ProviderSegment{NS: ns, topo: tp}
}

// Attach plugs node's OVS bridge into the segment with a veth.
func (seg *ProviderSegment) Attach(node *Node, bridge string) {
	t := seg.topo.t
	t.Helper()
	seg.ports++
	segEnd := fmt.Sprintf("pn%d", seg.ports)
	nodeEnd := ifName("pn-", bridge)
	mustRun(t, seg.NS.Exec, "ip", "link", "add", segEnd, "type", "veth", "peer", "name", nodeEnd, "netns", node.Netns())
	mustRun(t, seg.NS.Exec, "ip", "link", "set", segEnd, "master", "br-pn", "up")
	mustRun(t, seg.NS.Exec, "ethtool", "-K", segEnd, "tx", "off")
	mustRun(t, node.Exec, "ip", "link", "set", nodeEnd, "up")
	mustRun(t, node.Exec, "ethtool", "-K", nodeEnd, "tx", "off")
	must(t, node.AddBridge(bridge))
	must(t, node.AddPort(bridge, nodeEnd, "", nil))
}

// PingEventually retries a ping from the segment's host until a reply
// arrives or timeout passes.
func (seg *ProviderSegment) PingEventually(ip string, timeout time.Duration) error {
	var last error
	err := sandbox.Eventually(timeout, func() (bool, error) {
		last = seg.Ping(ip, 1)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%w; last attempt: %v", err, last)
	}
	return nil
}

// Ping sends count echo requests from the segment's host address.
func (seg *ProviderSegment) Ping(ip string, count int) error {
	out, err := seg.NS.Exec("busybox", "ping", "-c", fmt.Sprint(count), "-W", "1", ip)
	if err != nil {
		return fmt.Errorf("provider host: ping %s: %w (%s)", ip, err, out)
	}
	return nil
}

// Ping sends count echo requests to ip (one second apart, waiting up to
// one second for each reply) and returns nil if any reply came back.
func (vm *VM) Ping(ip string, count int) error {
	out, err := vm.NS.Exec("busybox", "ping", "-c", fmt.Sprint(count), "-W", "1", ip)
	if err != nil {
		return fmt.Errorf("%s: ping %s: %w (%s)", vm.Name, ip, err, out)
	}
	return nil
}

// PingEventually retries Ping until a reply arrives or timeout passes (flows
// and tunnels may still be settling right after setup).
func (vm *VM) PingEventually(ip string, timeout time.Duration) error {
	var last error
	err := sandbox.Eventually(timeout, func() (bool, error) {
		last = vm.Ping(ip, 1)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%w; last attempt: %v", err, last)
	}
	return nil
}

// Arping sends ARP requests for ip from eth0 and returns the MAC address
// that answered.
func (vm *VM) Arping(ip string) (string, error) {
	out, err := vm.NS.Exec("busybox", "arping", "-c", "2", "-w", "3", "-I", "eth0", ip)
	if err != nil {
		return "", fmt.Errorf("%s: arping %s: %w (%s)", vm.Name, ip, err, out)
	}
	// "Unicast reply from 192.168.101.1 [fa:16:3e:71:9e:ad] 0.123ms"
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "["); i >= 0 && strings.Contains(line, "reply from "+ip+" ") {
			if j := strings.Index(line[i:], "]"); j > 0 {
				return strings.ToLower(line[i+1 : i+j]), nil
			}
		}
	}
	return "", fmt.Errorf("%s: arping %s: no reply in %q", vm.Name, ip, out)
}

// WaitTunnel waits until node has a tunnel port to the chassis named peer
// (ovn-chassis-id=<peer>@...).
func (node *Node) WaitTunnel(peer string) error {
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		ok, err := node.hasTunnel(peer)
		return ok, err
	}); err != nil {
		return fmt.Errorf("%s: no tunnel to %s: %w", node.SystemID, peer, err)
	}
	return nil
}

func (node *Node) hasTunnel(peer string) (bool, error) {
	ids, err := node.Vsctl("--bare", "--columns=external_ids", "find", "Port", "external_ids:ovn-chassis-id!=\"\"")
	return strings.Contains(ids, "ovn-chassis-id="+peer+"@") || strings.Contains(ids, "ovn-chassis-id=\""+peer+"@"), err
}

// WaitNoTunnel waits until node has no tunnel port to the chassis named peer.
func (node *Node) WaitNoTunnel(peer string) error {
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		ok, err := node.hasTunnel(peer)
		return !ok, err
	}); err != nil {
		return fmt.Errorf("%s: tunnel to %s still there: %w", node.SystemID, peer, err)
	}
	return nil
}

// PingFailsEventually waits until a ping to ip gets no reply (policy
// changes take a moment to reach the chassis), then checks that two more
// attempts fail too.
func (vm *VM) PingFailsEventually(ip string, timeout time.Duration) error {
	err := sandbox.Eventually(timeout, func() (bool, error) {
		return vm.Ping(ip, 1) != nil, nil
	})
	if err != nil {
		return fmt.Errorf("%s still reaches %s: %w", vm.Name, ip, err)
	}
	if vm.Ping(ip, 2) == nil {
		return fmt.Errorf("%s reached %s again after a failed ping", vm.Name, ip)
	}
	return nil
}

// Capture is a tcpdump running on a VM's eth0.
type Capture struct {
	cmd *exec.Cmd
	out *syncBuilder
}

// StartCapture starts tcpdump on eth0 with a pcap filter and waits until it
// listens.
func (vm *VM) StartCapture(filter string) (*Capture, error) {
	return startCapture(vm.NS, vm.Name, "eth0", filter)
}

// StartCapture starts tcpdump on the segment's bridge (its host side).
func (seg *ProviderSegment) StartCapture(filter string) (*Capture, error) {
	return startCapture(seg.NS, "provider host", "br-pn", filter)
}

func startCapture(ns *sandbox.Netns, who, iface, filter string) (*Capture, error) {
	vm := struct{ Name string }{who}
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "tcpdump", "-n", "-l", "--immediate-mode", "-i", iface, filter)
	out := &syncBuilder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start tcpdump: %w", vm.Name, err)
	}
	c := &Capture{cmd: cmd, out: out}
	if err := sandbox.Eventually(10*time.Second, func() (bool, error) {
		return strings.Contains(out.String(), "listening on"), nil
	}); err != nil {
		c.Stop()
		return nil, fmt.Errorf("%s: tcpdump did not start: %w (%s)", vm.Name, err, out.String())
	}
	return c, nil
}

// Stop ends the capture and returns the captured packet lines.
func (c *Capture) Stop() []string {
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	_ = c.cmd.Wait()
	var pkts []string
	for _, line := range strings.Split(c.out.String(), "\n") {
		// Packet lines start with a timestamp like "12:34:56.789012".
		if len(line) > 2 && line[2] == ':' {
			pkts = append(pkts, line)
		}
	}
	return pkts
}

// syncBuilder is a strings.Builder safe for a writer goroutine and readers.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Pinger is a ping running in the background.
type Pinger struct {
	cmd  *exec.Cmd
	out  *syncBuilder
	done chan struct{}
}

// StartPing starts sending count echo requests to ip, one every 200 ms.
// A fixed count (rather than interrupting the ping) makes every lost reply
// a real loss.
func (vm *VM) StartPing(ip string, count int) (*Pinger, error) {
	cmd := exec.Command("ip", "netns", "exec", vm.NS.Name, "busybox", "ping", "-q", "-i", "0.2", "-W", "2",
		"-c", strconv.Itoa(count), ip)
	out := &syncBuilder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start ping %s: %w", vm.Name, ip, err)
	}
	p := &Pinger{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Running reports whether the ping is still sending.
func (p *Pinger) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Wait waits for the ping to finish and returns how many requests were
// sent and how many replies came back.
func (p *Pinger) Wait() (sent, received int, err error) {
	<-p.done
	// "N packets transmitted, M packets received, X% packet loss"
	for _, line := range strings.Split(p.out.String(), "\n") {
		if strings.Contains(line, "packets transmitted") {
			if _, err := fmt.Sscanf(strings.TrimSpace(line), "%d packets transmitted, %d packets received", &sent, &received); err != nil {
				return 0, 0, fmt.Errorf("parse %q: %w", line, err)
			}
			return sent, received, nil
		}
	}
	return 0, 0, fmt.Errorf("no ping statistics in %q", p.out.String())
}

// Kill stops the ping early (cleanup).
func (p *Pinger) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// TunnelTxPackets sums the transmitted packet counters of node's tunnel
// ports to peer, read from OpenFlow port statistics (live, unlike the
// Interface statistics column).
func (node *Node) TunnelTxPackets(peer string) (uint64, error) {
	names, err := node.Vsctl("--bare", "--columns=name", "find", "Port", "external_ids:ovn-chassis-id!=\"\"")
	if err != nil {
		return 0, err
	}
	var total uint64
	found := false
	for _, name := range strings.Fields(names) {
		id, err := node.Vsctl("get", "Port", name, "external_ids:ovn-chassis-id")
		if err != nil {
			return 0, err
		}
		if !strings.HasPrefix(strings.Trim(id, `"`), peer+"@") {
			continue
		}
		found = true
		out, err := node.Ofctl("br-int", "dump-ports", name)
		if err != nil {
			return 0, err
		}
		// "           tx pkts=12, bytes=..., drop=0, errs=0, coll=0"
		for _, line := range strings.Split(out, "\n") {
			line = strings.TrimSpace(line)
			if rest, ok := strings.CutPrefix(line, "tx pkts="); ok {
				n, _, _ := strings.Cut(rest, ",")
				v, err := strconv.ParseUint(n, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("parse %q: %w", line, err)
				}
				total += v
			}
		}
	}
	if !found {
		return 0, fmt.Errorf("%s has no tunnel to %s", node.SystemID, peer)
	}
	return total, nil
}

// ifName keeps interface names within IFNAMSIZ (15 bytes).
func ifName(prefix, name string) string {
	s := prefix + name
	if len(s) > 15 {
		s = s[:15]
	}
	return s
}

// uniq gives namespaces names unique across concurrent runs.
func uniq(name string) string { return sandbox.UniqueName("e2e-" + name) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustRun(t testing.TB, exec func(...string) (string, error), args ...string) string {
	t.Helper()
	out, err := exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
