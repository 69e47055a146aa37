package tunnel

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
	"github.com/chassisd/chassisd/openflow/flow"
)

// TestFlowsMatchRealController compares the tunnel receive flows and a
// remote-port output flow with what the real ovn-controller installs.
func TestFlowsMatchRealController(t *testing.T) {
	sandbox.Require(t, []string{"ovn-controller"})
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	hv := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1"})
	hv.MustConfigure("hv1", "192.168.0.1", "geneve,vxlan")
	hv.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	central.MustSbctl("chassis-add", "hv2", "geneve", "192.168.0.2")
	central.MustSbctl("chassis-add", "hv3", "vxlan", "192.168.0.3")

	// vm1 here makes the switch local; vm2 lives on hv2.
	central.MustNbctl("ls-add", "sw0",
		"--", "lsp-add", "sw0", "vm1", "--", "lsp-set-addresses", "vm1", "50:54:00:00:00:01 10.0.0.1",
		"--", "lsp-add", "sw0", "vm2", "--", "lsp-set-addresses", "vm2", "50:54:00:00:00:02 10.0.0.2")
	if err := hv.WaitBridge("br-int"); err != nil {
		t.Fatal(err)
	}
	if err := hv.AddVIF("vm1", "internal", "vm1"); err != nil {
		t.Fatal(err)
	}
	if err := central.WaitPortUp("vm1", "hv1"); err != nil {
		t.Fatal(err)
	}
	central.MustSbctl("lsp-bind", "vm2", "hv2")

	var tunnels []ChassisTunnel
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		br, err := readBrInt(hv)
		tunnels = ChassisTunnels(br, "hv1")
		return err == nil && len(tunnels) == 2, err
	}); err != nil {
		t.Fatalf("waiting for two tunnels with ofports: %v (have %+v)", err, tunnels)
	}
	slot, err := geneveSlot(hv)
	if err != nil {
		t.Fatal(err)
	}
	geneveOpt := flow.FieldTunMetadata(slot)

	want := ReceiveFlows(tunnels, geneveOpt)
	dp := central.MustSbctl("--bare", "--columns=tunnel_key", "find", "Datapath_Binding", "external_ids:name=sw0")
	pb := central.MustSbctl("--bare", "--columns=_uuid,tunnel_key", "find", "Port_Binding", "logical_port=vm2")
	fields := strings.Fields(pb)
	if len(fields) != 2 {
		t.Fatalf("Port_Binding vm2: %q", pb)
	}
	dpKey, _ := strconv.ParseUint(dp, 10, 32)
	portKey, _ := strconv.ParseUint(fields[1], 10, 32)
	cookie, _ := strconv.ParseUint(fields[0][:8], 16, 32)
	hv2, _ := FindTunnel(tunnels, "hv2", "")
	remote, err := RemotePortFlow(uint32(dpKey), uint32(portKey), []ChassisTunnel{hv2}, geneveOpt, cookie)
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, remote)

	var dump string
	err = sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		var err error
		dump, err = hv.Ofctl("br-int", "dump-flows", "--no-stats")
		if err != nil {
			return false, err
		}
		for _, f := range want {
			if !hasFlow(dump, f.String()) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		for _, f := range want {
			if !hasFlow(dump, f.String()) {
				t.Errorf("ovn-controller has no flow\n  %s", f)
			}
		}
		t.Fatalf("%v; tunnel flows installed by ovn-controller:\n%s", err, grepFlows(dump, "tun", "table=39"))
	}
	if len(want) != 4 {
		t.Errorf("compared %d flows, want 4 (geneve and vxlan receive, vxlan multicast, remote port)", len(want))
	}
	for _, f := range want {
		t.Logf("matches ovn-controller: %s", f)
	}
}

func hasFlow(dump, want string) bool {
	for _, line := range strings.Split(dump, "\n") {
		if strings.TrimSpace(line) == want {
			return true
		}
	}
	return false
}

func grepFlows(dump string, subs ...string) string {
	var b strings.Builder
	for _, line := range strings.Split(dump, "\n") {
		for _, s := range subs {
			if strings.Contains(line, s) {
				b.WriteString(line + "\n")
				break
			}
		}
	}
	return b.String()
}

// readBrInt reads br-int's ports and interfaces (with ofports).
func readBrInt(hv *sandbox.Chassis) (Bridge, error) {
	ifaces, err := vsctlList(hv, "Interface", "name,type,options,ofport,bfd,bfd_status")
	if err != nil {
		return Bridge{}, err
	}
	ports, err := vsctlList(hv, "Port", "name,external_ids")
	if err != nil {
		return Bridge{}, err
	}
	byName := map[string]Interface{}
	for _, i := range ifaces {
		of := 0
		if s, ok := i["ofport"].(string); ok {
			of, _ = strconv.Atoi(s)
		}
		byName[i["name"].(string)] = Interface{Name: i["name"].(string), Type: i["type"].(string),
			Options: i["options"].(map[string]string), OFPort: of,
			BFD: i["bfd"].(map[string]string), BFDStatus: i["bfd_status"].(map[string]string)}
	}
	br := Bridge{Name: "br-int"}
	for _, p := range ports {
		name := p["name"].(string)
		br.Ports = append(br.Ports, Port{Name: name, ExternalIDs: p["external_ids"].(map[string]string),
			Interfaces: []Interface{byName[name]}})
	}
	return br, nil
}

// geneveSlot finds the tun_metadata index mapped to OVN's Geneve option.
func geneveSlot(hv *sandbox.Chassis) (int, error) {
	out, err := hv.Ofctl("br-int", "dump-tlv-map")
	if err != nil {
		return 0, err
	}
	// " 0x102    0x80     4      tun_metadata0"
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "0x102" && f[1] == "0x80" {
			return strconv.Atoi(strings.TrimPrefix(f[3], "tun_metadata"))
		}
	}
	return 0, fmt.Errorf("no TLV mapping for OVN's Geneve option in:\n%s", out)
}
