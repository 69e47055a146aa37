package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func base() map[string]string {
	return map[string]string{
		"system-id":      "hv1",
		"ovn-remote":     "tcp:10.0.0.1:6642",
		"ovn-encap-type": "geneve",
		"ovn-encap-ip":   "172.16.0.1",
	}
}

func TestParseDefaults(t *testing.T) {
	c, warns, err := Parse(base(), "", "host1")
	if err != nil || len(warns) != 0 {
		t.Fatalf("Parse: err=%v warns=%v", err, warns)
	}
	want := Config{
		ChassisName: "hv1", Hostname: "host1",
		Remote: "tcp:10.0.0.1:6642", Remotes: []string{"tcp:10.0.0.1:6642"}, ProbeInterval: 5 * time.Second,
		EncapTypes: []string{"geneve"}, EncapIPs: []string{"172.16.0.1"}, EncapCsum: "true",
		Bridge: "br-int", EnableLflowCache: "true",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestParseOverrides(t *testing.T) {
	ext := base()
	ext["ovn-bridge"] = "br-x"
	ext["ovn-bridge-hv1"] = "br-hv1" // per-chassis key wins
	ext["ovn-encap-ip-hv2"] = "9.9.9.9"
	ext["ovn-encap-type"] = "geneve,vxlan"
	ext["ovn-encap-ip"] = "172.16.0.1,172.16.0.2"
	ext["ovn-encap-csum"] = "false"
	ext["ovn-remote"] = "unix:/run/ovn/sb.sock"
	ext["ovn-bridge-mappings"] = "physnet1:br-provider,ext:br-ex"
	ext["ovn-bridge-datapath-type"] = "netdev"
	ext["hostname"] = "override-host"
	ext["ovn-encap-tos"] = "inherit"
	ext["ovn-encap-df_default"] = "false"
	ext["ovn-set-local-ip"] = "true"
	c, warns, err := Parse(ext, "", "host1")
	if err != nil || len(warns) != 0 {
		t.Fatalf("Parse: err=%v warns=%v", err, warns)
	}
	if c.Bridge != "br-hv1" {
		t.Errorf("Bridge = %q, want br-hv1", c.Bridge)
	}
	if !reflect.DeepEqual(c.EncapIPs, []string{"172.16.0.1", "172.16.0.2"}) {
		t.Errorf("EncapIPs = %v", c.EncapIPs)
	}
	if !reflect.DeepEqual(c.EncapTypes, []string{"geneve", "vxlan"}) || c.EncapCsum != "false" {
		t.Errorf("encap = %v csum %q", c.EncapTypes, c.EncapCsum)
	}
	if c.ProbeInterval != 0 {
		t.Errorf("unix remote probe = %v, want 0", c.ProbeInterval)
	}
	if b, ok := c.BridgeFor("physnet1"); !ok || b != "br-provider" {
		t.Errorf("BridgeFor(physnet1) = %q %v", b, ok)
	}
	if c.EncapTOS != "inherit" || c.EncapDFDefault != "false" || !c.SetLocalIP {
		t.Errorf("tunnel options: tos %q df %q local-ip %v", c.EncapTOS, c.EncapDFDefault, c.SetLocalIP)
	}
	if c.Hostname != "override-host" || c.DatapathType != "netdev" {
		t.Errorf("hostname %q dp type %q", c.Hostname, c.DatapathType)
	}
	c, _, _ = Parse(ext, "hv2", "h")
	if c.ChassisName != "hv2" || c.EncapIPs[0] != "9.9.9.9" {
		t.Errorf("override chassis: %q %v", c.ChassisName, c.EncapIPs)
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name    string
		set     map[string]string
		err     string // fatal error substring, or ""
		warning string // warning substring, or ""
	}{
		{"no system-id", map[string]string{"system-id": ""}, "system-id is not set", ""},
		{"no remote", map[string]string{"ovn-remote": ""}, "ovn-remote is not set", ""},
		{"bad remote method", map[string]string{"ovn-remote": "http://x"}, "unsupported method", ""},
		{"only bad encap type", map[string]string{"ovn-encap-type": "gre"}, "names no supported encapsulation", "gre"},
		{"one bad encap type", map[string]string{"ovn-encap-type": "foo,geneve"}, "", `unsupported encapsulation "foo"`},
		{"bad encap ip", map[string]string{"ovn-encap-ip": "nope,172.16.0.3"}, "", `ignoring "nope"`},
		{"no encap ip", map[string]string{"ovn-encap-ip": "nope"}, "not set to a valid IP", ""},
		{"bad mapping", map[string]string{"ovn-bridge-mappings": "physnet1,physnet2:br2"}, "", `ignoring "physnet1"`},
		{"bad probe", map[string]string{"ovn-remote-probe-interval": "soon"}, "", "not a number"},
		{"bad csum", map[string]string{"ovn-encap-csum": "maybe"}, "", "neither true nor false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext := base()
			for k, v := range tc.set {
				ext[k] = v
			}
			_, warns, err := Parse(ext, "", "h")
			if tc.err == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error = %v, want %q", err, tc.err)
			}
			if tc.warning != "" {
				found := false
				for _, w := range warns {
					found = found || strings.Contains(w.Error(), tc.warning)
				}
				if !found {
					t.Errorf("warnings %v lack %q", warns, tc.warning)
				}
			}
		})
	}
}

func TestProbeIntervalRules(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "-5": 0, "500": time.Second, "30000": 30 * time.Second,
	} {
		ext := base()
		ext["ovn-remote-probe-interval"] = in
		c, _, err := Parse(ext, "", "h")
		if err != nil || c.ProbeInterval != want {
			t.Errorf("probe %q = %v (%v), want %v", in, c.ProbeInterval, err, want)
		}
	}
}
