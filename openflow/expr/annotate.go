package expr

import "fmt"

// expansion is a successfully parsed and annotated prerequisite or
// predicate, cached per symbol table.
type expansion struct {
	e *Expr
	// names are the symbols annotation checked against the nesting set; a
	// later use inside a nesting that contains one of them must fail as
	// upstream does, so it is recomputed instead of taken from the cache.
	names []string
}

// annotator carries the state of one annotation.
type annotator struct {
	symtab  *Symtab
	nesting map[string]bool // symbols being expanded, to catch recursion
	checked []string        // every symbol checked against nesting so far
}

// parseAndAnnotate parses and annotates a prerequisite or predicate
// expansion. The result is the caller's to modify.
func (a *annotator) parseAndAnnotate(s string) (*Expr, error) {
	if v, ok := a.symtab.expansions.Load(s); ok {
		x := v.(*expansion)
		clash := false
		for _, n := range x.names {
			if a.nesting[n] {
				clash = true
				break
			}
		}
		if !clash {
			a.checked = append(a.checked, x.names...)
			return x.e.Clone(), nil
		}
	}
	start := len(a.checked)
	e, err := ParseString(s, a.symtab, nil)
	if err == nil {
		e, err = a.annotate(e, true)
	}
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("Error parsing expression `%s' encountered as prerequisite or predicate of initial expression: %s", s, err.Error())}
	}
	names := append([]string(nil), a.checked[start:]...)
	a.symtab.expansions.Store(s, &expansion{e: e.Clone(), names: names})
	return e, nil
}

func (a *annotator) annotateCmp(e *Expr, appendPrereqs bool) (*Expr, error) {
	sym := e.Symbol
	a.checked = append(a.checked, sym.Name)
	if a.nesting[sym.Name] {
		return nil, &Error{Msg: fmt.Sprintf("Recursive expansion of symbol `%s'.", sym.Name)}
	}
	a.nesting[sym.Name] = true
	defer delete(a.nesting, sym.Name)

	var prereqs *Expr
	if appendPrereqs && sym.Prereqs != "" {
		var err error
		if prereqs, err = a.parseAndAnnotate(sym.Prereqs); err != nil {
			return nil, err
		}
	}
	switch {
	case sym.Parent != nil:
		e.Symbol = sym.Parent
		e.Value.shiftLeft(sym.ParentOfs)
		e.Mask.shiftLeft(sym.ParentOfs)
	case sym.Predicate != "":
		pred, err := a.parseAndAnnotate(sym.Predicate)
		if err != nil {
			return nil, err
		}
		if positive := e.Value.Bit(0) != (e.Relop == Ne); !positive {
			pred.Not()
		}
		e = pred
	}
	if prereqs != nil {
		return Combine(And, e, prereqs), nil
	}
	return e, nil
}

func (a *annotator) annotate(e *Expr, appendPrereqs bool) (*Expr, error) {
	switch e.Type {
	case Cmp:
		return a.annotateCmp(e, appendPrereqs)
	case And, Or:
		// When every term tests the same symbol, its prerequisites are
		// added once for the whole node instead of once per term.
		if appendPrereqs {
			if sym := e.uniqueSymbol(); sym != nil {
				appendPrereqs = false
				if sym.Prereqs != "" {
					prereqs, err := a.parseAndAnnotate(sym.Prereqs)
					if err != nil {
						return nil, err
					}
					e = Combine(And, e, prereqs)
				}
			}
		}
		subs := e.Subs
		out := make([]*Expr, 0, len(subs))
		for _, s := range subs {
			n, err := a.annotate(s, appendPrereqs)
			if err != nil {
				return nil, err
			}
			out = appendFlat(out, e.Type, n)
		}
		e.Subs = out
		return e, nil
	}
	return e, nil
}

// Annotate expands subfields into their parent fields, predicates into
// their expansions, and ANDs in every symbol's prerequisites (OVN
// expr_annotate). It consumes e.
func Annotate(e *Expr, symtab *Symtab) (*Expr, error) {
	a := annotator{symtab: symtab, nesting: map[string]bool{}}
	return a.annotate(e, true)
}

// parseAndAnnotate parses and annotates a prerequisite string on its own.
func parseAndAnnotate(s string, symtab *Symtab) (*Expr, error) {
	a := annotator{symtab: symtab, nesting: map[string]bool{}}
	return a.parseAndAnnotate(s)
}

func simplifyNe(e *Expr) *Expr {
	var out *Expr
	w := e.Symbol.Width
	for i := e.Mask.scan(true, 0, w); i < w; i = e.Mask.scan(true, i+1, w) {
		n := &Expr{Type: Cmp, Symbol: e.Symbol, Relop: Eq}
		n.Value.SetBit(i, !e.Value.Bit(i))
		n.Mask.SetBit(i, true)
		out = Combine(Or, out, n)
	}
	if out == nil {
		// "x != 0/0" is the opposite of "x == 0/0", which is true.
		return NewBoolean(false)
	}
	return out
}

func simplifyRelational(e *Expr) *Expr {
	start, nBits := findBitwiseRange(&e.Mask, e.Symbol.Width)
	end := start + nBits
	lt := e.Relop == Lt || e.Relop == Le
	eq := e.Relop == Le || e.Relop == Ge
	// "x <= max" and "x >= 0" are always true; "x < max" and "x > 0" are
	// just "x != bound".
	if e.Value.scan(!lt, start, end) == end {
		if eq {
			return NewBoolean(true)
		}
		return simplifyNe(e)
	}
	var out *Expr
	if eq {
		n := e.Clone()
		n.Relop = Eq
		out = n
	}
	for z := e.Value.scan(lt, start, end); z < end; z = e.Value.scan(lt, z+1, end) {
		n := e.Clone()
		n.Relop = Eq
		n.Value.ToggleBit(z)
		n.Value.setRange(start, z-start, false)
		n.Mask.setRange(start, z-start, false)
		out = Combine(Or, out, n)
	}
	if out == nil {
		return NewBoolean(false)
	}
	return out
}

// Simplify rewrites every comparison into equality tests (OVN
// expr_simplify). It consumes e.
func Simplify(e *Expr) *Expr {
	switch e.Type {
	case Cmp:
		switch {
		case e.Symbol.Width == 0:
			return e
		case e.Relop == Eq:
			if e.Mask.IsZero() {
				return NewBoolean(true)
			}
			return e
		case e.Relop == Ne:
			return simplifyNe(e)
		default:
			return simplifyRelational(e)
		}
	case And, Or:
		out := make([]*Expr, 0, len(e.Subs))
		for _, s := range e.Subs {
			out = appendFlat(out, e.Type, Simplify(s))
		}
		e.Subs = out
		return fix(e)
	}
	return e
}

// EvaluateConditions replaces each is_chassis_resident(port) by its value
// from isChassisResident (OVN expr_evaluate_condition). It consumes e.
func EvaluateConditions(e *Expr, isChassisResident func(port string) bool) *Expr {
	switch e.Type {
	case And, Or:
		out := make([]*Expr, 0, len(e.Subs))
		for _, s := range e.Subs {
			out = appendFlat(out, e.Type, fix(EvaluateConditions(s, isChassisResident)))
		}
		e.Subs = out
		return fix(e)
	case Condition:
		r := isChassisResident != nil && isChassisResident(e.CondPort)
		return NewBoolean(r != e.CondNot)
	}
	return e
}
