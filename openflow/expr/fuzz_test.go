package expr

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	`foo bar baz quuxquuxquux _abcd_ a.b.c.d a123_.456`,
	`"abc\u0020def" "\ud83d\ude00" "\x"`,
	`$foo @pg ^tpl 0x1234/0xff 192.168.0.0/16 ::ffff:1.2.3.4 fe80::/10 01:23:45:67:ab:cd/ff:ff:ff:00:00:00`,
	`(){}[]==!=<<=>>=!&&||..,;=<->--: a/*b*/c // x`,
	`inport == "lsp1" && ip4.src == $set1 && tcp.dst == {80, 443}`,
	`ip && (!ct.est || (ct.est && ct_mark.blocked == 1))`,
	`1 < tcp.src <= 1000 || udp.dst != {53, 67} || eth.dst[40]`,
	`is_chassis_resident("cr-lrp") && outport == @pg1 && ip6.dst == ff02::1:ff00:0/104`,
	`reg0[0..3] == 0xf && xxreg1[64..127] != 0 && !(flags.loopback)`,
	`nd_ns && nd.target == fe80::1 || arp.op == {1, 2} && arp.tpa == 10.0.0.0/8`,
}

// FuzzLexer: lexing never panics, and every non-error token prints in a
// form that lexes back to the same token.
func FuzzLexer(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = LexLine(s)
		l := NewLexer(s)
		for i := 0; l.Get() != TokEnd; i++ {
			if i > len(s)+1 {
				t.Fatalf("lexer does not advance on %q", s)
			}
			if l.Token.Type == TokError {
				continue
			}
			text := l.Token.String()
			l2 := NewLexer(text)
			l2.Get()
			if !sameToken(&l.Token, &l2.Token) {
				t.Fatalf("token %q (from %q) lexes back as %q", text, s, l2.Token.String())
			}
		}
	})
}

// FuzzParse: parsing and the later phases never panic; a successful parse
// formats to text that parses again.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	symtab := NewOVNSymtab()
	opts := &ParseOptions{
		AddrSets:   AddressSets(map[string][]string{"set1": {"10.0.0.1", "10.0.0.2"}, "set2": {"::1", "fd00::/64"}}),
		PortGroups: PortGroups(map[string][]string{"0_pg1": {"lsp1", "lsp2"}}),
	}
	lookup := func(name string) (uint32, bool) { return uint32(len(name)), strings.HasPrefix(name, "lsp") }
	f.Fuzz(func(t *testing.T, s string) {
		// Normalization is exponential in the number of disjunctions by
		// design (as in OVN); keep inputs small enough to stay fast.
		if len(s) > 160 || strings.Count(s, "||")+strings.Count(s, "{")+strings.Count(s, "!=") > 6 {
			return
		}
		e, err := ParseString(s, symtab, opts)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("empty error for %q", s)
			}
			return
		}
		text := e.String()
		if _, err := ParseString(text, symtab, opts); err != nil {
			t.Fatalf("%q parses, formats as %q, which does not parse: %v", s, text, err)
		}
		if e, err = Annotate(e, symtab); err != nil {
			return
		}
		e = EvaluateConditions(Simplify(e), func(string) bool { return true })
		e = Normalize(e)
		ms, _ := ToMatches(e, lookup)
		for _, m := range ms {
			_ = m.String()
		}
	})
}
