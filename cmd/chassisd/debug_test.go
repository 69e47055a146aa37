package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func vectorsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CHASSISD_VECTORS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "vectors")
	}
	if _, err := os.Stat(filepath.Join(dir, "context.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("vectors not found in %s: %v", dir, err)
		}
		t.Skipf("vectors not found in %s", dir)
	}
	return dir
}

// The debug tools are what a user runs when a flow looks wrong; check the
// command-line plumbing end to end with upstream's context.
func TestDebugTools(t *testing.T) {
	dir := vectorsDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "context.json"))
	if err != nil {
		t.Fatal(err)
	}
	var full struct {
		Expr struct {
			Context json.RawMessage `json:"context"`
		} `json:"expr"`
	}
	if err := json.Unmarshal(raw, &full); err != nil {
		t.Fatal(err)
	}
	exprCtx := filepath.Join(t.TempDir(), "expr.json")
	if err := os.WriteFile(exprCtx, full.Expr.Context, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		in   string
		want string
	}{
		{[]string{"expr-to-flows", "--context", exprCtx}, "inport == \"lsp1\" && ip4.src == $set1\n",
			"ip,reg14=0x11,nw_src=10.0.0.1\nip,reg14=0x11,nw_src=10.0.0.2\nip,reg14=0x11,nw_src=10.0.0.3\n"},
		{[]string{"parse-expr"}, "123\n",
			"Syntax error at end of input expecting relational operator.\n"},
		{[]string{"parse-actions", "--context", filepath.Join(dir, "context.json")}, "next(pipeline=egress, table=5);\n",
			"next(pipeline=egress, table=5);\n    encodes as resubmit(,47)\n"},
	} {
		var out, errOut bytes.Buffer
		if rc := runDebug(tc.args, strings.NewReader(tc.in), &out, &errOut); rc != 0 {
			t.Errorf("%v: exit %d: %s", tc.args, rc, errOut.String())
			continue
		}
		if out.String() != tc.want {
			t.Errorf("%v on %q:\ngot  %q\nwant %q", tc.args, tc.in, out.String(), tc.want)
		}
	}
	var out, errOut bytes.Buffer
	if rc := runDebug([]string{"no-such-tool"}, strings.NewReader(""), &out, &errOut); rc != 2 {
		t.Errorf("unknown tool: exit %d", rc)
	}
}
