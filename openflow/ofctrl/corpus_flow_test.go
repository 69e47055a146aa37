package ofctrl

import (
	"strings"
	"testing"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ovstest"
)

// TestCorpusRoundTrip is issue 3's round trip: the corpus is installed as
// text with ovs-ofctl on br-text; its dump is decoded into openflow/flow
// values (whose text must be what ovs-ofctl prints), installed on br-int
// with chassisd's encoder through ofctrl, and both bridges must then dump
// identically. A second instance must find nothing to change. The
// "message-layer" subtest does the same with the dumped bytes.
func TestCorpusRoundTrip(t *testing.T) {
	sw, _ := corpusSwitch(t)
	t.Run("message-layer", func(t *testing.T) { corpusRawRoundTrip(t, sw) })
	t.Run("values", func(t *testing.T) { corpusValueRoundTrip(t, sw) })
}

func corpusValueRoundTrip(t *testing.T, sw *ovstest.Switch) {
	ctx := testContext(t)
	cn, err := conn.Dial(ctx, sw.Mgmt("br-text"))
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	stats, err := cn.FlowStats(ctx, conn.FlowStatsRequest{Table: conn.TableAll})
	if err != nil {
		t.Fatal(err)
	}
	text := map[string]bool{}
	for _, l := range strings.Split(sortedLines(sw.Ofctl("dump-flows", "br-text", "--no-stats")), "\n") {
		text[l] = true
	}
	var flows []flow.Flow
	decoded, textOK := 0, 0
	for i := range stats {
		fs := &stats[i]
		m, err := flow.DecodeOXMFields(fs.Match)
		if err != nil {
			t.Errorf("decode match of table=%d priority=%d: %v", fs.Table, fs.Priority, err)
			continue
		}
		raw, err := fs.Actions()
		if err != nil {
			t.Fatal(err)
		}
		acts, err := flow.DecodeActions(raw)
		if err != nil {
			t.Errorf("decode actions of table=%d priority=%d: %v", fs.Table, fs.Priority, err)
			continue
		}
		f := flow.Flow{Table: fs.Table, Priority: fs.Priority, Cookie: fs.Cookie, Match: m, Actions: acts}
		decoded++
		if text[f.String()] {
			textOK++
		} else {
			t.Errorf("decoded flow prints as\n  %s\nnot as ovs-ofctl prints it", f)
		}
		flows = append(flows, f)
	}
	t.Logf("decoded %d/%d flows; text identical for %d", decoded, len(stats), textOK)

	st, err := Dump(ctx, cn, FlowDecoder{})
	if err != nil {
		t.Fatal(err)
	}
	install := func() *Controller {
		c := New(sw.Mgmt("br-int"), WithDecoder(FlowDecoder{}))
		c.Update(func(tx Txn) {
			for _, g := range st.Groups {
				tx.PutGroup(g)
			}
			for _, m := range st.Meters {
				tx.PutMeter(m)
			}
			tx.PutFlows(flows)
		})
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	install()
	compareBridges(t, sw, "br-int")
	if s := install().Stats(); s.FlowMods+s.GroupMods+s.MeterMods != 0 {
		t.Fatalf("second instance over the same bridge sent mods: %+v", s)
	}
}
