package expr

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
)

// FieldValue is a value/mask on one OVS field, big-endian, Field.Bytes()
// long.
type FieldValue struct {
	Field *OVSField
	Value []byte
	Mask  []byte
}

// Conjunction is one conjunction(ID, Clause/NClauses) action.
type Conjunction struct {
	ID       uint32
	Clause   uint8
	NClauses uint8
}

// Match is one OpenFlow match produced from an expression (OVN struct
// expr_match): the fields it constrains, and either nothing more (an
// ordinary flow), Conjunctions (a clause flow of a conjunctive match), or a
// ConjID (the flow that fires when all clauses of conjunction ConjID match).
type Match struct {
	Fields       []FieldValue // in the order first constrained
	ConjID       uint32       // non-zero: the match also requires conj_id=ConjID
	Conjunctions []Conjunction

	// AddrSet names the address set this match was generated from, with
	// the (IPv6-sized, right-aligned) address and mask it matched; empty
	// when the match does not come from exactly one address set entry.
	AddrSet     string
	AddrSetIP   [16]byte
	AddrSetMask [16]byte
}

// field returns the constraint on f, if any.
func (m *Match) field(f *OVSField) *FieldValue {
	for i := range m.Fields {
		if m.Fields[i].Field == f {
			return &m.Fields[i]
		}
	}
	return nil
}

// maskField merges value/mask (right-aligned Subvalues) into the constraint
// on f: masked bits take the new value (OVS mf_mask_subfield).
func (m *Match) maskField(f *OVSField, value, mask *Subvalue) {
	n := f.Bytes()
	v, k := value[SubvalueBytes-n:], mask[SubvalueBytes-n:]
	fv := m.field(f)
	if fv == nil {
		m.Fields = append(m.Fields, FieldValue{Field: f, Value: make([]byte, n), Mask: make([]byte, n)})
		fv = &m.Fields[len(m.Fields)-1]
	}
	allZero := true
	for i := 0; i < n; i++ {
		fv.Value[i] = fv.Value[i]&^k[i] | v[i]&k[i]
		fv.Mask[i] |= k[i]
		if fv.Mask[i] != 0 {
			allZero = false
		}
	}
	if allZero {
		m.removeField(f)
	}
}

func (m *Match) removeField(f *OVSField) {
	for i := range m.Fields {
		if m.Fields[i].Field == f {
			m.Fields = append(m.Fields[:i], m.Fields[i+1:]...)
			return
		}
	}
}

// setExact sets f to exactly x.
func (m *Match) setExact(f *OVSField, x uint64) {
	var v, k Subvalue
	v.SetUint64(x)
	k.setRange(0, f.Bits, true)
	m.removeField(f)
	m.maskField(f, &v, &k)
}

func (m *Match) clone() *Match {
	n := &Match{ConjID: m.ConjID}
	n.Fields = make([]FieldValue, len(m.Fields))
	for i, f := range m.Fields {
		n.Fields[i] = FieldValue{Field: f.Field, Value: append([]byte(nil), f.Value...), Mask: append([]byte(nil), f.Mask...)}
	}
	return n
}

// Key identifies the match's constraints: equal matches have equal keys.
func (m *Match) Key() string {
	fs := append([]FieldValue(nil), m.Fields...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Field.Name < fs[j].Field.Name })
	var sb strings.Builder
	if m.ConjID != 0 {
		sb.WriteString("conj_id=")
		sb.WriteString(strconv.FormatUint(uint64(m.ConjID), 10))
		sb.WriteByte(';')
	}
	for _, f := range fs {
		sb.WriteString(f.Field.Name)
		sb.WriteByte('=')
		sb.Write(f.Value)
		sb.WriteByte('/')
		sb.Write(f.Mask)
		sb.WriteByte(';')
	}
	return sb.String()
}

// matchSet collects matches, merging equal ones as OVN's expr_match_add
// does: conjunctions accumulate, and an ordinary flow absorbs conjunction
// flows with the same match.
type matchSet struct {
	byKey map[string]*Match
	list  []*Match
}

func (s *matchSet) add(m *Match) {
	key := m.Key()
	if old, ok := s.byKey[key]; ok {
		if len(old.Conjunctions) == 0 || len(m.Conjunctions) == 0 {
			old.Conjunctions = nil
		} else {
			old.Conjunctions = append(old.Conjunctions, m.Conjunctions[0])
		}
		old.AddrSet = ""
		return
	}
	if s.byKey == nil {
		s.byKey = map[string]*Match{}
	}
	s.byKey[key] = m
	s.list = append(s.list, m)
}

// constrain applies comparison e to m; for a string field it looks up the
// port number and reports false when the port is unknown.
func constrain(e *Expr, lookupPort func(string) (uint32, bool), m *Match) bool {
	sym := e.Symbol
	if sym.Field == nil {
		// OVN-only fields have no OpenFlow match.
		return false
	}
	if sym.Width != 0 {
		m.maskField(sym.Field, &e.Value, &e.Mask)
		return true
	}
	if lookupPort == nil {
		return false
	}
	port, ok := lookupPort(e.Str)
	if !ok {
		return false
	}
	m.setExact(sym.Field, uint64(port))
	return true
}

