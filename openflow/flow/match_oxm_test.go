package flow

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestMatchOXMRoundTrip(t *testing.T) {
	var all []Match
	for _, text := range matchOVSTexts {
		m, err := parseMatchForTest(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		all = append(all, m)
	}
	for _, c := range matchBuildCases {
		var m Match
		c.build(&m)
		all = append(all, m)
	}
	for _, m := range all {
		c := m.Canonical()
		b := m.AppendOXM([]byte{0xaa})
		if b[0] != 0xaa || (len(b)-1)%8 != 0 {
			t.Errorf("%s: AppendOXM clobbered the prefix or is not padded: % x", m, b)
			continue
		}
		got, n, err := DecodeMatch(append(b[1:], 0xbb))
		if err != nil || n != len(b)-1 {
			t.Errorf("%s: DecodeMatch = %d, %v", m, n, err)
			continue
		}
		if !got.Equal(c) {
			t.Errorf("%s: decoded %s, canonical %s", m, got, c)
		}
		if cc := c.Canonical(); !cc.Equal(c) {
			t.Errorf("%s: Canonical not idempotent: %s then %s", m, c, cc)
		}
	}
}

func TestMatchOXMKnownBytes(t *testing.T) {
	build := func(f func(m *Match)) Match {
		var m Match
		f(&m)
		return m
	}
	for _, c := range []struct {
		m    Match
		want string
	}{
		{Match{}, "00010004 00000000"},
		// reg14=0x1,metadata=0x2: xreg7 (reg14 high half) masked, metadata exact.
		{build(func(m *Match) {
			m.SetUint(FieldReg(14), 1, ^uint64(0))
			m.SetUint(FieldMetadata, 2, ^uint64(0))
		}), "0001 0024 8001 0f10 00000001 00000000 ffffffff 00000000 8000 0408 0000000000000002 00000000"},
		// in_port=1 goes out as OXM_OF_IN_PORT.
		{build(func(m *Match) { m.SetUint(FieldInPort, 1, ^uint64(0)) }), "0001 000c 80000004 00000001 00000000"},
		// ip,nw_src=10.0.0.0/8.
		{build(func(m *Match) {
			m.SetUint(FieldEthType, 0x800, ^uint64(0))
			m.SetMasked(FieldIPv4Src, []byte{10, 0, 0, 0}, []byte{255, 0, 0, 0})
		}), "0001 0016 80000a02 0800 80001708 0a000000 ff000000 0000"},
	} {
		want, _ := hex.DecodeString(stripSpacesForTest(c.want))
		if got := c.m.AppendOXM(nil); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", c.m, got, want)
		}
	}
}

func stripSpacesForTest(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil))
}

func TestDecodeMatchErrors(t *testing.T) {
	for _, h := range []string{
		"",
		"0001",
		"00000004 00000000",        // OFPMT_STANDARD
		"00010003 00000000",        // length below the header
		"0001000c 80000004 000000", // padding missing
		"0001000c 80000005 00000001 0000000000000000", // entry overruns the match
		"0001000c 80000003 000001 00 00000000",        // in_port with 3 bytes
		"0001000c ffff0004 00002320 00000000",         // NXOXM dp_hash without a value
		"0001000c 7f000008 00000000 00000000",         // unknown entry overruns the match
		"00010008 ffff0003",                           // experimenter header cut short
	} {
		b, _ := hex.DecodeString(stripSpacesForTest(h))
		if m, n, err := DecodeMatch(b); err == nil {
			t.Errorf("DecodeMatch(%s) = %s, %d, nil", h, m, n)
		}
	}
}

func FuzzDecodeMatch(f *testing.F) {
	for _, text := range matchOVSTexts {
		m, err := parseMatchForTest(text)
		if err == nil {
			f.Add(m.AppendOXM(nil))
		}
	}
	f.Add([]byte{0, 1, 0, 4, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := DecodeMatch(b)
		if err != nil {
			return
		}
		if n > len(b) || n%8 != 0 {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		_ = m.String()
		c := m.Canonical()
		again, _, err := DecodeMatch(c.AppendOXM(nil))
		if err != nil || !again.Equal(c) {
			t.Fatalf("canonical %s does not round trip: %s, %v", c, again, err)
		}
	})
}

func BenchmarkMatchString(b *testing.B) {
	m, err := parseMatchForTest("tcp,reg10=0x20/0x20,reg13=0x5,reg14=0x2,reg15=0x3,metadata=0x1,dl_src=00:00:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.0/8,tp_dst=22")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.String()
	}
}

func BenchmarkMatchBuild(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var m Match
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldIPProto, 6, ^uint64(0))
		m.SetUint(FieldReg(14), 2, ^uint64(0))
		m.SetUint(FieldMetadata, 1, ^uint64(0))
		m.SetUint(FieldTCPDst, 22, ^uint64(0))
		_ = m.Key()
	}
}

func BenchmarkMatchAppendOXM(b *testing.B) {
	m, _ := parseMatchForTest("tcp,reg10=0x20/0x20,reg13=0x5,reg14=0x2,reg15=0x3,metadata=0x1,dl_src=00:00:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.0/8,tp_dst=22")
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendOXM(buf[:0])
	}
}

func BenchmarkDecodeMatch(b *testing.B) {
	m, _ := parseMatchForTest("tcp,reg10=0x20/0x20,reg13=0x5,reg14=0x2,reg15=0x3,metadata=0x1,dl_src=00:00:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.0/8,tp_dst=22")
	raw := m.AppendOXM(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeMatch(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// Entries of fields the registry does not know are kept as they are, so a
// foreign flow still compares, re-encodes and can be deleted.
func TestDecodeMatchKeepsUnknownEntries(t *testing.T) {
	// reg0=0x1 (as OVS sends it: xreg0), then NSH spi (experimenter
	// 0x005ad650) and an unknown basic-class field with an odd length.
	in := "0001 0029 8001 0110 00000001 00000000 ffffffff 00000000" +
		" ffff 0808 005ad650 00000001" + " 8000 7e01 05" + " 000000 0000 0000"
	b, _ := hex.DecodeString(stripSpacesForTest(in))
	m, n, err := DecodeMatch(b)
	if err != nil || n != len(b) {
		t.Fatalf("DecodeMatch = %d, %v", n, err)
	}
	if got, want := m.String(), "reg0=0x1,unknown_oxm=0xffff0808005ad65000000001,unknown_oxm=0x80007e0105"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := m.AppendOXM(nil); !bytes.Equal(got, b) {
		t.Errorf("re-encoded\n got % x\nwant % x", got, b)
	}
	if fs := m.Fields(); len(fs) != 1 || fs[0] != FieldReg(0) {
		t.Errorf("Fields() = %v", fs)
	}
	m.SetUint(FieldReg(15), 2, ^uint64(0))
	if got, want := m.String(), "reg0=0x1,reg15=0x2,unknown_oxm=0xffff0808005ad65000000001,unknown_oxm=0x80007e0105"; got != want {
		t.Errorf("after SetUint: %q, want %q", got, want)
	}
	if c := m.Canonical(); !c.Equal(m) {
		t.Errorf("Canonical %q differs from %q", c, m)
	}
}
