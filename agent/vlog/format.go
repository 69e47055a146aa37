package vlog

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// entry is one log record on its way to the destinations.
type entry struct {
	module  string
	level   Level
	when    time.Time
	msg     string
	attrs   []slog.Attr
	seq     uint32
	pid     int
	program string
	host    string
	start   time.Time
}

// message is the record's text: its message followed by its attributes as
// key=value pairs (values quoted when they need it).
func (e *entry) message(b []byte) []byte {
	b = append(b, strings.TrimRight(e.msg, "\n")...)
	for _, a := range e.attrs {
		b = appendAttr(b, "", a)
	}
	return b
}

func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range v.Group() {
			b = appendAttr(b, p, g)
		}
		return b
	}
	if a.Equal(slog.Attr{}) {
		return b
	}
	b = append(b, ' ')
	b = append(b, prefix...)
	b = append(b, a.Key...)
	b = append(b, '=')
	return appendValue(b, v)
}

func appendValue(b []byte, v slog.Value) []byte {
	var s string
	switch v.Kind() {
	case slog.KindString:
		s = v.String()
	case slog.KindTime:
		s = v.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok && err != nil {
			s = err.Error()
		} else {
			s = fmt.Sprint(v.Any())
		}
	default:
		s = v.String()
	}
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// pattern is a compiled vlog pattern ("%D{...}|%05N|%c%T|%p|%m").
type pattern struct {
	src   string
	items []patternItem
}

type patternItem struct {
	literal string
	conv    byte // 0 for a literal
	arg     string
	left    bool
	zero    bool
	width   int
}

func compilePattern(src string) pattern {
	p := pattern{src: src}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.items = append(p.items, patternItem{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		if src[i] != '%' {
			lit.WriteByte(src[i])
			i++
			continue
		}
		i++
		var it patternItem
		if i < len(src) && src[i] == '-' {
			it.left = true
			i++
		}
		if i < len(src) && src[i] == '0' {
			it.zero = true
			i++
		}
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			it.width = it.width*10 + int(src[i]-'0')
			i++
		}
		if i >= len(src) {
			break
		}
		it.conv = src[i]
		i++
		if (it.conv == 'c' || it.conv == 'd' || it.conv == 'D') && i < len(src) && src[i] == '{' {
			if end := strings.IndexByte(src[i:], '}'); end >= 0 {
				it.arg = src[i+1 : i+end]
				i += end + 1
			}
		}
		if it.conv == 'd' || it.conv == 'D' {
			if it.arg == "" {
				it.arg = "%Y-%m-%d %H:%M:%S.###"
			}
		}
		flush()
		p.items = append(p.items, it)
	}
	flush()
	return p
}

func (p pattern) format(b []byte, e *entry) []byte {
	for _, it := range p.items {
		if it.conv == 0 {
			b = append(b, it.literal...)
			continue
		}
		start := len(b)
		switch it.conv {
		case 'A':
			b = append(b, e.program...)
		case 'B':
			b = strconv.AppendInt(b, int64(facilityLocal0+syslogSeverity[e.level]), 10)
		case 'c':
			b = append(b, e.module...)
		case 'd':
			b = appendStrftime(b, it.arg, e.when.Local())
		case 'D':
			b = appendStrftime(b, it.arg, e.when.UTC())
		case 'E':
			b = append(b, e.host...)
		case 'm':
			b = e.message(b)
		case 'N':
			b = strconv.AppendUint(b, uint64(e.seq), 10)
		case 'n':
			b = append(b, '\n')
		case 'p':
			b = append(b, e.level.String()...)
		case 'P':
			b = strconv.AppendInt(b, int64(e.pid), 10)
		case 'r':
			b = strconv.AppendInt(b, e.when.Sub(e.start).Milliseconds(), 10)
		case 't':
			b = append(b, "main"...)
		case 'T':
			// Only threads other than the main one are named; chassisd
			// has one logical thread of control per process.
		default:
			b = append(b, it.conv)
		}
		if used := len(b) - start; used < it.width {
			pad := it.width - used
			if it.left {
				b = append(b, strings.Repeat(" ", pad)...)
			} else {
				fill := byte(' ')
				if it.zero {
					fill = '0'
				}
				field := string(b[start:])
				b = append(b[:start], strings.Repeat(string(fill), pad)...)
				b = append(b, field...)
			}
		}
	}
	return b
}

// appendStrftime formats t with the strftime conversions vlog patterns use;
// a run of '#' after formatting becomes that many digits of the
// milliseconds, as in OVS.
func appendStrftime(b []byte, f string, t time.Time) []byte {
	start := len(b)
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b = append(b, f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b = strconv.AppendInt(b, int64(t.Year()), 10)
		case 'y':
			b = append(b, fmt.Sprintf("%02d", t.Year()%100)...)
		case 'm':
			b = append(b, fmt.Sprintf("%02d", int(t.Month()))...)
		case 'd':
			b = append(b, fmt.Sprintf("%02d", t.Day())...)
		case 'e':
			b = append(b, fmt.Sprintf("%2d", t.Day())...)
		case 'H':
			b = append(b, fmt.Sprintf("%02d", t.Hour())...)
		case 'M':
			b = append(b, fmt.Sprintf("%02d", t.Minute())...)
		case 'S':
			b = append(b, fmt.Sprintf("%02d", t.Second())...)
		case 'j':
			b = append(b, fmt.Sprintf("%03d", t.YearDay())...)
		case 'b', 'h':
			b = append(b, t.Format("Jan")...)
		case 'B':
			b = append(b, t.Format("January")...)
		case 'a':
			b = append(b, t.Format("Mon")...)
		case 'A':
			b = append(b, t.Format("Monday")...)
		case 'F':
			b = append(b, t.Format("2006-01-02")...)
		case 'T':
			b = append(b, t.Format("15:04:05")...)
		case 'z':
			b = append(b, t.Format("-0700")...)
		case 'Z':
			b = append(b, t.Format("MST")...)
		case 's':
			b = strconv.AppendInt(b, t.Unix(), 10)
		case '%':
			b = append(b, '%')
		default:
			b = append(b, '%', f[i])
		}
	}
	// Replace each run of '#' by the leading digits of the milliseconds.
	ms := fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
	for i := start; i < len(b); i++ {
		if b[i] != '#' {
			continue
		}
		j := i
		for j < len(b) && b[j] == '#' {
			j++
		}
		for k := i; k < j; k++ {
			if k-i < len(ms) {
				b[k] = ms[k-i]
			} else {
				b[k] = '0'
			}
		}
		i = j
	}
	return b
}

