package explain

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tableLines counts the lookups ofproto/trace printed, independently of
// the parser.
var tableLines = regexp.MustCompile(`(?m)^ *\d+\. `)

func TestParseTraceKeepsEveryLookup(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.trace")
	if len(files) == 0 {
		t.Fatal("no traces in testdata")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := ParseTrace(string(b))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		n := 0
		for _, p := range tr.Passes {
			n += len(p.Steps)
			if p.Flow == "" || p.DatapathActions == "" {
				t.Errorf("%s: pass %q without flow or datapath actions", f, p.RecircID)
			}
		}
		if want := len(tableLines.FindAllString(string(b), -1)); n != want {
			t.Errorf("%s: %d steps parsed, %d lookups printed", f, n, want)
		}
		if want := strings.Count(string(b), "resume conntrack with") + 1; len(tr.Passes) != want {
			t.Errorf("%s: %d passes, want %d", f, len(tr.Passes), want)
		}
	}
}

func parseFile(t *testing.T, name string) *Trace {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ParseTraceMust(t, string(b))
}

// findParsed returns the first step of the pass in table (and bridge).
func findParsed(p Pass, bridge string, table int) *Step {
	for i := range p.Steps {
		if p.Steps[i].Table == table && p.Steps[i].Bridge == bridge {
			return &p.Steps[i]
		}
	}
	return nil
}

func actionTexts(st *Step) []string {
	var out []string
	for _, a := range st.Actions {
		out = append(out, a.Text)
	}
	return out
}

func TestParseTraceStructure(t *testing.T) {
	tr := parseFile(t, "ping-geneve.trace")
	if len(tr.Passes) != 2 {
		t.Fatalf("%d passes", len(tr.Passes))
	}
	p0, p1 := tr.Passes[0], tr.Passes[1]
	if p0.RecircID != "" || p1.RecircID == "" || p1.CTState != "trk|new" || !p1.CTDefault {
		t.Errorf("passes: %q, %q %q default=%v", p0.RecircID, p1.RecircID, p1.CTState, p1.CTDefault)
	}
	if !strings.Contains(strings.Join(p1.Notes, "|"), "Resuming from table 15") {
		t.Errorf("recirculation notes %q", p1.Notes)
	}
	// The table 8 lookup calls table 73 and goes on after it returns.
	t8, t73 := findParsed(p0, "br-int", 8), findParsed(p0, "br-int", 73)
	if t8 == nil || t73 == nil || t8.Depth != 0 || t73.Depth != 1 {
		t.Fatalf("table 8 %+v, table 73 %+v", t8, t73)
	}
	if got := actionTexts(t73); len(got) != 1 || got[0] != "set_field:0/0x1000->reg10" {
		t.Errorf("table 73 actions %q", got)
	}
	acts := actionTexts(t8)
	if len(acts) != 4 || acts[2] != "move:NXM_NX_REG10[12]->NXM_NX_XXREG0[111]" || acts[3] != "resubmit(,9)" {
		t.Errorf("table 8 actions %q: the actions after the nested lookup belong to it", acts)
	}
	if n := t8.Actions[2].Notes; len(n) != 1 || n[0] != "NXM_NX_XXREG0[111] is now 0" {
		t.Errorf("remark of the move: %q", n)
	}
	if t8.Priority != 50 || t8.Match != "metadata=0x1" || t8.Cookie == 0 {
		t.Errorf("table 8 rule: %+v", t8)
	}
	// The tunnel output, the underlay bridge it crosses, and back.
	t39, phy, t40 := findParsed(p1, "br-int", 39), findParsed(p1, "br-phy", 0), findParsed(p1, "br-int", 40)
	if t39 == nil || phy == nil || t40 == nil {
		t.Fatalf("tables 39 %v, br-phy 0 %v, 40 %v", t39, phy, t40)
	}
	var out *Action
	for i := range t39.Actions {
		if t39.Actions[i].Text == "output:1" {
			out = &t39.Actions[i]
		}
	}
	if out == nil || !strings.Contains(strings.Join(out.Notes, "|"), "tunneling to 172.31.255.2") {
		t.Errorf("tunnel output %+v", out)
	}
	if got := actionTexts(phy); len(got) != 1 || got[0] != "NORMAL" {
		t.Errorf("br-phy actions %q", got)
	}
	if got := actionTexts(t39); got[len(got)-1] != "resubmit(,40)" {
		t.Errorf("table 39 ends with %q, want resubmit(,40) after the br-phy detour", got[len(got)-1])
	}

	lb := parseFile(t, "lb-ex-vm2.trace")
	var nat *Pass
	for i := range lb.Passes {
		if lb.Passes[i].NATTo != "" {
			nat = &lb.Passes[i]
		}
	}
	if nat == nil || !strings.Contains(nat.NATFrom, "nw_dst=10.99.0.10") || !strings.Contains(nat.NATTo, "nw_dst=192.168.111.12") {
		t.Errorf("NAT of the recirculation: %+v", nat)
	}

	f := parseFile(t, "foreign.trace")
	st := f.Passes[0].Steps
	if len(st) != 1 || st[0].Cookie != 0 || st[0].Priority != 200 || st[0].Match != "icmp,in_port=2" ||
		len(st[0].Actions) != 1 || st[0].Actions[0].Text != "drop" || f.Passes[0].DatapathActions != "drop" {
		t.Errorf("foreign flow trace: %+v", f.Passes[0])
	}
}

func TestParseTraceEdgeCases(t *testing.T) {
	const text = `Flow: in_port=9,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,dl_type=0x0000

bridge("br-int")
----------------
 0. priority 0
    resubmit(,120)
120. No match, and a "packet-in" is called for.
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,in_port=9,dl_type=0x0000
Datapath actions: drop
This flow is handled by the userspace slow path because it:
  - Sends "packet-in" messages to the OpenFlow controller.
`
	tr := ParseTraceMust(t, text)
	st := tr.Passes[0].Steps
	if len(st) != 2 || st[0].Match != "" || st[0].Priority != 0 || st[1].Table != 120 || !st[1].NoMatch {
		t.Errorf("steps %+v", st)
	}
	if n := tr.Passes[0].Notes; len(n) != 2 || !strings.Contains(n[1], "packet-in") {
		t.Errorf("notes after the datapath actions: %q", n)
	}
	for _, bad := range []string{"", "Bad openflow flow syntax: in_port=x", "ovs-appctl: no such bridge"} {
		if _, err := ParseTrace(bad); err == nil {
			t.Errorf("ParseTrace(%q) accepted it", bad)
		}
	}
}

// ParseTraceMust parses a trace the test knows is good.
func ParseTraceMust(t *testing.T, s string) *Trace {
	t.Helper()
	tr, err := ParseTrace(s)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
