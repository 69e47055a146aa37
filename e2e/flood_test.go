package e2e

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestControllerFlood: a VM sends 10,000 packets a second that go to the
// controller — DHCP discovers, ARP requests from ever-new addresses (MAC
// learning) and DNS queries — for 20 s. Meanwhile another VM must still get
// its DHCP lease, a new port must get its flows about as fast as without
// the flood, the agent's memory must stay flat and its log short, and the
// CoPP meter northd derives from the NB Copp must drop the excess.
func TestControllerFlood(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	nb := tp.Central.MustNbctl
	ls := neutronNetwork(t, tp, "f100d000-0000-0000-0000-000000000001", "flood-net", "1442")
	// The attacker's port security is its MAC only, so ARP from any
	// address gets through to MAC learning.
	nb("lsp-add", ls, "attacker", "--", "lsp-set-addresses", "attacker", "fa:16:3e:f1:00:01 192.168.101.66",
		"--", "lsp-set-port-security", "attacker", "fa:16:3e:f1:00:01")
	neutronPort(t, tp, ls, "victim", "fa:16:3e:f1:00:02", "192.168.101.77", "hv1")
	opts := nb("dhcp-options-create", "192.168.101.0/24")
	if opts == "" {
		opts = nb("--bare", "--columns=_uuid", "find", "DHCP_Options", `cidr="192.168.101.0/24"`)
	}
	nb("dhcp-options-set-options", opts, "lease_time=3600", "router=192.168.101.254",
		"server_id=192.168.101.254", "server_mac=fa:16:3e:f1:ff:fe", "mtu=1442")
	nb("lsp-set-dhcpv4-options", "attacker", opts, "--", "lsp-set-dhcpv4-options", "victim", opts)
	dns := nb("create", "DNS", `records={"vm.flood.test"="192.168.101.77"}`)
	nb("set", "Logical_Switch", ls, "dns_records="+dns)
	nb("lr-add", "fr", "--", "lrp-add", "fr", "fr-ls", "fa:16:3e:f1:ff:fe", "192.168.101.254/24",
		"--", "lsp-add", ls, "rp-fr", "--", "lsp-set-type", "rp-fr", "router",
		"--", "lsp-set-addresses", "rp-fr", "router", "--", "lsp-set-options", "rp-fr", "router-port=fr-ls")
	// CoPP: at most 200 DHCP packets a second reach the controller.
	nb("meter-add", "copp-dhcp", "drop", "200", "pktps", "--", "copp-add", "copp1", "dhcpv4-opts", "copp-dhcp")
	nb("ls-copp-add", "copp1", ls)
	must(t, tp.Central.WaitSync())
	attacker := hv1.AddVM("attacker", "attacker", "fa:16:3e:f1:00:01", "192.168.101.66/24", 1442, "")
	victim := hv1.AddVM("victim", "victim", "fa:16:3e:f1:00:02", "", 1442, "")

	newPortLatency := func(name string) time.Duration {
		t.Helper()
		lport := "late-" + name
		nb("lsp-add", ls, lport, "--", "lsp-set-addresses", lport, "unknown", "--", "lsp-set-options", lport, "requested-chassis=hv1")
		start := time.Now()
		must(t, hv1.AddVIF(ifName("lt-", name), "internal", lport))
		must(t, tp.Central.WaitPortUp(lport, "hv1"))
		return time.Since(start)
	}
	calm := newPortLatency("calm")
	if !leaseOK(t, victim) {
		t.Fatal("victim gets no DHCP lease even without a flood")
	}
	pid := hv1.AgentPid()
	rssBefore := rssKB(pid)
	logBefore := len(hv1.AgentLog())

	stop := make(chan struct{})
	sentc := make(chan floodResult, 1)
	go func() { sentc <- flood(attacker, 10000, stop) }()
	time.Sleep(3 * time.Second)
	busy := newPortLatency("busy")
	victimOK := leaseOK(t, victim)
	rssDuring := rssKB(pid)
	time.Sleep(12 * time.Second)
	rssLate := rssKB(pid)
	close(stop)
	res := <-sentc
	if res.err != nil {
		t.Fatalf("flood: %v", res.err)
	}
	time.Sleep(2 * time.Second)
	logGrowth := len(hv1.AgentLog()) - logBefore
	t.Logf("%s under a flood of %d packets in %v (%.0f pps): new port up in %v (calm %v); victim DHCP ok=%v; "+
		"agent RSS %d -> %d -> %d KiB; log grew %d bytes",
		tp.Agent.Kind, res.sent, res.took.Round(time.Millisecond), float64(res.sent)/res.took.Seconds(),
		busy.Round(time.Millisecond), calm.Round(time.Millisecond), victimOK, rssBefore, rssDuring, rssLate, logGrowth)

	if !victimOK {
		t.Error("the victim VM got no DHCP lease during the flood")
	}
	if busy > 10*time.Second && busy > 5*calm {
		t.Errorf("a new port took %v to come up under the flood (%v without)", busy, calm)
	}
	if !hv1.AgentRunning() {
		t.Fatalf("agent died under the flood:\n%s", tail(hv1.AgentLog(), 20))
	}
	if tp.Agent.Kind == sandbox.AgentChassisd {
		if rssLate > rssBefore+64*1024 {
			t.Errorf("agent memory grew from %d to %d KiB under the flood", rssBefore, rssLate)
		}
		// 200k packets: without rate limits one DHCP line each (~20 MB).
		if logGrowth > 200*1024 {
			t.Errorf("agent log grew %d bytes during the flood", logGrowth)
		}
		if p := agentPanics(hv1); p > 0 {
			t.Errorf("%d panics", p)
		}
	}
	// CoPP: the put_dhcp_opts flows must send to the controller through
	// the meter northd derived from the NB Copp (200 pktps). (The
	// userspace datapath here does not count packets of controller meters
	// in meter-stats, for either agent, so the check is on the flows.)
	if err := coppInstalled(hv1, "udp,", "tp_dst=67", "rate=200"); err != nil {
		t.Error(err)
	}
}

