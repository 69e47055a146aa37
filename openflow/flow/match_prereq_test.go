package flow

import (
	"errors"
	"testing"
)

func TestCheckPrereqs(t *testing.T) {
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{"", true},
		{"reg0=0x1,metadata=0x1", true},
		{"ip,nw_src=10.0.0.1", true},
		{"nw_src=10.0.0.1", false},
		{"arp,arp_spa=10.0.0.1,arp_op=1,arp_sha=00:00:00:00:00:01", true},
		{"ipv6,nw_src=10.0.0.1", false},
		{"ipv6,ipv6_src=::1", true},
		{"ip,ipv6_src=::1", false},
		{"tcp,tp_dst=80", true},
		{"ip,tp_dst=80", false},
		{"icmp,icmp_type=8", true},
		{"icmp6,icmp_type=135,icmp_code=0,nd_target=::1,nd_sll=00:00:00:00:00:01", true},
		{"icmp6,icmp_type=136,icmp_code=0,nd_sll=00:00:00:00:00:01", false},
		{"icmp6,icmp_type=135,nd_target=::1", true}, // an unmatched code has value 0, which OVS accepts
		{"udp,tcp_flags=+syn", false},
		{"tcp6,tcp_flags=+syn", true},
		{"ip,nw_ttl=1,nw_frag=later,nw_tos=4", true},
		{"nw_ttl=1", false},
		{"ct_state=+est+trk,ct_nw_src=10.0.0.1", true},
		{"ct_state=+trk,ct_nw_src=10.0.0.1", false},
		{"ct_state=+trk-inv,ct_tp_dst=80", true},
		{"mpls,mpls_label=5", true},
		{"ip,mpls_label=5", false},
	} {
		m, err := parseMatchForTest(c.text)
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		err = m.CheckPrereqs()
		if (err == nil) != c.ok {
			t.Errorf("%q: CheckPrereqs() = %v, want ok=%v", c.text, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrPrereq) {
			t.Errorf("%q: %v does not wrap ErrPrereq", c.text, err)
		}
	}
}
