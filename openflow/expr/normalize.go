package expr

import (
	"bytes"
	"sort"
	"strings"
)

// crushAndString intersects an And of string comparisons on one symbol.
func crushAndString(e *Expr, sym *Symbol) *Expr {
	var singleton *Expr
	kept := make([]*Expr, 0, len(e.Subs))
	for _, s := range e.Subs {
		n := crushCmps(s, sym)
		switch n.Type {
		case Cmp:
			if singleton == nil {
				kept = append(kept, n)
				singleton = n
			} else if n.Str != singleton.Str {
				return NewBoolean(false)
			}
		case Or:
			kept = append(kept, n)
		case Boolean:
			if !n.Bool {
				return n
			}
		}
	}
	if singleton != nil {
		for _, s := range kept {
			if s.Type == Or && !disjunctionHasString(s, singleton.Str) {
				return NewBoolean(false)
			}
		}
		return singleton
	}

	// Only disjunctions left: the result is the intersection of their
	// strings.
	var result map[string]bool
	for _, s := range kept {
		strs := make(map[string]bool, len(s.Subs))
		for _, c := range s.Subs {
			strs[c.Str] = true
		}
		if result == nil {
			result = strs
		} else {
			for k := range result {
				if !strs[k] {
					delete(result, k)
				}
			}
		}
		if len(result) == 0 {
			return NewBoolean(false)
		}
	}
	names := make([]string, 0, len(result))
	for k := range result {
		names = append(names, k)
	}
	sort.Strings(names)
	or := &Expr{Type: Or}
	for _, n := range names {
		or.Subs = append(or.Subs, &Expr{Type: Cmp, Relop: Eq, Symbol: sym, Str: n})
	}
	return fix(or)
}

func disjunctionHasString(or *Expr, s string) bool {
	for _, c := range or.Subs {
		if c.Str == s {
			return true
		}
	}
	return false
}

func compareCmps(a, b *Expr) int {
	if a.Symbol.Width == 0 {
		return strings.Compare(a.Str, b.Str)
	}
	if a.maskNBits != b.maskNBits {
		if a.maskNBits < b.maskNBits {
			return -1
		}
		return 1
	}
	if d := bytes.Compare(a.Value[:], b.Value[:]); d != 0 {
		return d
	}
	return bytes.Compare(a.Mask[:], b.Mask[:])
}

// canIntersect reports whether two value/mask pairs can match one value.
func canIntersect(a, b *Expr) bool {
	for i := range a.Value {
		if (a.Value[i]^b.Value[i])&a.Mask[i]&b.Mask[i] != 0 {
			return false
		}
	}
	return true
}

// maskIsSuperset reports whether every bit of sub is set in sup.
func maskIsSuperset(sup, sub *Value128) bool {
	for i := range sup {
		if sub[i]&^sup[i] != 0 {
			return false
		}
	}
	return true
}

// crushOrSupersets removes duplicate comparisons from an Or of comparisons
// on one symbol, and, for ordinal fields, comparisons already covered by a
// wider one (e.g. 10.0.0.1 when 10.0.0.0/8 is there).
func crushOrSupersets(e *Expr, sym *Symbol) *Expr {
	subs := e.Subs
	for _, s := range subs {
		if sym.Width != 0 {
			s.maskNBits = s.Mask.onesCount()
		}
	}
	sort.SliceStable(subs, func(i, j int) bool { return compareCmps(subs[i], subs[j]) < 0 })

	modified := false
	uniq := subs[:1]
	for _, s := range subs[1:] {
		if compareCmps(uniq[len(uniq)-1], s) != 0 {
			uniq = append(uniq, s)
		} else {
			modified = true
		}
	}
	subs = uniq

	// Keep address-set matches intact unless something already changed, so
	// that they can still be traced to the set.
	if sym.Width != 0 && sym.Level == Ordinal && (modified || e.AsName == "") {
		// subs is sorted by mask size; a comparison can only be covered by
		// one with fewer mask bits, which comes earlier.
		removed := make([]bool, len(subs))
		for i, a := range subs {
			if removed[i] {
				continue
			}
			for j := i + 1; j < len(subs); j++ {
				b := subs[j]
				if removed[j] || b.maskNBits <= a.maskNBits {
					continue
				}
				if canIntersect(a, b) && maskIsSuperset(&b.Mask, &a.Mask) {
					removed[j] = true
					modified = true
				}
			}
		}
		out := subs[:0]
		for i, s := range subs {
			if !removed[i] {
				out = append(out, s)
			}
		}
		subs = out
	}
	e.Subs = subs
	if modified {
		e.AsName = ""
	}
	return e
}

