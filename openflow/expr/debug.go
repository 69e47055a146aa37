package expr

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// DebugContext is what the debug commands resolve names against. Its JSON
// form is the `context` object of the test vectors:
//
//	{"ports": {"eth0": 5}, "address_sets": {"set1": ["10.0.0.1"]},
//	 "port_groups_sb": {"0_pg1": ["lsp1"]}, "dp_id": 0,
//	 "chassis_resident_ports": ["eth0"]}
//
// When chassis_resident_ports is absent, a port is resident if it is a key
// of ports (upstream's test driver does that).
type DebugContext struct {
	Ports                map[string]uint32   `json:"ports"`
	AddressSets          map[string][]string `json:"address_sets"`
	PortGroupsSB         map[string][]string `json:"port_groups_sb"`
	DPID                 int64               `json:"dp_id"`
	ChassisResidentPorts []string            `json:"chassis_resident_ports"`
	// TestSymbols adds upstream's five negative-test symbols to the table.
	TestSymbols bool `json:"test_symbols"`
}

// LoadDebugContext reads a DebugContext from a JSON file.
func LoadDebugContext(path string) (*DebugContext, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read debug context: %w", err)
	}
	var ctx DebugContext
	if err := json.Unmarshal(data, &ctx); err != nil {
		return nil, fmt.Errorf("parse debug context %s: %w", path, err)
	}
	return &ctx, nil
}

func (c *DebugContext) lookupPort(name string) (uint32, bool) {
	p, ok := c.Ports[name]
	return p, ok
}

func (c *DebugContext) isChassisResident(name string) bool {
	if c.ChassisResidentPorts == nil {
		_, ok := c.Ports[name]
		return ok
	}
	for _, p := range c.ChassisResidentPorts {
		if p == name {
			return true
		}
	}
	return false
}

// DebugCommands lists the commands RunDebugCommand knows.
var DebugCommands = []string{"lex", "parse-expr", "annotate-expr", "simplify-expr", "normalize-expr", "expr-to-flows", "dump-symtab"}

// RunDebugCommand runs one of upstream `ovstest test-ovn`'s subcommands:
// it reads lines from in and writes what test-ovn prints to out. Lines that
// start with '#' are echoed, text after a '#' is dropped, and blank lines
// print an empty line. expr-to-flows prints its matches sorted.
func RunDebugCommand(name string, ctx *DebugContext, in io.Reader, out io.Writer) error {
	if ctx == nil {
		ctx = &DebugContext{}
	}
	symtab := NewOVNSymtab()
	if ctx.TestSymbols {
		symtab.AddTestSymbols()
	}
	opts := &ParseOptions{AddrSets: AddressSets(ctx.AddressSets), PortGroups: PortGroups(ctx.PortGroupsSB), DPID: ctx.DPID}
	w := bufio.NewWriter(out)

	if name == "dump-symtab" {
		for _, s := range symtab.Symbols() {
			fmt.Fprintln(w, s.String())
		}
		return w.Flush()
	}
	var step func(line string) string
	switch name {
	case "lex":
		step = LexLine
	case "parse-expr", "annotate-expr", "simplify-expr", "normalize-expr", "expr-to-flows":
		steps := map[string]int{"parse-expr": 0, "annotate-expr": 1, "simplify-expr": 2, "normalize-expr": 3, "expr-to-flows": 4}[name]
		step = func(line string) string {
			return debugExpr(line, steps, symtab, opts, ctx)
		}
	default:
		return fmt.Errorf("unknown debug command %q (known: %s)", name, strings.Join(DebugCommands, ", "))
	}

	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line, process := TestLine(sc.Text())
		if !process {
			fmt.Fprintln(w, line)
			continue
		}
		fmt.Fprintln(w, step(line))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	return w.Flush()
}

// TestLine applies OVS ds_get_test_line's rules to one input line: a line
// starting with '#' is echoed unprocessed; otherwise the text from the first
// '#' is dropped and a line left blank is echoed as an empty line. It
// returns the text and whether to process it.
func TestLine(line string) (string, bool) {
	line = strings.TrimSuffix(line, "\r")
	if strings.HasPrefix(line, "#") {
		return line, false
	}
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	if strings.Trim(line, " \t\n") == "" {
		return "", false
	}
	return line, true
}

// LexLine tokenizes line and formats the tokens as test-ovn lex does.
func LexLine(line string) string {
	var sb strings.Builder
	l := NewLexer(line)
	first := true
	for l.Get() != TokEnd {
		if !first {
			sb.WriteByte(' ')
		}
		first = false
		l.Token.AppendTo(&sb)
	}
	return sb.String()
}

func debugExpr(line string, steps int, symtab *Symtab, opts *ParseOptions, ctx *DebugContext) string {
	e, err := ParseString(line, symtab, opts)
	if err == nil && steps > 0 {
		e, err = Annotate(e, symtab)
	}
	if err != nil {
		return err.Error()
	}
	if steps > 1 {
		e = Simplify(e)
		e = EvaluateConditions(e, ctx.isChassisResident)
	}
	if steps > 2 {
		e = Normalize(e)
	}
	if steps > 3 {
		ms, _ := ToMatches(e, ctx.lookupPort)
		return FormatMatches(ms)
	}
	return e.String()
}

// FormatMatches prints matches as test-ovn expr-to-flows does, one per line
// in byte order (upstream's tests pipe them through sort), or "(no flows)".
func FormatMatches(ms []*Match) string {
	if len(ms) == 0 {
		return "(no flows)"
	}
	lines := make([]string, len(ms))
	for i, m := range ms {
		lines[i] = m.String()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
