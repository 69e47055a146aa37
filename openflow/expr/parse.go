package expr

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
)

// maxParenDepth bounds nesting so that hostile input cannot exhaust the
// stack.
const maxParenDepth = 100

// Field is a symbol or some of its bits, as in "reg0[0..3]" or "eth.src".
type Field struct {
	Symbol *Symbol
	Ofs    int
	NBits  int
}

// String formats the field as the parser reads it ("reg0[0..3]").
func (f Field) String() string {
	var sb strings.Builder
	sb.WriteString(f.Symbol.Name)
	if f.Ofs != 0 || f.NBits != f.Symbol.Width {
		sb.WriteByte('[')
		sb.WriteString(strconv.Itoa(f.Ofs))
		if f.NBits != 1 {
			sb.WriteString("..")
			sb.WriteString(strconv.Itoa(f.Ofs + f.NBits - 1))
		}
		sb.WriteByte(']')
	}
	return sb.String()
}

// ConstType says whether a constant set holds integers or strings.
type ConstType int

// Constant types.
const (
	IntegerConst ConstType = iota
	StringConst
)

// Constant is an integer (Value, optional Mask) or a string constant.
type Constant struct {
	Value  Subvalue
	Mask   Subvalue // only if Masked
	Masked bool
	Format Format // how the integer was written
	Str    string // string constants
}

// width is the narrowest field the constant fits.
func (c *Constant) width() int {
	if c.Masked {
		return c.Mask.Width()
	}
	switch c.Format {
	case FormatIPv4:
		return 32
	case FormatIPv6:
		return 128
	case FormatEthernet:
		return 48
	}
	return c.Value.Width()
}

// Text formats the constant in its original notation.
func (c *Constant) Text(typ ConstType) string {
	if typ == StringConst {
		return JSONString(c.Str)
	}
	t := Token{Type: TokInteger, Format: c.Format, Value: c.Value}
	if c.Masked {
		t.Type, t.Mask = TokMaskedInteger, c.Mask
	}
	return t.String()
}

// ConstantSet is one constant or a {}-set of them, possibly from an address
// set or port group.
type ConstantSet struct {
	Values    []Constant
	Type      ConstType
	InCurlies bool
	AsName    string // address set it came from, if exactly one
}

// String formats the set ("{1, 2}" or "1").
func (cs *ConstantSet) String() string {
	var sb strings.Builder
	curlies := cs.InCurlies || len(cs.Values) != 1
	if curlies {
		sb.WriteByte('{')
	}
	for i := range cs.Values {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(cs.Values[i].Text(cs.Type))
	}
	if curlies {
		sb.WriteByte('}')
	}
	return sb.String()
}

// NewAddressSet converts address strings (IPs, prefixes, MACs) into an
// integer constant set, skipping entries that are not numbers, sorted as
// OVN sorts them.
func NewAddressSet(values []string) *ConstantSet {
	cs := &ConstantSet{InCurlies: true, Type: IntegerConst}
	for _, v := range values {
		l := NewLexer(v)
		l.Get()
		if l.Token.Type != TokInteger && l.Token.Type != TokMaskedInteger {
			continue
		}
		c := Constant{Value: l.Token.Value, Format: l.Token.Format, Masked: l.Token.Type == TokMaskedInteger}
		if c.Masked {
			c.Mask = l.Token.Mask
		}
		cs.Values = append(cs.Values, c)
	}
	sort.SliceStable(cs.Values, func(i, j int) bool { return compareIntegerConstants(&cs.Values[i], &cs.Values[j]) < 0 })
	return cs
}

func compareIntegerConstants(a, b *Constant) int {
	if d := bytes.Compare(a.Value[:], b.Value[:]); d != 0 {
		return d
	}
	switch {
	case !a.Masked && !b.Masked:
		return 0
	case a.Masked && !b.Masked:
		return -1
	case !a.Masked && b.Masked:
		return 1
	}
	return bytes.Compare(a.Mask[:], b.Mask[:])
}

