package conn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/ovstest"
)

// Raw encodings used by the tests (the real ones come from openflow/flow).
func oxmEthType(t uint16) []byte {
	return binary.BigEndian.AppendUint16([]byte{0x80, 0x00, 0x0a, 0x02}, t)
}

func oxmIPv4Src(a, b, c, d byte) []byte { return []byte{0x80, 0x00, 0x16, 0x04, a, b, c, d} }

func oxmInPort(p uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0x80, 0x00, 0x00, 0x04}, p)
}

func actOutput(port uint32) []byte {
	b := []byte{0, 0, 0, 16}
	b = binary.BigEndian.AppendUint32(b, port)
	b = binary.BigEndian.AppendUint16(b, 0xffff)
	return append(b, 0, 0, 0, 0, 0, 0)
}

func setup(t *testing.T) (*ovstest.Switch, *Conn, context.Context) {
	t.Helper()
	sw := ovstest.Start(t)
	sw.AddBridge("br-int")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c, err := Dial(ctx, sw.Mgmt("br-int"))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return sw, c, ctx
}

func TestHandshakeEchoBarrierConfig(t *testing.T) {
	_, c, ctx := setup(t)
	if c.Features().NTables == 0 {
		t.Fatalf("features: %+v", c.Features())
	}
	if _, err := c.Echo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.SetConfig(ctx, ConfigFragNormal, 0xffff); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPacketInFormat(ctx, PacketInFormatNXT2); err != nil {
		t.Fatal(err)
	}
	if err := c.SetControllerID(ctx, 7); err != nil {
		t.Fatal(err)
	}
	reply, err := c.Request(ctx, AppendSimple(nil, TypeGetConfigRequest, c.NewXid()))
	if err != nil {
		t.Fatal(err)
	}
	if got := be16(reply.Body()[2:]); got != 0xffff {
		t.Fatalf("miss_send_len = %#x, want 0xffff", got)
	}
}

