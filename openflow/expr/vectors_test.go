package expr

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// vectorsDir finds upstream's test vectors: $CHASSISD_VECTORS, or
// ../shared/vectors relative to the repository root. Missing vectors skip
// the test, except under CI=true where they fail it.
func vectorsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CHASSISD_VECTORS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		// openflow/expr -> repository root -> ../shared/vectors
		dir = filepath.Join(wd, "..", "..", "..", "shared", "vectors")
	}
	if _, err := os.Stat(filepath.Join(dir, "context.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test vectors not found in %s (set CHASSISD_VECTORS): %v", dir, err)
		}
		t.Skipf("test vectors not found in %s: %v", dir, err)
	}
	return dir
}

type vectorSource struct {
	Line int    `json:"line"`
	Test string `json:"test"`
}

// readJSONL decodes every line of a .jsonl vector file into T.
func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// exclusions reads testdata/excluded.txt: "<file>:<line> <reason>" per line.
func exclusions(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "excluded.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, _ := strings.Cut(line, " ")
		out[key] = strings.TrimSpace(reason)
	}
	return out
}

func skipExcluded(t *testing.T, excl map[string]string, file string, line int) {
	t.Helper()
	if reason, ok := excl[file+":"+strconv.Itoa(line)]; ok {
		t.Skipf("excluded: %s", reason)
	}
}

// vectorContext is the `context` object of the vectors.
func vectorContext(t *testing.T, dir string) *DebugContext {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "context.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Expr struct {
			Context *DebugContext `json:"context"`
		} `json:"expr"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Expr.Context == nil {
		t.Fatal("context.json has no expr.context")
	}
	c.Expr.Context.TestSymbols = true
	return c.Expr.Context
}

func runDebug(t *testing.T, cmd string, ctx *DebugContext, input string) string {
	t.Helper()
	var out strings.Builder
	if err := RunDebugCommand(cmd, ctx, strings.NewReader(input+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(out.String(), "\n")
}

func TestVectorsLexer(t *testing.T) {
	dir := vectorsDir(t)
	excl := exclusions(t)
	type vec struct {
		Input    string       `json:"input"`
		Expected string       `json:"expected"`
		Source   vectorSource `json:"source"`
	}
	vs := readJSONL[vec](t, filepath.Join(dir, "lexer.jsonl"))
	if len(vs) != 78 {
		t.Errorf("lexer.jsonl has %d vectors, want 78", len(vs))
	}
	for _, v := range vs {
		t.Run(fmt.Sprintf("line%d", v.Source.Line), func(t *testing.T) {
			skipExcluded(t, excl, "lexer.jsonl", v.Source.Line)
			if got := runDebug(t, "lex", nil, v.Input); got != v.Expected {
				t.Errorf("lex %q:\n got %q\nwant %q", v.Input, got, v.Expected)
			}
			// Like upstream's driver: every formatted token lexes back to
			// the same token.
			l := NewLexer(v.Input)
			for l.Get() != TokEnd {
				if l.Token.Type == TokError {
					continue
				}
				text := l.Token.String()
				l2 := NewLexer(text)
				l2.Get()
				if !sameToken(&l.Token, &l2.Token) {
					t.Errorf("token %q does not lex back: got %q", text, l2.Token.String())
				}
			}
		})
	}
}

func sameToken(a, b *Token) bool {
	if a.Type != b.Type || a.S != b.S {
		return false
	}
	if a.Type == TokInteger || a.Type == TokMaskedInteger {
		if a.Value != b.Value || (a.Type == TokMaskedInteger && a.Mask != b.Mask) {
			return false
		}
		if a.Format != b.Format && !(a.Format == FormatHexadecimal && b.Format == FormatDecimal && a.Value.IsZero()) {
			return false
		}
	}
	return true
}

func TestVectorsExprParse(t *testing.T) {
	dir := vectorsDir(t)
	excl := exclusions(t)
	ctx := vectorContext(t, dir)
	type vec struct {
		Mode            string       `json:"mode"`
		Input           string       `json:"input"`
		Expected        string       `json:"expected"`
		ExpectedIsError bool         `json:"expected_is_error"`
		Source          vectorSource `json:"source"`
	}
	vs := readJSONL[vec](t, filepath.Join(dir, "expr-parse.jsonl"))
	if len(vs) != 165 {
		t.Errorf("expr-parse.jsonl has %d vectors, want 165", len(vs))
	}
	for _, v := range vs {
		t.Run(fmt.Sprintf("line%d", v.Source.Line), func(t *testing.T) {
			skipExcluded(t, excl, "expr-parse.jsonl", v.Source.Line)
			if got := runDebug(t, v.Mode, ctx, v.Input); got != v.Expected {
				t.Errorf("%s %q:\n got %q\nwant %q", v.Mode, v.Input, got, v.Expected)
			}
		})
	}
}

func TestVectorsDumpSymtab(t *testing.T) {
	dir := vectorsDir(t)
	excl := exclusions(t)
	ctx := vectorContext(t, dir)
	type vec struct {
		GrepRegex string       `json:"grep_regex"`
		Sorted    bool         `json:"sorted"`
		Expected  []string     `json:"expected"`
		Source    vectorSource `json:"source"`
	}
	vs := readJSONL[vec](t, filepath.Join(dir, "dump-symtab.jsonl"))
	if len(vs) != 2 {
		t.Errorf("dump-symtab.jsonl has %d vectors, want 2", len(vs))
	}
	all := strings.Split(runDebug(t, "dump-symtab", ctx, ""), "\n")
	for _, v := range vs {
		t.Run(fmt.Sprintf("line%d", v.Source.Line), func(t *testing.T) {
			skipExcluded(t, excl, "dump-symtab.jsonl", v.Source.Line)
			re := regexp.MustCompile(v.GrepRegex)
			var got []string
			for _, l := range all {
				if re.MatchString(l) {
					got = append(got, l)
				}
			}
			if v.Sorted {
				sort.Strings(got)
			}
			if strings.Join(got, "\n") != strings.Join(v.Expected, "\n") {
				t.Errorf("dump-symtab | grep %s:\n got %q\nwant %q", v.GrepRegex, got, v.Expected)
			}
		})
	}
}

// TestSymtabMatchesContext checks every symbol of the production table (and
// the test-only ones) against the symbol facts extracted from upstream.
func TestSymtabMatchesContext(t *testing.T) {
	dir := vectorsDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "context.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Symtab struct {
			Symbols []struct {
				Name             string   `json:"name"`
				Kind             string   `json:"kind"`
				Width            int      `json:"width"`
				Level            string   `json:"level"`
				Prereqs          *string  `json:"prereqs"`
				MustCrossproduct bool     `json:"must_crossproduct"`
				RW               []string `json:"rw"`
				OVSField         string   `json:"ovs_field"`
				Dump             string   `json:"dump"`
				DefinedBy        string   `json:"defined_by"`
			} `json:"symbols"`
		} `json:"symtab"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	prod := NewOVNSymtab()
	full := NewOVNSymtab()
	full.AddTestSymbols()
	nProd := 0
	for _, want := range c.Symtab.Symbols {
		if want.DefinedBy == "ovn_init_symtab" {
			nProd++
			if _, ok := prod.Lookup(want.Name); !ok {
				t.Errorf("production symtab lacks %s", want.Name)
			}
		}
		got, ok := full.Lookup(want.Name)
		if !ok {
			t.Errorf("missing symbol %s", want.Name)
			continue
		}
		if got.Width != want.Width {
			t.Errorf("%s: width %d, want %d", want.Name, got.Width, want.Width)
		}
		if got.Level.String() != map[string]string{"ordinal": "ordinal", "nominal": "nominal", "boolean": "Boolean"}[want.Level] {
			t.Errorf("%s: level %s, want %s", want.Name, got.Level, want.Level)
		}
		wantPrereqs := ""
		if want.Prereqs != nil {
			wantPrereqs = *want.Prereqs
		}
		if got.Prereqs != wantPrereqs {
			t.Errorf("%s: prereqs %q, want %q", want.Name, got.Prereqs, wantPrereqs)
		}
		if got.MustCrossproduct != want.MustCrossproduct {
			t.Errorf("%s: must_crossproduct %v", want.Name, got.MustCrossproduct)
		}
		var rw []string
		switch got.RW {
		case 0:
		case WriteAll:
			rw = []string{"ALL"}
		default:
			if got.RW&WriteDefault != 0 {
				rw = append(rw, "WR_DEFAULT")
			}
			if got.RW&WriteCTCommit != 0 {
				rw = append(rw, "WR_CT_COMMIT")
			}
		}
		if strings.Join(rw, ",") != strings.Join(want.RW, ",") {
			t.Errorf("%s: rw %v, want %v", want.Name, rw, want.RW)
		}
		if want.OVSField != "" && (got.Field == nil || got.Field.Name != want.OVSField) {
			t.Errorf("%s: OVS field %v, want %s", want.Name, got.Field, want.OVSField)
		}
		if got.String() != want.Dump {
			t.Errorf("%s: dump %q, want %q", want.Name, got.String(), want.Dump)
		}
	}
	if n := len(prod.Symbols()); n != nProd {
		t.Errorf("production symtab has %d symbols, upstream %d", n, nProd)
	}
}

