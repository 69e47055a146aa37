package flow

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestSetFieldVariableLengthWire checks set_field on tun_metadata0 against
// the bytes ovs-vswitchd 3.1 dumps (a 4-byte TLV mapping): OVS trims the
// value (and mask) to its significant bytes, and sends a mask only when it
// does not cover the option. Encoding the desired value and re-encoding the
// decoded dump must both give those bytes, or ofctrl's drift check sees a
// difference that is not one.
func TestSetFieldVariableLengthWire(t *testing.T) {
	tm := FieldTunMetadata(0)
	for _, c := range []struct {
		desired SetField
		dump    string // OFPAT_SET_FIELD as dumped by ovs-vswitchd
		text    string
	}{
		{SetField{Field: tm, Value: []byte{0, 0, 0, 1}}, "00190010000150010100000000000000", "set_field:0x1->tun_metadata0"},
		{SetField{Field: tm, Value: []byte{0, 0, 0, 0}}, "0019000800015000", "set_field:0->tun_metadata0"},
		{SetField{Field: tm, Value: []byte{0x12, 0x34, 0x56, 0x78}}, "00190010000150041234567800000000", "set_field:0x12345678->tun_metadata0"},
		{SetField{Field: tm, Value: []byte{0, 0, 0, 1}, Mask: []byte{0, 0, 0, 0xff}}, "001900100001510201ff000000000000", "set_field:0x1/0xff->tun_metadata0"},
		{SetField{Field: tm, Value: []byte{0, 0, 1, 0}, Mask: []byte{0, 0, 0xff, 0}}, "00190010000151040100ff0000000000", "set_field:0x100/0xff00->tun_metadata0"},
		{Load(Subfield{Field: tm, Offset: 8, Bits: 8}, 0), "00190010000151040000ff0000000000", "set_field:0/0xff00->tun_metadata0"},
	} {
		dump, _ := hex.DecodeString(c.dump)
		if got := (Actions{c.desired}).Append(nil); !bytes.Equal(got, dump) {
			t.Errorf("%s: encoded %x, OVS dumps %s", c.text, got, c.dump)
		}
		dec, err := DecodeActions(dump)
		if err != nil {
			t.Errorf("%s: decode dump: %v", c.text, err)
			continue
		}
		if got := dec.Append(nil); !bytes.Equal(got, dump) {
			t.Errorf("%s: dump re-encodes as %x, want %s", c.text, got, c.dump)
		}
		if got := dec.String(); got != c.text {
			t.Errorf("dump %s prints %q, want %q", c.dump, got, c.text)
		}
		if got := (Actions{c.desired}).String(); got != c.text {
			t.Errorf("desired prints %q, want %q", got, c.text)
		}
	}
	// A masked entry needs a value; a match entry too.
	if _, err := DecodeActions([]byte{0, 0x19, 0, 8, 0, 1, 0x51, 0}); err == nil {
		t.Error("empty masked set_field decoded")
	}
	if _, err := DecodeOXMFields([]byte{0, 1, 0x50, 0}); err == nil {
		t.Error("empty tun_metadata0 match entry decoded")
	}
}