// appendJSON renders e as one JSON object on one line.
func appendJSON(b []byte, e *entry) []byte {
	b = append(b, `{"time":`...)
	b = strconv.AppendQuote(b, e.when.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, uint64(e.seq), 10)
	b = append(b, `,"module":`...)
	b = appendJSONString(b, e.module)
	b = append(b, `,"level":`...)
	b = appendJSONString(b, e.level.String())
	b = append(b, `,"msg":`...)
	b = appendJSONString(b, strings.TrimRight(e.msg, "\n"))
	for _, a := range e.attrs {
		b = appendJSONAttr(b, "", a)
	}
	return append(b, "}\n"...)
}

func appendJSONAttr(b []byte, prefix string, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		for _, g := range v.Group() {
			b = appendJSONAttr(b, prefix+a.Key+".", g)
		}
		return b
	}
	if a.Equal(slog.Attr{}) {
		return b
	}
	b = append(b, ',')
	b = appendJSONString(b, prefix+a.Key)
	b = append(b, ':')
	var val any
	switch v.Kind() {
	case slog.KindString:
		val = v.String()
	case slog.KindInt64:
		val = v.Int64()
	case slog.KindUint64:
		val = v.Uint64()
	case slog.KindFloat64:
		val = v.Float64()
	case slog.KindBool:
		val = v.Bool()
	case slog.KindDuration:
		val = v.Duration().String()
	case slog.KindTime:
		val = v.Time().UTC().Format(time.RFC3339Nano)
	default:
		if err, ok := v.Any().(error); ok && err != nil {
			val = err.Error()
		} else {
			val = fmt.Sprint(v.Any())
		}
	}
	enc, err := json.Marshal(val)
	if err != nil {
		enc, _ = json.Marshal(fmt.Sprint(val))
	}
	return append(b, enc...)
}

func appendJSONString(b []byte, s string) []byte {
	enc, _ := json.Marshal(s)
	return append(b, enc...)
}
