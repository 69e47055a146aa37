package metadata

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// bridgeSwitch stands in for OVS: Plug enslaves the veth's outside end to
// a Linux bridge that also has a "VM" namespace on it. (The e2e suite runs
// the same code against OVS's userspace datapath.)
type bridgeSwitch struct {
	bridge string
	mu     sync.Mutex
	plugs  map[string]string // port -> iface-id
	unplug []string
	// failPlugs makes the next Plug calls fail.
	failPlugs int
}

func (b *bridgeSwitch) Plug(_ context.Context, port, ifaceID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failPlugs > 0 {
		b.failPlugs--
		return errors.New("integration bridge br-int not found")
	}
	link, err := netlink.LinkByName(port)
	if err != nil {
		return err
	}
	br, err := netlink.LinkByName(b.bridge)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetMaster(link, br); err != nil {
		return err
	}
	b.plugs[port] = ifaceID
	return nil
}

func (b *bridgeSwitch) Unplug(_ context.Context, port string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unplug = append(b.unplug, port)
	delete(b.plugs, port)
	return nil
}

func (b *bridgeSwitch) plugged(port string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.plugs[port]
	return id, ok
}

// rig is a Manager under test with its namespace directory, a bridge, a
// VM namespace on it and a Nova stand-in on the loopback.
type rig struct {
	t       *testing.T
	dir     string
	sw      *bridgeSwitch
	vm      *sandbox.Netns
	vmMAC   net.HardwareAddr
	nova    *recordingNova
	cfg     *Config
	network Network
}

func newRig(t *testing.T) *rig {
	sandbox.RequireRoot(t)
	sandbox.Require(t, []string{"ip", "busybox"})
	r := &rig{t: t, dir: t.TempDir(), nova: &recordingNova{}}
	t.Cleanup(func() {
		// Namespaces left by the test, then the directory's own mount.
		names, _ := namespaces{dir: r.dir}.list()
		for _, n := range names {
			_ = namespaces{dir: r.dir}.remove(n)
		}
		_ = unix.Unmount(r.dir, unix.MNT_DETACH)
	})
	nova := startNova(t, r.nova)
	r.cfg = testConfig(nova.URL)

	r.sw = &bridgeSwitch{bridge: sandbox.UniqueName("mdbr"), plugs: map[string]string{}}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: r.sw.bridge}}
	must(t, netlink.LinkAdd(br))
	t.Cleanup(func() { _ = netlink.LinkDel(br) })
	must(t, netlink.LinkSetUp(br))

	r.vm = sandbox.NewNetns(t, sandbox.UniqueName("mdvm"))
	vmEnd := sandbox.UniqueName("mdv")
	r.vmMAC, _ = net.ParseMAC("fa:16:3e:00:00:11")
	mustRun(t, "ip", "link", "add", vmEnd, "type", "veth", "peer", "name", "eth0", "netns", r.vm.Name)
	t.Cleanup(func() { _, _ = sandbox.Run("ip", "link", "del", vmEnd) })
	mustRun(t, "ip", "link", "set", vmEnd, "master", r.sw.bridge, "up")
	mustExec(t, r.vm, "ip", "link", "set", "eth0", "address", r.vmMAC.String(), "up")
	mustExec(t, r.vm, "ip", "addr", "add", "192.168.101.11/24", "dev", "eth0")
	mustExec(t, r.vm, "ip", "route", "add", "169.254.169.254/32", "via", "192.168.101.1")

	mac, _ := net.ParseMAC("fa:16:3e:71:9e:ad")
	r.network = Network{
		ID: uuid.NewString(),
		Port: Port{LogicalPort: uuid.NewString(), MAC: mac, MTU: 1442, CIDRs: []netip.Prefix{
			netip.MustParsePrefix("192.168.101.1/24"), netip.MustParsePrefix("10.0.0.2/24"),
		}},
		LocalIPv4: []netip.Addr{netip.MustParseAddr("192.168.101.11")},
	}
	return r
}

func (r *rig) lookup(network string, ip netip.Addr, mac net.HardwareAddr) []Instance {
	if network != r.network.ID {
		return nil
	}
	if ip == netip.MustParseAddr("192.168.101.11") || (mac != nil && mac.String() == r.vmMAC.String()) {
		return []Instance{{ID: testInstance, ProjectID: testProject}}
	}
	return nil
}

