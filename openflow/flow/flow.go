package flow

import "strconv"

// DefaultPriority is OpenFlow's default flow priority (OFP_DEFAULT_PRIORITY),
// which dump-flows leaves out.
const DefaultPriority = 0x8000

// Flow is one OpenFlow flow as chassisd installs it.
type Flow struct {
	Table    uint8
	Priority uint16
	Match    Match
	Actions  Actions
	Cookie   uint64
}

// String is the flow as `ovs-ofctl -O OpenFlow15 dump-flows --no-stats`
// prints it: "cookie=0x5, table=8, priority=100,reg14=0x1 actions=drop".
// Like OVS it leaves out a zero cookie, table 0 and the default priority.
func (f Flow) String() string {
	var buf [512]byte
	return string(f.AppendString(buf[:0]))
}

// AppendString appends String's text to b.
func (f Flow) AppendString(b []byte) []byte {
	if f.Cookie != 0 {
		b = append(b, "cookie=0x"...)
		b = strconv.AppendUint(b, f.Cookie, 16)
		b = append(b, ", "...)
	}
	if f.Table != 0 {
		b = append(b, "table="...)
		b = strconv.AppendUint(b, uint64(f.Table), 10)
		b = append(b, ", "...)
	}
	start := len(b)
	if f.Priority != DefaultPriority {
		b = append(b, "priority="...)
		b = strconv.AppendUint(b, uint64(f.Priority), 10)
		b = append(b, ',')
	}
	b = f.Match.appendFields(b)
	if len(b) > start {
		if b[len(b)-1] == ',' {
			b = b[:len(b)-1]
		}
		b = append(b, ' ')
	}
	b = append(b, "actions="...)
	return f.Actions.AppendText(b)
}

// Key identifies the flow in its table the way OpenFlow does for
// modify_strict/delete_strict: table, priority and match (not cookie or
// actions).
func (f Flow) Key() string {
	b := make([]byte, 0, 3+len(f.Match.enc))
	b = append(b, f.Table, byte(f.Priority>>8), byte(f.Priority))
	b = append(b, f.Match.enc...)
	return string(b)
}
