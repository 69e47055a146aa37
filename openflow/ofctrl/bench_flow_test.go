package ofctrl

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ovstest"
)

// benchFlowValue is benchFlow as openflow/flow values.
func benchFlowValue(i int, variant uint32) flow.Flow {
	var m flow.Match
	m.SetUint(flow.FieldEthType, 0x0800, ^uint64(0))
	m.SetUint(flow.FieldMetadata, uint64(i/1000+1), ^uint64(0))
	m.SetUint(flow.FieldReg(14), uint64(i%1000+1), ^uint64(0))
	m.Set(flow.FieldIPv4Src, []byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	acts := flow.Actions{
		flow.SetFieldUint(flow.FieldReg(15), uint64(uint32(i%1000+1)+variant)),
		flow.Resubmit{Port: flow.PortInPort, Table: 37},
	}
	return flow.Flow{Table: 8, Priority: 100, Cookie: uint64(i + 1), Match: m, Actions: acts}
}

func TestBenchFlowValuesMatchText(t *testing.T) {
	sw, ctx := start(t)
	flows := make([]flow.Flow, 300)
	for i := range flows {
		flows[i] = benchFlowValue(i, 0)
	}
	_, text := benchFlows(300, func(int) uint32 { return 0 })
	sw.AddBridge("br-text")
	file := sw.Dir() + "/flows.txt"
	writeFile(t, file, text)
	sw.Ofctl("--bundle", "add-flows", "br-text", file)
	c := connect(t, ctx, sw, WithoutTLVMap(), WithDecoder(FlowDecoder{}))
	c.Update(func(tx Txn) { tx.PutFlows(flows) })
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got := sortedLines(sw.Ofctl("dump-flows", "br-int", "--no-stats"))
	want := sortedLines(sw.Ofctl("dump-flows", "br-text", "--no-stats"))
	if got != want {
		t.Fatalf("flow values and text differ:\n%s", lineDiff(want, got))
	}
}

// BenchmarkInstall100kFlowValues is BenchmarkInstall100k with the flows
// given as openflow/flow values (so their encoding is timed too).
func BenchmarkInstall100kFlowValues(b *testing.B) {
	n := 100000
	sw := ovstest.Start(b)
	sw.AddBridge("br-int")
	sw.AddBridge("br-text")
	ctx := context.Background()
	_, text := benchFlows(n, func(int) uint32 { return 0 })
	file := sw.Dir() + "/flows.txt"
	writeFile(b, file, text)
	flows := make([]flow.Flow, n)
	for i := range flows {
		flows[i] = benchFlowValue(i, 0)
	}
	var ours, theirs, change, reconcile time.Duration
	var ourCPU, theirCPU, ourVS, theirVS time.Duration
	bestOurs, bestTheirs := time.Duration(1<<62), time.Duration(1<<62)
	for iter := 0; iter < b.N; iter++ {
		b.StopTimer()
		sw.Ofctl("del-flows", "br-int")
		sw.Ofctl("del-flows", "br-text")
		settle(sw.VswitchdPID())
		b.StartTimer()
		runOfctl := func() {
			start, cpu0 := time.Now(), takeCPU(sw.VswitchdPID())
			sw.Ofctl("--bundle", "add-flows", "br-text", file)
			d := time.Since(start)
			cl, vs := takeCPU(sw.VswitchdPID()).since(cpu0, true)
			theirCPU, theirVS = theirCPU+cl, theirVS+vs
			theirs += d
			bestTheirs = min(bestTheirs, d)
		}
		if iter%2 == 1 {
			runOfctl()
		}
		start, cpu0 := time.Now(), takeCPU(sw.VswitchdPID())
		c := New(sw.Mgmt("br-int"), WithoutTLVMap(), WithDriftInterval(0), WithDecoder(FlowDecoder{}))
		if err := c.Connect(ctx); err != nil {
			b.Fatal(err)
		}
		connected := time.Since(start)
		c.SetFlowValues(flows)
		set := time.Since(start)
		if err := c.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("round %d: connect %v, set %v, synced %v", iter, connected, set, time.Since(start))
		d := time.Since(start)
		cl, vs := takeCPU(sw.VswitchdPID()).since(cpu0, false)
		ourCPU, ourVS = ourCPU+cl, ourVS+vs
		ours += d
		bestOurs = min(bestOurs, d)
		if iter%2 == 0 {
			runOfctl()
		}
		// Median of five 1% changes, alternating two action variants.
		var lat []time.Duration
		for r := 0; r < 5; r++ {
			start = time.Now()
			c.Update(func(tx Txn) {
				for i := 0; i < n; i += 100 {
					tx.PutFlow(FromFlow(benchFlowValue(i, uint32(1-r%2))))
				}
			})
			if err := c.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		b.Logf("round %d: 1%% changes %v", iter, lat)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		change += lat[len(lat)/2]
		c.Close()

		// A restarted agent over the now correct bridge: dump, decode,
		// diff, and send nothing.
		start = time.Now()
		c2 := New(sw.Mgmt("br-int"), WithoutTLVMap(), WithDriftInterval(0))
		c2.SetFlowValues(flows[:0])
		c2.Update(func(tx Txn) {
			for i := range flows {
				f := flows[i]
				if i%100 == 0 {
					f = benchFlowValue(i, 1) // as the last change left it
				}
				tx.PutFlow(FromFlow(f))
			}
		})
		if err := c2.Connect(ctx); err != nil {
			b.Fatal(err)
		}
		reconcile += time.Since(start)
		if s := c2.Stats(); s.FlowMods != 0 {
			b.Fatalf("restart over a correct bridge sent %d flow mods", s.FlowMods)
		}
		c2.Close()
	}
	N := float64(b.N)
	b.ReportMetric(ours.Seconds()/N, "chassisd-s")
	b.ReportMetric(theirs.Seconds()/N, "ofctl-s")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "ratio")
	b.ReportMetric(bestOurs.Seconds()/bestTheirs.Seconds(), "ratio-best")
	b.ReportMetric((ourCPU+ourVS).Seconds()/(theirCPU+theirVS).Seconds(), "ratio-cpu")
	b.ReportMetric(ourCPU.Seconds()/N, "chassisd-cpu-s")
	b.ReportMetric(theirCPU.Seconds()/N, "ofctl-cpu-s")
	b.ReportMetric(ourVS.Seconds()/N, "vswitchd-cpu-ours-s")
	b.ReportMetric(theirVS.Seconds()/N, "vswitchd-cpu-ofctl-s")
	b.ReportMetric(float64(change.Microseconds())/1000/N, "change1pct-ms")
	b.ReportMetric(reconcile.Seconds()/N, "restart-reconcile-s")
}
