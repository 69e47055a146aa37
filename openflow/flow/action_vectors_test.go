package flow

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// actionVectorsDir locates the shared OVN test vectors: $CHASSISD_VECTORS or
// ../shared/vectors next to the repository root. Missing vectors skip the
// test, or fail it when CI=true.
func actionVectorsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CHASSISD_VECTORS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatalf("no go.mod above %s", wd)
			}
			root = parent
		}
		dir = filepath.Join(root, "..", "shared", "vectors")
	}
	if _, err := os.Stat(filepath.Join(dir, "actions.jsonl")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("vectors: %v", err)
		}
		t.Skipf("vectors: %v", err)
	}
	return dir
}

// vectorEncodings returns every distinct expected_encoded text of the OVN
// parse-actions vectors: each OpenFlow action list OVN 24.03 emits there.
func vectorEncodings(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(actionVectorsDir(t), "actions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v struct {
			ExpectedEncoded *string `json:"expected_encoded"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if v.ExpectedEncoded != nil && !seen[*v.ExpectedEncoded] {
			seen[*v.ExpectedEncoded] = true
			out = append(out, *v.ExpectedEncoded)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ovsCanonical is the text OVS itself prints for an OVN encoding: OVN's
// test output shows the source of a learn spec it leaves 0 bits wide as
// "[0..-1]"; on the wire the spec width applies, and OVS prints "[]".
func ovsCanonical(s string) string { return strings.ReplaceAll(s, "[0..-1]", "[]") }

// TestActionVectors builds every action list OVN's parse-actions vectors
// encode, checks String prints it exactly, and that the wire form decodes
// back to the same text.
func TestActionVectors(t *testing.T) {
	texts := vectorEncodings(t)
	pass := 0
	for _, text := range texts {
		want := ovsCanonical(text)
		as, err := parseActionsText(want)
		if err != nil {
			t.Errorf("parse %q: %v", want, err)
			continue
		}
		if got := as.String(); got != want {
			t.Errorf("String:\n got %s\nwant %s", got, want)
			continue
		}
		wire := as.Append(nil)
		back, err := DecodeActions(wire)
		if err != nil {
			t.Errorf("decode %q: %v", want, err)
			continue
		}
		if got := back.String(); got != want {
			t.Errorf("wire round trip:\n got %s\nwant %s", got, want)
			continue
		}
		pass++
	}
	t.Logf("action vectors: %d/%d distinct encodings pass", pass, len(texts))
	if len(texts) < 100 {
		t.Errorf("only %d distinct encodings in the vectors", len(texts))
	}
}
