package explain

import (
	"errors"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
		want func(*Request) bool
	}{
		{args: []string{"--from", "vm1", "--to", "10.0.0.5"}, want: func(r *Request) bool { return r.From == "vm1" && r.To == "10.0.0.5" && !r.JSON }},
		{args: []string{"--json", "--from=vm1", "--to", "10.0.0.5:80", "--ct-next", "trk,est", "--ct-next", "trk,rpl,est"},
			want: func(r *Request) bool { return r.JSON && len(r.CTNext) == 2 && r.CTNext[1] == "trk,rpl,est" }},
		{args: []string{"in_port=3,icmp", "-v", "--json"}, want: func(r *Request) bool { return r.RawFlow == "in_port=3,icmp" && r.Verbose && r.JSON }},
		{args: []string{"--from", "vm1", "--to", "[fd00::5]:443", "--proto", "udp"}, want: func(r *Request) bool { return r.Proto == "udp" }},
		{args: []string{"--from", "vm1"}, err: "--from and --to are required"},
		{args: []string{"--from", "vm1", "--to", "10.0.0.5", "in_port=3"}, err: "either a flow or --from/--to"},
		{args: []string{"in_port=3", "in_port=4"}, err: "one flow expected"},
		{args: []string{"--from", "vm1", "--to", "10.0.0.300"}, err: "want IP or IP:port"},
		{args: []string{"--from", "vm1", "--to", "10.0.0.5", "--proto", "sctp"}, err: "want tcp, udp or icmp"},
		{args: []string{"--from", "vm1", "--to", "10.0.0.5", "--src-ip", "x"}, err: "--src-ip"},
		{args: []string{"--frm", "vm1"}, err: "flag provided but not defined: -frm"},
	} {
		r, err := ParseArgs(c.args)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: err %v, want %q", c.args, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.args, err)
		case c.err == "" && !c.want(r):
			t.Errorf("%q: parsed %+v", c.args, r)
		}
	}
	if _, err := ParseArgs([]string{"-h"}); !errors.Is(err, ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if u := Usage(); !strings.Contains(u, "--from") || !strings.Contains(u, "--nb-db") {
		t.Errorf("usage lacks options:\n%s", u)
	}
}

