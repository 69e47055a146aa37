package expr

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// TokenType is the kind of a lexical token (OVN enum lex_type).
type TokenType int

// Token kinds, in OVN's order.
const (
	TokEnd           TokenType = iota // end of input
	TokID                             // foo
	TokString                         // "foo"
	TokInteger                        // 12345, 1.2.3.4, ::1, 01:02:03:04:05:06
	TokMaskedInteger                  // 12345/10, 1.2.0.0/16, ::2/127 ...
	TokMacro                          // $NAME (address set)
	TokPortGroup                      // @NAME
	TokTemplate                       // ^NAME
	TokError                          // invalid input; S holds the message
	TokLParen                         // (
	TokRParen                         // )
	TokLCurly                         // {
	TokRCurly                         // }
	TokLSquare                        // [
	TokRSquare                        // ]
	TokEq                             // ==
	TokNe                             // !=
	TokLt                             // <
	TokLe                             // <=
	TokGt                             // >
	TokGe                             // >=
	TokLogNot                         // !
	TokLogAnd                         // &&
	TokLogOr                          // ||
	TokEllipsis                       // ..
	TokComma                          // ,
	TokSemicolon                      // ;
	TokEquals                         // =
	TokExchange                       // <->
	TokDecrement                      // --
	TokColon                          // :
	TokHyphen                         // -
)

// Format says how an integer token was written, so it can be printed back
// the same way (OVN enum lex_format).
type Format int

// Integer formats.
const (
	FormatDecimal Format = iota
	FormatHexadecimal
	FormatIPv4
	FormatIPv6
	FormatEthernet
)

// String returns OVN's name for the format ("decimal", "IPv4", ...).
func (f Format) String() string {
	switch f {
	case FormatDecimal:
		return "decimal"
	case FormatHexadecimal:
		return "hexadecimal"
	case FormatIPv4:
		return "IPv4"
	case FormatIPv6:
		return "IPv6"
	case FormatEthernet:
		return "Ethernet"
	}
	return "unknown"
}

// Token is one lexical token.
type Token struct {
	Type TokenType
	// S is the text of TokID, TokString (unescaped), TokError (the message),
	// TokMacro, TokPortGroup and TokTemplate (without the sigil).
	S string
	// Format, Value and Mask are meaningful for TokInteger and
	// TokMaskedInteger (Mask only for the latter).
	Format Format
	Value  Subvalue
	Mask   Subvalue
}

// leadingZeroBytes is how many high bytes of the value must be zero for a
// format to be printable in that format.
func (f Format) leadingZeroBytes() int {
	switch f {
	case FormatDecimal:
		return SubvalueBytes - 8
	case FormatIPv4:
		return SubvalueBytes - 4
	case FormatIPv6:
		return SubvalueBytes - 16
	case FormatEthernet:
		return SubvalueBytes - 6
	}
	return 0
}

func (t *Token) effectiveFormat() Format {
	n := t.Format.leadingZeroBytes()
	if t.Value.highZeroBytes(n) && (t.Type != TokMaskedInteger || t.Mask.highZeroBytes(n)) {
		return t.Format
	}
	return FormatHexadecimal
}

func formatValue(sb *strings.Builder, v *Subvalue, f Format) {
	switch f {
	case FormatDecimal:
		sb.WriteString(strconv.FormatUint(v.Uint64(), 10))
	case FormatHexadecimal:
		v.appendHex(sb)
	case FormatIPv4:
		sb.WriteString(formatIPv4(v.ipv4()))
	case FormatIPv6:
		sb.WriteString(formatIPv6(v.ipv6()))
	case FormatEthernet:
		sb.WriteString(formatEthernet(v))
	}
}

var punctuation = map[TokenType]string{
	TokLParen: "(", TokRParen: ")", TokLCurly: "{", TokRCurly: "}",
	TokLSquare: "[", TokRSquare: "]", TokEq: "==", TokNe: "!=", TokLt: "<",
	TokLe: "<=", TokGt: ">", TokGe: ">=", TokLogNot: "!", TokLogAnd: "&&",
	TokLogOr: "||", TokEllipsis: "..", TokComma: ",", TokSemicolon: ";",
	TokEquals: "=", TokExchange: "<->", TokDecrement: "--", TokColon: ":",
	TokHyphen: "-",
}

