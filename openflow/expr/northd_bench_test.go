package expr_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
	"github.com/chassisd/chassisd/openflow/expr"
)

// sbRows lists a Southbound table's columns.
func sbRows(b *testing.B, c *sandbox.Central, table string, columns string) []map[string]any {
	out, err := c.Sbctl("--format=json", "--columns="+columns, "list", table)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := sandbox.ParseJSONList(out)
	if err != nil {
		b.Fatal(err)
	}
	return rows
}

// BenchmarkCompileNorthdMatches compiles every Logical_Flow match the real
// ovn-northd writes for a Neutron-like topology (CHASSISD_BENCH_PORTS ports,
// default 2000), with the Southbound address sets and port groups.
func BenchmarkCompileNorthdMatches(b *testing.B) {
	ports := 2000
	if v, err := strconv.Atoi(os.Getenv("CHASSISD_BENCH_PORTS")); err == nil && v > 0 {
		ports = v
	}
	c := sandbox.NewCentral(b, sandbox.CentralOptions{})
	if _, err := c.BuildNeutronScale(ports); err != nil {
		b.Fatal(err)
	}
	dpKey := map[string]int64{}
	for _, r := range sbRows(b, c, "Datapath_Binding", "_uuid,tunnel_key") {
		dpKey[sandbox.Strings(r["_uuid"])[0]] = int64(r["tunnel_key"].(float64))
	}
	addrSets := map[string][]string{}
	for _, r := range sbRows(b, c, "Address_Set", "name,addresses") {
		addrSets[r["name"].(string)] = sandbox.Strings(r["addresses"])
	}
	portGroups := map[string][]string{}
	for _, r := range sbRows(b, c, "Port_Group", "name,ports") {
		portGroups[r["name"].(string)] = sandbox.Strings(r["ports"])
	}
	type lf struct {
		match string
		dp    int64
	}
	groups := map[string][]string{}
	for _, r := range sbRows(b, c, "Logical_DP_Group", "_uuid,datapaths") {
		groups[sandbox.Strings(r["_uuid"])[0]] = sandbox.Strings(r["datapaths"])
	}
	// A flow on a datapath group is compiled once per member, as the
	// agent does (port group names carry the datapath key).
	var flows []lf
	for _, r := range sbRows(b, c, "Logical_Flow", "match,logical_datapath,logical_dp_group") {
		dps := sandbox.Strings(r["logical_datapath"])
		if g := sandbox.Strings(r["logical_dp_group"]); len(g) == 1 {
			dps = groups[g[0]]
		}
		for _, d := range dps {
			flows = append(flows, lf{r["match"].(string), dpKey[d]})
		}
	}
	opts := expr.CompileOptions{
		AddrSets: expr.AddressSets(addrSets), PortGroups: expr.PortGroups(portGroups),
		LookupPort: func(string) (uint32, bool) { return 1, true },
	}
	b.ReportAllocs()
	b.ResetTimer()
	var compiled, failed, matches int
	for range b.N {
		for _, f := range flows {
			opts.DPID = f.dp
			res, err := expr.Compile(f.match, opts)
			if err != nil {
				if failed == 0 {
					b.Logf("first failure: %v", err)
				}
				failed++
				continue
			}
			compiled++
			matches += len(res.Matches)
		}
	}
	b.StopTimer()
	if failed > 0 {
		b.Errorf("%d of %d northd matches failed to compile", failed/b.N, len(flows))
	}
	b.ReportMetric(float64(compiled)/b.Elapsed().Seconds(), "lflows/s")
	b.ReportMetric(float64(matches)/float64(b.N), "flows/op")
	b.ReportMetric(float64(len(flows)), "compilations/op")
}