func addDisjunction(or *Expr, lookupPort func(string) (uint32, bool), base *Match, clause, nClauses uint8, conjID uint32, out *matchSet) bool {
	n := 0
	for _, sub := range or.Subs {
		m := base.clone()
		if conjID != 0 {
			m.Conjunctions = []Conjunction{{ID: conjID, Clause: clause, NClauses: nClauses}}
		}
		if or.AsName != "" && sub.Symbol.Width != 0 {
			m.AddrSet = or.AsName
			copy(m.AddrSetIP[:], sub.Value[SubvalueBytes-16:])
			copy(m.AddrSetMask[:], sub.Mask[SubvalueBytes-16:])
		}
		if constrain(sub, lookupPort, m) {
			out.add(m)
			n++
		}
	}
	return n > 0
}

func addConjunction(and *Expr, lookupPort func(string) (uint32, bool), nConjs *uint32, out *matchSet) {
	base := &Match{}
	nClauses := 0
	for _, sub := range and.Subs {
		switch sub.Type {
		case Cmp:
			if !constrain(sub, lookupPort, base) {
				return
			}
		case Or:
			nClauses++
		}
	}
	switch nClauses {
	case 0:
		out.add(base)
	case 1:
		for _, sub := range and.Subs {
			if sub.Type == Or {
				addDisjunction(sub, lookupPort, base, 0, 0, 0, out)
			}
		}
	default:
		*nConjs++
		clause := uint8(0)
		for _, sub := range and.Subs {
			if sub.Type != Or {
				continue
			}
			// A clause that can never match makes the whole conjunction
			// dead; like OVN, the clauses already added stay.
			if !addDisjunction(sub, lookupPort, base, clause, uint8(nClauses), *nConjs, out) {
				return
			}
			clause++
		}
		base.ConjID = *nConjs
		out.add(base)
	}
}

func addCmpFlow(e *Expr, lookupPort func(string) (uint32, bool), out *matchSet) {
	m := &Match{}
	if constrain(e, lookupPort, m) {
		out.add(m)
	}
}

// ToMatches converts a normalized expression into OpenFlow matches (OVN
// expr_to_matches). lookupPort maps a logical port name to its number; an
// unknown name makes that comparison match nothing. Conjunction ids are
// numbered from 1; nConjs says how many were used (see SetConjBase).
func ToMatches(e *Expr, lookupPort func(string) (uint32, bool)) (ms []*Match, nConjs uint32) {
	var out matchSet
	switch e.Type {
	case Cmp:
		addCmpFlow(e, lookupPort, &out)
	case And:
		addConjunction(e, lookupPort, &nConjs, &out)
	case Or:
		if e.uniqueSymbol() != nil {
			for _, sub := range e.Subs {
				addCmpFlow(sub, lookupPort, &out)
			}
		} else {
			for _, sub := range e.Subs {
				if sub.Type == And {
					addConjunction(sub, lookupPort, &nConjs, &out)
				} else {
					addCmpFlow(sub, lookupPort, &out)
				}
			}
		}
	case Boolean:
		if e.Bool {
			out.add(&Match{})
		}
	}
	return out.list, nConjs
}

// SetConjBase renumbers conjunction ids 1..n to first..first+n-1 (OVN
// expr_matches_prepare with offset first-1).
func SetConjBase(ms []*Match, first uint32) {
	ofs := first - 1
	for _, m := range ms {
		if m.ConjID != 0 {
			m.ConjID += ofs
		}
		for i := range m.Conjunctions {
			m.Conjunctions[i].ID += ofs
		}
	}
}

// AppendConjunctions appends ": conjunction(ID, K/N), ..." as test-ovn
// prints after a match.
func (m *Match) appendConjunctions(sb *strings.Builder) {
	for i, c := range m.Conjunctions {
		if i == 0 {
			sb.WriteString(": ")
		} else {
			sb.WriteString(", ")
		}
		sb.WriteString("conjunction(")
		sb.WriteString(strconv.FormatUint(uint64(c.ID), 10))
		sb.WriteString(", ")
		sb.WriteString(strconv.Itoa(int(c.Clause)))
		sb.WriteByte('/')
		sb.WriteString(strconv.Itoa(int(c.NClauses)))
		sb.WriteByte(')')
	}
}

// fieldBytesEqual reports whether two constraints are identical.
func fieldBytesEqual(a, b FieldValue) bool {
	return a.Field == b.Field && bytes.Equal(a.Value, b.Value) && bytes.Equal(a.Mask, b.Mask)
}

// String formats the match as test-ovn expr-to-flows prints it: OVS
// match_to_string followed by any conjunctions.
func (m *Match) String() string {
	var sb strings.Builder
	sb.WriteString(m.matchString())
	m.appendConjunctions(&sb)
	return sb.String()
}
