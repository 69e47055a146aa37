package flow

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fieldTestVectorsDir locates the shared OVN vectors: $CHASSISD_VECTORS, or
// ../shared/vectors relative to the repository root. Missing vectors fail
// the test under CI=true and skip it otherwise.
func fieldTestVectorsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CHASSISD_VECTORS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatalf("no go.mod above %s", wd)
			}
			root = parent
		}
		dir = filepath.Join(root, "..", "shared", "vectors")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("vectors: %v", err)
		}
		t.Skipf("vectors: %v", err)
	}
	return dir
}

// TestFieldTableMatchesOVS checks the registry against the OVS field facts
// recorded in context.json (ovs_fields.fields).
func TestFieldTableMatchesOVS(t *testing.T) {
	dir := fieldTestVectorsDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "context.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ctx struct {
		OVSFields struct {
			Fields map[string]struct {
				Name     string  `json:"name"`
				Alias    *string `json:"alias"`
				NBits    int     `json:"n_bits"`
				NBytes   int     `json:"n_bytes"`
				Maskable bool    `json:"maskable"`
				Writable bool    `json:"writable"`
				Headers  []struct {
					Name string `json:"name"`
				} `json:"headers"`
				NameOF15      string `json:"name_of15"`
				NameSubfield  string `json:"name_subfield"`
				Prerequisites string `json:"ovs_prerequisites"`
			} `json:"fields"`
		} `json:"ovs_fields"`
	}
	if err := json.Unmarshal(raw, &ctx); err != nil {
		t.Fatal(err)
	}
	if len(ctx.OVSFields.Fields) == 0 {
		t.Fatal("context.json has no ovs_fields.fields")
	}
	prereqs := map[string]Prereq{
		"none": PrereqNone, "Ethernet": PrereqEthernet, "ARP": PrereqARP, "IPv4": PrereqIPv4,
		"IPv6": PrereqIPv6, "IPv4/IPv6": PrereqIPAny, "TCP": PrereqTCP, "UDP": PrereqUDP,
		"SCTP": PrereqSCTP, "ICMPv4": PrereqICMPv4, "ICMPv6": PrereqICMPv6, "ND": PrereqND,
		"ND solicit": PrereqNDSolicit, "ND advert": PrereqNDAdvert, "CT": PrereqCT, "VLAN VID": PrereqVLANVID,
	}
	for mff, want := range ctx.OVSFields.Fields {
		f, ok := FieldByName(want.Name)
		if !ok {
			t.Errorf("%s: FieldByName(%q) not found", mff, want.Name)
			continue
		}
		if f.Name() != want.Name {
			t.Errorf("%s: Name()=%q want %q", mff, f.Name(), want.Name)
		}
		if want.Alias != nil {
			if g, ok := FieldByName(*want.Alias); !ok || g != f || f.Alias() != *want.Alias {
				t.Errorf("%s: alias %q: got field %v ok=%v, Alias()=%q", mff, *want.Alias, g, ok, f.Alias())
			}
		} else if f.Alias() != "" {
			t.Errorf("%s: Alias()=%q want none", mff, f.Alias())
		}
		if f.Bits() != want.NBits || f.Bytes() != want.NBytes {
			t.Errorf("%s: bits/bytes %d/%d want %d/%d", mff, f.Bits(), f.Bytes(), want.NBits, want.NBytes)
		}
		if f.Maskable() != want.Maskable || f.Writable() != want.Writable {
			t.Errorf("%s: maskable/writable %v/%v want %v/%v", mff, f.Maskable(), f.Writable(), want.Maskable, want.Writable)
		}
		if p, ok := prereqs[want.Prerequisites]; !ok || p != f.Prereq() {
			t.Errorf("%s: prereq %v, want %q", mff, f.Prereq(), want.Prerequisites)
		}
		var names []string
		for _, h := range f.info().headers {
			names = append(names, h.name)
		}
		if len(names) != len(want.Headers) {
			t.Errorf("%s: headers %v, want %v", mff, names, want.Headers)
		} else {
			for i, h := range want.Headers {
				if names[i] != h.Name {
					t.Errorf("%s: header %d = %s, want %s", mff, i, names[i], h.Name)
				}
				if g, ok := FieldByName(h.Name); !ok || g != f {
					t.Errorf("%s: FieldByName(%s) = %v, %v", mff, h.Name, g, ok)
				}
			}
		}
		if f.NXMName() != want.NameOF15 {
			t.Errorf("%s: NXMName()=%s want %s", mff, f.NXMName(), want.NameOF15)
		}
		if f.SubfieldName() != want.NameSubfield {
			t.Errorf("%s: SubfieldName()=%s want %s", mff, f.SubfieldName(), want.NameSubfield)
		}
	}
}

