package actions

import "testing"

// FuzzUserdata decodes controller() userdata as a packet-in carries it:
// the opcode header, the result field of the paused opcodes and the nested
// actions of the packet-generating ones. Any input gives an error, never a
// panic.
func FuzzUserdata(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0xde, 0x10, 0, 0, 0, 0x63, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0x18, 0, 0, 0x23, 0x20, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 7, 0, 0, 0, 0, 1, 6, 'a', 'c', 'l'})
	f.Add([]byte{0, 0, 0, 6, 0, 0, 0, 0, 0xff, 0xff, 0x01, 0x0c, 0, 0, 0x23, 0x20, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeUserdata(b)
		if err != nil {
			return
		}
		_ = u.Op.String()
		if f, bit, _, err := u.ResultField(); err == nil && (bit < 0 || bit >= f.Bits()) {
			t.Fatalf("result bit %d outside %s", bit, f.Name())
		}
		if acts, err := u.NestedActions(); err == nil {
			_ = acts.String()
		}
	})
}