func TestVectorsExprToFlows(t *testing.T) {
	dir := vectorsDir(t)
	excl := exclusions(t)
	type vec struct {
		Match          string   `json:"match"`
		ExpectedFlows  []string `json:"expected_flows"`
		FlowCountCheck *struct {
			Op    string `json:"op"`
			Value int    `json:"value"`
		} `json:"flow_count_check"`
		OutputSorted bool          `json:"output_sorted"`
		Context      *DebugContext `json:"context"`
		Source       vectorSource  `json:"source"`
	}
	vs := readJSONL[vec](t, filepath.Join(dir, "expr-to-flows.jsonl"))
	if len(vs) != 35 {
		t.Errorf("expr-to-flows.jsonl has %d vectors, want 35", len(vs))
	}
	for _, v := range vs {
		t.Run(fmt.Sprintf("line%d", v.Source.Line), func(t *testing.T) {
			skipExcluded(t, excl, "expr-to-flows.jsonl", v.Source.Line)
			ctx := v.Context
			if ctx == nil {
				t.Fatal("vector has no context")
			}
			ctx.TestSymbols = true
			got := strings.Split(runDebug(t, "expr-to-flows", ctx, v.Match), "\n")
			if v.FlowCountCheck != nil {
				if v.FlowCountCheck.Op != "le" {
					t.Fatalf("unknown flow count check %q", v.FlowCountCheck.Op)
				}
				if len(got) > v.FlowCountCheck.Value {
					t.Errorf("%s: %d flows, want at most %d", v.Match, len(got), v.FlowCountCheck.Value)
				}
				return
			}
			if v.OutputSorted {
				sort.Strings(got)
			}
			if strings.Join(got, "\n") != strings.Join(v.ExpectedFlows, "\n") {
				t.Errorf("%s:\n got %q\nwant %q", v.Match, got, v.ExpectedFlows)
			}
		})
	}
}