// String formats the token so that the lexer reads it back to the same token
// (OVN lex_token_format); TokEnd prints as "$" and TokError as error("...").
func (t *Token) String() string {
	var sb strings.Builder
	t.AppendTo(&sb)
	return sb.String()
}

// AppendTo writes the String form of t to sb.
func (t *Token) AppendTo(sb *strings.Builder) {
	switch t.Type {
	case TokEnd:
		sb.WriteByte('$')
	case TokID:
		sb.WriteString(t.S)
	case TokError:
		sb.WriteString("error(")
		appendJSONString(sb, t.S)
		sb.WriteByte(')')
	case TokString:
		appendJSONString(sb, t.S)
	case TokInteger:
		formatValue(sb, &t.Value, t.effectiveFormat())
	case TokMaskedInteger:
		f := t.effectiveFormat()
		formatValue(sb, &t.Value, f)
		sb.WriteByte('/')
		if f == FormatIPv4 && cidrBits(&t.Mask, 32) >= 0 && t.Mask.highZeroBytes(SubvalueBytes-4) {
			sb.WriteString(strconv.Itoa(cidrBits(&t.Mask, 32)))
		} else if t.Format == FormatIPv6 && cidrBits(&t.Mask, 128) >= 0 {
			sb.WriteString(strconv.Itoa(cidrBits(&t.Mask, 128)))
		} else {
			formatValue(sb, &t.Mask, f)
		}
	case TokMacro:
		sb.WriteByte('$')
		sb.WriteString(t.S)
	case TokPortGroup:
		sb.WriteByte('@')
		sb.WriteString(t.S)
	case TokTemplate:
		sb.WriteByte('^')
		sb.WriteString(t.S)
	default:
		sb.WriteString(punctuation[t.Type])
	}
}

// JSONString returns s as a JSON string literal, escaped as OVS does.
func JSONString(s string) string {
	var sb strings.Builder
	appendJSONString(&sb, s)
	return sb.String()
}

func appendJSONString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			sb.WriteString(`\"`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= ' ':
			sb.WriteByte(c)
		case c == '\b':
			sb.WriteString(`\b`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\f':
			sb.WriteString(`\f`)
		case c == '\r':
			sb.WriteString(`\r`)
		default:
			fmt.Fprintf(sb, `\u%04x`, c)
		}
	}
	sb.WriteByte('"')
}

// unescapeJSON decodes the body of a quoted string; on failure it returns
// OVS's error text and false.
func unescapeJSON(in string) (string, bool) {
	var out []byte
	for i := 0; i < len(in); {
		c := in[i]
		if c == '"' {
			return `quoted string may not include unescaped "`, false
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		i++
		if i >= len(in) {
			return "quoted string may not end with backslash", false
		}
		e := in[i]
		i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			c0, msg := lex4Hex(in, i)
			if msg != "" {
				return msg, false
			}
			i += 4
			if c0 < 0xd800 || c0 > 0xdbff {
				out = appendUTF8(out, c0)
				break
			}
			if i+2 > len(in) || in[i] != '\\' || in[i+1] != 'u' {
				return "malformed escaped surrogate pair", false
			}
			i += 2
			c1, msg := lex4Hex(in, i)
			if msg != "" {
				return msg, false
			}
			i += 4
			if c1 < 0xdc00 || c1 > 0xdfff {
				return "second half of escaped surrogate pair is not trailing surrogate", false
			}
			out = appendUTF8(out, 0x10000+((c0-0xd800)<<10)+(c1-0xdc00))
		default:
			return fmt.Sprintf(`bad escape \%c`, e), false
		}
	}
	return string(out), true
}

func lex4Hex(in string, i int) (int, string) {
	if i+4 > len(in) {
		return 0, `quoted string ends within \u escape`
	}
	v := 0
	for _, c := range []byte(in[i : i+4]) {
		h := hexitValue(c)
		if h < 0 {
			return 0, `malformed \u escape`
		}
		v = v<<4 | h
	}
	if v == 0 {
		return 0, "null bytes not supported in quoted strings"
	}
	return v, ""
}

