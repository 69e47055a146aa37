package physical

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// referenceInput is the example topology of ovn-chassis.md §3 (chassis hv1),
// with the UUID prefixes of the live capture so that cookies and member
// order match.
func referenceInput() *Input {
	uuid := func(prefix string) string { return prefix + "-0000-0000-0000-000000000000" }
	ls1, lr0, public, gw1, net2, lr1 := uint32(1), uint32(2), uint32(3), uint32(4), uint32(5), uint32(6)
	return &Input{
		Chassis: "hv1",
		Datapaths: []Datapath{
			{UUID: "dp-ls1", TunnelKey: ls1}, {UUID: "dp-lr0", TunnelKey: lr0},
			{UUID: "dp-public", TunnelKey: public}, {UUID: "dp-gw1", TunnelKey: gw1},
			{UUID: "dp-net2", TunnelKey: net2}, {UUID: "dp-lr1", TunnelKey: lr1},
		},
		Ports: []PortBinding{
			{UUID: uuid("29eafae7"), LogicalPort: "vm1", TunnelKey: 1, DatapathKey: ls1, Chassis: "hv1",
				MAC: []string{"00:00:00:00:01:01 10.0.0.11"}},
			{UUID: uuid("7f3a9e32"), LogicalPort: "vm2", TunnelKey: 2, DatapathKey: ls1, Chassis: "hv2"},
			{UUID: uuid("698c25e2"), LogicalPort: "vm3", TunnelKey: 3, DatapathKey: ls1, Chassis: "hv3"},
			{UUID: uuid("5b0d509f"), LogicalPort: "lp1", Type: "localport", TunnelKey: 4, DatapathKey: ls1},
			{UUID: uuid("70000000"), LogicalPort: "vip1", Type: "virtual", TunnelKey: 5, DatapathKey: ls1},
			{UUID: uuid("90848f3a"), LogicalPort: "ls1-lr0", Type: "patch", TunnelKey: 6, DatapathKey: ls1,
				Options: map[string]string{"peer": "lr0-ls1"}},
			{UUID: uuid("6a000000"), LogicalPort: "ls1-lr1", Type: "patch", TunnelKey: 7, DatapathKey: ls1,
				Options: map[string]string{"peer": "lr1-ls1"}},
			{UUID: uuid("1ab9b3a4"), LogicalPort: "c1", TunnelKey: 8, DatapathKey: ls1, Chassis: "hv1",
				ParentPort: "vm1", Tag: 10},
			{UUID: uuid("a0000001"), LogicalPort: "lr0-ls1", Type: "patch", TunnelKey: 1, DatapathKey: lr0,
				Options: map[string]string{"peer": "ls1-lr0"}, MAC: []string{"00:00:00:00:ff:01 10.0.0.1/24"}},
			{UUID: uuid("26e73877"), LogicalPort: "lr0-public", Type: "patch", TunnelKey: 2, DatapathKey: lr0,
				Options: map[string]string{"peer": "public-lr0"}, MAC: []string{"00:00:00:00:ff:02 172.16.0.1/24"}},
			{UUID: uuid("6b584dd6"), LogicalPort: "cr-lr0-public", Type: "chassisredirect", TunnelKey: 3,
				DatapathKey: lr0, Chassis: "hv1", Options: map[string]string{"distributed-port": "lr0-public"}},
			{UUID: uuid("5188d47b"), LogicalPort: "ln-public", Type: "localnet", TunnelKey: 1, DatapathKey: public,
				Tag: 100, Options: map[string]string{"network_name": "physnet1"}},
			{UUID: uuid("a0000002"), LogicalPort: "public-lr0", Type: "patch", TunnelKey: 2, DatapathKey: public,
				Options: map[string]string{"peer": "lr0-public"}},
			{UUID: uuid("a0000003"), LogicalPort: "public-gw1", Type: "l3gateway", TunnelKey: 3, DatapathKey: public,
				Chassis: "hv1", Options: map[string]string{"peer": "gw1-public", "l3gateway-chassis": "hv1"}},
			{UUID: uuid("0aa5189f"), LogicalPort: "ext1", Type: "external", TunnelKey: 4, DatapathKey: public,
				Chassis: "hv1", MAC: []string{"00:00:00:00:02:01"}, HAChassis: []HAChassis{{Chassis: "hv1", Priority: 10}}},
			{UUID: uuid("a0000004"), LogicalPort: "gw1-public", Type: "l3gateway", TunnelKey: 1, DatapathKey: gw1,
				Chassis: "hv1", Options: map[string]string{"peer": "public-gw1", "l3gateway-chassis": "hv1"}},
			{UUID: uuid("2e989380"), LogicalPort: "ln-net2", Type: "localnet", TunnelKey: 1, DatapathKey: net2,
				Options: map[string]string{"network_name": "physnet2"}},
			{UUID: uuid("a0000005"), LogicalPort: "vm4", TunnelKey: 2, DatapathKey: net2, Chassis: "hv1"},
			{UUID: uuid("0c343cbb"), LogicalPort: "vm5", TunnelKey: 3, DatapathKey: net2, Chassis: "hv2"},
			{UUID: uuid("a0000006"), LogicalPort: "net2-lr1", Type: "patch", TunnelKey: 4, DatapathKey: net2,
				Options: map[string]string{"peer": "lr1-net2"}},
			{UUID: uuid("a0000007"), LogicalPort: "lr1-net2", Type: "patch", TunnelKey: 1, DatapathKey: lr1,
				Options: map[string]string{"peer": "net2-lr1"}, MAC: []string{"00:00:00:00:ff:11 192.168.1.1/24"}},
			{UUID: uuid("a0000008"), LogicalPort: "lr1-ls1", Type: "patch", TunnelKey: 2, DatapathKey: lr1,
				Options: map[string]string{"peer": "ls1-lr1"}},
			{UUID: uuid("e33b9464"), LogicalPort: "cr-lr1-net2", Type: "chassisredirect", TunnelKey: 3,
				DatapathKey: lr1, Options: map[string]string{"distributed-port": "lr1-net2"},
				HAChassis: []HAChassis{{Chassis: "hv4", Priority: 10}, {Chassis: "hv2", Priority: 20}}},
		},
		MulticastGroups: []MulticastGroup{
			{UUID: uuid("e61689c0"), Name: "_MC_flood", DatapathKey: ls1, TunnelKey: 32768,
				Ports: []string{"vm1", "vm2", "vm3", "lp1", "vip1", "ls1-lr0", "ls1-lr1", "c1"}},
		},
		VIFs:       map[string]uint16{"vm1": 5, "lp1": 6, "vm4": 9},
		PatchPorts: map[string]uint16{"ln-public": 4, "ln-net2": 10},
		Tunnels: []Tunnel{
			{Chassis: "hv2", IP: "192.168.0.2", Type: "geneve", OFPort: 1},
			{Chassis: "hv3", IP: "192.168.0.3", Type: "vxlan", OFPort: 3},
			{Chassis: "hv4", IP: "192.168.0.4", Type: "geneve", OFPort: 7},
		},
		CTZones: map[string]uint16{
			"vm1": 12, "lp1": 13, "c1": 22, "vm4": 18, "ln-public": 8, "ln-net2": 20, "public-gw1": 14,
			"gw1-public": 11, "ext1": 15, "cr-lr0-public": 2,
			"dp-ls1_dnat": 3, "dp-ls1_snat": 5, "dp-lr0_dnat": 1, "dp-lr0_snat": 4,
			"dp-public_dnat": 7, "dp-public_snat": 6, "dp-gw1_dnat": 9, "dp-gw1_snat": 10,
			"dp-net2_dnat": 21, "dp-net2_snat": 16, "dp-lr1_dnat": 17, "dp-lr1_snat": 19,
		},
	}
}

