package tunnel

import (
	"fmt"
	"testing"
)

// BenchmarkPlanTunnels plans a 1000-chassis deployment in steady state
// (every tunnel already present), as the agent does on every change.
func BenchmarkPlanTunnels(b *testing.B) {
	cfg := Config{ChassisName: "hv0", Encaps: []Encap{geneve("10.0.0.1")}}
	var remotes []Chassis
	br := Bridge{Name: "br-int"}
	for i := 1; i <= 1000; i++ {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		remotes = append(remotes, Chassis{Name: fmt.Sprintf("compute-%04d", i), Encaps: []Encap{geneve(ip)}})
	}
	first := PlanTunnels(cfg, remotes, br)
	for _, p := range first.Want {
		br.Ports = append(br.Ports, Port{Name: p.Name, ExternalIDs: p.ExternalIDs(),
			Interfaces: []Interface{{Name: p.Name, Type: p.Type, Options: p.Options}}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		plan := PlanTunnels(cfg, remotes, br)
		if len(plan.Add) != 0 || len(plan.Remove) != 0 {
			b.Fatalf("steady state changed: %d adds, %d removes", len(plan.Add), len(plan.Remove))
		}
	}
}

// BenchmarkPlanTunnelsCold plans the same deployment from an empty bridge
// (agent start), where the 6-byte name prefixes all collide.
func BenchmarkPlanTunnelsCold(b *testing.B) {
	cfg := Config{ChassisName: "hv0", Encaps: []Encap{geneve("10.0.0.1")}}
	var remotes []Chassis
	for i := 1; i <= 1000; i++ {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		remotes = append(remotes, Chassis{Name: fmt.Sprintf("compute-%04d", i), Encaps: []Encap{geneve(ip)}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if plan := PlanTunnels(cfg, remotes, Bridge{Name: "br-int"}); len(plan.Add) != 1000 {
			b.Fatalf("%d adds, want 1000", len(plan.Add))
		}
	}
}
