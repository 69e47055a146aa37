package explain

import (
	"strings"
	"testing"
)

// stepWant is a step the explanation must contain: a stage (suffix) whose
// notes or objects mention text.
type stepWant struct{ stage, text string }

// TestExplainFixtures recomputes explanations of real traces taken on a
// two-chassis setup (see fixture) and checks the verdicts, the steps that
// carry them, and the rendered text against golden files.
func TestExplainFixtures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kind    string
		summary []string // in the verdict's summary
		steps   []stepWant
		foreign int
		notes   []string // in the explanation's notes
	}{
		{name: "ping-geneve", kind: VerdictTunnel,
			summary: []string{"FORWARDED to chassis hv2", "geneve tunnel ovn-hv2-0", "172.31.255.2", "ex-vm2 of sg-net"},
			steps: []stepWant{
				{"phy_to_log", "from OVS port vif-exvm1 (ofport 2): logical port ex-vm1 of sg-net"},
				{"chk_in_port_sec", "ingress port security of ex-vm1"},
				{"ls_in_acl", "security_group_rule_id=e8910000-0000-4000-8000-0000000000e1"},
				{"ls_in_l2_lkup", "destination MAC fa:16:3e:e8:00:02 is port ex-vm2"},
				{"remote_output", "ex-vm2 is on chassis hv2"},
			},
			notes: []string{"egress pipeline (to-lport ACLs, port security of ex-vm2) runs on chassis hv2"}},
		{name: "acl-drop", kind: VerdictDropped,
			summary: []string{"DROPPED in ls_out_acl on sg-net", `drop "outport == @neutron_pg_drop && ip"`, "no ingress rule of ex-vm1's security groups allows this packet"},
			steps:   []stepWant{{"ls_out_acl", "Neutron's drop-all group"}, {"ls_in_acl", "Neutron security group e8910000-0000-4000-8000-0000000000d3"}}},
		{name: "allowed-sg-without-nb", kind: VerdictDelivered,
			summary: []string{"DELIVERED to ex-vm4 of sg-net, OVS port vif-exvm4"},
			steps:   []stepWant{{"ls_out_acl", "Neutron security group e8910000-0000-4000-8000-0000000000d0"}, {"chk_out_port_sec", "egress port security of ex-vm4"}},
			notes:   []string{"--nb-db"}},
		{name: "ct-next", kind: VerdictDelivered,
			summary: []string{"DELIVERED to ex-vm4"},
			steps:   []stepWant{{"ls_in_acl", "allow"}}},
		{name: "no-router", kind: VerdictDropped,
			summary: []string{"ls_in_l2_unknown on isolated-net", "no port on isolated-net has destination MAC fa:16:3e:e8:00:01"}},
		{name: "routed", kind: VerdictTunnel,
			summary: []string{"chassis hv2", "ex-r1 of routed-net"},
			steps: []stepWant{
				{"log_to_phy", "through the patch rp-sg -> lrp-sg into router1"},
				{"lr_in_ip_routing", "route to 192.168.112.0/24 out of lrp-routed, directly connected"},
				{"lr_in_arp_resolve", "next hop 192.168.112.11 is at fa:16:3e:e8:01:01 (address of port ex-r1)"},
				{"log_to_phy", "through the patch lrp-routed -> rp-routed into routed-net"},
			}},
		{name: "routed-arp", kind: VerdictController,
			summary: []string{"SENT TO CHASSISD", "lr_in_arp_request on router1", "next hop 192.168.112.99 has no known MAC"},
			steps:   []stepWant{{"mac_binding", "no MAC binding for 192.168.112.99"}}},
		{name: "lb-ex-vm2", kind: VerdictTunnel,
			summary: []string{"chassis hv2", "ex-vm2"},
			steps: []stepWant{
				{"ls_in_lb", "load balancer lb-web (tcp): VIP 10.99.0.10:80 -> backends 192.168.111.12:8080, 192.168.111.14:8080"},
				{"ls_in_lb", "this trace follows 192.168.111.12:8080"},
				{"lr_in_arp_resolve", "next hop 192.168.111.12 is at fa:16:3e:e8:00:02"},
			},
			notes: []string{"dp_hash=2"}},
		{name: "lb-raw", kind: VerdictDelivered,
			summary: []string{"ex-vm4"},
			steps:   []stepWant{{"ls_in_lb", "this trace follows 192.168.111.14:8080"}},
			notes:   []string{"dp_hash=1"}},
		{name: "portsec-ip", kind: VerdictDropped,
			summary: []string{"ls_in_apply_port_sec", "port security of ex-vm1 (allows fa:16:3e:e8:00:01 192.168.111.11) REJECTS source fa:16:3e:e8:00:01 192.168.111.99"}},
		{name: "portsec-mac", kind: VerdictDropped,
			summary: []string{"ls_in_apply_port_sec", "REJECTS source fa:16:3e:e8:00:99 192.168.111.11"}},
		{name: "foreign", kind: VerdictDropped, foreign: 1,
			summary: []string{"a flow chassisd did not install", "table 0, priority 200, icmp,in_port=2  =>  drop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := loadFixture(t, tc.name)
			req, err := ParseArgs(f.Args)
			if err != nil {
				t.Fatal(err)
			}
			var asked []string
			ex, err := Run(&f.Catalog, req, f.tracer(t, &asked), nil)
			if err != nil {
				t.Fatal(err)
			}
			if asked[0] != f.Traces[0].Flow {
				t.Errorf("first flow traced\n %s\nwant (as recorded)\n %s", asked[0], f.Traces[0].Flow)
			}
			v := ex.Verdict
			if v.Kind != tc.kind {
				t.Errorf("verdict %s (%s), want %s", v.Kind, v.Summary, tc.kind)
			}
			for _, s := range tc.summary {
				if !strings.Contains(v.Summary, s) {
					t.Errorf("verdict %q does not say %q", v.Summary, s)
				}
			}
			for _, s := range tc.steps {
				if findStep(ex, s.stage, s.text) == nil {
					t.Errorf("no %s step says %q", s.stage, s.text)
				}
			}
			if ex.ForeignFlows != tc.foreign {
				t.Errorf("%d foreign flows, want %d", ex.ForeignFlows, tc.foreign)
			}
			notes := strings.Join(ex.Notes, "\n")
			for _, n := range tc.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("notes %q do not say %q", notes, n)
				}
			}
			for _, p := range ex.Passes[1:] {
				if want := len(req.CTNext) == 0; p.CTDefault != want {
					t.Errorf("recirculation %s: ct_state %s default=%v, want default=%v (--ct-next %q)", p.RecircID, p.CTState, p.CTDefault, want, req.CTNext)
				}
			}
			checkGolden(t, tc.name, ex.Text(false))
			if _, err := ex.JSON(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestRunFollowsTheAskedBackend: ofproto/trace stops at the load balancer's
// select group; Run tries datapath hashes until the asked backend comes out.
func TestRunFollowsTheAskedBackend(t *testing.T) {
	f := loadFixture(t, "lb-ex-vm2")
	req, err := ParseArgs(f.Args)
	if err != nil {
		t.Fatal(err)
	}
	if req.Backend != "192.168.111.12" {
		t.Fatalf("fixture asks for backend %q", req.Backend)
	}
	var asked []string
	ex, err := Run(&f.Catalog, req, f.tracer(t, &asked), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 3 || !strings.HasSuffix(asked[1], ",dp_hash=1") || !strings.HasSuffix(asked[2], ",dp_hash=2") {
		t.Errorf("traced %q, want the flow, then dp_hash=1 (backend .14), then dp_hash=2 (.12)", asked)
	}
	if !strings.HasSuffix(ex.Packet.Flow, ",dp_hash=2") {
		t.Errorf("packet flow %s does not carry the hash that was followed", ex.Packet.Flow)
	}
	// Without the hash, the same trace stops: the verdict says so.
	first := ParseTraceMust(t, f.outputs[f.Traces[0].Flow])
	if got := Explain(first, &f.Catalog, f.Packet).Verdict.Kind; got != VerdictIncomplete {
		t.Errorf("trace stopped at the hash: verdict %s, want %s", got, VerdictIncomplete)
	}
	// Other hashes land on the same two buckets (as the recorded 1 and 2).
	byParity := func(args ...string) (string, error) {
		flow, h, _ := strings.Cut(args[0], ",dp_hash=")
		if h == "" {
			return f.outputs[flow], nil
		}
		if n := len(h); strings.ContainsAny(h[n-1:], "13579") {
			return f.outputs[flow+",dp_hash=1"], nil
		}
		return f.outputs[flow+",dp_hash=2"], nil
	}
	req.Backend = "192.168.111.77"
	_, err = Run(&f.Catalog, req, byParity, nil)
	if err == nil || !strings.Contains(err.Error(), "no such backend") || !strings.Contains(err.Error(), "192.168.111.14:8080, 192.168.111.12:8080") {
		t.Errorf("unknown backend: err %v", err)
	}
}

// TestInstalledOrigins: a step is chassisd's only when chassisd installed
// that table, priority, match and cookie.
func TestInstalledOrigins(t *testing.T) {
	f := loadFixture(t, "ping-geneve")
	tr := ParseTraceMust(t, f.last)
	phyToLog := func(ex *Explanation) StepReport {
		for _, st := range allSteps(ex) {
			if st.Table == 0 {
				return st
			}
		}
		t.Fatal("no table 0 step")
		return StepReport{}
	}
	if ex := Explain(tr, &f.Catalog, f.Packet); ex.ForeignFlows != 0 || phyToLog(ex).Origin != OriginChassisd {
		t.Fatalf("as recorded: %d foreign, table 0 origin %s", ex.ForeignFlows, phyToLog(ex).Origin)
	}

	withInstalled := func(edit func([]InstalledFlow) []InstalledFlow) *Catalog {
		c := f.Catalog
		c.Installed = edit(append([]InstalledFlow(nil), f.Catalog.Installed...))
		return &c
	}
	notTable0 := func(in []InstalledFlow) []InstalledFlow {
		var out []InstalledFlow
		for _, e := range in {
			if e.Table != 0 {
				out = append(out, e)
			}
		}
		return out
	}
	otherCookie := func(in []InstalledFlow) []InstalledFlow {
		for i := range in {
			if in[i].Table == 0 {
				in[i].Cookie++
			}
		}
		return in
	}
	for _, c := range []struct {
		name   string
		cat    *Catalog
		origin string
		text   string
	}{
		{"missing", withInstalled(notTable0), OriginForeign, "!!  phy_to_log"},
		{"other cookie", withInstalled(otherCookie), OriginDrift, "!! drift: chassisd installed this match with cookie"},
	} {
		ex := Explain(tr, c.cat, f.Packet)
		if got := phyToLog(ex).Origin; got != c.origin || ex.ForeignFlows != 1 {
			t.Errorf("%s: origin %s with %d foreign flows, want %s and 1", c.name, got, ex.ForeignFlows, c.origin)
		}
		if text := ex.Text(false); !strings.Contains(text, c.text) || !strings.Contains(text, "Warning: 1 step(s)") {
			t.Errorf("%s: text does not show it:\n%s", c.name, text)
		}
	}
	unknown := f.Catalog
	unknown.InstalledKnown, unknown.Installed = false, nil
	if ex := Explain(tr, &unknown, f.Packet); ex.ForeignFlows != 0 {
		t.Errorf("without the installed flows, %d steps were called foreign", ex.ForeignFlows)
	}
}