// coppInstalled checks that some flow matching all of match sends to the
// controller with a meter_id, and that br-int has that meter with want.
func coppInstalled(node *Node, match ...string) error {
	want := match[len(match)-1]
	match = match[:len(match)-1]
	flows, err := node.Ofctl("br-int", "dump-flows", "--no-stats")
	if err != nil {
		return err
	}
	meters, err := node.Ofctl("br-int", "dump-meters")
	if err != nil {
		return err
	}
	for _, f := range strings.Split(flows, "\n") {
		ok := strings.Contains(f, "controller(")
		for _, m := range match {
			ok = ok && strings.Contains(f, m)
		}
		if !ok {
			continue
		}
		i := strings.Index(f, "meter_id=")
		if i < 0 {
			return fmt.Errorf("controller flow without a CoPP meter: %s", f)
		}
		id := strings.TrimRight(strings.FieldsFunc(f[i+len("meter_id="):], func(r rune) bool { return r == ')' || r == ',' })[0], " ")
		for _, block := range strings.Split(meters, "meter=")[1:] {
			if strings.HasPrefix(block, id+" ") && strings.Contains(block, want) {
				return nil
			}
		}
		return fmt.Errorf("CoPP meter %s not on br-int with %s:\n%s", id, want, meters)
	}
	return fmt.Errorf("no controller flow matches %v", match)
}

// leaseOK runs udhcpc on vm once.
func leaseOK(t *testing.T, vm *VM) bool {
	script := filepath.Join(t.TempDir(), "lease.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1 ip=$ip\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		out, _ := vm.NS.Exec("busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "4", "-T", "2", "-s", script)
		if strings.Contains(out, "bound ip=") {
			return true
		}
	}
	return false
}

type floodResult struct {
	sent int
	took time.Duration
	err  error
}