// appendUTF8 encodes uc the way OVS ds_put_utf8 does, surrogates included.
func appendUTF8(out []byte, uc int) []byte {
	switch {
	case uc <= 0x7f:
		return append(out, byte(uc))
	case uc <= 0x7ff:
		return append(out, byte(0xc0|uc>>6), byte(0x80|uc&0x3f))
	case uc <= 0xffff:
		return append(out, byte(0xe0|uc>>12), byte(0x80|(uc>>6)&0x3f), byte(0x80|uc&0x3f))
	default:
		return append(out, byte(0xf0|uc>>18), byte(0x80|(uc>>12)&0x3f), byte(0x80|(uc>>6)&0x3f), byte(0x80|uc&0x3f))
	}
}

func hexitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isID1(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.'
}

func isIDN(c byte) bool { return isID1(c) || (c >= '0' && c <= '9') }

// at returns s[i], or 0 past the end (the C lexer reads a NUL terminator).
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func errorToken(t *Token, format string, args ...any) {
	t.Type = TokError
	if len(args) == 0 {
		t.S = format
	} else {
		t.S = fmt.Sprintf(format, args...)
	}
}

// parseHexInteger parses the hex digits of s (no 0x) into t.
func parseHexInteger(s string, t *Token) {
	for i := 0; i < len(s); i++ {
		h := hexitValue(s[len(s)-1-i])
		if h < 0 {
			errorToken(t, "Invalid syntax in hexadecimal constant.")
			return
		}
		if h != 0 {
			if i/2 >= SubvalueBytes {
				errorToken(t, "Hexadecimal constant requires more than %d bits.", SubvalueBits)
				return
			}
			if i%2 == 1 {
				t.Value[SubvalueBytes-1-i/2] |= byte(h << 4)
			} else {
				t.Value[SubvalueBytes-1-i/2] |= byte(h)
			}
		}
	}
	t.Format = FormatHexadecimal
}

// parseMAC parses exactly six colon-separated hex groups, as OVS scans
// ETH_ADDR_SCAN_FMT with %hhx (wider groups keep their low byte).
func parseMAC(s string) ([6]byte, bool) {
	var mac [6]byte
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return mac, false
	}
	for i, p := range parts {
		if strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X") {
			p = p[2:]
		}
		if p == "" {
			return mac, false
		}
		var v byte
		for _, c := range []byte(p) {
			h := hexitValue(c)
			if h < 0 {
				return mac, false
			}
			v = v<<4 | byte(h)
		}
		mac[i] = v
	}
	return mac, true
}

// lexInteger scans an "integer" (decimal, hex, IPv4, IPv6, Ethernet) at s[p:].
func lexInteger(s string, p int, t *Token) int {
	*t = Token{Type: TokInteger}
	end := p
	sawDot := false
	for {
		c := at(s, end)
		if isAlnum(c) || (c == ':' && !sawDot) || (c == '.' && at(s, end+1) != '.') {
			if c == '.' {
				sawDot = true
			}
			end++
			continue
		}
		break
	}
	text := s[p:end]
	n := len(text)
	switch {
	case n == 0:
		errorToken(t, "Integer constant expected.")
	case n == 17 && isMAC(text):
		mac, _ := parseMAC(text)
		copy(t.Value[SubvalueBytes-6:], mac[:])
		t.Format = FormatEthernet
	case strings.Trim(text, "0123456789") == "":
		if text[0] == '0' && n > 1 {
			errorToken(t, "Decimal constants must not have leading zeros.")
		} else if x, err := strconv.ParseUint(text, 10, 64); err != nil {
			errorToken(t, "Decimal constants must be less than 2**64.")
		} else {
			t.Value.SetUint64(x)
			t.Format = FormatDecimal
		}
	case text[0] == '0' && (at(text, 1) == 'x' || at(text, 1) == 'X'):
		if n > 2 {
			parseHexInteger(text[2:], t)
		} else {
			errorToken(t, "Hex digits expected following 0%c.", text[1])
		}
	case n < 46:
		if a, err := netip.ParseAddr(text); err == nil && a.Is4() && strings.Count(text, ".") == 3 {
			b := a.As4()
			copy(t.Value[SubvalueBytes-4:], b[:])
			t.Format = FormatIPv4
		} else if err == nil && a.Is6() && a.Zone() == "" {
			b := a.As16()
			copy(t.Value[SubvalueBytes-16:], b[:])
			t.Format = FormatIPv6
		} else {
			errorToken(t, "Invalid numeric constant.")
		}
	default:
		errorToken(t, "Invalid numeric constant.")
	}
	return end
}

