package actions

import (
	"testing"

	"github.com/chassisd/chassisd/openflow/flow"
)

func TestDecodeUserdataResultField(t *testing.T) {
	pp, ep := fuzzParams()
	for _, tc := range []struct {
		in    string
		op    Opcode
		field flow.Field
		bit   int
	}{
		{"reg2[5] = put_dhcp_opts(offerip = 10.0.0.4);", OpPutDHCPOpts, flow.FieldXXReg(0), 37},
		{"reg0[4] = dns_lookup();", OpDNSLookup, flow.FieldXXReg(0), 100},
		{"reg9[3] = put_dhcpv6_opts(ia_addr = ae70::4);", OpPutDHCPv6Opts, flow.FieldXReg(4), 3},
	} {
		acts, _, err := Parse(tc.in, pp)
		if err != nil {
			t.Fatal(err)
		}
		of, err := acts.Encode(ep)
		if err != nil {
			t.Fatal(err)
		}
		u, err := DecodeUserdata(of[0].(flow.Controller).Userdata)
		if err != nil {
			t.Fatal(err)
		}
		f, bit, _, err := u.ResultField()
		if err != nil || u.Op != tc.op || f != tc.field || bit != tc.bit {
			t.Errorf("%s: op %v field %v bit %d err %v", tc.in, u.Op, f, bit, err)
		}
	}
	if _, err := DecodeUserdata([]byte{0, 0, 0}); err == nil {
		t.Error("short userdata decoded")
	}
	if _, _, _, err := (Userdata{Op: OpDNSLookup, Payload: []byte{0, 1}}).ResultField(); err == nil {
		t.Error("truncated result field decoded")
	}
}
