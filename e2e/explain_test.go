package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/agent/explain"
	"github.com/chassisd/chassisd/e2e/sandbox"
)

// FixturesEnv names a directory where TestExplain saves each explanation
// with --with-catalog (to refresh agent/explain/testdata).
const FixturesEnv = "CHASSISD_EXPLAIN_FIXTURES"

// explainRun runs `chassisd explain` on node, finding the agent through
// $OVN_RUNDIR as an operator's shell would.
func explainRun(t *testing.T, node *Node, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(node.topo.Agent.Binary, append([]string{"explain"}, args...)...)
	cmd.Env = append(os.Environ(), "OVN_RUNDIR="+node.Dir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("chassisd explain %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// explainJSON runs explain --json and decodes it.
func explainJSON(t *testing.T, node *Node, args ...string) (*explain.Explanation, error) {
	t.Helper()
	out, err := explainRun(t, node, append([]string{"--json"}, args...)...)
	if err != nil {
		return nil, err
	}
	var ex explain.Explanation
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		return nil, fmt.Errorf("decode explain --json output: %w\n%s", err, out)
	}
	return &ex, nil
}

// explainUntil repeats explain until check accepts the result (flows may
// still be settling), and fails the test with the last output otherwise.
// The human form of the accepted run is logged.
func explainUntil(t *testing.T, name string, node *Node, check func(*explain.Explanation) error, args ...string) *explain.Explanation {
	t.Helper()
	var ex *explain.Explanation
	var last error
	err := sandbox.Eventually(settle, func() (bool, error) {
		ex, last = explainJSON(t, node, args...)
		if last == nil {
			last = check(ex)
		}
		return last == nil, nil
	})
	if err != nil {
		text, _ := explainRun(t, node, args...)
		t.Fatalf("%s: explain %s: %v\n%s", name, strings.Join(args, " "), last, text)
	}
	text, err := explainRun(t, node, args...)
	must(t, err)
	t.Logf("%s: chassisd explain %s\n%s", name, strings.Join(args, " "), text)
	if dir := os.Getenv(FixturesEnv); dir != "" {
		out, err := explainRun(t, node, append([]string{"--json", "--with-catalog"}, args...)...)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, name+".json"), []byte(out), 0o644))
	}
	return ex
}

// steps lists every step of an explanation.
func steps(ex *explain.Explanation) []explain.StepReport {
	var out []explain.StepReport
	for _, p := range ex.Passes {
		for _, s := range p.Segments {
			out = append(out, s.Steps...)
		}
	}
	return out
}

// stepWith finds the first step of a stage (suffix match) whose notes or
// objects mention text.
func stepWith(ex *explain.Explanation, stage, text string) *explain.StepReport {
	for _, st := range steps(ex) {
		if !strings.HasSuffix(st.Stage, stage) {
			continue
		}
		all := strings.Join(st.Notes, "\n")
		for _, o := range st.Objects {
			all += "\n" + o.Summary + fmt.Sprint(o.Neutron) + " " + o.ID
		}
		if strings.Contains(all, text) {
			return &st
		}
	}
	return nil
}

func wantVerdict(ex *explain.Explanation, kind string, texts ...string) error {
	if ex.Verdict.Kind != kind {
		return fmt.Errorf("verdict %s (%s), want %s", ex.Verdict.Kind, ex.Verdict.Summary, kind)
	}
	for _, s := range texts {
		if !strings.Contains(ex.Verdict.Summary, s) {
			return fmt.Errorf("verdict %q does not mention %q", ex.Verdict.Summary, s)
		}
	}
	if ex.ForeignFlows != 0 {
		return fmt.Errorf("%d steps reported as not installed by chassisd", ex.ForeignFlows)
	}
	return nil
}

