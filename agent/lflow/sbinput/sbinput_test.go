package sbinput

import (
	"testing"

	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/lflow"
)

func TestConversionsTranslate(t *testing.T) {
	dp := "a6c6f842-4aea-48ea-b485-1a363553a876"
	ch := "c1"
	meter := "m1"
	in := &lflow.Input{
		Datapaths: []lflow.Datapath{Datapath(&sbdb.DatapathBinding{UUID: dp, TunnelKey: 3,
			ExternalIDs: map[string]string{"logical-switch": "x"}}, true)},
		Ports: []lflow.PortBinding{PortBinding(&sbdb.PortBinding{UUID: "pb1", LogicalPort: "vm1", Datapath: dp,
			TunnelKey: 1, Chassis: &ch, PortSecurity: []string{"fa:16:3e:00:00:01 10.0.0.1"}},
			func(string) string { return "hv1" }, true, true)},
		Flows: []lflow.LogicalFlow{LogicalFlow(&sbdb.LogicalFlow{UUID: "12345678-0000-4000-8000-000000000001",
			Pipeline: sbdb.LogicalFlowPipelineEgress, TableID: 10, Priority: 0, Match: `outport == "vm1"`,
			Actions: "output;", LogicalDatapath: &dp, ControllerMeter: &meter})},
		Meters: map[string]lflow.Meter{"m1": Meter(&sbdb.Meter{Name: "m1", Unit: "pktps", Bands: []string{"b1"}},
			func(string) *sbdb.MeterBand { return &sbdb.MeterBand{Rate: 10} })},
		MACBindings: []lflow.MACBinding{StaticMACBinding(&sbdb.StaticMACBinding{UUID: "s1", LogicalPort: "vm1",
			IP: "10.0.0.9", MAC: "00:00:00:00:00:09", OverrideDynamicMAC: true})},
	}
	if in.Ports[0].Chassis != "hv1" || in.Flows[0].Pipeline != lflow.Egress || in.Flows[0].ControllerMeter != "m1" {
		t.Fatalf("conversion: %+v %+v", in.Ports[0], in.Flows[0])
	}
	tr := lflow.New(lflow.Options{})
	tr.Full(in)
	got := map[uint8]int{}
	for _, f := range tr.Flows() {
		got[f.Table]++
	}
	if got[52] != 1 || got[66] != 1 || got[73] == 0 {
		t.Errorf("flows per table: %v", got)
	}
	if len(tr.Meters()) != 1 {
		t.Errorf("meters: %v", tr.Meters())
	}
}