func TestFieldNamesUnique(t *testing.T) {
	seen := map[string]Field{}
	for _, f := range Fields() {
		if f.Name() == "" {
			t.Errorf("field %d has no name", f)
			continue
		}
		names := []string{f.Name()}
		if f.Alias() != "" {
			names = append(names, f.Alias())
		}
		for _, h := range f.info().headers {
			names = append(names, h.name)
		}
		for _, n := range names {
			if g, dup := seen[n]; dup && g != f {
				t.Errorf("name %s used by %s and %s", n, g.Name(), f.Name())
			}
			seen[n] = f
		}
		if f.Bytes()*8 < f.Bits() {
			t.Errorf("%s: %d bits do not fit %d bytes", f.Name(), f.Bits(), f.Bytes())
		}
	}
	for _, c := range []struct {
		f    Field
		name string
	}{
		{FieldReg(15), "reg15"}, {FieldXReg(7), "xreg7"}, {FieldXXReg(3), "xxreg3"},
		{FieldTunMetadata(63), "tun_metadata63"}, {FieldNDOptionsType, "nd_options_type"},
		{FieldMetadata, "metadata"}, {FieldEthSrc, "eth_src"}, {FieldVLANPCP, "vlan_pcp"},
	} {
		if c.f.Name() != c.name {
			t.Errorf("%d: Name()=%s want %s", c.f, c.f.Name(), c.name)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, f := range Fields() {
		if !f.HasHeader() {
			continue
		}
		for _, masked := range []bool{false, true} {
			n := 0
			if f.VariableLength() {
				n = 4
			}
			b := f.AppendHeader(nil, masked, n)
			g, m, vl, hl, err := DecodeHeader(b)
			if err != nil || g != f || m != masked || hl != len(b) {
				t.Errorf("%s masked=%v: % x decodes to %v %v %d %d %v", f.Name(), masked, b, g, m, vl, hl, err)
			}
			if want := f.Bytes(); n == 0 && vl != want {
				t.Errorf("%s: value length %d want %d", f.Name(), vl, want)
			}
		}
	}
	// Known OVS encodings with OpenFlow 1.5.
	for _, c := range []struct {
		f      Field
		masked bool
		want   string
	}{
		{FieldReg(0), false, "00010004"},
		{FieldReg(1), true, "00010308"},
		{FieldMetadata, false, "80000408"},
		{FieldEthSrc, true, "8000090c"},
		{FieldXReg(3), false, "80010608"},
		{FieldTCPFlags, false, "80005402"},
		{FieldDPHash, false, "ffff000800002320"},
		{FieldCTLabel, true, "0001d920"},
		{FieldInPort, false, "00000002"},
	} {
		got := fieldTestHex(c.f.AppendHeader(nil, c.masked, 0))
		if got != c.want {
			t.Errorf("%s masked=%v: header %s want %s", c.f.Name(), c.masked, got, c.want)
		}
	}
	for _, bad := range [][]byte{nil, {0x00}, {0xff, 0xff, 0x00, 0x02, 0, 0}, {0x00, 0x01, 0x00, 0x03}, {0x7f, 0x00, 0x00, 0x04}} {
		if _, _, _, _, err := DecodeHeader(bad); err == nil {
			t.Errorf("DecodeHeader(% x) succeeded", bad)
		}
	}
}

func fieldTestHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
