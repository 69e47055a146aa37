package expr

import (
	"strconv"
	"strings"
)

// Type is the kind of an expression node.
type Type int

// Expression node kinds (OVN enum expr_type).
const (
	Cmp       Type = iota // compare a symbol with a constant
	And                   // conjunction of 2 or more subexpressions
	Or                    // disjunction of 2 or more subexpressions
	Boolean               // constant true or false
	Condition             // is_chassis_resident("port"), resolved per chassis
)

// Relop is a relational operator.
type Relop int

// Relational operators.
const (
	Eq Relop = iota
	Ne
	Lt
	Le
	Gt
	Ge
)

func (r Relop) String() string {
	return [...]string{"==", "!=", "<", "<=", ">", ">="}[r]
}

// relopFromToken maps a token to a relational operator.
func relopFromToken(t TokenType) (Relop, bool) {
	switch t {
	case TokEq:
		return Eq, true
	case TokNe:
		return Ne, true
	case TokLt:
		return Lt, true
	case TokLe:
		return Le, true
	case TokGt:
		return Gt, true
	case TokGe:
		return Ge, true
	}
	return 0, false
}

// turn gives the operator for swapped operands (a < b == b > a).
func (r Relop) turn() Relop {
	return [...]Relop{Eq, Ne, Gt, Ge, Lt, Le}[r]
}

// invert gives the negated operator.
func (r Relop) invert() Relop {
	return [...]Relop{Ne, Eq, Ge, Gt, Le, Lt}[r]
}

func (r Relop) test(cmp int) bool {
	switch r {
	case Eq:
		return cmp == 0
	case Ne:
		return cmp != 0
	case Lt:
		return cmp < 0
	case Le:
		return cmp <= 0
	case Gt:
		return cmp > 0
	}
	return cmp >= 0
}

// Expr is a node of an expression tree. Which fields are meaningful depends
// on Type. The invariants of OVN hold: And/Or nodes have at least two
// children, none of the same type as the node, and a Cmp's value has no bit
// outside its mask.
type Expr struct {
	Type Type
	// AsName is the address set an Or of == comparisons came from, kept so
	// that the matches can be traced back to it.
	AsName string

	// Cmp: Symbol Relop Value/Mask, or Symbol Relop Str for string fields.
	Symbol    *Symbol
	Relop     Relop
	Str       string
	Value     Value128
	Mask      Value128
	maskNBits int

	// And, Or.
	Subs []*Expr

	// Boolean.
	Bool bool

	// Condition (is_chassis_resident): CondNot negates it.
	CondNot  bool
	CondPort string
}

// NewBoolean returns a constant expression.
func NewBoolean(b bool) *Expr { return &Expr{Type: Boolean, Bool: b} }

// Combine returns a AND/OR b (typ is And or Or), flattening nodes of the same
// type; a nil operand yields the other one.
func Combine(typ Type, a, b *Expr) *Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.Type == typ:
		if b.Type == typ {
			a.Subs = append(a.Subs, b.Subs...)
		} else {
			a.Subs = append(a.Subs, b)
		}
		a.AsName = ""
		return a
	case b.Type == typ:
		b.Subs = append([]*Expr{a}, b.Subs...)
		b.AsName = ""
		return b
	default:
		return &Expr{Type: typ, Subs: []*Expr{a, b}}
	}
}

// appendFlat appends sub to list, splicing in its children when it has the
// same type as the parent (OVN expr_insert_andor).
func appendFlat(list []*Expr, parent Type, sub *Expr) []*Expr {
	if sub.Type == parent {
		return append(list, sub.Subs...)
	}
	return append(list, sub)
}

// Not negates e in place (De Morgan for And/Or).
func (e *Expr) Not() {
	switch e.Type {
	case Cmp:
		e.Relop = e.Relop.invert()
	case And, Or:
		for _, s := range e.Subs {
			s.Not()
		}
		if e.Type == And {
			e.Type = Or
		} else {
			e.Type = And
		}
	case Boolean:
		e.Bool = !e.Bool
	case Condition:
		e.CondNot = !e.CondNot
	}
}

// fixAndOr drops Boolean children of an And (shortCircuit false) or Or
// (shortCircuit true) and collapses it when it has fewer than two children.
func fixAndOr(e *Expr, shortCircuit bool) *Expr {
	out := e.Subs[:0]
	for _, s := range e.Subs {
		if s.Type == Boolean {
			if s.Bool == shortCircuit {
				return NewBoolean(shortCircuit)
			}
			continue
		}
		out = append(out, s)
	}
	e.Subs = out
	switch len(e.Subs) {
	case 0:
		return NewBoolean(!shortCircuit)
	case 1:
		return e.Subs[0]
	}
	return e
}

