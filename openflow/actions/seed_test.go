package actions

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/openflow/expr"
)

// seedFile is the real 24.03 scenario whose `ovn-sbctl lflow-list` output
// every action must compile from.
func seedFile(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHASSISD_SEED")
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "seed", "geneve-network-ovn.md")
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("seed not found: %v", err)
		}
		t.Skipf("seed not found: %v", err)
	}
	return path
}

var lflowLine = regexp.MustCompile(`^\s*table=\s*(\d+)\s*\(\s*(\w+)\s*\)\s*, priority=\d+\s*, match=\(.*\), action=\((.*)\)\s*$`)

// TestSeedLflowsCompile parses and encodes every action of the seed's
// lflow-list output in its own pipeline and table.
func TestSeedLflowsCompile(t *testing.T) {
	f, err := os.Open(seedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	symtab := expr.NewOVNSymtab()
	groups, meters := NewExtendTable("group-table", MaxGroupID), NewExtendTable("meter-table", MaxMeterID)
	pipeline := Ingress
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Datapath:") {
			pipeline = Ingress
			if strings.HasSuffix(strings.TrimSpace(line), "Pipeline: egress") {
				pipeline = Egress
			}
			continue
		}
		m := lflowLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		table, _ := strconv.Atoi(m[1])
		isSwitch := strings.HasPrefix(m[2], "ls_")
		pp := &ParseParams{
			Symtab: symtab, DHCPOptions: DefaultDHCPOptions(), DHCPv6Options: DefaultDHCPv6Options(),
			NDRAOptions: DefaultNDRAOptions(), ControllerEvents: DefaultControllerEvents(),
			Pipeline: pipeline, NTables: 29, CurTable: table,
		}
		acts, _, err := Parse(m[3], pp)
		if err != nil {
			t.Errorf("%s: %v", m[3], err)
			continue
		}
		formatted := acts.String()
		if again, _, err := Parse(formatted, pp); err != nil || again.String() != formatted {
			t.Errorf("%s: formats as %q, which does not round-trip (%v)", m[3], formatted, err)
		}
		ep := DefaultEncodeParams(pipeline, isSwitch)
		ep.GroupTable, ep.MeterTable = groups, meters
		ep.LookupPort = func(string) (uint32, bool) { return 0, false }
		if _, err := acts.Encode(&ep); err != nil {
			t.Errorf("%s: encode: %v", m[3], err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d logical flows found in the seed", n)
	}
	t.Logf("%d logical flow actions compiled", n)
}