// NewPortGroup returns a string constant set of port names.
func NewPortGroup(ports []string) *ConstantSet {
	cs := &ConstantSet{InCurlies: true, Type: StringConst}
	for _, p := range ports {
		cs.Values = append(cs.Values, Constant{Str: p})
	}
	return cs
}

// AddressSets converts named address lists with NewAddressSet.
func AddressSets(m map[string][]string) map[string]*ConstantSet {
	out := make(map[string]*ConstantSet, len(m))
	for k, v := range m {
		out[k] = NewAddressSet(v)
	}
	return out
}

// PortGroups converts named port lists with NewPortGroup. Keys are the
// southbound names ("<datapath key>_<name>").
func PortGroups(m map[string][]string) map[string]*ConstantSet {
	out := make(map[string]*ConstantSet, len(m))
	for k, v := range m {
		out[k] = NewPortGroup(v)
	}
	return out
}

// ParseOptions carries what the parser resolves while reading.
type ParseOptions struct {
	AddrSets   map[string]*ConstantSet // $name
	PortGroups map[string]*ConstantSet // @name, looked up as "<DPID>_name"
	DPID       int64
	// AddrSetRefs and PortGroupRefs, if non-nil, collect the address sets
	// (with use counts) and southbound port group names the expression uses.
	AddrSetRefs   map[string]int
	PortGroupRefs map[string]bool
}

// parser holds the state of one parse (OVN struct expr_context).
type parser struct {
	lexer      *Lexer
	symtab     *Symtab
	opts       *ParseOptions
	not        bool
	parenDepth int
}

func (p *parser) parseField() (Field, bool) {
	l := p.lexer
	if l.Token.Type != TokID {
		l.SyntaxError("expecting field name")
		return Field{}, false
	}
	var sym *Symbol
	if p.symtab != nil {
		sym = p.symtab.symbols[l.Token.S]
	}
	if sym == nil {
		l.SyntaxError("expecting field name")
		return Field{}, false
	}
	l.Get()
	f := Field{Symbol: sym, NBits: sym.Width}
	if !l.Match(TokLSquare) {
		return f, true
	}
	if sym.Width == 0 {
		l.Error("Cannot select subfield of string field %s.", sym.Name)
		return Field{}, false
	}
	low, ok := l.ForceInt()
	if !ok {
		return Field{}, false
	}
	high := low
	if l.Match(TokEllipsis) {
		if high, ok = l.ForceInt(); !ok {
			return Field{}, false
		}
	}
	if !l.ForceMatch(TokRSquare) {
		return Field{}, false
	}
	switch {
	case low > high:
		l.Error("Invalid bit range %d to %d.", low, high)
		return Field{}, false
	case high >= sym.Width:
		l.Error("Cannot select bits %d to %d of %d-bit field %s.", low, high, sym.Width, sym.Name)
		return Field{}, false
	case sym.Level == Nominal && (low != 0 || high != sym.Width-1):
		l.Error("Cannot select subfield of nominal field %s.", sym.Name)
		return Field{}, false
	}
	f.Ofs, f.NBits = low, high-low+1
	return f, true
}

func (p *parser) parseRelop() (Relop, bool) {
	if r, ok := relopFromToken(p.lexer.Token.Type); ok {
		p.lexer.Get()
		return r, true
	}
	p.lexer.SyntaxError("expecting relational operator")
	return 0, false
}

func (p *parser) assignType(cs *ConstantSet, typ ConstType) bool {
	if len(cs.Values) == 0 || cs.Type == typ {
		cs.Type = typ
		return true
	}
	if cs.Type == IntegerConst {
		p.lexer.SyntaxError("expecting integer")
	} else {
		p.lexer.SyntaxError("expecting string")
	}
	return false
}

