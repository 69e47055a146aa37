package expr

import (
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/flow"
)

// Conjunction is one conjunction(ID, Clause/NClauses) action.
type Conjunction struct {
	ID       uint32
	Clause   uint8
	NClauses uint8
}

// Action returns the OpenFlow action for c; OpenFlow counts clauses from 1
// ("conjunction(ID,K/N)"), test-ovn's text from 0.
func (c Conjunction) Action() flow.Conjunction {
	return flow.Conjunction{ID: c.ID, K: c.Clause + 1, N: c.NClauses}
}

// Match is one OpenFlow match produced from an expression (OVN struct
// expr_match): Flow holds the constrained fields; the match is either an
// ordinary flow, a clause flow of a conjunctive match (Conjunctions set),
// or the flow that fires when all clauses of conjunction ConjID matched
// (ConjID non-zero, and Flow then also matches conj_id).
type Match struct {
	Flow         flow.Match
	ConjID       uint32
	Conjunctions []Conjunction

	// AddrSet names the address set this match was generated from, with
	// the (IPv6-sized, right-aligned) address and mask it matched; empty
	// when the match does not come from exactly one address set entry.
	AddrSet     string
	AddrSetIP   [16]byte
	AddrSetMask [16]byte
}

// flowFields maps the OVS fields the symbol table uses to openflow/flow's.
var flowFields = func() map[*OVSField]flow.Field {
	m := make(map[*OVSField]flow.Field, len(ovsFields))
	for name, f := range ovsFields {
		if ff, ok := flow.FieldByName(name); ok {
			m[f] = ff
		}
	}
	return m
}()

var conjIDField, _ = flow.FieldByName("conj_id")

// FlowField returns the openflow/flow field behind an OVS field.
func (f *OVSField) FlowField() (flow.Field, bool) {
	ff, ok := flowFields[f]
	return ff, ok
}

// setConjID makes the match require conj_id=id.
func (m *Match) setConjID(id uint32) {
	m.ConjID = id
	m.Flow.Clear(conjIDField)
	m.Flow.SetUint(conjIDField, uint64(id), ^uint64(0))
}

// Key identifies the match's constraints: equal matches have equal keys.
func (m *Match) Key() string { return m.Flow.Key() }

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
	ff, ok := flowFields[sym.Field]
	if !ok {
		return false
	}
	n := sym.Field.Bytes()
	if sym.Width != 0 {
		m.Flow.SetMasked(ff, e.Value[value128Bytes-n:], e.Mask[value128Bytes-n:])
		return true
	}
	if lookupPort == nil {
		return false
	}
	port, ok := lookupPort(e.Str)
	if !ok {
		return false
	}
	m.Flow.SetUint(ff, uint64(port), ^uint64(0))
	return true
}

func addDisjunction(or *Expr, lookupPort func(string) (uint32, bool), base *Match, clause, nClauses uint8, conjID uint32, out *matchSet) bool {
	n := 0
	for _, sub := range or.Subs {
		m := &Match{Flow: base.Flow}
		if conjID != 0 {
			m.Conjunctions = []Conjunction{{ID: conjID, Clause: clause, NClauses: nClauses}}
		}
		if or.AsName != "" && sub.Symbol.Width != 0 {
			m.AddrSet = or.AsName
			m.AddrSetIP, m.AddrSetMask = sub.Value, sub.Mask
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
		base.setConjID(*nConjs)
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
			m.setConjID(m.ConjID + ofs)
		}
		for i := range m.Conjunctions {
			m.Conjunctions[i].ID += ofs
		}
	}
}

// appendConjunctions appends ": conjunction(ID, K/N), ..." as test-ovn
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

// String formats the match as test-ovn expr-to-flows prints it: OVS
// match_to_string followed by any conjunctions.
func (m *Match) String() string {
	var sb strings.Builder
	sb.WriteString(m.Flow.String())
	m.appendConjunctions(&sb)
	return sb.String()
}