func isMAC(text string) bool {
	_, ok := parseMAC(text)
	return ok
}

// lexMask parses the mask after '/' at s[p] and combines it with t.
func lexMask(s string, p int, t *Token) int {
	var mask Token
	p = lexInteger(s, p+1, &mask)
	if mask.Type == TokError {
		*t = mask
		return p
	}
	t.Type = TokMaskedInteger
	t.Mask = Subvalue{}
	prefix := mask.Value.Uint64()
	switch {
	case t.Format == mask.Format:
		t.Mask = mask.Value
	case t.Format == FormatIPv4 && mask.Format == FormatDecimal && prefix <= 32:
		for i := 0; i < int(prefix); i++ {
			t.Mask.SetBit(31-i, true)
		}
	case t.Format == FormatIPv6 && mask.Format == FormatDecimal && prefix <= 128:
		for i := 0; i < int(prefix); i++ {
			t.Mask.SetBit(127-i, true)
		}
	case t.Format == FormatDecimal && mask.Format == FormatHexadecimal && t.Value.IsZero():
		t.Format = FormatHexadecimal
		t.Mask = mask.Value
	default:
		*t = Token{}
		errorToken(t, "Value and mask have incompatible formats.")
		return p
	}
	for i := range t.Value {
		t.Value[i] &= t.Mask[i]
	}
	return p
}

func lexIntegerMaybeMasked(s string, p int, t *Token) int {
	p = lexInteger(s, p, t)
	if t.Type == TokInteger && at(s, p) == '/' {
		p = lexMask(s, p, t)
	}
	return p
}

func lexID(s string, p int, typ TokenType, t *Token) int {
	start := p
	for p++; isIDN(at(s, p)); p++ {
	}
	t.Type = typ
	t.S = s[start:p]
	return p
}

func lexSigil(s string, p int, typ TokenType, sigil byte, t *Token) int {
	p++
	if !isID1(at(s, p)) {
		errorToken(t, "`%c' must be followed by a valid identifier.", sigil)
		return p
	}
	return lexID(s, p, typ, t)
}

func lexString(s string, p int, t *Token) int {
	p++
	start := p
	for {
		switch at(s, p) {
		case 0:
			errorToken(t, "Input ends inside quoted string.")
			return p
		case '"':
			str, ok := unescapeJSON(s[start:p])
			t.S = str
			if ok {
				t.Type = TokString
			} else {
				t.Type = TokError
			}
			return p + 1
		case '\\':
			p++
			if at(s, p) != 0 {
				p++
			}
		default:
			p++
		}
	}
}