// referencePortNames maps the OVS port names of the reference capture to
// their ofports.
var referencePortNames = map[string]string{
	"vm1": "5", "lp1": "6", "vm4": "9", `"ovn-hv2-0"`: "1", `"ovn-hv3-0"`: "3", `"ovn-hv4-0"`: "7",
}

var (
	reInPortName = regexp.MustCompile(`in_port=("[^"]+"|[A-Za-z][A-Za-z0-9_-]*)`)
	reOutputName = regexp.MustCompile(`output:("[^"]+"|[A-Za-z][A-Za-z0-9_-]*)`)
	reMembers    = regexp.MustCompile(`members:([^)]*)`)
)

// normalizeDumpLine turns one `ovs-ofctl dump-flows --no-stats` line (or one
// ofctrl.Flow.String()) into a canonical form: trimmed, "table=0, " made
// explicit, port names replaced by numbers from names.
func normalizeDumpLine(line string, names map[string]string) string {
	line = strings.TrimSpace(line)
	if !strings.Contains(line, "table=") {
		if strings.HasPrefix(line, "cookie=") {
			i := strings.Index(line, ", ") + 2
			line = line[:i] + "table=0, " + line[i:]
		} else {
			line = "table=0, " + line
		}
	}
	line = strings.TrimPrefix(line, "cookie=0x0, ")
	sub := func(prefix string) func(string) string {
		return func(m string) string {
			name := strings.TrimPrefix(m, prefix)
			if n, ok := names[name]; ok {
				return prefix + n
			}
			return m
		}
	}
	line = reInPortName.ReplaceAllStringFunc(line, sub("in_port="))
	line = reOutputName.ReplaceAllStringFunc(line, sub("output:"))
	line = reMembers.ReplaceAllStringFunc(line, func(m string) string {
		ps := strings.Split(strings.TrimPrefix(m, "members:"), ",")
		for i, p := range ps {
			if n, ok := names[p]; ok {
				ps[i] = n
			}
		}
		return "members:" + strings.Join(ps, ",")
	})
	return line
}