// crushAndNumeric intersects an And of comparisons on one numeric symbol.
func crushAndNumeric(e *Expr, sym *Symbol) *Expr {
	var value, mask Value128
	var ors []*Expr
	for _, s := range e.Subs {
		n := crushCmps(s, sym)
		switch n.Type {
		case Cmp:
			v, m, ok := intersect128(&value, &mask, &n.Value, &n.Mask)
			if !ok {
				return NewBoolean(false)
			}
			value, mask = v, m
		case Or:
			ors = append(ors, n)
		case Boolean:
			if !n.Bool {
				return n
			}
		}
	}
	switch len(ors) {
	case 0:
		if mask.IsZero() {
			return NewBoolean(true)
		}
		return &Expr{Type: Cmp, Symbol: sym, Relop: Eq, Value: value, Mask: mask}
	case 1:
		// a && (b || c || d) becomes ab || ac || ad.
		or := &Expr{Type: Or}
		for _, c := range ors[0].Subs {
			v, m, ok := intersect128(&value, &mask, &c.Value, &c.Mask)
			if ok {
				c.Value, c.Mask = v, m
				or.Subs = append(or.Subs, c)
			}
		}
		switch len(or.Subs) {
		case 0:
			return NewBoolean(false)
		case 1:
			return or.Subs[0]
		}
		return crushCmps(or, sym)
	}
	// x && (a0 || a1) && (b0 || b1) && rest becomes
	// (xa0b0 || xa0b1 || xa1b0 || xa1b1) && rest.
	as, bs := ors[0], ors[1]
	rest := ors[2:]
	or := &Expr{Type: Or}
	for _, a := range as.Subs {
		av, am, ok := intersect128(&value, &mask, &a.Value, &a.Mask)
		if !ok {
			continue
		}
		for _, b := range bs.Subs {
			v, m, ok := intersect128(&av, &am, &b.Value, &b.Mask)
			if ok {
				or.Subs = append(or.Subs, &Expr{Type: Cmp, Symbol: sym, Relop: Eq, Value: v, Mask: m})
			}
		}
	}
	switch {
	case len(or.Subs) == 0:
		return NewBoolean(false)
	case len(or.Subs) == 1:
		if len(rest) == 0 {
			return crushCmps(or.Subs[0], sym)
		}
		return crushCmps(Combine(And, or.Subs[0], andOf(rest)), sym)
	case len(rest) != 0:
		return crushCmps(Combine(And, or, andOf(rest)), sym)
	}
	return crushCmps(or, sym)
}

// andOf wraps subs in an And node (or returns the single one).
func andOf(subs []*Expr) *Expr {
	if len(subs) == 1 {
		return subs[0]
	}
	return &Expr{Type: And, Subs: subs}
}

func crushOr(e *Expr, sym *Symbol) *Expr {
	out := make([]*Expr, 0, len(e.Subs))
	for _, s := range e.Subs {
		out = appendFlat(out, Or, crushCmps(s, sym))
	}
	e.Subs = out
	e = fix(e)
	if e.Type != Or {
		return e
	}
	return fix(crushOrSupersets(e, sym))
}

// crushCmps reduces an expression over the single symbol sym to one
// comparison, an Or of comparisons, or a Boolean.
func crushCmps(e *Expr, sym *Symbol) *Expr {
	switch e.Type {
	case Or:
		return crushOr(e, sym)
	case And:
		if sym.Width != 0 {
			return crushAndNumeric(e, sym)
		}
		return crushAndString(e, sym)
	}
	return e
}

type sortItem struct {
	e    *Expr
	sym  *Symbol
	typ  Type
	size int
}