// TestBuildPacket resolves packets against the bindings of a real chassis
// (hv1 of the e2e setup: ex-vm1, ex-vm3, ex-vm4, ex-iso here, ex-vm2 and
// ex-r1 on hv2, router1 between sg-net and routed-net).
func TestBuildPacket(t *testing.T) {
	cat := &loadFixture(t, "routed").Catalog
	for _, c := range []struct {
		args    []string
		flow    string // prefix of the flow
		err     string
		notes   string
		noNotes bool
	}{
		{args: []string{"--from", "ex-vm1", "--to", "192.168.111.12"},
			flow: "icmp,in_port=2,dl_src=fa:16:3e:e8:00:01,dl_dst=fa:16:3e:e8:00:02,nw_src=192.168.111.11,nw_dst=192.168.111.12,nw_ttl=64,icmp_type=8"},
		// The OVS interface name, a unique prefix of the port name.
		{args: []string{"--from", "vif-exvm1", "--to", "192.168.111.14:22"},
			flow: "tcp,in_port=2,dl_src=fa:16:3e:e8:00:01,dl_dst=fa:16:3e:e8:00:04,nw_src=192.168.111.11,nw_dst=192.168.111.14,nw_ttl=64,tp_src=33333,tp_dst=22,tcp_flags=0x002"},
		{args: []string{"--from", "ex-vm3", "--to", "192.168.111.11:53", "--proto", "udp"}, flow: "udp,in_port=3,"},
		// Off the network: to the router port that is the gateway.
		{args: []string{"--from", "ex-vm1", "--to", "192.168.112.11"}, flow: "icmp,in_port=2,dl_src=fa:16:3e:e8:00:01,dl_dst=fa:16:3e:e8:ff:01,",
			notes: "192.168.112.11 is not on sg-net: sent to the gateway, router port lrp-sg of router1"},
		// A load balancer's VIP, behind the gateway.
		{args: []string{"--from", "ex-vm1", "--to", "10.99.0.10:80"}, flow: "tcp,in_port=2,dl_src=fa:16:3e:e8:00:01,dl_dst=fa:16:3e:e8:ff:01,",
			notes: "10.99.0.10:80 is a VIP of load balancer lb-web (backends 192.168.111.12:8080, 192.168.111.14:8080)"},
		// The gateway's own address: on the network, nothing to explain.
		{args: []string{"--from", "ex-vm1", "--to", "192.168.111.1"}, flow: "icmp,in_port=2,dl_src=fa:16:3e:e8:00:01,dl_dst=fa:16:3e:e8:ff:01,", noNotes: true},
		// No router: the owner's MAC, and a note saying why it is hopeless.
		{args: []string{"--from", "ex-iso", "--to", "192.168.111.11"}, flow: "icmp,in_port=5,dl_src=fa:16:3e:e8:02:01,dl_dst=fa:16:3e:e8:00:01,",
			notes: "no router connects isolated-net"},
		{args: []string{"--from", "ex-vm1", "--to", "192.168.111.12", "--src-mac", "FA:16:3E:00:00:99", "--src-ip", "192.168.111.99", "--dst-mac", "ff:ff:ff:ff:ff:ff"},
			flow: "icmp,in_port=2,dl_src=fa:16:3e:00:00:99,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=192.168.111.99,", notes: "given on the command line"},
		{args: []string{"--from", "ex-vm2", "--to", "192.168.111.11"}, err: "bound to chassis hv2, not this one (hv1): run explain there"},
		{args: []string{"--from", "nosuchport", "--to", "192.168.111.11"}, err: `no logical port, Neutron port or OVS interface called "nosuchport"`},
		{args: []string{"--from", "ex-vm", "--to", "192.168.111.11"}, err: "no logical port"}, // too short for a prefix
		{args: []string{"--from", "ex-vm1", "--to", "fd00::1"}, err: "no IPv6 address"},
		{args: []string{"--from", "ex-iso", "--to", "10.99.99.99"}, err: "give --dst-mac"},
		{args: []string{"--from", "ex-vm1", "--to", "192.168.111.12:80", "--proto", "icmp"}, err: "has a port but --proto is icmp"},
	} {
		req, err := ParseArgs(c.args)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		p, err := BuildPacket(cat, req)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.args, err, c.err)
			}
			continue
		case err != nil:
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !strings.HasPrefix(p.Flow, c.flow) {
			t.Errorf("%q: flow\n %s\nwant prefix\n %s", c.args, p.Flow, c.flow)
		}
		if c.notes != "" && !strings.Contains(strings.Join(p.Notes, "\n"), c.notes) {
			t.Errorf("%q: notes %q, want %q", c.args, p.Notes, c.notes)
		}
		if c.noNotes && len(p.Notes) > 0 {
			t.Errorf("%q: notes %q, want none", c.args, p.Notes)
		}
	}
}

func TestBackendMatches(t *testing.T) {
	for _, c := range []struct {
		backend, want string
		ok            bool
	}{
		{"10.0.0.5:80", "10.0.0.5", true},
		{"10.0.0.5:80", "10.0.0.5:80", true},
		{"10.0.0.5:80", "10.0.0.50", false},
		{"10.0.0.5:80", "10.0.0.5:8080", false},
		{"[fd00::5]:80", "fd00::5", true},
		{"[fd00::5]:80", "[fd00::5]:80", true},
		{"10.0.0.5", "10.0.0.5", true},
	} {
		if got := backendMatches(c.backend, c.want); got != c.ok {
			t.Errorf("backendMatches(%q, %q) = %v", c.backend, c.want, got)
		}
	}
}