func (p *parser) parseAddrSet(cs *ConstantSet) bool {
	l := p.lexer
	name := l.Token.S
	if p.opts != nil && p.opts.AddrSetRefs != nil {
		p.opts.AddrSetRefs[name]++
	}
	var set *ConstantSet
	if p.opts != nil {
		set = p.opts.AddrSets[name]
	}
	if set == nil {
		l.SyntaxError("expecting address set name")
		return false
	}
	if !p.assignType(cs, IntegerConst) {
		return false
	}
	if len(cs.Values) == 0 {
		cs.AsName = name
	}
	cs.Values = append(cs.Values, set.Values...)
	return true
}

// SBPortGroupName is the southbound name of port group name in datapath dp.
func SBPortGroupName(dp int64, name string) string {
	return strconv.FormatInt(dp, 10) + "_" + name
}

func (p *parser) parsePortGroup(cs *ConstantSet) bool {
	l := p.lexer
	var dp int64
	if p.opts != nil {
		dp = p.opts.DPID
	}
	sbName := SBPortGroupName(dp, l.Token.S)
	if p.opts != nil && p.opts.PortGroupRefs != nil {
		p.opts.PortGroupRefs[sbName] = true
	}
	var pg *ConstantSet
	if p.opts != nil {
		pg = p.opts.PortGroups[sbName]
	}
	if pg == nil {
		l.SyntaxError("expecting port group name")
		return false
	}
	if !p.assignType(cs, StringConst) {
		return false
	}
	cs.Values = append(cs.Values, pg.Values...)
	return true
}

func (p *parser) parseConstant(cs *ConstantSet) bool {
	l := p.lexer
	// Anything added to a set that tracked an address set untracks it.
	cs.AsName = ""
	switch l.Token.Type {
	case TokTemplate:
		l.Error("Unexpanded template.")
		return false
	case TokString:
		if !p.assignType(cs, StringConst) {
			return false
		}
		cs.Values = append(cs.Values, Constant{Str: l.Token.S})
		l.Get()
		return true
	case TokInteger, TokMaskedInteger:
		if !p.assignType(cs, IntegerConst) {
			return false
		}
		c := Constant{Value: l.Token.Value, Format: l.Token.Format, Masked: l.Token.Type == TokMaskedInteger}
		if c.Masked {
			c.Mask = l.Token.Mask
		}
		cs.Values = append(cs.Values, c)
		l.Get()
		return true
	case TokMacro:
		if !p.parseAddrSet(cs) {
			return false
		}
		l.Get()
		return true
	case TokPortGroup:
		if !p.parsePortGroup(cs) {
			return false
		}
		l.Get()
		return true
	}
	l.SyntaxError("expecting constant")
	return false
}

func (p *parser) parseConstantSet() (*ConstantSet, bool) {
	cs := &ConstantSet{}
	l := p.lexer
	if l.Match(TokLCurly) {
		cs.InCurlies = true
		for {
			if !p.parseConstant(cs) {
				return nil, false
			}
			l.Match(TokComma)
			if l.Match(TokRCurly) {
				break
			}
		}
		return cs, true
	}
	if !p.parseConstant(cs) {
		return nil, false
	}
	return cs, true
}

func (p *parser) typeCheck(f Field, cs *ConstantSet) bool {
	want := IntegerConst
	if f.Symbol.Width == 0 {
		want = StringConst
	}
	if cs.Type != want {
		kind, ckind := "Integer", "integer"
		if f.Symbol.Width == 0 {
			kind = "String"
		}
		if cs.Type == StringConst {
			ckind = "string"
		}
		p.lexer.Error("%s field %s is not compatible with %s constant.", kind, f.Symbol.Name, ckind)
		return false
	}
	if f.Symbol.Width != 0 {
		for i := range cs.Values {
			if w := cs.Values[i].width(); w > f.Symbol.Width {
				p.lexer.Error("%d-bit constant is not compatible with %d-bit field %s.", w, f.Symbol.Width, f.Symbol.Name)
				return false
			}
		}
	}
	return true
}

