package lflow

import "testing"

// FuzzSBStrings feeds the Southbound string columns the translator parses
// itself (port_security, group descriptions, load balancer VIPs): any
// value is parsed or refused, never a panic.
func FuzzSBStrings(f *testing.F) {
	for _, s := range []string{
		"fa:16:3e:00:00:05 10.0.0.5 2001:db8::5",
		"fa:16:3e:00:00:05 10.0.0.0/24 fe80::/64",
		"type=select,selection_method=dp_hash,bucket=bucket_id=0,weight:100,actions=ct(commit,table=15,zone=NXM_NX_REG13[0..15],nat(dst=10.0.0.5:80))",
		"type=all,bucket=actions=set_field:0x1->reg15,resubmit(,37)",
		"10.0.0.10:80", "[2001:db8::10]:8080", "10.0.0.10",
	} {
		f.Add(s, "10.0.0.5:80,10.0.0.6:80")
	}
	f.Fuzz(func(t *testing.T, s, backends string) {
		_, _ = parsePortSecurity(s)
		_, _ = parseGroupDescription(1, s)
		_, _, _ = parseLBAddr(s)
		_ = parseLBVIPs(map[string]string{s: backends})
	})
}