// TestExplain asserts explain's verdicts on real situations, each checked
// against what real packets do: an allowed ping across geneve, a packet
// dropped by a security-group ACL, a packet to a network no router
// reaches, a routed packet (and one whose next hop needs ARP), a load
// balancer VIP, port-security drops of spoofed sources, and a flow that
// chassisd did not install.
func TestExplain(t *testing.T) {
	if a := os.Getenv(sandbox.AgentEnv); a != string(sandbox.AgentChassisd) && a != MixedAgents {
		t.Skipf("explain is a chassisd command; run with %s=chassisd", sandbox.AgentEnv)
	}
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	nb := tp.Central.MustNbctl

	// sg-net: Neutron security groups. The default group (vm1, vm2, vm4)
	// allows egress and ingress from its members; vm3's group only egress.
	sgNet := neutronNetwork(t, tp, "e8910000-0000-0000-0000-000000000001", "sg-net", "1442")
	for _, p := range []struct{ lport, mac, ip, host string }{
		{"ex-vm1", "fa:16:3e:e8:00:01", "192.168.111.11", "hv1"},
		{"ex-vm2", "fa:16:3e:e8:00:02", "192.168.111.12", "hv2"},
		{"ex-vm3", "fa:16:3e:e8:00:03", "192.168.111.13", "hv1"},
		{"ex-vm4", "fa:16:3e:e8:00:04", "192.168.111.14", "hv1"},
	} {
		neutronPort(t, tp, sgNet, p.lport, p.mac, p.ip, p.host)
	}
	nb("pg-add", "neutron_pg_drop", "ex-vm1", "ex-vm2", "ex-vm3", "ex-vm4")
	nb("acl-add", "neutron_pg_drop", "from-lport", "1001", "inport == @neutron_pg_drop && ip", "drop")
	dropACL := strings.TrimSpace(nb("--", "--id=@a", "create", "ACL", "direction=to-lport", "priority=1001",
		`match="outport == @neutron_pg_drop && ip"`, "action=drop",
		"--", "add", "Port_Group", "neutron_pg_drop", "acls", "@a"))
	defaultPG := "pg_e8910000_0000_4000_8000_0000000000d0" // Neutron names it pg_<security group id>
	defaultSG := "e8910000-0000-4000-8000-0000000000d0"
	nb("pg-add", defaultPG, "ex-vm1", "ex-vm2", "ex-vm4")
	const egressRule, ingressRule = "e8910000-0000-4000-8000-0000000000e1", "e8910000-0000-4000-8000-0000000000e2"
	for _, acl := range []struct{ dir, match, rule string }{
		{"from-lport", "inport == @" + defaultPG + " && ip4", egressRule},
		{"to-lport", "outport == @" + defaultPG + " && ip4 && ip4.src == $" + defaultPG + "_ip4", ingressRule},
	} {
		nb("--", "--id=@a", "create", "ACL", "direction="+acl.dir, "priority=1002", `match="`+acl.match+`"`,
			"action=allow-related", `external_ids:"neutron:security_group_rule_id"="`+acl.rule+`"`,
			"--", "add", "Port_Group", defaultPG, "acls", "@a")
	}
	nb("pg-add", "pg_e8910000_0000_4000_8000_0000000000d3", "ex-vm3")
	nb("acl-add", "pg_e8910000_0000_4000_8000_0000000000d3", "from-lport", "1002",
		"inport == @pg_e8910000_0000_4000_8000_0000000000d3 && ip4", "allow-related")

	// routed-net behind router1; isolated-net has no router at all.
	routedNet := neutronNetwork(t, tp, "e8910000-0000-0000-0000-000000000002", "routed-net", "1442")
	neutronPort(t, tp, routedNet, "ex-r1", "fa:16:3e:e8:01:01", "192.168.112.11", "hv2")
	nb("lr-add", "router1",
		"--", "lrp-add", "router1", "lrp-sg", "fa:16:3e:e8:ff:01", "192.168.111.1/24",
		"--", "lsp-add", sgNet, "rp-sg", "--", "lsp-set-type", "rp-sg", "router",
		"--", "lsp-set-addresses", "rp-sg", "router", "--", "lsp-set-options", "rp-sg", "router-port=lrp-sg",
		"--", "lrp-add", "router1", "lrp-routed", "fa:16:3e:e8:ff:02", "192.168.112.1/24",
		"--", "lsp-add", routedNet, "rp-routed", "--", "lsp-set-type", "rp-routed", "router",
		"--", "lsp-set-addresses", "rp-routed", "router", "--", "lsp-set-options", "rp-routed", "router-port=lrp-routed")
	isolated := neutronNetwork(t, tp, "e8910000-0000-0000-0000-000000000003", "isolated-net", "1442")
	neutronPort(t, tp, isolated, "ex-iso", "fa:16:3e:e8:02:01", "10.30.0.11", "hv1")

	// A load balancer VIP on a subnet of its own, attached to the switch
	// and the router as Neutron's OVN provider does.
	nb("lb-add", "lb-web", "10.99.0.10:80", "192.168.111.12:8080,192.168.111.14:8080", "tcp")
	nb("ls-lb-add", sgNet, "lb-web")
	nb("lr-lb-add", "router1", "lb-web")
	must(t, tp.Central.WaitSync())

	vm1 := hv1.AddVM("exvm1", "ex-vm1", "fa:16:3e:e8:00:01", "192.168.111.11/24", 1442, "192.168.111.1")
	vm2 := hv2.AddVM("exvm2", "ex-vm2", "fa:16:3e:e8:00:02", "192.168.111.12/24", 1442, "192.168.111.1")
	vm3 := hv1.AddVM("exvm3", "ex-vm3", "fa:16:3e:e8:00:03", "192.168.111.13/24", 1442, "192.168.111.1")
	hv1.AddVM("exvm4", "ex-vm4", "fa:16:3e:e8:00:04", "192.168.111.14/24", 1442, "192.168.111.1")
	r1 := hv2.AddVM("exr1", "ex-r1", "fa:16:3e:e8:01:01", "192.168.112.11/24", 1442, "192.168.112.1")
	iso := hv1.AddVM("exiso", "ex-iso", "fa:16:3e:e8:02:01", "10.30.0.11/24", 1442, "")
	must(t, hv1.WaitTunnel("hv2"))
	nbDB := tp.Central.NBRemote()

	t.Run("allowed ping across geneve", func(t *testing.T) {
		if err := vm1.PingEventually(vm2.IP, settle); err != nil {
			t.Fatalf("positive control: %v", err)
		}
		ex := explainUntil(t, "ping-geneve", hv1, func(ex *explain.Explanation) error {
			if err := wantVerdict(ex, explain.VerdictTunnel, "chassis hv2", "ex-vm2", hv2.UnderlayIP); err != nil {
				return err
			}
			if o := ex.Verdict.Outputs[0]; o.Chassis != "hv2" || o.TunnelType != "geneve" || !strings.HasPrefix(o.Interface, "ovn-") {
				return fmt.Errorf("output %+v: want geneve tunnel ovn-* to hv2", o)
			}
			// The rule that let it out: the Neutron rule, through --nb-db.
			if stepWith(ex, "_acl", egressRule) == nil {
				return fmt.Errorf("no ACL step names security group rule %s", egressRule)
			}
			return nil
		}, "--from", "ex-vm1", "--to", vm2.IP, "--nb-db", nbDB)
		if ex.Packet.To.LogicalPort != "ex-vm2" || ex.Packet.To.MAC != vm2.MAC {
			t.Errorf("destination resolved to %+v, want ex-vm2 %s", ex.Packet.To, vm2.MAC)
		}
	})

	t.Run("dropped by a security group ACL", func(t *testing.T) {
		if err := vm3.Ping(vm1.IP, 2); err == nil {
			t.Fatalf("positive control: vm3 (no ingress rule on vm1's side... ) reached vm1")
		}
		explainUntil(t, "acl-drop", hv1, func(ex *explain.Explanation) error {
			if err := wantVerdict(ex, explain.VerdictDropped, "ls_out_acl", "outport == @neutron_pg_drop && ip", "no ingress rule of ex-vm1's security groups allows"); err != nil {
				return err
			}
			for _, o := range ex.Verdict.Objects {
				if o.Kind == "ACL" && o.ID == dropACL {
					return nil
				}
			}
			return fmt.Errorf("verdict objects %+v do not name ACL %s", ex.Verdict.Objects, dropACL)
		}, "--from", "ex-vm3", "--to", vm1.IP, "--nb-db", nbDB)
		// Without the NB, the ACL is still named by its match and the
		// Neutron security group read from the port group's name.
		explainUntil(t, "allowed-sg-without-nb", hv1, func(ex *explain.Explanation) error {
			if err := wantVerdict(ex, explain.VerdictDelivered, "ex-vm4"); err != nil {
				return err
			}
			if stepWith(ex, "ls_out_acl", "Neutron security group "+defaultSG) == nil {
				return fmt.Errorf("no to-lport ACL step names security group %s", defaultSG)
			}
			return nil
		}, "--from", "ex-vm1", "--to", "192.168.111.14")
	})

	t.Run("conntrack state given with --ct-next", func(t *testing.T) {
		explainUntil(t, "ct-next", hv1, func(ex *explain.Explanation) error {
			if len(ex.Passes) < 2 {
				return fmt.Errorf("%d passes: no recirculation", len(ex.Passes))
			}
			for _, p := range ex.Passes[1:] {
				if p.CTState != "est|trk" || p.CTDefault {
					return fmt.Errorf("recirculation %s traced with ct_state %s (default %v), want est|trk", p.RecircID, p.CTState, p.CTDefault)
				}
			}
			return wantVerdict(ex, explain.VerdictDelivered, "ex-vm4")
		}, "--from", "ex-vm1", "--to", "192.168.111.14", "--ct-next", "trk,est", "--ct-next", "trk,est")
	})

	t.Run("no router to the other network", func(t *testing.T) {
		if err := iso.Ping(vm1.IP, 2); err == nil {
			t.Fatalf("positive control: isolated VM reached sg-net")
		}
		ex := explainUntil(t, "no-router", hv1, func(ex *explain.Explanation) error {
			return wantVerdict(ex, explain.VerdictDropped, "isolated-net", "no port on isolated-net has destination MAC "+vm1.MAC)
		}, "--from", "ex-iso", "--to", vm1.IP)
		if !strings.Contains(strings.Join(ex.Packet.Notes, "\n"), "no router connects isolated-net") {
			t.Errorf("packet notes %q do not say that no router connects isolated-net", ex.Packet.Notes)
		}
	})

	t.Run("routed packet", func(t *testing.T) {
		if err := vm1.PingEventually(r1.IP, settle); err != nil {
			t.Fatalf("positive control: %v", err)
		}
		explainUntil(t, "routed", hv1, func(ex *explain.Explanation) error {
			if err := wantVerdict(ex, explain.VerdictTunnel, "chassis hv2", "ex-r1", "routed-net"); err != nil {
				return err
			}
			if stepWith(ex, "lr_in_ip_routing", "route to 192.168.112.0/24 out of lrp-routed") == nil {
				return fmt.Errorf("no routing step names the route")
			}
			if stepWith(ex, "lr_in_arp_resolve", "next hop 192.168.112.11 is at "+r1.MAC) == nil {
				return fmt.Errorf("no ARP resolution step for the next hop")
			}
			return nil
		}, "--from", "ex-vm1", "--to", r1.IP)
		// A next hop nobody has answered for goes to chassisd for ARP.
		explainUntil(t, "routed-arp", hv1, func(ex *explain.Explanation) error {
			if err := wantVerdict(ex, explain.VerdictController, "lr_in_arp_request", "ARP", "192.168.112.99"); err != nil {
				return err
			}
			if stepWith(ex, "mac_binding", "no MAC binding for 192.168.112.99") == nil {
				return fmt.Errorf("no MAC binding lookup step")
			}
			return nil
		}, "--from", "ex-vm1", "--to", "192.168.112.99")
	})

	t.Run("load balancer VIP", func(t *testing.T) {
		for _, b := range []struct{ backend, kind, where string }{
			{"192.168.111.12", explain.VerdictTunnel, "ex-vm2"},
			{"192.168.111.14", explain.VerdictDelivered, "ex-vm4"},
		} {
			explainUntil(t, "lb-"+b.where, hv1, func(ex *explain.Explanation) error {
				if err := wantVerdict(ex, b.kind, b.where); err != nil {
					return err
				}
				if stepWith(ex, "_lb", "lb-web (tcp): VIP 10.99.0.10:80 -> backends 192.168.111.12:8080, 192.168.111.14:8080") == nil {
					return fmt.Errorf("no load-balancer step with the VIP and backends")
				}
				if stepWith(ex, "_lb", "this trace follows "+b.backend+":8080") == nil {
					return fmt.Errorf("no backend selection step for %s", b.backend)
				}
				if !strings.Contains(strings.Join(ex.Packet.Notes, "\n"), "10.99.0.10:80 is a VIP of load balancer lb-web") {
					return fmt.Errorf("packet notes %q do not name the VIP", ex.Packet.Notes)
				}
				return nil
			}, "--from", "ex-vm1", "--to", "10.99.0.10:80", "--backend", b.backend)
		}
	})

	t.Run("raw flow through the load balancer", func(t *testing.T) {
		// ofproto/trace alone stops where the datapath hashes; explain
		// gives it a hash and follows a backend.
		flow := "tcp,in_port=" + strings.TrimSpace(hv1.MustVsctl("get", "Interface", vm1.OVSPort, "ofport")) +
			",dl_src=" + vm1.MAC + ",dl_dst=fa:16:3e:e8:ff:01,nw_src=" + vm1.IP + ",nw_dst=10.99.0.10,nw_ttl=64,tp_src=40000,tp_dst=80"
		out, err := hv1.Appctl("ofproto/trace", "br-int", flow)
		must(t, err)
		if !strings.Contains(out, "hash(") {
			t.Fatalf("ofproto/trace did not stop at the datapath hash:\n%s", out)
		}
		explainUntil(t, "lb-raw", hv1, func(ex *explain.Explanation) error {
			if ex.Verdict.Kind != explain.VerdictTunnel && ex.Verdict.Kind != explain.VerdictDelivered {
				return fmt.Errorf("verdict %s: %s", ex.Verdict.Kind, ex.Verdict.Summary)
			}
			if stepWith(ex, "_lb", "this trace follows 192.168.111.1") == nil {
				return fmt.Errorf("no backend followed")
			}
			return nil
		}, flow)
	})

	t.Run("port security drops spoofed sources", func(t *testing.T) {
		for _, c := range []struct{ name, flag, value string }{
			{"portsec-ip", "--src-ip", "192.168.111.99"},
			{"portsec-mac", "--src-mac", "fa:16:3e:e8:00:99"},
		} {
			explainUntil(t, c.name, hv1, func(ex *explain.Explanation) error {
				return wantVerdict(ex, explain.VerdictDropped, "ls_in_apply_port_sec", "port security of ex-vm1", "REJECTS source", c.value)
			}, "--from", "ex-vm1", "--to", vm2.IP, c.flag, c.value)
		}
	})

	t.Run("flow chassisd did not install", func(t *testing.T) {
		ofport := strings.TrimSpace(hv1.MustVsctl("get", "Interface", vm1.OVSPort, "ofport"))
		foreign := "table=0,priority=200,in_port=" + ofport + ",icmp,actions=drop"
		explainUntil(t, "foreign", hv1, func(ex *explain.Explanation) error {
			// chassisd's drift check removes the flow; put it back.
			if _, err := hv1.Ofctl("br-int", "add-flow", foreign); err != nil {
				return err
			}
			if ex.Verdict.Kind != explain.VerdictDropped || !strings.Contains(ex.Verdict.Summary, "did not install") {
				return fmt.Errorf("verdict %q does not blame the foreign flow", ex.Verdict.Summary)
			}
			if ex.ForeignFlows != 1 {
				return fmt.Errorf("%d foreign flows, want 1", ex.ForeignFlows)
			}
			return nil
		}, "--from", "ex-vm1", "--to", vm2.IP)
		_, _ = hv1.Ofctl("br-int", "del-flows", "--strict", "table=0,priority=200,in_port="+ofport+",icmp")
	})

	t.Run("same command through ovn-appctl", func(t *testing.T) {
		out, err := hv1.AgentAppctl("explain", "--from", "ex-vm1", "--to", vm2.IP)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "Verdict: FORWARDED to chassis hv2") {
			t.Errorf("appctl explain output has no tunnel verdict:\n%s", out)
		}
		// A port bound elsewhere is explained where it lives.
		if out, err := explainRun(t, hv1, "--from", "ex-vm2", "--to", vm1.IP); err == nil || !strings.Contains(out, "bound to chassis hv2") {
			t.Errorf("explain from a port on hv2, run on hv1: %v\n%s", err, out)
		}
	})
}