func makeCmp1(f Field, r Relop, c *Constant) *Expr {
	e := &Expr{Type: Cmp, Symbol: f.Symbol, Relop: r}
	if f.Symbol.Width != 0 {
		e.Value.copyFromSubvalue(&c.Value, 0, f.Ofs, f.NBits)
		if c.Masked {
			e.Mask.copyFromSubvalue(&c.Mask, 0, f.Ofs, f.NBits)
		} else {
			e.Mask.setRange(f.Ofs, f.NBits, true)
		}
	} else {
		e.Str = c.Str
	}
	return e
}

// equalityUnder is the operator that tests equality inside an odd (true)
// or even (false) number of `!'.
func equalityUnder(not bool) Relop {
	if not {
		return Ne
	}
	return Eq
}

func (p *parser) makeCmp(f Field, r Relop, cs *ConstantSet) *Expr {
	l := p.lexer
	sym := f.Symbol
	if !p.typeCheck(f, cs) {
		return nil
	}
	if r != Eq && r != Ne {
		switch {
		case cs.InCurlies:
			l.Error("Only == and != operators may be used with value sets.")
			return nil
		case sym.Level == Nominal || sym.Level == BooleanLevel:
			l.Error("Only == and != operators may be used with %s field %s.", sym.Level, sym.Name)
			return nil
		case len(cs.Values) == 0:
			l.Error("Only == and != operators may be used to compare a field against an empty value set.")
			return nil
		case cs.Values[0].Masked:
			l.Error("Only == and != operators may be used with masked constants.  Consider using subfields instead (e.g. eth.src[0..15] > 0x1111 in place of eth.src > 00:00:00:00:11:11/00:00:00:00:ff:ff).")
			return nil
		}
	}
	if sym.Level == Nominal {
		if sym.Predicate != "" {
			for i := range cs.Values {
				positive := cs.Values[i].Value.Bit(0)
				positive = positive != (r == Ne)
				positive = positive != p.not
				if !positive {
					n := sym.Name
					l.Error("Nominal predicate %s may only be tested positively, e.g. `%s' or `%s == 1' but not `!%s' or `%s == 0'.", n, n, n, n, n)
					return nil
				}
			}
		} else if r != equalityUnder(p.not) {
			l.Error("Nominal field %s may only be tested for equality (taking enclosing `!' operators into account).", sym.Name)
			return nil
		}
	}
	if len(cs.Values) == 0 {
		return NewBoolean(r == Ne)
	}
	e := makeCmp1(f, r, &cs.Values[0])
	combineType := And
	if r == Eq {
		combineType = Or
	}
	for i := 1; i < len(cs.Values); i++ {
		e = Combine(combineType, e, makeCmp1(f, r, &cs.Values[i]))
	}
	if r == Eq && e.Type == Or && cs.AsName != "" {
		e.AsName = cs.AsName
	}
	return e
}

func (p *parser) parseChassisResident() *Expr {
	l := p.lexer
	if l.Token.Type != TokString {
		l.SyntaxError("expecting string")
		return nil
	}
	e := &Expr{Type: Condition, CondPort: l.Token.S}
	l.Get()
	if !l.ForceMatch(TokRParen) {
		return nil
	}
	return e
}

