package expr

import "fmt"

// CompileOptions is what Compile resolves a logical flow's match against.
type CompileOptions struct {
	// Symtab defaults to the OVN 24.03 table.
	Symtab *Symtab
	// AddrSets ($name) and PortGroups (@name, by southbound name
	// "<DPID>_name"); see AddressSets and PortGroups.
	AddrSets   map[string]*ConstantSet
	PortGroups map[string]*ConstantSet
	DPID       int64
	// TemplateVars replaces ^name tokens before parsing (Chassis_Template_Var).
	TemplateVars map[string]string
	// Prereqs (the actions' prerequisites) is ANDed into the match before
	// annotation, as ovn-controller does. Compile consumes it.
	Prereqs *Expr
	// LookupPort maps a logical port name to its tunnel key; nil or an
	// unknown name makes that comparison match nothing.
	LookupPort func(name string) (uint32, bool)
	// IsChassisResident answers is_chassis_resident(); nil means false.
	IsChassisResident func(port string) bool
	// ConjBase is the first conjunction id to use (ids are ConjBase ..
	// ConjBase+NConjs-1); 0 keeps them at 1..NConjs.
	ConjBase uint32
	// AddrSetRefs and PortGroupRefs, if non-nil, collect the address sets
	// and southbound port groups the match references, so the caller can
	// recompile when they change.
	AddrSetRefs   map[string]int
	PortGroupRefs map[string]bool
}

// Compiled is the result of Compile.
type Compiled struct {
	Matches []*Match
	// NConjs is how many conjunction ids the matches use.
	NConjs uint32
}

// Compile turns a logical flow match into OpenFlow matches: template
// expansion, parse, AND with Prereqs, annotate, simplify, evaluate
// conditions, normalize, and conversion to matches. Errors carry OVN's
// wording (*Error) wrapped with the match text.
func Compile(match string, opts CompileOptions) (Compiled, error) {
	symtab := opts.Symtab
	if symtab == nil {
		symtab = DefaultSymtab()
	}
	text := match
	if opts.TemplateVars != nil {
		text, _ = ExpandTemplates(match, opts.TemplateVars)
	}
	e, err := ParseString(text, symtab, &ParseOptions{
		AddrSets: opts.AddrSets, PortGroups: opts.PortGroups, DPID: opts.DPID,
		AddrSetRefs: opts.AddrSetRefs, PortGroupRefs: opts.PortGroupRefs,
	})
	if err != nil {
		return Compiled{}, fmt.Errorf("parse match %q: %w", match, err)
	}
	if opts.Prereqs != nil {
		e = Combine(And, e, opts.Prereqs)
	}
	if e, err = Annotate(e, symtab); err != nil {
		return Compiled{}, fmt.Errorf("annotate match %q: %w", match, err)
	}
	e = Simplify(e)
	e = EvaluateConditions(e, opts.IsChassisResident)
	e = Normalize(e)
	ms, n := ToMatches(e, opts.LookupPort)
	if opts.ConjBase != 0 && n != 0 {
		SetConjBase(ms, opts.ConjBase)
	}
	return Compiled{Matches: ms, NConjs: n}, nil
}

var defaultSymtab = NewOVNSymtab()

// DefaultSymtab returns a shared OVN 24.03 symbol table (read-only).
func DefaultSymtab() *Symtab { return defaultSymtab }
