package actions

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// vectorsDir finds ../shared/vectors relative to the repository root (or
// $CHASSISD_VECTORS). It skips the test when the directory is missing,
// except under CI=true, where that is a failure.
func vectorsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CHASSISD_VECTORS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir = filepath.Join(root, "..", "shared", "vectors")
	}
	if _, err := os.Stat(filepath.Join(dir, "actions.jsonl")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("vectors not found in %s: %v", dir, err)
		}
		t.Skipf("vectors not found in %s: %v", dir, err)
	}
	return dir
}

type actionVector struct {
	Seq                int      `json:"seq"`
	Input              string   `json:"input"`
	ExpectedFormatted  *string  `json:"expected_formatted"`
	RoundtripFormatted *string  `json:"roundtrip_formatted"`
	ExpectedEncoded    *string  `json:"expected_encoded"`
	ExpectedPrereqs    *string  `json:"expected_prereqs"`
	ExpectedError      *string  `json:"expected_error"`
	ExpectedOutput     []string `json:"expected_output"`
	Source             struct {
		Line int `json:"line"`
	} `json:"source"`
}

func loadVectors(t testing.TB, dir string) []actionVector {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "actions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []actionVector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v actionVector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("bad vector: %v", err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func loadTestContext(t testing.TB, dir string) *Context {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "context.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, err := LoadContext(f)
	if err != nil {
		t.Fatal(err)
	}
	return &ctx
}

// loadExclusions reads testdata/excluded.txt: "<source line> <reason>" per
// line, # comments allowed.
func loadExclusions(t testing.TB) map[int]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "excluded.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		var line int
		var reason string
		fields := strings.SplitN(l, " ", 2)
		if _, err := fmt.Sscan(fields[0], &line); err != nil || len(fields) < 2 {
			t.Fatalf("bad exclusion line %q", l)
		}
		reason = fields[1]
		out[line] = reason
	}
	return out
}

// TestVectors runs upstream's "action parsing" vectors in seq order in one
// context, so group and meter ids come out as upstream's.
func TestVectors(t *testing.T) {
	dir := vectorsDir(t)
	vs := loadVectors(t, dir)
	ctx := loadTestContext(t, dir)
	excluded := loadExclusions(t)
	pass, fail := 0, 0
	for _, v := range vs {
		got := ParseActionsLine(ctx, v.Input)[1:]
		want := v.ExpectedOutput
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			pass++
			if reason, ok := excluded[v.Source.Line]; ok {
				t.Errorf("seq %d (line %d) passes but is excluded (%s)", v.Seq, v.Source.Line, reason)
			}
			continue
		}
		if _, ok := excluded[v.Source.Line]; ok {
			continue
		}
		fail++
		t.Errorf("seq %d (ovn.at:%d) %s\n got:\n%s\nwant:\n%s", v.Seq, v.Source.Line, v.Input,
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("vectors: %d/%d pass, %d excluded", pass, len(vs), len(excluded))
}

// TestRoundTrip checks that every action string that parses formats to a
// string that parses back to itself.
func TestRoundTrip(t *testing.T) {
	dir := vectorsDir(t)
	ctx := loadTestContext(t, dir)
	for _, v := range loadVectors(t, dir) {
		acts, _, err := Parse(v.Input, &ctx.Parse)
		if err != nil {
			continue
		}
		f := acts.String()
		acts2, _, err := Parse(f, &ctx.Parse)
		if err != nil {
			t.Errorf("%q: reparse of %q: %v", v.Input, f, err)
			continue
		}
		if f2 := acts2.String(); f2 != f {
			t.Errorf("%q: %q reformats as %q", v.Input, f, f2)
		}
	}
}