// start runs a Manager until the returned stop is called (or the test
// ends).
func (r *rig) start(reg prometheus.Registerer) (*Manager, func()) {
	r.t.Helper()
	m, err := NewManager(Options{
		Config: r.cfg, Switch: r.sw, NetnsDir: r.dir, Registerer: reg,
		Logger: slog.New(slog.NewTextHandler(testWriter{r.t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	must(r.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				r.t.Errorf("Run: %v", err)
			}
		})
	}
	r.t.Cleanup(stop)
	return m, stop
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (r *rig) eventually(what string, cond func() error) {
	r.t.Helper()
	var last error
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if last = cond(); last == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Fatalf("%s: %v", what, last)
}

// wget fetches a metadata path from the VM namespace with busybox.
func (r *rig) wget(path string) (string, error) {
	// (busybox 1.35 wget crashes with -T: bound it with timeout instead.)
	return r.vm.Exec("timeout", "10", "busybox", "wget", "-q", "-O", "-", "http://169.254.169.254"+path)
}

// insideState reads the namespace end of the veth.
type insideState struct {
	nsIno   uint64
	ifindex int
	mac     string
	mtu     int
	up      bool
	addrs   []string
	txCsum  bool
	loUp    bool
}

func (r *rig) inside() (insideState, error) {
	var st insideState
	path := r.dir + "/" + NamespaceName(r.network.ID)
	var fi syscall.Stat_t
	if err := syscall.Stat(path, &fi); err != nil {
		return st, err
	}
	st.nsIno = fi.Ino
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return st, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return st, err
	}
	defer h.Close()
	_, inside := VethNames(r.network.ID)
	link, err := h.LinkByName(inside)
	if err != nil {
		return st, err
	}
	a := link.Attrs()
	st.ifindex, st.mac, st.mtu, st.up = a.Index, a.HardwareAddr.String(), a.MTU, a.Flags&net.FlagUp != 0
	addrs, err := h.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return st, err
	}
	for _, ad := range addrs {
		st.addrs = append(st.addrs, ad.IPNet.String())
	}
	slices.Sort(st.addrs)
	if lo, err := h.LinkByName("lo"); err == nil {
		st.loUp = lo.Attrs().Flags&net.FlagUp != 0
	}
	err = inNamespace(ns, func() error {
		et, err := ethtool.NewEthtool()
		if err != nil {
			return err
		}
		defer et.Close()
		f, err := et.Features(inside)
		st.txCsum = f["tx-checksum-ip-generic"]
		return err
	})
	return st, err
}

func TestManagerServesNamespaces(t *testing.T) {
	r := newRig(t)
	// A namespace left by an earlier run for a network no longer here.
	stale := uuid.NewString()
	h, err := namespaces{dir: r.dir}.create(NamespaceName(stale))
	must(t, err)
	h.Close()

	reg := prometheus.NewRegistry()
	m, stop := r.start(reg)
	r.sw.failPlugs = 1 // the bridge is not there at first: retried
	m.Update(State{Networks: []Network{r.network}, Lookup: r.lookup})

	outside, _ := VethNames(r.network.ID)
	r.eventually("namespace served", func() error {
		if _, ok := r.sw.plugged(outside); !ok {
			return fmt.Errorf("%s not plugged", outside)
		}
		_, err := r.wget("/openstack/latest/meta_data.json")
		return err
	})
	out, err := r.wget("/openstack/latest/meta_data.json?x=1")
	must(t, err)
	if !strings.Contains(out, testInstance) || !strings.Contains(out, `"/openstack/latest/meta_data.json?x=1"`) {
		t.Errorf("VM got %q", out)
	}
	if req, _ := r.nova.last(); req.Header.Get("X-Forwarded-For") != "192.168.101.11" {
		t.Errorf("X-Forwarded-For %q", req.Header.Get("X-Forwarded-For"))
	}
	if id, _ := r.sw.plugged(outside); id != r.network.Port.LogicalPort {
		t.Errorf("iface-id %q, want %q", id, r.network.Port.LogicalPort)
	}
	if _, err := os.Stat(r.dir + "/" + NamespaceName(stale)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale namespace still there: %v", err)
	}
	first, err := r.inside()
	must(t, err)
	if first.mac != "fa:16:3e:71:9e:ad" || first.mtu != 1442 || !first.up || !first.loUp {
		t.Errorf("inside end: %+v", first)
	}
	if want := []string{"169.254.169.254/32", "192.168.101.1/24"}; !slices.Equal(first.addrs, want) {
		t.Errorf("addresses %v, want %v (no IPv6, not even the kernel's link-local)", first.addrs, want)
	}
	if first.txCsum {
		t.Errorf("transmit checksum offload still on inside the namespace")
	}
	if l, err := netlink.LinkByName(outside); err != nil || l.Attrs().MTU != 1442 || l.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("outside end %v: %+v", err, l)
	}
	if v := testutil.ToFloat64(m.metrics.namespaces); v != 1 {
		t.Errorf("namespaces gauge %v", v)
	}
	show := m.Show()
	for _, want := range []string{NamespaceName(r.network.ID), "169.254.169.254:80", "192.168.101.1/24", r.network.Port.LogicalPort} {
		if !strings.Contains(show, want) {
			t.Errorf("Show lacks %q:\n%s", want, show)
		}
	}

	// A VM in the second subnet adds its metadata address; gone, it goes.
	second := r.network
	second.LocalIPv4 = append(slices.Clone(r.network.LocalIPv4), netip.MustParseAddr("10.0.0.7"))
	m.Update(State{Networks: []Network{second}, Lookup: r.lookup})
	r.eventually("second subnet address", func() error {
		st, err := r.inside()
		if err == nil && !slices.Contains(st.addrs, "10.0.0.2/24") {
			err = fmt.Errorf("addresses %v", st.addrs)
		}
		return err
	})
	m.Update(State{Networks: []Network{r.network}, Lookup: r.lookup})
	r.eventually("second subnet address removed", func() error {
		st, err := r.inside()
		if err == nil && slices.Contains(st.addrs, "10.0.0.2/24") {
			err = fmt.Errorf("addresses %v", st.addrs)
		}
		return err
	})

	// A restart reuses the namespace and veth, and serves again.
	stop()
	if _, err := r.wget("/"); err == nil {
		t.Errorf("still answering after the manager stopped")
	}
	m2, stop2 := r.start(nil)
	m2.Update(State{Networks: []Network{r.network}, Lookup: r.lookup})
	r.eventually("served after restart", func() error { _, err := r.wget("/"); return err })
	again, err := r.inside()
	must(t, err)
	if again.nsIno != first.nsIno || again.ifindex != first.ifindex {
		t.Errorf("restart rebuilt the namespace or veth: %+v -> %+v", first, again)
	}

	// The last VIF gone: everything goes.
	m2.Update(State{Lookup: r.lookup})
	r.eventually("teardown", func() error {
		if _, err := os.Stat(r.dir + "/" + NamespaceName(r.network.ID)); !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("namespace still there (%v)", err)
		}
		if _, err := netlink.LinkByName(outside); err == nil {
			return fmt.Errorf("%s still there", outside)
		}
		return nil
	})
	if !slices.Contains(r.sw.unplug, outside) {
		t.Errorf("%s not unplugged (%v)", outside, r.sw.unplug)
	}
	if s := m2.Show(); !strings.Contains(s, "no metadata namespaces") {
		t.Errorf("Show after teardown:\n%s", s)
	}
	stop2()
}