func (p *parser) parsePrimary() (e *Expr, atomic bool) {
	l := p.lexer
	if l.Match(TokLParen) {
		if p.parenDepth >= maxParenDepth {
			l.Error("Parentheses nested too deeply.")
			return nil, false
		}
		p.parenDepth++
		e := p.parseExpr()
		p.parenDepth--
		if !l.ForceMatch(TokRParen) {
			return nil, false
		}
		return e, true
	}

	switch l.Token.Type {
	case TokTemplate:
		l.Error("Unexpanded template.")
		return nil, false
	case TokID:
		if l.Lookahead() == TokLParen {
			if l.MatchID("is_chassis_resident") {
				l.Get() // "("
				return p.parseChassisResident(), true
			}
			l.Error("parsing function name")
			return nil, false
		}
		f, ok := p.parseField()
		if !ok {
			return nil, false
		}
		r, isRelop := relopFromToken(l.Token.Type)
		if !isRelop {
			if f.NBits == 0 || l.Token.Type == TokEquals {
				l.SyntaxError("expecting relational operator")
				return nil, false
			} else if f.NBits > 1 && !p.not {
				l.Error("Explicit `!= 0' is required for inequality test of multibit field against 0.")
				return nil, false
			}
			cs := &ConstantSet{Type: IntegerConst, Values: []Constant{{Format: FormatHexadecimal}}}
			return p.makeCmp(f, Ne, cs), true
		}
		if _, ok := p.parseRelop(); !ok {
			return nil, false
		}
		cs, ok := p.parseConstantSet()
		if !ok {
			return nil, false
		}
		return p.makeCmp(f, r, cs), false
	}

	c1, ok := p.parseConstantSet()
	if !ok {
		return nil, false
	}
	if _, isRelop := relopFromToken(l.Token.Type); !isRelop && len(c1.Values) == 1 &&
		c1.Type == IntegerConst && c1.Values[0].Format == FormatDecimal &&
		!c1.Values[0].Masked && !c1.InCurlies {
		v := &c1.Values[0].Value
		if v.highZeroBytes(SubvalueBytes-8) && v.Uint64() <= 1 {
			return NewBoolean(v.Uint64() == 1), true
		}
	}
	r1, ok := p.parseRelop()
	if !ok {
		return nil, false
	}
	f, ok := p.parseField()
	if !ok {
		return nil, false
	}
	if _, isRelop := relopFromToken(l.Token.Type); !isRelop {
		return p.makeCmp(f, r1.turn(), c1), false
	}
	r2, ok := p.parseRelop()
	if !ok {
		return nil, false
	}
	c2, ok := p.parseConstantSet()
	if !ok {
		return nil, false
	}
	if !(((r1 == Lt || r1 == Le) && (r2 == Lt || r2 == Le)) ||
		((r1 == Gt || r1 == Ge) && (r2 == Gt || r2 == Ge))) {
		l.Error("Range expressions must have the form `x < field < y' or `x > field > y', with each `<' optionally replaced by `<=' or `>' by `>=').")
		return nil, false
	}
	e1 := p.makeCmp(f, r1.turn(), c1)
	e2 := p.makeCmp(f, r2, c2)
	if l.HasError() {
		return nil, false
	}
	return Combine(And, e1, e2), false
}

func (p *parser) parseNot() *Expr {
	l := p.lexer
	if l.Match(TokLogNot) {
		p.not = !p.not
		e, atomic := p.parsePrimary()
		p.not = !p.not
		if e != nil {
			if !atomic {
				l.Error("Missing parentheses around operand of !.")
				return nil
			}
			e.Not()
		}
		return e
	}
	e, _ := p.parsePrimary()
	return e
}

func (p *parser) parseExpr() *Expr {
	l := p.lexer
	e := p.parseNot()
	if e == nil {
		return nil
	}
	tt := l.Token.Type
	if tt == TokLogAnd || tt == TokLogOr {
		typ := And
		if tt == TokLogOr {
			typ = Or
		}
		l.Get()
		for {
			e2 := p.parseNot()
			if e2 == nil {
				return nil
			}
			e = Combine(typ, e, e2)
			if !l.Match(tt) {
				break
			}
		}
		if l.Token.Type == TokLogAnd || l.Token.Type == TokLogOr {
			l.Error("&& and || must be parenthesized when used together.")
			return nil
		}
	}
	return e
}

// Parse parses an expression from l, which must be positioned at its first
// token. It returns nil when an error was recorded on the lexer.
func Parse(l *Lexer, symtab *Symtab, opts *ParseOptions) *Expr {
	if l.HasError() {
		return nil
	}
	p := parser{lexer: l, symtab: symtab, opts: opts}
	e := p.parseExpr()
	if l.HasError() {
		return nil
	}
	return e
}

