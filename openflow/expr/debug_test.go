package expr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunDebugCommandEchoRules(t *testing.T) {
	ctxFile := filepath.Join(t.TempDir(), "ctx.json")
	if err := os.WriteFile(ctxFile, []byte(`{"ports": {"eth0": 5, "lsp1": 17}, "address_sets": {"set1": ["10.0.0.1", "10.0.0.2"]},
		"port_groups_sb": {"0_pg1": ["lsp1", "lsp9"]}, "dp_id": 0, "chassis_resident_ports": ["lsp1"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, err := LoadDebugContext(ctxFile)
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		"# a comment is echoed",
		"",
		"   # only a trailing comment",
		`outport == @pg1 # a trailing comment is dropped`,
		`ip4.src == $set1 && is_chassis_resident("lsp1")`,
		`is_chassis_resident("eth0")`,
		`inport == "nope"`,
		`ip4.src ==`,
	}, "\n")
	var out strings.Builder
	if err := RunDebugCommand("expr-to-flows", ctx, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"# a comment is echoed",
		"",
		"",
		"reg15=0x11",
		"ip,nw_src=10.0.0.1",
		"ip,nw_src=10.0.0.2",
		"(no flows)",
		"(no flows)",
		"Syntax error at end of input expecting constant.",
	}, "\n") + "\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}

	out.Reset()
	if err := RunDebugCommand("simplify-expr", ctx, strings.NewReader(`is_chassis_resident("lsp1") && !is_chassis_resident("eth0") && tcp.dst > 65534`), &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "tcp.dst == 0xffff && ip.proto == 0x6 && (eth.type == 0x800 || eth.type == 0x86dd)\n"; got != want {
		t.Errorf("simplify-expr: got %q, want %q", got, want)
	}
	if err := RunDebugCommand("no-such", ctx, strings.NewReader(""), &out); err == nil {
		t.Error("unknown command accepted")
	}
	if _, err := LoadDebugContext(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing context file accepted")
	}
}

func TestStringFieldNormalization(t *testing.T) {
	lookup := func(name string) (uint32, bool) { return uint32(len(name)), true }
	tests := []struct{ match, want string }{
		{`inport == {"a", "bb", "ccc"} && inport == {"bb", "ccc", "dddd"}`, "reg14=0x2\nreg14=0x3"},
		{`inport == {"a", "bb"} && inport == "bb"`, "reg14=0x2"},
		{`inport == {"a", "bb"} && inport == "ccc"`, "(no flows)"},
		{`inport == {"a", "bb"} && inport == {"ccc"}`, "(no flows)"},
		{`!(inport != "a") && inport == {"a", "bb"}`, "reg14=0x1"},
	}
	for _, tc := range tests {
		c, err := Compile(tc.match, CompileOptions{LookupPort: lookup})
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatMatches(c.Matches); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.match, got, tc.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	st := DefaultSymtab()
	packet := map[string][]byte{
		"eth_type": {0x08, 0x00}, "nw_proto": {6}, "tcp_dst": {0, 80}, "reg14": {0, 0, 0, 5},
		"ip_src": {10, 0, 0, 1},
	}
	value := func(f *OVSField) []byte {
		if v, ok := packet[f.Name]; ok {
			return v
		}
		return make([]byte, f.Bytes())
	}
	ports := func(name string) (uint32, bool) { return map[string]uint32{"p5": 5}[name], name == "p5" }
	for match, want := range map[string]bool{
		"tcp && tcp.dst == 80":                    true,
		"tcp.dst < 1024 && ip4.src == 10.0.0.0/8": true,
		"udp":                      false,
		`inport == "p5" && ip4`:    true,
		`inport == "p6"`:           false,
		`!(inport != "p6")`:        false,
		`is_chassis_resident("x")`: true,
	} {
		e, err := ParseString(match, st, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e, err = Annotate(e, st); err != nil {
			t.Fatal(err)
		}
		if got := Evaluate(e, value, ports); got != want {
			t.Errorf("%s: %v, want %v", match, got, want)
		}
	}
}

func TestLexerStrings(t *testing.T) {
	for in, want := range map[string]string{
		`"a\"b\\c\/d\b\f\n\r\t"`:        `"a\"b\\c/d\b\f\n\r\t"`,
		`"\u00e9\u4e2d\ud83d\ude00"`:    "\"\u00e9\u4e2d\U0001F600\"",
		`"\u0001"`:                      `"\u0001"`,
		`"\x"`:                          `error("bad escape \\x")`,
		`"\u12"`:                        `error("quoted string ends within \\u escape")`,
		`"\u12zz"`:                      `error("malformed \\u escape")`,
		`"\u0000"`:                      `error("null bytes not supported in quoted strings")`,
		`"\ud83d"`:                      `error("malformed escaped surrogate pair")`,
		`"\ud83d\u0041"`:                `error("second half of escaped surrogate pair is not trailing surrogate")`,
		"\x01 \xff ~":                   `error("Invalid byte 0x1 in input.") error("Invalid byte 0x-1 in input.") error("Invalid character ` + "`~'" + ` in input.")`,
		`0x` + strings.Repeat("f", 257): `error("Hexadecimal constant requires more than 1024 bits.")`,
	} {
		if got := LexLine(in); got != want {
			t.Errorf("lex %q: got %s, want %s", in, got, want)
		}
	}
	if got, _ := ExpandTemplates("ip4.dst == ^vip && tcp.dst == ^port", map[string]string{"vip": "10.0.0.1"}); got != "ip4.dst==10.0.0.1&&tcp.dst==port" {
		t.Errorf("ExpandTemplates: %q", got)
	}
}
