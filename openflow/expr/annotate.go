package expr

import "fmt"

// parseAndAnnotate parses and annotates a prerequisite or predicate
// expansion. nesting holds the symbols being expanded, to catch recursion.
func parseAndAnnotate(s string, symtab *Symtab, nesting map[string]bool) (*Expr, error) {
	e, err := ParseString(s, symtab, nil)
	if err == nil {
		e, err = annotate(e, symtab, true, nesting)
	}
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("Error parsing expression `%s' encountered as prerequisite or predicate of initial expression: %s", s, err.Error())}
	}
	return e, nil
}

func annotateCmp(e *Expr, symtab *Symtab, appendPrereqs bool, nesting map[string]bool) (*Expr, error) {
	sym := e.Symbol
	if nesting[sym.Name] {
		return nil, &Error{Msg: fmt.Sprintf("Recursive expansion of symbol `%s'.", sym.Name)}
	}
	nesting[sym.Name] = true
	defer delete(nesting, sym.Name)

	var prereqs *Expr
	if appendPrereqs && sym.Prereqs != "" {
		var err error
		if prereqs, err = parseAndAnnotate(sym.Prereqs, symtab, nesting); err != nil {
			return nil, err
		}
	}
	switch {
	case sym.Parent != nil:
		e.Symbol = sym.Parent
		e.Value.shiftLeft(sym.ParentOfs)
		e.Mask.shiftLeft(sym.ParentOfs)
	case sym.Predicate != "":
		pred, err := parseAndAnnotate(sym.Predicate, symtab, nesting)
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

func annotate(e *Expr, symtab *Symtab, appendPrereqs bool, nesting map[string]bool) (*Expr, error) {
	switch e.Type {
	case Cmp:
		return annotateCmp(e, symtab, appendPrereqs, nesting)
	case And, Or:
		// When every term tests the same symbol, its prerequisites are
		// added once for the whole node instead of once per term.
		if appendPrereqs {
			if sym := e.uniqueSymbol(); sym != nil {
				appendPrereqs = false
				if sym.Prereqs != "" {
					prereqs, err := parseAndAnnotate(sym.Prereqs, symtab, nesting)
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
			n, err := annotate(s, symtab, appendPrereqs, nesting)
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
	return annotate(e, symtab, true, map[string]bool{})
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