// lexToken parses one token from s starting at p into t. It returns where
// the token starts (after white space and comments) and where the next one
// begins.
func lexToken(s string, p int, t *Token) (start, next int) {
	*t = Token{}
	for {
		start = p
		c := at(s, p)
		switch c {
		case 0:
			t.Type = TokEnd
			return start, p
		case ' ', '\t', '\n', '\r', '\v', '\f':
			p++
			continue
		case '/':
			p++
			if at(s, p) == '/' {
				for p++; at(s, p) != 0 && at(s, p) != '\n'; p++ {
				}
				continue
			} else if at(s, p) == '*' {
				p++
				for {
					if at(s, p) == '*' && at(s, p+1) == '/' {
						p += 2
						break
					} else if at(s, p) == 0 || at(s, p) == '\n' {
						errorToken(t, "`/*' without matching `*/'.")
						return start, p
					}
					p++
				}
				continue
			}
			errorToken(t, "`/' is only valid as part of `//' or `/*'.")
			return start, p
		}
		break
	}

	c := s[p]
	two := func(second byte, yes, no TokenType) {
		p++
		if at(s, p) == second {
			t.Type = yes
			p++
		} else {
			t.Type = no
		}
	}
	switch c {
	case '(':
		t.Type, p = TokLParen, p+1
	case ')':
		t.Type, p = TokRParen, p+1
	case '{':
		t.Type, p = TokLCurly, p+1
	case '}':
		t.Type, p = TokRCurly, p+1
	case '[':
		t.Type, p = TokLSquare, p+1
	case ']':
		t.Type, p = TokRSquare, p+1
	case '=':
		two('=', TokEq, TokEquals)
	case '!':
		two('=', TokNe, TokLogNot)
	case '&':
		p++
		if at(s, p) == '&' {
			t.Type, p = TokLogAnd, p+1
		} else {
			errorToken(t, "`&' is only valid as part of `&&'.")
		}
	case '|':
		p++
		if at(s, p) == '|' {
			t.Type, p = TokLogOr, p+1
		} else {
			errorToken(t, "`|' is only valid as part of `||'.")
		}
	case '<':
		p++
		if at(s, p) == '=' {
			t.Type, p = TokLe, p+1
		} else if at(s, p) == '-' && at(s, p+1) == '>' {
			t.Type, p = TokExchange, p+2
		} else {
			t.Type = TokLt
		}
	case '>':
		two('=', TokGe, TokGt)
	case '.':
		p++
		if at(s, p) == '.' {
			t.Type, p = TokEllipsis, p+1
		} else {
			errorToken(t, "`.' is only valid as part of `..' or a number.")
		}
	case ',':
		t.Type, p = TokComma, p+1
	case ';':
		t.Type, p = TokSemicolon, p+1
	case '-':
		two('-', TokDecrement, TokHyphen)
	case '$':
		p = lexSigil(s, p, TokMacro, '$', t)
	case '@':
		p = lexSigil(s, p, TokPortGroup, '@', t)
	case '^':
		p = lexSigil(s, p, TokTemplate, '^', t)
	case ':':
		if at(s, p+1) != ':' {
			t.Type, p = TokColon, p+1
		} else {
			p = lexIntegerMaybeMasked(s, p, t)
		}
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		p = lexIntegerMaybeMasked(s, p, t)
	case '"':
		p = lexString(s, p, t)
	case 'a', 'b', 'c', 'd', 'e', 'f', 'A', 'B', 'C', 'D', 'E', 'F':
		// A hex-digit run followed by ':' starts an Ethernet or IPv6
		// address; identifiers never look like that.
		q := p
		for q < len(s) && hexitValue(s[q]) >= 0 {
			q++
		}
		if at(s, q) == ':' {
			p = lexIntegerMaybeMasked(s, p, t)
		} else {
			p = lexID(s, p, TokID, t)
		}
	default:
		if isID1(c) {
			p = lexID(s, p, TokID, t)
		} else {
			if c >= 0x20 && c < 0x7f {
				errorToken(t, "Invalid character `%c' in input.", c)
			} else {
				// OVS prints the (signed) char in decimal after "0x".
				errorToken(t, "Invalid byte 0x%d in input.", int8(c))
			}
			p++
		}
	}
	return start, p
}

// Lexer splits an input string into tokens. Token holds the current token;
// call Get to advance. Errors found by the parsers are kept on the lexer
// (first one wins), as in OVN.
type Lexer struct {
	input string
	pos   int // where the next token starts
	start int // where the current token starts (-1 before the first Get)
	Token Token
	err   string
	isErr bool
}

// NewLexer returns a lexer for s. Call Get to read the first token. The C
// lexer stops at a NUL byte, and so does this one.
func NewLexer(s string) *Lexer {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return &Lexer{input: s, start: -1}
}

// Get reads the next token into l.Token and returns its type.
func (l *Lexer) Get() TokenType {
	l.start, l.pos = lexToken(l.input, l.pos, &l.Token)
	return l.Token.Type
}

// Lookahead returns the type of the token after the current one.
func (l *Lexer) Lookahead() TokenType {
	var t Token
	lexToken(l.input, l.pos, &t)
	return t.Type
}

// Match advances past the current token if it has type t.
func (l *Lexer) Match(t TokenType) bool {
	if l.Token.Type == t {
		l.Get()
		return true
	}
	return false
}

// ForceMatch is Match that records "Syntax error ... expecting `X'." when the
// token does not match.
func (l *Lexer) ForceMatch(t TokenType) bool {
	if t == TokEnd {
		return l.ForceEnd()
	}
	if l.Match(t) {
		return true
	}
	tok := Token{Type: t}
	l.SyntaxError("expecting `%s'", tok.String())
	return false
}