// sortAnd groups the terms of an And by symbol and crushes each group
// (OVN expr_sort).
func sortAnd(e *Expr) *Expr {
	items := make([]sortItem, len(e.Subs))
	for i, s := range e.Subs {
		it := sortItem{e: s, sym: s.uniqueSymbol()}
		if it.sym != nil {
			it.typ = Cmp
		} else {
			it.typ = s.Type
		}
		if s.Type == And || s.Type == Or {
			it.size = len(s.Subs)
		}
		items[i] = it
	}
	// Upstream's comparator ranks by node type, then symbol name, then (for
	// terms without a symbol) child count; the sort must be stable for the
	// conjunction clause numbers to come out the same.
	sort.SliceStable(items, func(i, j int) bool {
		a, b := &items[i], &items[j]
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		if a.sym != nil {
			return a.sym.Name < b.sym.Name
		}
		if a.typ == And || a.typ == Or {
			return a.size < b.size
		}
		return false
	})

	var out *Expr
	for i := 0; i < len(items); {
		if items[i].sym == nil {
			out = Combine(And, out, items[i].e)
			i++
			continue
		}
		j := i + 1
		for j < len(items) && items[j].sym == items[i].sym {
			j++
		}
		var crushed *Expr
		if j == i+1 {
			crushed = crushCmps(items[i].e, items[i].sym)
		} else {
			combined := items[i].e
			for k := i + 1; k < j; k++ {
				combined = Combine(And, combined, items[k].e)
			}
			crushed = crushCmps(combined, items[i].sym)
		}
		if crushed.Type == Boolean {
			if !crushed.Bool {
				return crushed
			}
		} else {
			out = Combine(And, out, crushed)
		}
		i = j
	}
	if out == nil {
		return NewBoolean(true)
	}
	return out
}

func normalizeAnd(e *Expr) *Expr {
	e = sortAnd(e)
	if e.Type != And {
		return e
	}
	// Adjacent comparisons on the same symbol: keep the intersection.
	subs := e.Subs
	out := make([]*Expr, 0, len(subs))
	for i, a := range subs {
		if i+1 < len(subs) {
			b := subs[i+1]
			if a.Type == Cmp && b.Type == Cmp && a.Symbol == b.Symbol {
				if a.Symbol.Width != 0 {
					v, m, ok := intersect128(&a.Value, &a.Mask, &b.Value, &b.Mask)
					if !ok {
						return NewBoolean(false)
					}
					b.Value, b.Mask = v, m
				} else if a.Str != b.Str {
					return NewBoolean(false)
				}
				continue
			}
		}
		out = append(out, a)
	}
	e.Subs = out
	if len(e.Subs) == 1 {
		return e.Subs[0]
	}

	for _, sub := range e.Subs {
		if sub.Type == Cmp || sub.Type == Condition {
			continue
		}
		sym := sub.uniqueSymbol()
		if sym != nil && !sym.MustCrossproduct {
			continue
		}
		// A disjunction over several symbols (or one that must not be a
		// conjunction dimension) is distributed over the other terms.
		or := &Expr{Type: Or}
		for _, k := range sub.Subs {
			and := &Expr{Type: And}
			for _, m := range e.Subs {
				term := m
				if m == sub {
					term = k
				}
				if term.Type == And {
					for _, p := range term.Subs {
						and.Subs = append(and.Subs, p.Clone())
					}
				} else {
					and.Subs = append(and.Subs, term.Clone())
				}
			}
			or.Subs = append(or.Subs, and)
		}
		return normalizeOr(or)
	}
	return e
}

func normalizeOr(e *Expr) *Expr {
	out := make([]*Expr, 0, len(e.Subs))
	for _, s := range e.Subs {
		if s.Type != And {
			out = append(out, s)
			continue
		}
		n := normalizeAnd(s)
		if n.Type == Boolean {
			if n.Bool {
				return n
			}
			continue
		}
		out = appendFlat(out, Or, n)
	}
	e.Subs = out
	switch len(e.Subs) {
	case 0:
		return NewBoolean(false)
	case 1:
		return e.Subs[0]
	}
	return e
}

// Normalize rewrites a simplified, condition-free expression into an Or of
// Ands whose terms each test one symbol, the form that maps onto OpenFlow
// flows and conjunctive matches (OVN expr_normalize). It consumes e.
func Normalize(e *Expr) *Expr {
	switch e.Type {
	case And:
		return normalizeAnd(e)
	case Or:
		return normalizeOr(e)
	}
	return e
}