func fix(e *Expr) *Expr {
	switch e.Type {
	case And:
		return fixAndOr(e, false)
	case Or:
		return fixAndOr(e, true)
	}
	return e
}

// Clone returns a deep copy of e.
func (e *Expr) Clone() *Expr {
	n := new(Expr)
	*n = *e
	if e.Type == And || e.Type == Or {
		n.AsName = ""
		n.Subs = make([]*Expr, len(e.Subs))
		for i, s := range e.Subs {
			n.Subs[i] = s.Clone()
		}
	}
	return n
}

// findBitwiseRange finds the single run of 1-bits in the low width bits of
// v; it returns (0, 0) if there is none or more than one.
func findBitwiseRange(v *Value128, width int) (start, n int) {
	s := v.scan(true, 0, width)
	if s < width {
		end := v.scan(false, s, width)
		if end >= width || v.scan(true, end, width) >= width {
			return s, end - s
		}
	}
	return 0, 0
}

// String formats e in a form the parser reads back (OVN expr_format).
func (e *Expr) String() string {
	var sb strings.Builder
	e.format(&sb)
	return sb.String()
}

func (e *Expr) format(sb *strings.Builder) {
	switch e.Type {
	case Cmp:
		e.formatCmp(sb)
	case And:
		e.formatAndOr(sb, "&&")
	case Or:
		e.formatAndOr(sb, "||")
	case Boolean:
		if e.Bool {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
	case Condition:
		if e.CondNot {
			sb.WriteByte('!')
		}
		sb.WriteString("is_chassis_resident(")
		appendJSONString(sb, e.CondPort)
		sb.WriteByte(')')
	}
}

func (e *Expr) formatAndOr(sb *strings.Builder, op string) {
	for i, s := range e.Subs {
		if i > 0 {
			sb.WriteByte(' ')
			sb.WriteString(op)
			sb.WriteByte(' ')
		}
		if s.Type == And || s.Type == Or {
			sb.WriteByte('(')
			s.format(sb)
			sb.WriteByte(')')
		} else {
			s.format(sb)
		}
	}
}

func (e *Expr) formatCmp(sb *strings.Builder) {
	sym := e.Symbol
	if sym.Width == 0 {
		sb.WriteString(sym.Name)
		sb.WriteByte(' ')
		sb.WriteString(e.Relop.String())
		sb.WriteByte(' ')
		appendJSONString(sb, e.Str)
		return
	}
	ofs, n := findBitwiseRange(&e.Mask, sym.Width)
	if n == 1 && (e.Relop == Eq || e.Relop == Ne) {
		positive := e.Value.Bit(ofs) != (e.Relop == Ne)
		if !positive {
			sb.WriteByte('!')
		}
		sb.WriteString(sym.Name)
		if sym.Width > 1 {
			sb.WriteByte('[')
			sb.WriteString(strconv.Itoa(ofs))
			sb.WriteByte(']')
		}
		return
	}
	sb.WriteString(sym.Name)
	if n > 0 && n < sym.Width {
		sb.WriteByte('[')
		sb.WriteString(strconv.Itoa(ofs))
		if n > 1 {
			sb.WriteString("..")
			sb.WriteString(strconv.Itoa(ofs + n - 1))
		}
		sb.WriteByte(']')
	}
	sb.WriteByte(' ')
	sb.WriteString(e.Relop.String())
	sb.WriteByte(' ')
	if n > 0 {
		var v Value128
		v.copyBits(&e.Value, ofs, 0, n)
		v.appendHex(sb)
	} else {
		e.Value.appendHex(sb)
		sb.WriteByte('/')
		e.Mask.appendHex(sb)
	}
}

// uniqueSymbol returns the one symbol e compares, or nil when e uses none or
// several (OVN expr_get_unique_symbol).
func (e *Expr) uniqueSymbol() *Symbol {
	switch e.Type {
	case Cmp:
		return e.Symbol
	case And, Or:
		var prev *Symbol
		for _, s := range e.Subs {
			sym := s.uniqueSymbol()
			if sym == nil || (prev != nil && sym != prev) {
				return nil
			}
			prev = sym
		}
		return prev
	}
	return nil
}

// level returns the measurement level of an expression's tests.
func (e *Expr) level() Level {
	switch e.Type {
	case Cmp:
		if e.Symbol.Level == Nominal {
			return Nominal
		}
		return BooleanLevel
	case And, Or:
		l := Ordinal
		for _, s := range e.Subs {
			if sl := s.level(); sl < l {
				l = sl
			}
		}
		return l
	}
	return BooleanLevel
}
