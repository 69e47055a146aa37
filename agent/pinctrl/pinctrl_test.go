package pinctrl

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
)

// Packet-in metadata as ovs-vswitchd 3.1 sends it on an OpenFlow 1.5
// connection: in_port, metadata (datapath 3), and the registers as masked
// OXM_OF_PKT_REG entries: reg0 = 10.0.0.5 (PKT_REG0 high half), reg14 = 2
// (PKT_REG7 high half).
const pinMetadata = "8000000400000001" +
	"800004080000000000000003" +
	"800101100a00000500000000ffffffff00000000" +
	"80010f100000000200000000ffffffff00000000"

func newTestPinctrl() (*Pinctrl, *int) {
	notified := new(int)
	p := New("unix:/nonexistent", Options{Notify: func() { *notified++ }})
	return p, notified
}

func TestPutARPQueuesMACBinding(t *testing.T) {
	p, notified := newTestPinctrl()
	// The ARP reply as the flow hands it over: eth.src = the learned MAC.
	pkt := mustHex(t, "fa163e000001 fa163e000005 0806 0001080006040002 fa163e000005 0a000005 fa163e000001 0a000001")
	pin := &conn.PacketIn{Packet: pkt, Reason: reasonAction, Metadata: mustHex(t, pinMetadata),
		Userdata: mustHex(t, "0000000100000000")}
	now := time.Unix(1000, 0)
	r, err := p.process(pin, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.resume != nil || r.packetOut != nil {
		t.Errorf("put_arp answered the switch: %+v", r)
	}
	if *notified != 1 {
		t.Errorf("main loop notified %d times, want 1", *notified)
	}
	got := p.TakeMACBindings(now)
	if len(got) != 1 {
		t.Fatalf("bindings %+v, want one", got)
	}
	b := got[0]
	if b.DatapathKey != 3 || b.PortKey != 2 || b.IP != netip.MustParseAddr("10.0.0.5") || b.MAC.String() != "fa:16:3e:00:00:05" {
		t.Errorf("binding %+v, want dp 3 port 2 10.0.0.5 fa:16:3e:00:00:05", b)
	}
	if len(p.TakeMACBindings(now)) != 0 {
		t.Error("a taken binding was returned again")
	}
}

func TestPutNDReadsXXReg0(t *testing.T) {
	p, _ := newTestPinctrl()
	// xxreg0 = 2001:db8::5 spans PKT_REG0 and PKT_REG1.
	md := "8000000400000001" + "800004080000000000000003" +
		"8001000820010db800000000" + "800102080000000000000005" +
		"80010f100000000200000000ffffffff00000000"
	pkt := mustHex(t, "fa163e000001 fa163e000005 86dd 6000000000203aff"+
		"20010db8000000000000000000000005 20010db8000000000000000000000001 8800000060000000")
	pin := &conn.PacketIn{Packet: pkt, Reason: reasonAction, Metadata: mustHex(t, md), Userdata: mustHex(t, "0000000400000000")}
	if _, err := p.process(pin, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	got := p.TakeMACBindings(time.Unix(1000, 0))
	if len(got) != 1 || got[0].IP != netip.MustParseAddr("2001:db8::5") || got[0].PortKey != 2 {
		t.Errorf("bindings %+v, want 2001:db8::5 on port 2", got)
	}
}

func TestMACQueue(t *testing.T) {
	var q macQueue
	now := time.Unix(1000, 0)
	ip := netip.MustParseAddr("10.0.0.5")
	if at, ok := q.add(now, 1, 2, ip, [6]byte{1}, false); !ok || !at.Equal(now) {
		t.Errorf("unicast learn due at %v, want now", at)
	}
	// Same key: newest MAC, one entry.
	q.add(now, 1, 2, ip, [6]byte{2}, false)
	at, _ := q.add(now, 1, 3, ip, [6]byte{3}, true)
	if d := at.Sub(now); d < time.Millisecond || d > 50*time.Millisecond {
		t.Errorf("broadcast learn delayed %v, want 1-50ms", d)
	}
	due, next := q.take(now)
	if len(due) != 1 || due[0].MAC[0] != 2 {
		t.Errorf("due %+v, want the port 2 binding with the newest MAC", due)
	}
	if !next.Equal(at) {
		t.Errorf("next due %v, want %v", next, at)
	}
	if due, _ := q.take(at); len(due) != 1 || due[0].PortKey != 3 {
		t.Errorf("delayed binding not due at its time: %+v", due)
	}
	for i := 0; i < maxPendingMACBindings; i++ {
		q.add(now, 1, int64(i), ip, [6]byte{}, false)
	}
	if _, ok := q.add(now, 9, 9, ip, [6]byte{}, false); ok || q.dropped != 1 {
		t.Errorf("binding beyond %d accepted (dropped %d)", maxPendingMACBindings, q.dropped)
	}
}

func TestARPPacketOutRestoresPipelineState(t *testing.T) {
	p, _ := newTestPinctrl()
	// arp { eth.dst = ff:ff:ff:ff:ff:ff; output; } as encoded in OVN's tests.
	nested := mustHex(t, "00190010 80000606 ffffffffffff 0000 ffff0010 00002320 000e fff8 40000000")
	ud := append(mustHex(t, "0000000000000000"), nested...)
	pkt := mustHex(t, echoFrame)
	pin := &conn.PacketIn{Packet: pkt, Reason: reasonAction, Metadata: mustHex(t, pinMetadata), Userdata: ud}
	r, err := p.process(pin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.resume != nil || r.packetOut == nil {
		t.Fatalf("reply %+v, want a packet-out", r)
	}
	acts, err := flow.DecodeActions(r.packetOut.Actions)
	if err != nil {
		t.Fatal(err)
	}
	want := "set_field:0x3->metadata,set_field:0xa000005->reg0,set_field:0x2->reg14,set_field:ff:ff:ff:ff:ff:ff->eth_dst,resubmit(,64)"
	if acts.String() != want {
		t.Errorf("actions %s\nwant    %s", acts, want)
	}
	if wantPkt, _ := composeARPRequest(pkt); !bytes.Equal(r.packetOut.Packet, wantPkt) {
		t.Errorf("packet %x, want the composed ARP request", r.packetOut.Packet)
	}
	if !bytes.Equal(r.packetOut.Match, oxmInPortController) {
		t.Errorf("match %x, want in_port=CONTROLLER", r.packetOut.Match)
	}
}

func TestDHCPResumeSetsResultBit(t *testing.T) {
	p, _ := newTestPinctrl()
	// reg0[3] = put_dhcp_opts(...): NXM_NX_XXREG0 bit 99, then the Neutron example.
	ud := append(mustHex(t, "0000000200000000 0001de10 00000063"), neutronArgs...)
	req := dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpDiscover)
	cont := []byte{1, 2, 3, 4}
	pin := &conn.PacketIn{Packet: req, Reason: reasonAction, Metadata: mustHex(t, pinMetadata), Userdata: ud, Continuation: cont,
		Cookie: ^uint64(0)}
	r, err := p.process(pin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.resume == nil || r.packetOut != nil {
		t.Fatalf("reply %+v, want a resume", r)
	}
	if !bytes.Equal(r.resume.Continuation, cont) {
		t.Error("continuation not echoed unchanged")
	}
	md, err := flow.DecodeOXMFields(r.resume.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := md.GetUint(flow.FieldReg(0)); v != 0x0a000005|8 {
		t.Errorf("reg0 %#x, want 10.0.0.5 with bit 3 set", v)
	}
	if v, _, _ := md.GetUint(flow.FieldReg(14)); v != 2 {
		t.Errorf("reg14 %#x lost", v)
	}
	if want, _, _ := buildDHCPv4Reply(req, neutronArgs); !bytes.Equal(r.packet, want) {
		t.Error("resumed packet is not the OFFER")
	}

	// A RELEASE resumes the request unchanged, bit clear.
	rel := dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpRelease)
	pin.Packet = rel
	r, _ = p.process(pin, time.Now())
	if r.resume == nil || !bytes.Equal(r.packet, rel) || !bytes.Equal(r.resume.Metadata, pin.Metadata) {
		t.Errorf("release: reply %+v, want the request resumed unchanged", r)
	}
}

func TestUnhandledPausedOpcodeIsResumed(t *testing.T) {
	p, _ := newTestPinctrl()
	pin := &conn.PacketIn{Packet: mustHex(t, echoFrame), Reason: reasonAction, Metadata: mustHex(t, pinMetadata),
		Userdata: mustHex(t, "0000000800000000 0001de10 00000065"), Continuation: []byte{9}}
	r, _ := p.process(pin, time.Now())
	if r.resume != pin || !bytes.Equal(r.packet, pin.Packet) {
		t.Errorf("put_nd_ra_opts not resumed unchanged: %+v", r)
	}
	pin.Reason = 0 // no match: not ours
	pin.Continuation = nil
	if r, _ := p.process(pin, time.Now()); r.resume != nil || r.packetOut != nil {
		t.Errorf("table-miss packet-in answered: %+v", r)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	p := New("unix:"+t.TempDir()+"/br-int.mgmt", Options{RetryInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancel, want nil", err)
	}
}

func TestPutFDBQueuesEntry(t *testing.T) {
	p, notified := newTestPinctrl()
	pkt := mustHex(t, echoFrame)
	pin := &conn.PacketIn{Packet: pkt, Reason: reasonAction, Metadata: mustHex(t, pinMetadata), Userdata: mustHex(t, "0000001900000000")}
	if _, err := p.process(pin, time.Now()); err != nil {
		t.Fatal(err)
	}
	got := p.TakeFDBEntries()
	if len(got) != 1 || got[0].DatapathKey != 3 || got[0].PortKey != 2 || got[0].MAC.String() != "fa:16:3e:00:00:05" || *notified != 1 {
		t.Errorf("FDB entries %+v (notified %d), want dp 3 port 2 fa:16:3e:00:00:05", got, *notified)
	}
	if len(p.TakeFDBEntries()) != 0 {
		t.Error("taken FDB entry returned again")
	}
}

func TestACLLogLine(t *testing.T) {
	var out bytes.Buffer
	p := New("unix:/nonexistent", Options{Logger: slog.New(slog.NewTextHandler(&out, nil))})
	// log(name="acl-web", verdict=drop, severity=warning) in an ingress table.
	pin := &conn.PacketIn{Packet: mustHex(t, echoFrame), Reason: reasonAction, TableID: 17,
		Metadata: mustHex(t, pinMetadata), Userdata: append(mustHex(t, "0000000700000000 0104"), "acl-web"...)}
	if _, err := p.process(pin, time.Now()); err != nil {
		t.Fatal(err)
	}
	line := out.String()
	// OVN logs every ACL line at INFO in module acl_log; the severity is text.
	for _, want := range []string{"level=INFO", "module=acl_log", `name=\"acl-web\", verdict=drop, severity=warning, direction=from-lport: icmp,`, "nw_src=10.0.0.5,nw_dst=10.0.1.7"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %s", line, want)
		}
	}
}