func TestManagerIPv6LinkLocal(t *testing.T) {
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		t.Skip("no IPv6 on this host")
	}
	r := newRig(t)
	r.network.LocalIPv6 = true
	m, _ := r.start(nil)
	m.Update(State{Networks: []Network{r.network}, Lookup: r.lookup})
	lla := LinkLocalFromMAC(r.network.Port.MAC).String() + "/64"
	r.eventually("IPv6 listener after DAD", func() error {
		if s := m.Show(); !strings.Contains(s, "[fe80::a9fe:a9fe%") || strings.Contains(s, "waiting for DAD") {
			return fmt.Errorf("not serving IPv6 yet:\n%s", s)
		}
		return nil
	})
	st, err := r.inside()
	must(t, err)
	if want := []string{"169.254.169.254/32", "192.168.101.1/24", "fe80::a9fe:a9fe/64", lla}; !sameSet(st.addrs, want) {
		t.Errorf("addresses %v, want %v", st.addrs, want)
	}
	// The VM asks from its own EUI-64 link-local address: matched by MAC.
	vmNS, err := netns.GetFromName(r.vm.Name)
	must(t, err)
	defer vmNS.Close()
	r.eventually("VM link-local address ready", func() error {
		out, err := r.vm.Exec("ip", "-6", "addr", "show", "dev", "eth0", "scope", "link")
		if err == nil && (!strings.Contains(out, LinkLocalFromMAC(r.vmMAC).String()) || strings.Contains(out, "tentative")) {
			err = fmt.Errorf("%s", out)
		}
		return err
	})
	var body string
	r.eventually("GET over IPv6 link-local", func() error {
		var err error
		body, err = httpGetIn(vmNS, "tcp6", "[fe80::a9fe:a9fe%eth0]:80", "/openstack/latest/meta_data.json")
		return err
	})
	if !strings.Contains(body, testInstance) {
		t.Errorf("IPv6 answer %q", body)
	}
	if req, _ := r.nova.last(); req.Header.Get("X-Forwarded-For") != LinkLocalFromMAC(r.vmMAC).String() {
		t.Errorf("X-Forwarded-For %q", req.Header.Get("X-Forwarded-For"))
	}

	// No IPv6 VM left: the IPv6 addresses and listener go.
	r.network.LocalIPv6 = false
	m.Update(State{Networks: []Network{r.network}, Lookup: r.lookup})
	r.eventually("IPv6 removed", func() error {
		st, err := r.inside()
		if err == nil && len(st.addrs) != 2 {
			err = fmt.Errorf("addresses %v", st.addrs)
		}
		return err
	})
	if s := m.Show(); strings.Contains(s, "fe80") {
		t.Errorf("still serving IPv6:\n%s", s)
	}
}

// httpGetIn sends one GET from inside ns over a raw connection.
func httpGetIn(ns netns.NsHandle, network, addr, path string) (string, error) {
	var conn net.Conn
	err := inNamespace(ns, func() error {
		var err error
		conn, err = net.DialTimeout(network, addr, 3*time.Second)
		return err
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return string(b), err
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if _, err := sandbox.Run(args...); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t *testing.T, ns *sandbox.Netns, args ...string) {
	t.Helper()
	if _, err := ns.Exec(args...); err != nil {
		t.Fatal(err)
	}
}