func flowTexts(fs []ofctrl.Flow) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = normalizeDumpLine(f.String(), nil)
	}
	return out
}

func TestReferenceFlows(t *testing.T) {
	got := flowTexts(Compute(referenceInput()))
	gotSet := map[string]bool{}
	// Index by "table, priority, match" to show what differs.
	byKey := map[string]string{}
	for _, g := range got {
		gotSet[g] = true
		byKey[flowKeyText(g)] = g
	}
	for _, tc := range referenceCases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(tc.flows), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					want = append(want, normalizeDumpLine(l, referencePortNames))
				}
			}
			for _, w := range want {
				if gotSet[w] {
					continue
				}
				if g, ok := byKey[flowKeyText(w)]; ok {
					t.Errorf("flow differs:\n want %s\n  got %s", w, g)
				} else {
					t.Errorf("flow missing:\n want %s", w)
				}
			}
			if tc.exactCookie != "" {
				wantSet := map[string]bool{}
				for _, w := range want {
					wantSet[w] = true
				}
				for _, g := range got {
					if strings.HasPrefix(g, "cookie="+tc.exactCookie+",") && !wantSet[g] {
						t.Errorf("unexpected flow with cookie %s:\n %s", tc.exactCookie, g)
					}
				}
			}
		})
	}
}

// flowKeyText is the "table, priority, match" part of a normalized line.
func flowKeyText(line string) string {
	if i := strings.Index(line, " actions="); i >= 0 {
		line = line[:i]
	}
	if strings.HasPrefix(line, "cookie=") {
		line = line[strings.Index(line, ", ")+2:]
	}
	return line
}

// tableOf is the table number of a normalized line.
func tableOf(line string) int {
	i := strings.Index(line, "table=")
	n := 0
	for _, r := range line[i+len("table="):] {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
