package ofctrl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/ovstest"
)

// Raw encodings in the order OVS dumps them, so that RawDecoder compares
// dumped flows with desired ones.
func matchIPSrc(a, b, c, d byte) RawMatch {
	return RawMatch{0x80, 0x00, 0x0a, 0x02, 0x08, 0x00, 0x80, 0x00, 0x16, 0x04, a, b, c, d}
}

func actOutput(port uint32) RawActions {
	b := []byte{0, 0, 0, 16}
	b = binary.BigEndian.AppendUint32(b, port)
	b = binary.BigEndian.AppendUint16(b, 0xffff)
	return append(b, 0, 0, 0, 0, 0, 0)
}

func actGroup(id uint32) RawActions {
	return binary.BigEndian.AppendUint32([]byte{0, 22, 0, 8}, id)
}

func actMeter(id uint32) RawActions {
	return binary.BigEndian.AppendUint32([]byte{0, 29, 0, 8}, id)
}

func testFlows(n int, table uint8) []Flow {
	flows := make([]Flow, n)
	for i := range flows {
		flows[i] = Flow{Table: table, Priority: 100, Cookie: uint64(i + 1),
			Match: matchIPSrc(10, byte(i>>16), byte(i>>8), byte(i)), Actions: actOutput(conn.PortController)}
	}
	return flows
}

func start(t *testing.T) (*ovstest.Switch, context.Context) {
	t.Helper()
	sw := ovstest.Start(t)
	sw.AddBridge("br-int")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	return sw, ctx
}

