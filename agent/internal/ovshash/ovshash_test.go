package ovshash

import "testing"

// The values are those the agent computed before the functions moved here;
// ovn-controller's multicast fan-out order and conjunction ids (checked by
// agent/physical's and agent/lflow's differential tests) depend on them.
func TestString(t *testing.T) {
	for s, want := range map[string]uint32{
		"": 0, "a": 0x2b038801, "hv2": 0x8e438e0e, "hv10": 0x76140891,
		"chassis-1234": 0x486d40dd, "abcdefgh": 0x49ddccc4,
	} {
		if got := String(s); got != want {
			t.Errorf("String(%q) = %#x, want %#x", s, got, want)
		}
	}
}

func TestAddFinish(t *testing.T) {
	// hash_int(uuid_hash(a), uuid_hash(b)) as agent/lflow's conjHash uses it.
	x, y := UUIDPart0("32acbde4-b4ad-4d6c-9f10-34e2b4c0a6f1"), UUIDPart0("a6c6f842-4aea-48ea-b485-1a363553a876")
	if got := Finish(Add(Add(x, 0), y) ^ 8); got != 0x593a3741 {
		t.Errorf("got %#x", got)
	}
}

func TestUUIDPart0(t *testing.T) {
	for s, want := range map[string]uint32{"29eafae7-0000-0000-0000-000000000000": 0x29eafae7, "f1000000-0": 0xf1000000, "xyz": 0, "zzzzzzzz-0": 0} {
		if got := UUIDPart0(s); got != want {
			t.Errorf("UUIDPart0(%q) = %#x, want %#x", s, got, want)
		}
	}
}
