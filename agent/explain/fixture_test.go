package explain

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// fixture is an explanation's inputs as `explain --json --with-catalog`
// saved them on a real chassis (e2e TestExplain with
// CHASSISD_EXPLAIN_FIXTURES set): the command line, the packet, every
// ofproto/trace run (flow and output file, the last is the one explained)
// and the catalog.
type fixture struct {
	Args   []string `json:"args"`
	Packet Packet   `json:"packet"`
	Traces []struct {
		Flow string `json:"flow"`
		File string `json:"file"`
	} `json:"traces"`
	Catalog Catalog `json:"catalog"`

	name    string
	outputs map[string]string // flow -> ofproto/trace output
	last    string
}

func loadFixture(t *testing.T, name string) *fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{name: name, outputs: map[string]string{}}
	if err := json.Unmarshal(b, f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, tr := range f.Traces {
		out, err := os.ReadFile(filepath.Join("testdata", tr.File))
		if err != nil {
			t.Fatal(err)
		}
		f.outputs[tr.Flow] = string(out)
		f.last = string(out)
	}
	return f
}

// tracer answers ofproto/trace from the recorded runs.
func (f *fixture) tracer(t *testing.T, asked *[]string) Tracer {
	return func(args ...string) (string, error) {
		*asked = append(*asked, args[0])
		out, ok := f.outputs[args[0]]
		if !ok {
			t.Errorf("%s: ofproto/trace asked for a flow never recorded: %s", f.name, args[0])
			return "", &traceError{args[0]}
		}
		return out, nil
	}
}

type traceError struct{ flow string }

func (e *traceError) Error() string { return "no recorded trace for " + e.flow }

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s: output differs from %s (go test -update rewrites it)\n--- got:\n%s", name, path, got)
	}
}

// allSteps flattens an explanation's steps.
func allSteps(ex *Explanation) []StepReport {
	var out []StepReport
	for _, p := range ex.Passes {
		for _, s := range p.Segments {
			out = append(out, s.Steps...)
		}
	}
	return out
}

// findStep is the first step of a stage (suffix) whose notes or objects
// mention text.
func findStep(ex *Explanation, stage, text string) *StepReport {
	for _, st := range allSteps(ex) {
		if !strings.HasSuffix(st.Stage, stage) {
			continue
		}
		all := strings.Join(st.Notes, "\n")
		for _, o := range st.Objects {
			all += "\n" + o.Summary + " " + o.ID
			for k, v := range o.Neutron {
				all += " " + k + "=" + v
			}
		}
		if strings.Contains(all, text) {
			return &st
		}
	}
	return nil
}

var importDir = flag.String("import", "", "convert the --with-catalog JSON files of this directory (e2e TestExplain with "+
	"CHASSISD_EXPLAIN_FIXTURES=dir) into testdata fixtures")

// TestImportFixtures refreshes testdata from a run of the e2e suite:
//
//	CHASSISD_E2E=1 CHASSISD_E2E_AGENT=chassisd CHASSISD_EXPLAIN_FIXTURES=/tmp/fx go test -run TestExplain ./e2e/
//	go test ./agent/explain -run TestImportFixtures -import /tmp/fx && go test ./agent/explain -update
func TestImportFixtures(t *testing.T) {
	if *importDir == "" {
		t.Skip("no -import directory")
	}
	files, _ := filepath.Glob(filepath.Join(*importDir, "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var ex Explanation
		if err := json.Unmarshal(b, &ex); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if ex.Catalog == nil || len(ex.Traces) == 0 {
			t.Fatalf("%s: not explain --json --with-catalog output", file)
		}
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		fx := fixture{Args: ex.Args, Packet: ex.Packet, Catalog: *ex.Catalog}
		for i, tr := range ex.Traces {
			f := name + ".trace"
			if i < len(ex.Traces)-1 {
				f = name + "." + strconv.Itoa(i+1) + ".trace"
			}
			if err := os.WriteFile(filepath.Join("testdata", f), []byte(tr.Output), 0o644); err != nil {
				t.Fatal(err)
			}
			fx.Traces = append(fx.Traces, struct {
				Flow string `json:"flow"`
				File string `json:"file"`
			}{tr.Flow, f})
		}
		out, err := json.MarshalIndent(fx, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", name+".json"), append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