// MatchID advances past the current token if it is identifier id.
func (l *Lexer) MatchID(id string) bool {
	if l.Token.Type == TokID && l.Token.S == id {
		l.Get()
		return true
	}
	return false
}

// MatchString advances past the current token if it is string s.
func (l *Lexer) MatchString(s string) bool {
	if l.Token.Type == TokString && l.Token.S == s {
		l.Get()
		return true
	}
	return false
}

// IsInt reports whether the current token is a decimal integer <= INT_MAX.
func (l *Lexer) IsInt() bool {
	return l.Token.Type == TokInteger && l.Token.Format == FormatDecimal &&
		l.Token.Value.highZeroBytes(SubvalueBytes-8) && l.Token.Value.Uint64() <= 1<<31-1
}

// GetInt consumes a small decimal integer.
func (l *Lexer) GetInt() (int, bool) {
	if l.IsInt() {
		v := int(l.Token.Value.Uint64())
		l.Get()
		return v, true
	}
	return 0, false
}

// ForceInt is GetInt that records "expecting small integer" on failure.
func (l *Lexer) ForceInt() (int, bool) {
	v, ok := l.GetInt()
	if !ok {
		l.SyntaxError("expecting small integer")
	}
	return v, ok
}

// ForceEnd records "expecting end of input" unless at the end.
func (l *Lexer) ForceEnd() bool {
	if l.Token.Type == TokEnd {
		return true
	}
	l.SyntaxError("expecting end of input")
	return false
}

// handleCommon keeps the first error, and prefers a lexical error token over
// whatever the parser would say about it.
func (l *Lexer) handleCommon() bool {
	if l.isErr {
		return true
	}
	if l.Token.Type == TokError {
		l.err, l.isErr = l.Token.S, true
		return true
	}
	return false
}

// Error records an error message (printf-style) unless one is already set.
func (l *Lexer) Error(format string, args ...any) {
	if l.handleCommon() {
		return
	}
	if len(args) == 0 {
		l.err = format
	} else {
		l.err = fmt.Sprintf(format, args...)
	}
	l.isErr = true
}

// SyntaxError records "Syntax error at `TOKEN' MESSAGE." unless an error is
// already set. An empty format leaves out the message.
func (l *Lexer) SyntaxError(format string, args ...any) {
	if l.handleCommon() {
		return
	}
	var sb strings.Builder
	sb.WriteString("Syntax error")
	if l.Token.Type == TokEnd {
		sb.WriteString(" at end of input")
	} else if l.start >= 0 {
		sb.WriteString(" at `")
		sb.WriteString(l.input[l.start:l.pos])
		sb.WriteByte('\'')
	}
	if format != "" {
		sb.WriteByte(' ')
		if len(args) == 0 {
			sb.WriteString(format)
		} else {
			fmt.Fprintf(&sb, format, args...)
		}
	}
	sb.WriteByte('.')
	l.err, l.isErr = sb.String(), true
}

// HasError reports whether an error has been recorded.
func (l *Lexer) HasError() bool { return l.isErr }

// ErrorMessage returns the recorded error message ("" if none).
func (l *Lexer) ErrorMessage() string { return l.err }

// TakeError returns the recorded error as a *SyntaxError (nil if none) and
// clears it.
func (l *Lexer) TakeError() error {
	if !l.isErr {
		return nil
	}
	e := &Error{Msg: l.err}
	l.err, l.isErr = "", false
	return e
}

// Error is a parse or annotation error; Msg is OVN's exact wording.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// ExpandTemplates replaces every ^name token in s by vars[name] (the name
// itself when unset), re-formatting the other tokens, as OVN's
// lexer_parse_template_string does. It returns s unchanged when it has no
// '^', and the names it met.
func ExpandTemplates(s string, vars map[string]string) (string, []string) {
	if !strings.Contains(s, "^") {
		return s, nil
	}
	var sb strings.Builder
	var refs []string
	l := NewLexer(s)
	for l.Get() != TokEnd {
		if l.Token.Type == TokTemplate {
			if v, ok := vars[l.Token.S]; ok {
				sb.WriteString(v)
			} else {
				sb.WriteString(l.Token.S)
			}
			refs = append(refs, l.Token.S)
		} else {
			l.Token.AppendTo(&sb)
		}
	}
	return sb.String(), refs
}