// ParseString parses a whole string as an expression (OVN
// expr_parse_string). Errors are *Error with OVN's wording.
func ParseString(s string, symtab *Symtab, opts *ParseOptions) (*Expr, error) {
	l := NewLexer(s)
	l.Get()
	e := Parse(l, symtab, opts)
	l.ForceEnd()
	if err := l.TakeError(); err != nil {
		return nil, err
	}
	return e, nil
}

// ParseField parses a field reference such as "reg0[0..3]" from l and
// returns it with the annotated prerequisites of the symbol and of its
// parents (nil if none). Predicates are rejected: they are not lvalues.
func ParseField(l *Lexer, symtab *Symtab) (Field, *Expr, bool) {
	p := parser{lexer: l, symtab: symtab}
	f, ok := p.parseField()
	if ok && f.Symbol.Predicate != "" {
		l.Error("Predicate symbol %s used where lvalue required.", f.Symbol.Name)
	}
	var prereqs *Expr
	if !l.HasError() {
		for sym := f.Symbol; sym != nil; sym = sym.Parent {
			if sym.Prereqs == "" {
				continue
			}
			e, err := parseAndAnnotate(sym.Prereqs, symtab)
			if err != nil {
				l.Error("%s", err.Error())
				break
			}
			prereqs = Combine(And, prereqs, e)
		}
	}
	if l.HasError() {
		return Field{}, nil, false
	}
	return f, prereqs, true
}

// ParseConstant parses one integer or string constant from l and checks that
// it suits field f.
func ParseConstant(l *Lexer, f Field) (Constant, ConstType, bool) {
	if l.HasError() {
		return Constant{}, 0, false
	}
	p := parser{lexer: l}
	cs := &ConstantSet{}
	if p.parseConstant(cs) && p.typeCheck(f, cs) {
		return cs.Values[0], cs.Type, true
	}
	return Constant{}, 0, false
}

// ParseConstantSet parses one constant or a {}-set from l (no address sets
// or port groups).
func ParseConstantSet(l *Lexer) (*ConstantSet, bool) {
	if l.HasError() {
		return nil, false
	}
	p := parser{lexer: l}
	cs, ok := p.parseConstantSet()
	return cs, ok && !l.HasError()
}

// TypeCheck checks that field f is nBits wide (0: a string field) and, when
// rw is set, writable in scope; it returns OVN's error message or "".
func TypeCheck(f Field, nBits int, rw bool, scope WriteScope) string {
	if nBits != f.NBits {
		switch {
		case nBits != 0 && f.NBits != 0:
			return "Cannot use " + strconv.Itoa(f.NBits) + "-bit field " + f.Symbol.Name + "[" +
				strconv.Itoa(f.Ofs) + ".." + strconv.Itoa(f.Ofs+f.NBits-1) + "] where " +
				strconv.Itoa(nBits) + "-bit field is required."
		case nBits != 0:
			return "Cannot use string field " + f.Symbol.Name + " where numeric field is required."
		default:
			return "Cannot use numeric field " + f.Symbol.Name + " where string field is required."
		}
	}
	if rw && f.Symbol.RW&scope == 0 {
		return "Field " + f.Symbol.Name + " is not modifiable."
	}
	return ""
}

// ResolvedField is an OVS field and bit range.
type ResolvedField struct {
	Field *OVSField
	Ofs   int
	NBits int
}

// Resolve maps a (sub)field to the bits of its underlying OVS field. Only
// OVS-backed symbols resolve; OVN fields return ok false.
func (f Field) Resolve() (ResolvedField, bool) {
	sym, ofs := f.Symbol, f.Ofs
	for sym.Parent != nil {
		ofs += sym.ParentOfs
		sym = sym.Parent
	}
	if sym.Field == nil {
		return ResolvedField{}, false
	}
	n := f.NBits
	if sym.Width == 0 {
		n = sym.Field.Bits
	}
	return ResolvedField{Field: sym.Field, Ofs: ofs, NBits: n}, true
}
