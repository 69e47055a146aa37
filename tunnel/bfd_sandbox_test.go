package tunnel

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestBFDMatchesRealController: with a gateway router port on hv1 and hv2,
// ovn-controller on hv1 enables BFD exactly on the tunnels PlanBFD names.
func TestBFDMatchesRealController(t *testing.T) {
	sandbox.Require(t, []string{"ovn-controller"})
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	hv := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1"})
	hv.MustConfigure("hv1", "192.168.0.1", "geneve")
	hv.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"hv2", "hv3", "hv4"} {
		central.MustSbctl("chassis-add", c, "geneve", "192.168.0."+c[2:])
	}
	nb := central.MustNbctl
	// northd copies NB_Global options into SB_Global.
	nb("set", "NB_Global", ".", "options:bfd-min-tx=700", "options:bfd-mult=5")
	nb("lr-add", "lr0", "--", "lrp-add", "lr0", "lrp-gw", "00:00:00:00:ff:01", "172.16.0.1/24",
		"--", "lrp-add", "lr0", "lrp-in", "00:00:00:00:ff:02", "10.0.0.254/24")
	nb("lrp-set-gateway-chassis", "lrp-gw", "hv1", "20")
	nb("lrp-set-gateway-chassis", "lrp-gw", "hv2", "10")
	nb("ls-add", "inside", "--", "lsp-add", "inside", "rp-in", "--", "lsp-set-type", "rp-in", "router",
		"--", "lsp-set-addresses", "rp-in", "router", "--", "lsp-set-options", "rp-in", "router-port=lrp-in",
		"--", "lsp-add", "inside", "vm3", "--", "lsp-set-addresses", "vm3", "50:54:00:00:00:03 10.0.0.3")
	if err := central.WaitSync(); err != nil {
		t.Fatal(err)
	}
	central.MustSbctl("lsp-bind", "vm3", "hv3")

	check := func(step string, wantEnabled int) {
		t.Helper()
		var changes []BFDChange
		var enabled []string
		err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
			groups, err := readHAGroups(central)
			if err != nil {
				return false, err
			}
			br, err := readBrInt(hv)
			if err != nil {
				return false, err
			}
			changes = PlanBFD("hv1", groups, map[string]string{"bfd-min-tx": "700", "bfd-mult": "5"}, br)
			enabled = enabled[:0]
			for _, p := range br.Ports {
				if len(p.Interfaces) == 1 && len(p.Interfaces[0].BFD) > 0 {
					enabled = append(enabled, fmt.Sprintf("%s%v", p.Name, p.Interfaces[0].BFD))
				}
			}
			return len(changes) == 0 && len(enabled) == wantEnabled, nil
		})
		if err != nil {
			t.Fatalf("%s: %v: tunnels with BFD %v; PlanBFD still wants %+v", step, err, enabled, changes)
		}
		t.Logf("%s: ovn-controller and PlanBFD agree: %v", step, enabled)
	}
	// hv2 (the other member) and hv3 (a ref chassis) get BFD; hv4 does not.
	check("two gateway chassis", 2)
	nb("lrp-del-gateway-chassis", "lrp-gw", "hv2")
	// A group of one needs no BFD: it is switched off again.
	check("one gateway chassis", 0)
}

// readHAGroups reads SB HA_Chassis_Group rows into planner groups.
func readHAGroups(central *sandbox.Central) ([]HAChassisGroup, error) {
	names := map[string]string{}
	remote := map[string]bool{}
	raw, err := central.Sbctl("--format=json", "--columns=_uuid,name,other_config", "list", "Chassis")
	if err != nil {
		return nil, err
	}
	rows, err := parseTable(raw)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		names[r["_uuid"].(string)] = r["name"].(string)
		remote[r["name"].(string)] = r["other_config"].(map[string]string)["is-remote"] == "true"
	}
	raw, err = central.Sbctl("--format=json", "--columns=_uuid,chassis,priority", "list", "HA_Chassis")
	if err != nil {
		return nil, err
	}
	if rows, err = parseTable(raw); err != nil {
		return nil, err
	}
	members := map[string]HAChassis{}
	for _, r := range rows {
		var chassis string
		if c := asStrings(r["chassis"]); len(c) == 1 {
			chassis = names[c[0]]
		}
		prio, err := strconv.Atoi(fmt.Sprint(r["priority"]))
		if err != nil {
			return nil, err
		}
		members[r["_uuid"].(string)] = HAChassis{Chassis: chassis, Priority: prio}
	}
	raw, err = central.Sbctl("--format=json", "--columns=name,ha_chassis,ref_chassis", "list", "HA_Chassis_Group")
	if err != nil {
		return nil, err
	}
	if rows, err = parseTable(raw); err != nil {
		return nil, err
	}
	var groups []HAChassisGroup
	for _, r := range rows {
		g := HAChassisGroup{Name: r["name"].(string)}
		for _, u := range asStrings(r["ha_chassis"]) {
			g.Members = append(g.Members, members[u])
		}
		for _, u := range asStrings(r["ref_chassis"]) {
			g.RefChassis = append(g.RefChassis, RefChassis{Name: names[u], IsRemote: remote[names[u]]})
		}
		groups = append(groups, g)
	}
	return groups, nil
}