func TestProbeKeepsIdleConnectionUp(t *testing.T) {
	sw := ovstest.Start(t)
	sw.AddBridge("br-int")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, sw.Mgmt("br-int"), WithProbeInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Several probe intervals of silence from our side: the probe loop
	// must keep the connection alive through echo round trips.
	select {
	case <-c.Done():
		t.Fatalf("connection dropped: %v", c.Err())
	case <-time.After(600 * time.Millisecond):
	}
	if err := c.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestErrorDecoding(t *testing.T) {
	_, c, ctx := setup(t)
	fm := FlowMod{Command: FlowAdd, Table: 0, Priority: 1, Actions: actOutput(0x10000)} // beyond OFPP_MAX of the bridge
	err := c.SendChecked(ctx, fm.Append(nil, c.NewXid()))
	var ofe *OFError
	if !errors.As(err, &ofe) {
		t.Fatalf("want *OFError, got %v", err)
	}
	if ofe.Name() != "OFPBAC_BAD_OUT_PORT" || !strings.Contains(ofe.Error(), "OFPT_FLOW_MOD") {
		t.Fatalf("error = %q (name %s)", ofe.Error(), ofe.Name())
	}
	// The connection stays usable.
	if err := c.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestFlowModAndDump(t *testing.T) {
	sw, c, ctx := setup(t)
	fm := FlowMod{Command: FlowAdd, Table: 3, Priority: 100, Cookie: 0xabc,
		Match:   append(oxmEthType(0x0800), oxmIPv4Src(10, 0, 0, 1)...),
		Actions: actOutput(PortController)}
	if err := c.SendChecked(ctx, fm.Append(nil, c.NewXid())); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("add-flow", "br-int", "table=4,priority=7,cookie=0x5,tcp,tp_dst=80,actions=drop")
	out := sw.Ofctl("dump-flows", "br-int", "--no-stats")
	if !strings.Contains(out, "cookie=0xabc, table=3, priority=100,ip,nw_src=10.0.0.1 actions=CONTROLLER:65535") {
		t.Fatalf("flow not installed as expected:\n%s", out)
	}
	flows, err := c.FlowStats(ctx, FlowStatsRequest{Table: TableAll})
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != 2 {
		t.Fatalf("got %d flows, want 2: %+v", len(flows), flows)
	}
	var f3 *FlowStats
	for i := range flows {
		if flows[i].Table == 3 {
			f3 = &flows[i]
		}
	}
	if f3 == nil || f3.Priority != 100 || f3.Cookie != 0xabc {
		t.Fatalf("table 3 flow: %+v", f3)
	}
	if !bytes.Contains(f3.Match, oxmIPv4Src(10, 0, 0, 1)) || !bytes.Contains(f3.Match, oxmEthType(0x0800)) {
		t.Fatalf("match %x", f3.Match)
	}
	acts, err := f3.Actions()
	if err != nil || !bytes.Equal(acts, actOutput(PortController)) {
		t.Fatalf("actions %x (%v), want %x", acts, err, actOutput(PortController))
	}
	// delete_strict removes exactly that flow; delete by cookie the other.
	del := FlowMod{Command: FlowDeleteStrict, Table: 3, Priority: 100, Match: fm.Match}
	delc := FlowMod{Command: FlowDelete, Table: TableAll, Cookie: 5, CookieMask: ^uint64(0)}
	if err := c.SendChecked(ctx, del.Append(nil, c.NewXid()), delc.Append(nil, c.NewXid())); err != nil {
		t.Fatal(err)
	}
	if flows, err = c.FlowStats(ctx, FlowStatsRequest{Table: TableAll}); err != nil || len(flows) != 0 {
		t.Fatalf("after delete: %d flows, %v", len(flows), err)
	}
}

func TestManyFlowsMultipartReassembly(t *testing.T) {
	_, c, ctx := setup(t)
	b, err := c.OpenBundle(ctx, BundleAtomic|BundleOrdered)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	for i := 0; i < n; i++ {
		fm := FlowMod{Command: FlowAdd, Table: 10, Priority: 10,
			Match:   append(oxmEthType(0x0800), oxmIPv4Src(10, 1, byte(i>>8), byte(i))...),
			Actions: actOutput(PortController)}
		if _, err := b.Add(fm.Append); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	flows, err := c.FlowStats(ctx, FlowStatsRequest{Table: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != n {
		t.Fatalf("dumped %d flows, want %d", len(flows), n)
	}
}

func TestBundleRejection(t *testing.T) {
	sw, c, ctx := setup(t)
	b, err := c.OpenBundle(ctx, BundleAtomic|BundleOrdered)
	if err != nil {
		t.Fatal(err)
	}
	good1 := FlowMod{Command: FlowAdd, Table: 1, Priority: 1, Match: oxmEthType(0x0800), Actions: actOutput(PortController)}
	bad := FlowMod{Command: FlowAdd, Table: 1, Priority: 2, Match: oxmEthType(0x0800), Actions: actOutput(0x10000)}
	good2 := FlowMod{Command: FlowAdd, Table: 1, Priority: 3, Match: oxmEthType(0x0806), Actions: actOutput(PortController)}
	var xids []uint32
	for _, fm := range []FlowMod{good1, bad, good2} {
		x, err := b.Add(fm.Append)
		if err != nil {
			t.Fatal(err)
		}
		xids = append(xids, x)
	}
	err = b.Commit(ctx)
	var be *BundleError
	if !errors.As(err, &be) {
		t.Fatalf("want *BundleError, got %v", err)
	}
	if len(be.Rejected) != 1 || be.Rejected[xids[1]] == nil {
		t.Fatalf("rejected = %v, want only xid %#x", be.Rejected, xids[1])
	}
	if got := be.Rejected[xids[1]].Name(); got != "OFPBAC_BAD_OUT_PORT" {
		t.Fatalf("rejection %s", got)
	}
	out := sw.Ofctl("dump-flows", "br-int", "--no-stats")
	if !strings.Contains(out, "priority=1,ip actions") || !strings.Contains(out, "priority=3,arp actions") || strings.Contains(out, "priority=2") {
		t.Fatalf("valid flows of the bundle not installed (err %v):\n%s", err, out)
	}
}

func TestBundleCommitFailureIsAtomic(t *testing.T) {
	_, c, ctx := setup(t)
	b, err := c.OpenBundle(ctx, BundleAtomic|BundleOrdered)
	if err != nil {
		t.Fatal(err)
	}
	good := FlowMod{Command: FlowAdd, Table: 1, Priority: 1, Match: oxmEthType(0x0800), Actions: actOutput(PortController)}
	if _, err := b.Add(good.Append); err != nil {
		t.Fatal(err)
	}
	// A group-mod modify of a group that does not exist fails at commit.
	gm := GroupMod{Command: GroupModify, Type: GroupTypeAll, GroupID: 99, Buckets: AppendBucket(nil, 0, 0, actOutput(PortController))}
	gx, err := b.Add(gm.Append)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Commit(ctx)
	var be *BundleError
	if !errors.As(err, &be) || be.Commit == nil || !errors.Is(err, ErrBundleMsgFailed) {
		t.Fatalf("want failed commit, got %v", err)
	}
	if e := be.Rejected[gx]; e == nil || !errors.Is(e, ErrUnknownGroup) {
		t.Fatalf("group rejection = %v", be.Rejected)
	}
	flows, err := c.FlowStats(ctx, FlowStatsRequest{Table: TableAll})
	if err != nil || len(flows) != 0 {
		t.Fatalf("atomic bundle left %d flows (%v)", len(flows), err)
	}
}

func TestGroupsMetersTLV(t *testing.T) {
	sw, c, ctx := setup(t)
	var buckets []byte
	buckets = AppendBucket(buckets, 0, 100, actOutput(PortController))
	buckets = AppendBucket(buckets, 1, 50, actOutput(PortController))
	gm := GroupMod{Command: GroupAdd, Type: GroupTypeSelect, GroupID: 7, Buckets: buckets}
	mm := MeterMod{Command: MeterAdd, Flags: MeterFlagPktps | MeterFlagBurst, MeterID: 3, Bands: AppendDropBand(nil, 100, 10)}
	if err := c.SendChecked(ctx, gm.Append(nil, c.NewXid()), mm.Append(nil, c.NewXid())); err != nil {
		t.Fatal(err)
	}
	groups, err := c.GroupDescs(ctx, GroupAll)
	if err != nil || len(groups) != 1 || groups[0].GroupID != 7 || groups[0].Type != GroupTypeSelect {
		t.Fatalf("groups %+v %v", groups, err)
	}
	bks, err := DecodeBuckets(groups[0].Buckets)
	if err != nil || len(bks) != 2 || bks[1].Weight != 50 || !bytes.Equal(bks[0].Actions, actOutput(PortController)) {
		t.Fatalf("buckets %+v %v", bks, err)
	}
	meters, err := c.MeterConfigs(ctx, MeterAll)
	if err != nil || len(meters) != 1 || meters[0].MeterID != 3 || !bytes.Equal(meters[0].Bands, AppendDropBand(nil, 100, 10)) {
		t.Fatalf("meters %+v %v (ofctl: %s)", meters, err, sw.Ofctl("dump-meters", "br-int"))
	}
	idx, err := c.EnsureTLVMap(ctx, OVNGeneveClass, OVNGeneveType, OVNGeneveLen)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.EnsureTLVMap(ctx, OVNGeneveClass, OVNGeneveType, OVNGeneveLen)
	if err != nil || again != idx {
		t.Fatalf("second EnsureTLVMap = %d, %v; want %d", again, err, idx)
	}
	if out := sw.Ofctl("dump-tlv-map", "br-int"); !strings.Contains(out, "0x102") || !strings.Contains(out, "tun_metadata0") {
		t.Fatalf("tlv map:\n%s", out)
	}
}

func TestPacketIn2PauseResume(t *testing.T) {
	sw, c, ctx := setup(t)
	if err := c.SetPacketInFormat(ctx, PacketInFormatNXT2); err != nil {
		t.Fatal(err)
	}
	// A service connection (the .mgmt socket) gets no packet-ins until it
	// raises miss_send_len.
	if err := c.SetConfig(ctx, ConfigFragNormal, 0xffff); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("add-flow", "br-int", "table=0,priority=0,actions=load:0x2a->NXM_NX_REG3[],controller(userdata=01.02.03.04,pause),controller(userdata=05.06)")
	pkt := make([]byte, 60)
	copy(pkt, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x88, 0xb5})
	po := PacketOut{Match: oxmInPort(PortController), Actions: actOutput(PortTable), Packet: pkt}
	if err := c.PacketOut(&po); err != nil {
		t.Fatal(err)
	}
	first := nextPacketIn(t, ctx, c)
	if !bytes.Equal(first.Userdata, []byte{1, 2, 3, 4}) || first.Continuation == nil || !bytes.Equal(first.Packet, pkt) {
		t.Fatalf("first packet-in: userdata %x continuation %d bytes", first.Userdata, len(first.Continuation))
	}
	// reg3=0x2a must be in the metadata; OpenFlow 1.5 carries it as the
	// low half of OXM_OF_PKT_REG1 (xreg1), masked.
	if !bytes.Contains(first.Metadata, []byte{0x80, 0x01, 0x03, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x2a, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("metadata %x lacks reg3", first.Metadata)
	}
	if err := c.Resume(first, first.Packet); err != nil {
		t.Fatal(err)
	}
	second := nextPacketIn(t, ctx, c)
	if !bytes.Equal(second.Userdata, []byte{5, 6}) || second.Continuation != nil {
		t.Fatalf("second packet-in: userdata %x continuation %d bytes", second.Userdata, len(second.Continuation))
	}
}

func nextPacketIn(t *testing.T, ctx context.Context, c *Conn) *PacketIn {
	t.Helper()
	for {
		select {
		case m, ok := <-c.Async():
			if !ok {
				t.Fatalf("connection closed: %v", c.Err())
			}
			if v, st, ok := m.Experimenter(); ok && v == NiciraVendor && st == NXTPacketIn2 {
				pin, err := DecodePacketIn2(m.Raw)
				if err != nil {
					t.Fatal(err)
				}
				return pin
			}
			if m.Type == TypeError {
				e, _ := DecodeError(m.Raw)
				t.Fatalf("async error: %v", e)
			}
		case <-ctx.Done():
			t.Fatal("no packet-in")
		}
	}
}

func TestCloseFailsPendingAndStopsGoroutines(t *testing.T) {
	_, c, ctx := setup(t)
	c.Close()
	if err := c.Barrier(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("barrier after close: %v", err)
	}
	if _, ok := <-c.Async(); ok {
		t.Fatal("async channel still open")
	}
}

func TestSwitchRestartEndsConnection(t *testing.T) {
	sw, c, _ := setup(t)
	sw.StopVswitchd()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection did not notice the switch going away")
	}
	if c.Err() == nil {
		t.Fatal("Err is nil after the switch went away")
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	sw := ovstest.Start(t)
	sw.AddBridge("br-int")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		c, err := Dial(ctx, sw.Mgmt("br-int"), WithProbeInterval(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Barrier(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	for i := 0; runtime.NumGoroutine() > base; i++ {
		if i == 100 {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPortStatus(t *testing.T) {
	sw, c, ctx := setup(t)
	if err := c.SetConfig(ctx, ConfigFragNormal, 0xffff); err != nil {
		t.Fatal(err)
	}
	ofport := sw.AddPort("br-int", "vif1", "type=internal", "ofport_request=7")
	for {
		select {
		case m, ok := <-c.Async():
			if !ok {
				t.Fatalf("connection closed: %v", c.Err())
			}
			if m.Type != TypePortStatus {
				continue
			}
			ps, err := DecodePortStatus(m.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if ps.Name != "vif1" {
				continue
			}
			if ps.Reason != 0 || ps.PortNo != uint32(ofport) {
				t.Fatalf("port status %+v, want add of port %d", ps, ofport)
			}
			return
		case <-ctx.Done():
			t.Fatal("no port status for vif1")
		}
	}
}

func TestBundleDiscard(t *testing.T) {
	_, c, ctx := setup(t)
	b, err := c.OpenBundle(ctx, BundleAtomic|BundleOrdered)
	if err != nil {
		t.Fatal(err)
	}
	fm := FlowMod{Command: FlowAdd, Table: 1, Priority: 1, Match: oxmEthType(0x0800), Actions: actOutput(PortController)}
	if _, err := b.Add(fm.Append); err != nil {
		t.Fatal(err)
	}
	if err := b.Discard(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err == nil {
		t.Fatal("commit after discard succeeded")
	}
	flows, err := c.FlowStats(ctx, FlowStatsRequest{Table: TableAll})
	if err != nil || len(flows) != 0 {
		t.Fatalf("discarded bundle installed %d flows (%v)", len(flows), err)
	}
}
