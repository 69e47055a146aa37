package flow

import "testing"

func TestFlowString(t *testing.T) {
	var m Match
	m.SetUint(FieldEthType, 0x800, ^uint64(0))
	m.SetUint(FieldReg(14), 1, ^uint64(0))
	for _, c := range []struct {
		f    Flow
		want string
	}{
		{Flow{Priority: DefaultPriority}, "actions=drop"},
		{Flow{Priority: 0}, "priority=0 actions=drop"},
		{Flow{Priority: DefaultPriority, Match: m}, "ip,reg14=0x1 actions=drop"},
		{Flow{Table: 8, Priority: 100, Match: m, Cookie: 0xab}, "cookie=0xab, table=8, priority=100,ip,reg14=0x1 actions=drop"},
		{Flow{Table: 1, Priority: 5}, "table=1, priority=5 actions=drop"},
		{Flow{Priority: 5, Match: m, Actions: Actions{Output{Port: 3}, Output{Port: PortLocal}}}, "priority=5,ip,reg14=0x1 actions=output:3,LOCAL"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	a := Flow{Table: 1, Priority: 5, Match: m, Cookie: 1}
	b := Flow{Table: 1, Priority: 5, Match: m, Cookie: 2}
	if a.Key() != b.Key() {
		t.Errorf("cookie changes the key")
	}
	b.Priority = 6
	if a.Key() == b.Key() {
		t.Errorf("priority does not change the key")
	}
}