// flood sends controller-bound frames from vm's eth0 at pps until stop:
// DHCP discovers, ARP requests for the router from ever-new sender
// addresses, and DNS queries, in turn.
func flood(vm *VM, pps int, stop <-chan struct{}) (res floodResult) {
	runtime.LockOSThread() // the thread enters the VM's namespace
	orig, err := netns.Get()
	if err != nil {
		return floodResult{err: err}
	}
	defer orig.Close()
	target, err := netns.GetFromName(vm.NS.Name)
	if err != nil {
		return floodResult{err: err}
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return floodResult{err: err}
	}
	defer func() {
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		} // else the thread dies with the goroutine, namespace and all
	}()
	proto := int(htons(syscall.ETH_P_ALL))
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, proto)
	if err != nil {
		return floodResult{err: err}
	}
	defer syscall.Close(fd)
	ifi, err := net.InterfaceByName("eth0")
	if err != nil {
		return floodResult{err: err}
	}
	to := &syscall.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: htons(syscall.ETH_P_ALL)}
	mac, _ := net.ParseMAC(vm.MAC)
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	perTick := max(pps/1000, 1)
	for {
		select {
		case <-stop:
			return floodResult{sent: res.sent, took: time.Since(start)}
		case <-tick.C:
		}
		// Catch up with the schedule (tickers drop ticks when late).
		due := int(time.Since(start).Seconds()*float64(pps)) - res.sent
		for i := 0; i < max(due, perTick); i++ {
			var frame []byte
			switch res.sent % 3 {
			case 0:
				frame = dhcpDiscoverFrame(mac, uint32(res.sent))
			case 1:
				frame = arpRequestFrame(mac, [4]byte{192, 168, 101, byte(1 + res.sent/3%250)}, [4]byte{192, 168, 101, 254})
			default:
				frame = dnsQueryFrame(mac, [4]byte{192, 168, 101, 66}, uint16(res.sent))
			}
			if err := syscall.Sendto(fd, frame, 0, to); err != nil && err != syscall.ENOBUFS {
				return floodResult{sent: res.sent, took: time.Since(start), err: err}
			}
			res.sent++
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// inNetns runs fn on a thread inside vm's network namespace.
func inNetns(vm *VM, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(vm.NS.Name)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- err
			return
		}
		err = fn()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		} // else the thread dies with the goroutine
		errc <- err
	}()
	return <-errc
}

// sendRaw sends frames as they are from vm's eth0.
func sendRaw(vm *VM, frames ...[]byte) error {
	return inNetns(vm, func() error {
		fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ALL)))
		if err != nil {
			return err
		}
		defer syscall.Close(fd)
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		to := &syscall.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: htons(syscall.ETH_P_ALL)}
		for _, f := range frames {
			if err := syscall.Sendto(fd, f, 0, to); err != nil {
				return err
			}
		}
		return nil
	})
}

func ipv4UDP(srcMAC net.HardwareAddr, dstMAC []byte, src, dst [4]byte, sport, dport uint16, payload []byte) []byte {
	f := append(append(append([]byte{}, dstMAC...), srcMAC...), 0x08, 0x00)
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip = append(append(ip, src[:]...), dst[:]...)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	return append(append(append(f, ip...), udp...), payload...)
}

func dhcpDiscoverFrame(mac net.HardwareAddr, xid uint32) []byte {
	b := make([]byte, 236)
	b[0], b[1], b[2] = 1, 1, 6
	binary.BigEndian.PutUint32(b[4:], xid)
	copy(b[28:], mac)
	b = append(b, 0x63, 0x82, 0x53, 0x63, 53, 1, 1, 55, 3, 1, 3, 6, 255)
	for len(b) < 300 {
		b = append(b, 0)
	}
	bcast := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	return ipv4UDP(mac, bcast, [4]byte{}, [4]byte{255, 255, 255, 255}, 68, 67, b)
}

func arpRequestFrame(mac net.HardwareAddr, spa, tpa [4]byte) []byte {
	f := append(append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac...), 0x08, 0x06)
	f = append(f, 0, 1, 8, 0, 6, 4, 0, 1)
	f = append(append(f, mac...), spa[:]...)
	f = append(append(f, 0, 0, 0, 0, 0, 0), tpa[:]...)
	return f
}

func dnsQueryFrame(mac net.HardwareAddr, src [4]byte, id uint16) []byte {
	q := []byte{0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(q, id)
	for _, l := range strings.Split("vm.flood.test", ".") {
		q = append(append(q, byte(len(l))), l...)
	}
	q = append(q, 0, 0, 1, 0, 1)
	router := []byte{0xfa, 0x16, 0x3e, 0xf1, 0xff, 0xfe}
	return ipv4UDP(mac, router, src, [4]byte{192, 168, 101, 254}, 40000+id%1000, 53, q)
}
