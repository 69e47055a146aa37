package expr

import (
	"fmt"
	"math/bits"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// This file ports upstream's `test-ovn exhaustive` self-check: it builds
// every Boolean expression of N terminals over small test variables, runs
// it through the compiler phases and checks the result against direct
// evaluation for every variable assignment. The enumeration (compositions,
// tree shapes, terminal order) follows test-ovn.c so the printed counts
// match upstream's.

// compositions enumerates the compositions of n (Knuth 7.2.1.1, ex. 12a).
type composition struct {
	state uint
	s     [50]int
	sn    int
}

func (c *composition) first(n int) {
	c.state = 0
	c.s[0] = n
	c.sn = 1
}

// next advances to the next composition; sn becomes 0 when none is left.
func (c *composition) next() {
	s := &c.s
	j := c.sn - 1
	c.state++
	if c.state&1 != 0 {
		if s[j] > 1 {
			s[j]--
			s[j+1] = 1
			j++
		} else {
			j--
			s[j]++
		}
	} else {
		if s[j-1] > 1 {
			s[j-1]--
			s[j+1] = s[j]
			s[j] = 1
			j++
		} else {
			j--
			if j == 0 {
				c.sn = 0
				return
			}
			s[j] = s[j+1]
			s[j-1]++
		}
	}
	c.sn = j + 1
}

func initTreeShapeRec(ts []composition, n int) int {
	if n <= 2 {
		return 0
	}
	nt := 1
	// The first composition (n itself) is skipped on purpose.
	ts[0].first(n)
	ts[0].next()
	for i := 0; i < ts[0].sn; i++ {
		nt += initTreeShapeRec(ts[nt:], ts[0].s[i])
	}
	return nt
}

func initTreeShape(ts []composition, n int) int {
	switch n {
	case 1:
		ts[0].sn, ts[0].s[0] = 1, 1
		return 1
	case 2:
		ts[0].sn, ts[0].s[0], ts[0].s[1] = 2, 1, 1
		return 1
	}
	return initTreeShapeRec(ts, n)
}

func nextTreeShape(ts []composition, nt int) int {
	if nt == 1 && ts[0].sn == 2 && ts[0].s[0] == 1 && ts[0].s[1] == 1 {
		return 0
	}
	for nt > 0 {
		p := &ts[nt-1]
		if p.sn > 1 {
			p.next()
		} else {
			p.sn = 0
		}
		if p.sn != 0 {
			for i := 0; i < p.sn; i++ {
				nt += initTreeShapeRec(ts[nt:], p.s[i])
			}
			break
		}
		nt--
	}
	return nt
}

type exhaustive struct {
	op        int // 0 convert, 1 simplify, 2 normalize, 3 flow
	nvars     []*Symbol
	svars     []*Symbol
	nBits     int
	relops    uint
	symtab    *Symtab
	terminals []*Expr
}

func rightmostBit(x uint) Relop { return Relop(bits.TrailingZeros(x)) }

func (x *exhaustive) initTerminal(e *Expr, phase int) {
	*e = Expr{}
	switch {
	case phase < 1 && len(x.nvars) > 0:
		e.Type, e.Symbol, e.Relop = Cmp, x.nvars[0], rightmostBit(x.relops)
	case phase < 2 && len(x.svars) > 0:
		e.Type, e.Symbol, e.Relop, e.Str = Cmp, x.svars[0], Eq, "0"
	default:
		e.Type = Boolean
	}
}

func nextVar(sym *Symbol, vars []*Symbol) *Symbol {
	for i, v := range vars {
		if v == sym {
			if i+1 >= len(vars) {
				return nil
			}
			return vars[i+1]
		}
	}
	panic("unknown var")
}

func (x *exhaustive) nextRelop(r Relop) Relop {
	remaining := x.relops &^ (1<<(uint(r)+1) - 1)
	if remaining != 0 {
		return rightmostBit(remaining)
	}
	return rightmostBit(x.relops)
}

func (x *exhaustive) nextTerminal(e *Expr) bool {
	if e.Type == Boolean {
		if e.Bool {
			return false
		}
		e.Bool = true
		return true
	}
	if e.Symbol.Width == 0 {
		next, _ := strconv.Atoi(e.Str)
		next++
		if next > 1 {
			e.Symbol = nextVar(e.Symbol, x.svars)
			if e.Symbol == nil {
				x.initTerminal(e, 2)
				return true
			}
			next = 0
		}
		e.Str = strconv.Itoa(next)
		return true
	}
	nb := uint(x.nBits)
	next := uint(e.Value.Uint64()) + uint(e.Mask.Uint64())<<nb
	for {
		next++
		m := next >> nb
		v := next & (1<<nb - 1)
		if next >= 1<<(2*nb) {
			old := e.Relop
			e.Relop = x.nextRelop(old)
			if e.Relop <= old {
				e.Symbol = nextVar(e.Symbol, x.nvars)
				if e.Symbol == nil {
					x.initTerminal(e, 1)
					return true
				}
			}
			next = ^uint(0)
		} else if v&^m != 0 {
			// 1-bits in the value under 0-bits of the mask.
		} else if (m == 0 || ((m&-m)+m)&m != 0) && e.Relop != Eq && e.Relop != Ne {
			// Relational operators need a contiguous, non-empty mask.
		} else {
			e.Value.SetUint64(uint64(v))
			e.Mask.SetUint64(uint64(m))
			return true
		}
	}
}

func (x *exhaustive) makeTerminal() *Expr {
	e := NewBoolean(true)
	x.terminals = append(x.terminals, e)
	return e
}

func (x *exhaustive) buildSimpleTree(typ Type, n int) *Expr {
	if n == 2 {
		return &Expr{Type: typ, Subs: []*Expr{x.makeTerminal(), x.makeTerminal()}}
	}
	return x.makeTerminal()
}

func (x *exhaustive) buildTreeShape(typ Type, ts *[]composition) *Expr {
	shape := (*ts)[0]
	*ts = (*ts)[1:]
	e := &Expr{Type: typ}
	t := And
	if typ == And {
		t = Or
	}
	for i := 0; i < shape.sn; i++ {
		var sub *Expr
		if shape.s[i] > 2 {
			sub = x.buildTreeShape(t, ts)
		} else {
			sub = x.buildSimpleTree(t, shape.s[i])
		}
		e.Subs = append(e.Subs, sub)
	}
	return e
}

func atoiPort(name string) (uint32, bool) {
	n, _ := strconv.Atoi(name)
	return uint32(n), true
}

// lookupFlows emulates an OVS classifier lookup at one priority: a packet
// hits if an ordinary match matches it, or if all clauses of some
// conjunction match and that conjunction's conj_id flow matches too.
func lookupFlows(ms []*Match, vars []*Symbol, value func(*OVSField) []byte) bool {
	matchesFields := func(m *Match) bool {
		for _, s := range vars {
			ff, _ := s.Field.FlowField()
			want, mask, ok := m.Flow.Get(ff)
			if !ok {
				continue
			}
			v := value(s.Field)
			for i := range want {
				if v[i]&mask[i] != want[i] {
					return false
				}
			}
		}
		return true
	}
	clauses := map[uint32]map[uint8]bool{}
	for _, m := range ms {
		if m.ConjID != 0 || !matchesFields(m) {
			continue
		}
		if len(m.Conjunctions) == 0 {
			return true
		}
		for _, c := range m.Conjunctions {
			if clauses[c.ID] == nil {
				clauses[c.ID] = map[uint8]bool{}
			}
			clauses[c.ID][c.Clause] = true
		}
	}
	for _, m := range ms {
		if m.ConjID == 0 || !matchesFields(m) {
			continue
		}
		n := 0
		for _, mm := range ms {
			for _, c := range mm.Conjunctions {
				if c.ID == m.ConjID && int(c.NClauses) > n {
					n = int(c.NClauses)
				}
			}
		}
		if n > 0 && len(clauses[m.ConjID]) == n {
			return true
		}
	}
	return false
}

func (x *exhaustive) testShape(t *testing.T, e *Expr) int {
	nTested := 0
	for _, term := range x.terminals {
		x.initTerminal(term, 0)
	}
	regs := make([][]byte, len(x.nvars)+len(x.svars))
	for i := range regs {
		regs[i] = make([]byte, 4)
	}
	regIndex := map[*OVSField]int{}
	for i, s := range append(append([]*Symbol(nil), x.nvars...), x.svars...) {
		regIndex[s.Field] = i
	}
	value := func(f *OVSField) []byte { return regs[regIndex[f]] }
	nVarBits := x.nBits*len(x.nvars) + len(x.svars)
	for {
		for i := len(x.terminals) - 1; ; i-- {
			if i == 0 {
				return nTested
			}
			if x.nextTerminal(x.terminals[i]) {
				break
			}
			x.initTerminal(x.terminals[i], 0)
		}
		if !e.honorsInvariants() {
			t.Fatalf("%s does not honor the invariants", e)
		}
		nTested++

		var modified *Expr
		if x.op == 0 {
			var err error
			modified, err = ParseString(e.String(), x.symtab, nil)
			if err != nil {
				t.Fatalf("%s fails to parse (%v)", e, err)
			}
		} else {
			modified = EvaluateConditions(Simplify(e.Clone()), func(string) bool { return true })
			if !modified.honorsInvariants() {
				t.Fatalf("simplified %s -> %s does not honor the invariants", e, modified)
			}
			if x.op >= 2 {
				modified = Normalize(modified)
				if !modified.honorsInvariants() || !modified.isNormalized() {
					t.Fatalf("normalized %s -> %s is not normalized", e, modified)
				}
			}
		}
		var ms []*Match
		if x.op >= 3 {
			ms, _ = ToMatches(modified, atoiPort)
		}
		varMask := uint32(1)<<uint(x.nBits) - 1
		for subst := 0; subst < 1<<nVarBits; subst++ {
			for i := range x.nvars {
				v := uint32(subst>>(i*x.nBits)) & varMask
				regs[i][0], regs[i][1], regs[i][2], regs[i][3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
			}
			for i := range x.svars {
				regs[len(x.nvars)+i][3] = byte(subst>>(len(x.nvars)*x.nBits+i)) & 1
			}
			expected := Evaluate(e, value, atoiPort)
			if actual := Evaluate(modified, value, atoiPort); actual != expected {
				t.Fatalf("%s evaluates to %v, but %s evaluates to %v, for subst %#x", e, expected, modified, actual, subst)
			}
			if x.op >= 3 {
				if found := lookupFlows(ms, append(append([]*Symbol(nil), x.nvars...), x.svars...), value); found != expected {
					var lines []string
					for _, m := range ms {
						lines = append(lines, m.String())
					}
					t.Fatalf("%s and %s evaluate to %v for subst %#x, but the flows say %v:\n%s", e, modified, expected, subst, found, strings.Join(lines, "\n"))
				}
			}
		}
	}
}

// runExhaustive runs `test-ovn exhaustive` and returns its summary line.
func runExhaustive(t *testing.T, op string, nvars, svars, nBits int, relops string, nTerminals int) string {
	x := &exhaustive{nBits: nBits, symtab: NewSymtab()}
	x.op = map[string]int{"convert": 0, "simplify": 1, "normalize": 2, "flow": 3}[op]
	l := NewLexer(relops)
	for l.Get() != TokEnd {
		if r, ok := relopFromToken(l.Token.Type); ok {
			x.relops |= 1 << uint(r)
		} else if l.Token.Type != TokComma {
			t.Fatalf("bad relops %q", relops)
		}
	}
	for i := 0; i < nvars; i++ {
		s, err := x.symtab.AddField(fmt.Sprintf("n%d", i), fmt.Sprintf("reg%d", i), "", false, WriteDefault)
		if err != nil {
			t.Fatal(err)
		}
		x.nvars = append(x.nvars, s)
	}
	for i := 0; i < svars; i++ {
		s, err := x.symtab.AddString(fmt.Sprintf("s%d", i), fmt.Sprintf("reg%d", nvars+i), "", WriteDefault)
		if err != nil {
			t.Fatal(err)
		}
		x.svars = append(x.svars, s)
	}

	nTested := 0
	var ts [50]composition
	for i := 0; i < 2; i++ {
		base := And
		if i == 1 {
			base = Or
		}
		for nt := initTreeShape(ts[:], nTerminals); nt != 0; nt = nextTreeShape(ts[:], nt) {
			x.terminals = x.terminals[:0]
			shapes := ts[:nt]
			e := x.buildTreeShape(base, &shapes)
			if len(x.terminals) != nTerminals {
				t.Fatalf("tree shape has %d terminals, want %d", len(x.terminals), nTerminals)
			}
			nTested += x.testShape(t, e)
		}
	}

	var sb strings.Builder
	sb.WriteString("Tested ")
	sb.WriteString(map[string]string{"convert": "converting", "simplify": "simplifying", "normalize": "normalizing", "flow": "converting to flows"}[op])
	if nTested != 0 {
		fmt.Fprintf(&sb, " %d expressions of %d terminals", nTested, nTerminals)
	} else {
		fmt.Fprintf(&sb, " all %d-terminal expressions", nTerminals)
	}
	if nvars != 0 || svars != 0 {
		sb.WriteString(" with")
		if nvars != 0 {
			fmt.Fprintf(&sb, " %d numeric vars (each %d bits) in terms of operators", nvars, nBits)
			for r := x.relops; r != 0; r &= r - 1 {
				sb.WriteString(" " + rightmostBit(r).String())
			}
		}
		if nvars != 0 && svars != 0 {
			sb.WriteString(" and")
		}
		if svars != 0 {
			fmt.Fprintf(&sb, " %d string vars", svars)
		}
	} else {
		sb.WriteString(" in terms of Boolean constants only")
	}
	sb.WriteString(".\n")
	return sb.String()
}

func TestVectorsExhaustive(t *testing.T) {
	dir := vectorsDir(t)
	excl := exclusions(t)
	type vec struct {
		Options struct {
			Operation string `json:"operation"`
			NVars     int    `json:"nvars"`
			SVars     int    `json:"svars"`
			Bits      int    `json:"bits"`
			Relops    string `json:"relops"`
		} `json:"options"`
		NTerminals     int          `json:"n_terminals"`
		ExpectedStdout string       `json:"expected_stdout"`
		Slow           bool         `json:"slow"`
		Source         vectorSource `json:"source"`
	}
	vs := readJSONL[vec](t, filepath.Join(dir, "exhaustive.jsonl"))
	if len(vs) != 16 {
		t.Errorf("exhaustive.jsonl has %d vectors, want 16", len(vs))
	}
	for _, v := range vs {
		t.Run(fmt.Sprintf("line%d", v.Source.Line), func(t *testing.T) {
			skipExcluded(t, excl, "exhaustive.jsonl", v.Source.Line)
			// About 17 s for all 16 on one core; upstream marks some as
			// slowtest. None run with -short.
			if testing.Short() {
				t.Skipf("exhaustive self-check (slow=%v) runs only without -short", v.Slow)
			}
			o := v.Options
			got := runExhaustive(t, o.Operation, o.NVars, o.SVars, o.Bits, o.Relops, v.NTerminals)
			if got != v.ExpectedStdout {
				t.Errorf("got %q, want %q", got, v.ExpectedStdout)
			}
		})
	}
}