func connect(t *testing.T, ctx context.Context, sw *ovstest.Switch, opts ...Option) *Controller {
	t.Helper()
	c := New(sw.Mgmt("br-int"), append([]Option{WithDecoder(RawDecoder{})}, opts...)...)
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func countFlows(sw *ovstest.Switch, substr string) int {
	out := sw.Ofctl("dump-flows", "br-int", "--no-stats")
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

func desiredState(t Txn) {
	for _, f := range testFlows(50, 10) {
		t.PutFlow(f)
	}
	t.PutMeter(Meter{ID: 1, Flags: conn.MeterFlagPktps | conn.MeterFlagBurst, Bands: conn.AppendDropBand(nil, 100, 10)})
	t.PutGroup(Group{ID: 5, Type: conn.GroupTypeSelect, Buckets: []Bucket{
		{ID: 0, Weight: 100, Actions: actOutput(conn.PortController)},
		{ID: 1, Weight: 100, Actions: actOutput(conn.PortController)}}})
	t.PutFlow(Flow{Table: 11, Priority: 5, Match: matchIPSrc(1, 1, 1, 1), Actions: append(actMeter(1), actGroup(5)...)})
}

func TestInstallThenSecondInstanceSendsNothing(t *testing.T) {
	sw, ctx := start(t)
	c1 := connect(t, ctx, sw)
	v := c1.Update(desiredState)
	if err := c1.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c1.WaitInstalled(ctx, v); err != nil {
		t.Fatal(err)
	}
	if n := countFlows(sw, "table=10"); n != 50 {
		t.Fatalf("table 10 has %d flows, want 50", n)
	}
	if !strings.Contains(sw.Ofctl("dump-groups", "br-int"), "group_id=5,type=select") {
		t.Fatalf("group missing:\n%s", sw.Ofctl("dump-groups", "br-int"))
	}
	s1 := c1.Stats()
	if s1.FlowMods != 51 || s1.GroupMods != 1 || s1.MeterMods != 1 || s1.Bundles != 1 {
		t.Fatalf("first instance stats %+v", s1)
	}
	c1.Close()

	// A restarted agent over a correct bridge: dump, diff, nothing to send.
	c2 := New(sw.Mgmt("br-int"), WithDecoder(RawDecoder{}))
	c2.Update(desiredState)
	if err := c2.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if s := c2.Stats(); s.FlowMods != 0 || s.GroupMods != 0 || s.MeterMods != 0 {
		t.Fatalf("second instance sent mods over a correct bridge: %+v", s)
	}
	if c2.InstalledVersion() != c2.DesiredVersion() {
		t.Fatalf("installed version %d, desired %d", c2.InstalledVersion(), c2.DesiredVersion())
	}
}

func TestIncrementalChanges(t *testing.T) {
	sw, ctx := start(t)
	c := connect(t, ctx, sw)
	flows := testFlows(10, 20)
	c.SetFlows(flows)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().FlowMods
	flows[0].Actions = actOutput(conn.PortInPort) // modify_strict
	flows[1].Cookie = 0x99                        // cookie change: add
	flows = flows[:9]                             // one deleted
	c.SetFlows(flows)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.Stats().FlowMods - before; got != 3 {
		t.Fatalf("sent %d flow mods, want 3", got)
	}
	out := sw.Ofctl("dump-flows", "br-int", "--no-stats")
	if !strings.Contains(out, "cookie=0x1, table=20, priority=100,ip,nw_src=10.0.0.0 actions=IN_PORT") ||
		!strings.Contains(out, "cookie=0x99, table=20, priority=100,ip,nw_src=10.0.0.1 actions=CONTROLLER") ||
		strings.Contains(out, "nw_src=10.0.0.9 ") || countFlows(sw, "table=20") != 9 {
		t.Fatalf("unexpected flows:\n%s", out)
	}
	// Same state again: nothing sent.
	before = c.Stats().FlowMods
	c.SetFlows(flows)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.Stats().FlowMods - before; got != 0 {
		t.Fatalf("unchanged state sent %d flow mods", got)
	}
}

func TestDriftRepair(t *testing.T) {
	sw, ctx := start(t)
	c := connect(t, ctx, sw)
	c.SetFlows(testFlows(5, 30))
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("del-flows", "br-int", "--strict", "table=30,priority=100,ip,nw_src=10.0.0.2")
	sw.Ofctl("add-flow", "br-int", "table=31,priority=1,actions=drop") // another writer
	sw.Ofctl("mod-flows", "br-int", "--strict", "table=30,priority=100,ip,nw_src=10.0.0.3,actions=drop")
	n, err := c.CheckDrift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || c.Stats().DriftRepairs != 3 {
		t.Fatalf("drift repaired %d (stats %+v), want 3", n, c.Stats())
	}
	out := sw.Ofctl("dump-flows", "br-int", "--no-stats")
	if countFlows(sw, "table=30") != 5 || strings.Contains(out, "table=31") || strings.Contains(out, "actions=drop") {
		t.Fatalf("drift not repaired:\n%s", out)
	}
	if n, err := c.CheckDrift(ctx); err != nil || n != 0 {
		t.Fatalf("second drift check: %d, %v", n, err)
	}
}

func TestRejectedFlowReportedRestInstalled(t *testing.T) {
	sw, ctx := start(t)
	c := connect(t, ctx, sw)
	flows := testFlows(4, 40)
	// Refused when added (port beyond the bridge's range).
	flows = append(flows, Flow{Table: 40, Priority: 7, Match: matchIPSrc(9, 9, 9, 9), Actions: actOutput(0x10000)})
	// Refused at commit (group 77 does not exist): the atomic commit fails
	// and is retried without it.
	flows = append(flows, Flow{Table: 40, Priority: 8, Match: matchIPSrc(8, 8, 8, 8), Actions: actGroup(77)})
	c.SetFlows(flows)
	err := c.Sync(ctx)
	var re *RejectedError
	if !errors.As(err, &re) || len(re.Rejections) != 2 {
		t.Fatalf("want 2 rejections, got %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "table=40, priority=7") || !strings.Contains(msg, "OFPBAC_BAD_OUT_PORT") ||
		!strings.Contains(msg, "table=40, priority=8") {
		t.Fatalf("rejections not named: %s", msg)
	}
	if n := countFlows(sw, "table=40"); n != 4 {
		t.Fatalf("%d flows installed, want the 4 valid ones:\n%s", n, sw.Ofctl("dump-flows", "br-int"))
	}
	if len(c.Rejections()) != 2 {
		t.Fatalf("Rejections() = %v", c.Rejections())
	}
	// Not re-sent by Sync while unchanged.
	before := c.Stats().FlowMods
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.Stats().FlowMods - before; got != 0 {
		t.Fatalf("rejected flows re-sent: %d flow mods", got)
	}
	// Fixing one flow installs it; the other stays rejected.
	flows[4].Actions = actOutput(conn.PortController)
	c.SetFlows(flows)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countFlows(sw, "table=40"); n != 5 {
		t.Fatalf("fixed flow not installed (%d flows)", n)
	}
	if r := c.Rejections(); len(r) != 1 || !strings.Contains(r[0].What, "priority=8") {
		t.Fatalf("Rejections() = %v", r)
	}
}

// A flow-mod that fails only at commit time (the table is full) makes the
// atomic bundle fail as a whole; the round is retried without it and the
// rest goes in.
func TestCommitFailureRetriedWithoutRejected(t *testing.T) {
	sw, ctx := start(t)
	sw.Vsctl("--", "--id=@ft", "create", "Flow_Table", "flow_limit=2", "overflow_policy=refuse",
		"--", "set", "Bridge", "br-int", "flow_tables:42=@ft")
	c := connect(t, ctx, sw)
	c.Update(func(t Txn) {
		for _, f := range testFlows(3, 41) {
			t.PutFlow(f)
		}
		for _, f := range testFlows(3, 42) {
			t.PutFlow(f)
		}
	})
	err := c.Sync(ctx)
	var re *RejectedError
	if !errors.As(err, &re) || len(re.Rejections) != 1 || !strings.Contains(re.Error(), "table=42") ||
		!strings.Contains(re.Error(), "OFPFMFC_TABLE_FULL") {
		t.Fatalf("want one table-full rejection, got %v", err)
	}
	if n41, n42 := countFlows(sw, "table=41"), countFlows(sw, "table=42"); n41 != 3 || n42 != 2 {
		t.Fatalf("installed %d+%d flows after the retried bundle, want 3+2", n41, n42)
	}
}

// Groups and meters changed behind the controller's back are put back by
// the drift check, and a stale view does not fail a round.
func TestGroupMeterDrift(t *testing.T) {
	sw, ctx := start(t)
	c := connect(t, ctx, sw)
	c.Update(desiredState)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("del-groups", "br-int", "group_id=5")
	sw.Ofctl("del-meter", "br-int", "meter=1")
	sw.Ofctl("add-meter", "br-int", "meter=9,pktps,bands=type=drop,rate=1")
	// A change to the group while the view is stale still goes in.
	c.Update(func(t Txn) {
		t.PutGroup(Group{ID: 5, Type: conn.GroupTypeSelect, Buckets: []Bucket{{ID: 0, Weight: 10, Actions: actOutput(conn.PortController)}}})
	})
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := c.CheckDrift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Meter 1 missing, meter 9 foreign, and the table-11 flow that OVS
	// deleted along with group 5; the group itself was already re-added.
	if n != 3 {
		t.Fatalf("drift = %d, want 3", n)
	}
	meters := sw.Ofctl("dump-meters", "br-int")
	if !strings.Contains(meters, "meter=1 ") || strings.Contains(meters, "meter=9") {
		t.Fatalf("meters not repaired:\n%s", meters)
	}
	if g := sw.Ofctl("dump-groups", "br-int"); !strings.Contains(g, "group_id=5,type=select,bucket=bucket_id:0,weight:10,") {
		t.Fatalf("group not installed:\n%s", g)
	}
	if n := countFlows(sw, "table=11"); n != 1 {
		t.Fatalf("flow using meter 1 and group 5 missing (%d)", n)
	}
}

func TestRunSurvivesVswitchdRestart(t *testing.T) {
	sw, ctx := start(t)
	c := New(sw.Mgmt("br-int"), WithDecoder(RawDecoder{}), WithDriftInterval(0))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	c.Update(desiredState) // groups, meters and the flows using them
	v := c.Update(func(t Txn) {
		for _, f := range testFlows(1000, 50) {
			t.PutFlow(f)
		}
	})
	if err := c.WaitInstalled(ctx, v); err != nil {
		t.Fatal(err)
	}
	if n := countFlows(sw, "table=50"); n != 1000 {
		t.Fatalf("%d flows before restart", n)
	}
	connects := c.Stats().Connects
	sw.RestartVswitchd()
	restarted := time.Now()
	for countFlows(sw, "table=50") != 1000 {
		if ctx.Err() != nil {
			t.Fatalf("flows not restored after ovs-vswitchd restart (connects %d)", c.Stats().Connects)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("desired table back %v after ovs-vswitchd answered again", time.Since(restarted))
	if !strings.Contains(sw.Ofctl("dump-groups", "br-int"), "group_id=5") ||
		!strings.Contains(sw.Ofctl("dump-meters", "br-int"), "meter=1") ||
		!strings.Contains(sw.Ofctl("dump-tlv-map", "br-int"), "tun_metadata0") ||
		countFlows(sw, "table=11") != 1 {
		t.Fatalf("groups, meters, TLV map or the flow using them not restored")
	}
	if c.Stats().Connects <= connects {
		t.Fatalf("no reconnect recorded: %+v", c.Stats())
	}
	// Changes after the restart still flow through.
	v = c.Update(func(t Txn) { t.PutFlow(testFlows(1001, 50)[1000]) })
	if err := c.WaitInstalled(ctx, v); err != nil {
		t.Fatal(err)
	}
	if n := countFlows(sw, "table=50"); n != 1001 {
		t.Fatalf("%d flows after update", n)
	}
}

func TestWaitInstalledBlocksUntilConnected(t *testing.T) {
	sw, ctx := start(t)
	c := New(sw.Mgmt("br-int"), WithDecoder(RawDecoder{}))
	v := c.SetFlows(testFlows(3, 60))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := c.WaitInstalled(short, v); err == nil {
		t.Fatal("WaitInstalled returned before any connection")
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go c.Run(runCtx)
	if err := c.WaitInstalled(ctx, v); err != nil {
		t.Fatal(err)
	}
	if n := countFlows(sw, "table=60"); n != 3 {
		t.Fatalf("%d flows", n)
	}
}

func TestTLVMapOnConnect(t *testing.T) {
	sw, ctx := start(t)
	c := connect(t, ctx, sw)
	if c.TunMetadataIndex() != 0 {
		t.Fatalf("tun_metadata index %d, want 0", c.TunMetadataIndex())
	}
	out := sw.Ofctl("dump-tlv-map", "br-int")
	if !strings.Contains(out, fmt.Sprintf("0x%x", conn.OVNGeneveClass)) {
		t.Fatalf("tlv map:\n%s", out)
	}
}

func TestFlushCTZones(t *testing.T) {
	sw, ctx := start(t)
	c := connect(t, ctx, sw)
	if err := c.FlushCTZones(ctx, 1, 7); err != nil {
		t.Fatal(err)
	}
}

// Meters as the agent builds them (OVN's set_meter and Meter rows) must
// read back equal, or every reconcile would rewrite them.
func TestMeterFlagsReadBackEqual(t *testing.T) {
	sw, ctx := start(t)
	meters := []Meter{
		{ID: 1, Flags: conn.MeterFlagKbps | conn.MeterFlagStats, Bands: conn.AppendDropBand(nil, 1000, 0)},
		{ID: 2, Flags: conn.MeterFlagPktps | conn.MeterFlagStats | conn.MeterFlagBurst, Bands: conn.AppendDropBand(nil, 10, 5)},
		{ID: 3, Flags: conn.MeterFlagKbps | conn.MeterFlagBurst | conn.MeterFlagStats, Bands: conn.AppendDropBand(nil, 2000, 100)},
		{ID: 4, Flags: conn.MeterFlagPktps, Bands: conn.AppendDropBand(conn.AppendDropBand(nil, 10, 0), 20, 0)},
	}
	put := func(t Txn) {
		for _, m := range meters {
			t.PutMeter(m)
		}
	}
	c := connect(t, ctx, sw)
	c.Update(put)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := c.CheckDrift(ctx); err != nil || n != 0 {
		t.Fatalf("meters read back differently: drift %d, %v\n%s", n, err, sw.Ofctl("dump-meters", "br-int"))
	}
}

// A restarting agent starts Run before it has computed its flows: the
// bridge must keep its flows until the first desired state arrives.
func TestRunWaitsForFirstDesiredState(t *testing.T) {
	sw, ctx := start(t)
	sw.Ofctl("add-flow", "br-int", "table=70,priority=1,actions=drop")
	c := New(sw.Mgmt("br-int"), WithDecoder(RawDecoder{}))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	time.Sleep(100 * time.Millisecond) // Run would have connected and reconciled by now
	if c.Stats().Connects != 0 || countFlows(sw, "table=70") != 1 {
		t.Fatalf("Run touched the bridge before any desired state: %+v", c.Stats())
	}
	v := c.SetFlows(testFlows(2, 71))
	if err := c.WaitInstalled(ctx, v); err != nil {
		t.Fatal(err)
	}
	if countFlows(sw, "table=70") != 0 || countFlows(sw, "table=71") != 2 {
		t.Fatalf("bridge not reconciled:\n%s", sw.Ofctl("dump-flows", "br-int"))
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

// Flows that OVN's learn actions make ovs-vswitchd add (they have
// timeouts) are not drift: a reconcile leaves them alone.
func TestLearnedFlowsLeftAlone(t *testing.T) {
	sw, ctx := start(t)
	c := connect(t, ctx, sw)
	c.SetFlows(testFlows(2, 77))
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("add-flow", "br-int", "table=78,priority=100,idle_timeout=300,cookie=0xaaaaaaaa,ip,nw_src=10.0.0.1,actions=load:0x1->NXM_NX_REG10[14]")
	if n, err := c.CheckDrift(ctx); err != nil || n != 0 {
		t.Fatalf("drift %d, %v", n, err)
	}
	if countFlows(sw, "table=78") != 1 || countFlows(sw, "table=77") != 2 {
		t.Fatalf("learned flow removed or ours missing:\n%s", sw.Ofctl("dump-flows", "br-int"))
	}
}
