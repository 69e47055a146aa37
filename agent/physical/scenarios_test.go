package physical

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

var scenarios = []scenario{
	{
		// ls1 with two local VIFs (vm1 with port security and a nested
		// container c1), a localport, a VIF bound on a fake remote chassis
		// (vm3), a router lr0 and a provider switch with a tagged localnet
		// port; lr0's gateway port on hv1.
		name:           "switch-router-provider",
		encapType:      "geneve",
		bridgeMappings: []string{"physnet1:br-phys"},
		providers:      []string{"br-phys"},
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			nb := c.MustNbctl
			nb("ls-add", "ls1")
			addVIF(c, "ls1", "vm1", "00:00:00:00:01:01 10.0.0.11", "00:00:00:00:01:01 10.0.0.11")
			addVIF(c, "ls1", "vm2", "00:00:00:00:01:02 10.0.0.12 fd00::12", "")
			addVIF(c, "ls1", "vm3", "00:00:00:00:01:03 10.0.0.13", "")
			nb("lsp-add", "ls1", "lp1", "--", "lsp-set-type", "lp1", "localport",
				"--", "lsp-set-addresses", "lp1", "00:00:00:00:01:04 10.0.0.2")
			nb("lsp-add", "ls1", "c1", "vm1", "10", "--", "lsp-set-addresses", "c1", "00:00:00:00:01:08 10.0.0.18")
			nb("lr-add", "lr0")
			connect(c, "lr0", "ls1", "00:00:00:00:ff:01", "10.0.0.1/24")
			nb("ls-add", "public")
			connect(c, "lr0", "public", "00:00:00:00:ff:02", "172.16.0.1/24")
			nb("lrp-set-gateway-chassis", "lr0-public", "hv1", "10")
			addLocalnet(c, "public", "ln-public", "physnet1", 100)
			sbFakeChassis(t, c, "hv2", "geneve", "192.168.0.2")
			c.MustSbctl("lsp-bind", "vm3", "hv2")
		},
		vifs: []string{"vm1", "vm2", "lp1"},
		up:   []string{"vm1", "vm2", "cr-lr0-public"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			if ok, err := hasInterfaces(ch, "geneve", "ovn-hv2-0"); !ok || err != nil {
				return ok, err
			}
			return hasInterfaces(ch, "patch", "ln-public")
		},
		churn: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			// VIF unplugged, container and port security removed, the
			// remote VIF moves to a new chassis, a new local VIF.
			ch.MustVsctl("del-port", "br-int", "vm2")
			c.MustNbctl("lsp-del", "c1")
			c.MustNbctl("lsp-set-port-security", "vm1")
			sbFakeChassis(t, c, "hv3", "geneve", "192.168.0.3")
			c.MustSbctl("lsp-unbind", "vm3")
			c.MustSbctl("lsp-bind", "vm3", "hv3")
			addVIF(c, "ls1", "vm4", "00:00:00:00:01:0a 10.0.0.14", "00:00:00:00:01:0a 10.0.0.14")
			if err := ch.AddVIF("vm4", "dummy", "vm4"); err != nil {
				t.Fatal(err)
			}
			if err := c.WaitPortUp("vm4", "hv1"); err != nil {
				t.Fatal(err)
			}
		},
		churnReady: func(ch *sandbox.Chassis) (bool, error) {
			return hasInterfaces(ch, "geneve", "ovn-hv3-0")
		},
		minFlows: 60,
		expect: []string{"dl_vlan=10 actions=set_field:0x20/0x20->reg10", "set_field:0x400/0x400->reg10",
			"clone(ct_clear", "push_vlan:0x8100,set_field:4196->vlan_vid", "tun_metadata0",
			"conjunction(100,2/2)"},
	},
	{
		// Gateways and HA: a gateway router bound here (l3gateway), an
		// external port claimed here, an untagged provider network with a
		// remote VIF reached through it, a distributed gateway port whose
		// HA group lives on two remote chassis, chassis MACs.
		name:           "gateways-ha-provider",
		encapType:      "geneve",
		bridgeMappings: []string{"physnet1:br-phys", "physnet2:br-phys2"},
		providers:      []string{"br-phys", "br-phys2"},
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			nb := c.MustNbctl
			sbFakeChassis(t, c, "hv2", "geneve", "192.168.0.2")
			sbFakeChassis(t, c, "hv4", "geneve", "192.168.0.4")
			c.MustSbctl("set", "Chassis", "hv2", `other_config:ovn-chassis-mac-mappings="physnet2:aa:bb:cc:00:00:02"`)
			if err := ch.SetExternalIDs(map[string]string{"ovn-chassis-mac-mappings": "physnet2:aa:bb:cc:00:00:01"}); err != nil {
				t.Fatal(err)
			}

			// Provider "public" with a gateway router on hv1 and an
			// external port.
			nb("ls-add", "public")
			addLocalnet(c, "public", "ln-public", "physnet1", 100)
			nb("lr-add", "gw1", "--", "set", "Logical_Router", "gw1", "options:chassis=hv1")
			connect(c, "gw1", "public", "00:00:00:00:ff:21", "172.16.0.2/24")
			nb("ha-chassis-group-add", "grp1")
			nb("ha-chassis-group-add-chassis", "grp1", "hv1", "10")
			grp := strings.TrimSpace(nb("--bare", "--columns=_uuid", "find", "HA_Chassis_Group", "name=grp1"))
			nb("lsp-add", "public", "ext1", "--", "lsp-set-type", "ext1", "external",
				"--", "lsp-set-addresses", "ext1", "00:00:00:00:02:01 172.16.0.50",
				"--", "set", "Logical_Switch_Port", "ext1", "ha_chassis_group="+grp)
			// A second router on the provider network: both routers'
			// ports feed the localnet's chassis-MAC conjunction.
			nb("lr-add", "lr2")
			connect(c, "lr2", "public", "00:00:00:00:ff:22", "172.16.0.3/24")
			nb("lsp-add", "public", "lp2", "--", "lsp-set-type", "lp2", "localport",
				"--", "lsp-set-addresses", "lp2", "00:00:00:00:02:04 172.16.0.3")

			// Untagged provider net2: vm4 here, vm5 on hv2 (through the
			// localnet), router lr1 with an HA gateway port on hv2/hv4.
			nb("ls-add", "net2")
			addLocalnet(c, "net2", "ln-net2", "physnet2", 0)
			addVIF(c, "net2", "vm4", "00:00:00:00:03:04 192.168.1.4 fd01::4",
				"00:00:00:00:03:04 192.168.1.4/24 fd01::4/64")
			addVIF(c, "net2", "vm5", "00:00:00:00:03:05 192.168.1.5", "")
			nb("lr-add", "lr1")
			connect(c, "lr1", "net2", "00:00:00:00:ff:11", "192.168.1.1/24")
			nb("lrp-set-gateway-chassis", "lr1-net2", "hv2", "20")
			nb("lrp-set-gateway-chassis", "lr1-net2", "hv4", "10")
			nb("ls-add", "ls2")
			connect(c, "lr1", "ls2", "00:00:00:00:ff:12", "10.2.0.1/24")
			addVIF(c, "ls2", "vm6", "00:00:00:00:04:06 10.2.0.6", "00:00:00:00:04:06")
			addVIF(c, "ls2", "vm7", "00:00:00:00:04:07 10.2.0.7", "")
			// Port security variants: IPv6 only (network and host), two
			// entries, an IPv4 network with host bits zero.
			addVIF(c, "ls2", "vm8", "00:00:00:00:04:08 fd02::8", "00:00:00:00:04:08 fd02::/64 fd03::8")
			nb("lsp-set-port-security", "vm8", "00:00:00:00:04:08 fd02::/64 fd03::8", "00:00:00:00:04:18 10.2.0.0/24")
			nb("lsp-add", "ls2", "vip2", "--", "lsp-set-type", "vip2", "virtual",
				"--", "lsp-set-options", "vip2", "virtual-ip=10.2.0.100", "virtual-parents=vm6,vm7")
			c.MustSbctl("lsp-bind", "vm5", "hv2")
			c.MustSbctl("lsp-bind", "vm7", "hv4")
		},
		churn: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			// External port removed, provider VLAN changed, this chassis
			// joins the gateway's HA group on top.
			c.MustNbctl("lsp-del", "ext1")
			c.MustNbctl("set", "Logical_Switch_Port", "ln-public", "tag_request=200")
			c.MustNbctl("lrp-set-gateway-chassis", "lr1-net2", "hv1", "30")
			if err := c.WaitSync(); err != nil {
				t.Fatal(err)
			}
		},
		churnReady: func(ch *sandbox.Chassis) (bool, error) {
			out, err := ch.Ofctl("br-int", "dump-flows", "--no-stats", "table=0")
			return strings.Contains(out, "dl_vlan=200"), err
		},
		vifs: []string{"vm4", "vm6", "vm8", "lp2"},
		up:   []string{"vm4", "vm6", "vm8", "ext1"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			if ok, err := hasInterfaces(ch, "geneve", "ovn-hv2-0", "ovn-hv4-0"); !ok || err != nil {
				return ok, err
			}
			return hasInterfaces(ch, "patch", "ln-public", "ln-net2")
		},
		minFlows: 100,
		expect: []string{"bundle(eth_src,0,active_backup", "priority=170,", "vlan_tci=0x0000/0x1000", "table=65, priority=150,", "set_field:aa:bb:cc:00:00:01->eth_src",
			"priority=180,dl_src=aa:bb:cc:00:00:02"},
	},
	{
		// Fan-out: remote VIFs on six geneve chassis, so that the order
		// of the multicast tunnel outputs (OVS sset hash order) shows.
		name:      "multicast-fanout",
		encapType: "geneve",
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			c.MustNbctl("ls-add", "ls1")
			addVIF(c, "ls1", "vm1", "00:00:00:00:01:01 10.0.0.11", "")
			for i := 2; i <= 7; i++ {
				name := fmt.Sprintf("hv%d", i)
				port := fmt.Sprintf("r%d", i)
				addVIF(c, "ls1", port, fmt.Sprintf("00:00:00:00:02:%02x 10.0.0.%d", i, 20+i), "")
				sbFakeChassis(t, c, name, "geneve", fmt.Sprintf("192.168.0.%d", i))
				c.MustSbctl("lsp-bind", port, name)
			}
			// A gateway router on hv2: its switch-side l3gateway port is
			// remote here.
			c.MustNbctl("lr-add", "gw2", "--", "set", "Logical_Router", "gw2", "options:chassis=hv2")
			connect(c, "gw2", "ls1", "00:00:00:00:ff:02", "10.0.0.2/24")
		},
		after: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			// What ovn-controller on hv2 would claim.
			c.MustSbctl("lsp-bind", "ls1-gw2", "hv2")
		},
		vifs: []string{"vm1"},
		up:   []string{"vm1"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			return hasInterfaces(ch, "geneve", "hv2", "hv3", "hv4", "hv5", "hv6", "hv7")
		},
		minFlows: 25,
		expect:   []string{"table=39, priority=100,reg15=0x8000"},
		expectRE: []string{`table=39, priority=100,reg15=0x8,metadata=0x1 actions=set_field:0x1/0xffffff->tun_id`},
	},
	{
		// VXLAN: this chassis speaks geneve and vxlan, hv3 only vxlan
		// (northd switches to VXLAN mode), hv2 geneve: mixed fan-out.
		name:      "vxlan-mixed",
		encapType: "geneve,vxlan",
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			c.MustNbctl("ls-add", "ls1")
			addVIF(c, "ls1", "vm1", "00:00:00:00:01:01 10.0.0.11", "")
			addVIF(c, "ls1", "vm2", "00:00:00:00:01:02 10.0.0.12", "")
			addVIF(c, "ls1", "vm3", "00:00:00:00:01:03 10.0.0.13", "")
			sbFakeChassis(t, c, "hv2", "geneve", "192.168.0.2")
			sbFakeChassis(t, c, "hv3", "vxlan", "192.168.0.3")
			c.MustSbctl("lsp-bind", "vm2", "hv2")
			c.MustSbctl("lsp-unbind", "vm3")
			c.MustSbctl("lsp-bind", "vm3", "hv3")
		},
		vifs: []string{"vm1"},
		up:   []string{"vm1"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			if ok, err := hasInterfaces(ch, "geneve", "hv2"); !ok || err != nil {
				return ok, err
			}
			return hasInterfaces(ch, "vxlan", "hv3")
		},
		minFlows: 20,
		expect:   []string{"tun_id=0x800000/0x800000", "move:NXM_NX_TUN_ID[12..23]->NXM_NX_REG15[0..11]"},
	},
	{
		// Port options: a VIF requested on another chassis, a VLAN
		// pass-through provider network, an 802.1ad provider network with
		// a nested container, an l2gateway port, a bridged redirect to a
		// remote gateway, and drop sampling.
		name:           "port-options",
		encapType:      "geneve",
		bridgeMappings: []string{"physnet1:br-phys", "physnet2:br-phys2"},
		providers:      []string{"br-phys", "br-phys2"},
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			nb := c.MustNbctl
			sbFakeChassis(t, c, "hv2", "geneve", "192.168.0.2")
			nb("set", "NB_Global", ".", "options:debug_drop_collector_set=7", "options:debug_drop_domain_id=3")

			nb("ls-add", "ls1")
			addVIF(c, "ls1", "vm1", "00:00:00:00:01:01 10.0.0.11", "")
			addVIF(c, "ls1", "vm9", "00:00:00:00:01:09 10.0.0.19", "")
			nb("lsp-set-options", "vm9", "requested-chassis=hv2")
			addLocalnet(c, "ls1", "ln-ls1", "physnet1", 0)
			nb("lsp-set-options", "ln-ls1", "network_name=physnet1", "vlan-passthru=true")

			nb("ls-add", "ls3")
			addVIF(c, "ls3", "vm8", "00:00:00:00:03:08 10.3.0.8", "")
			nb("lsp-add", "ls3", "c8", "vm8", "42", "--", "lsp-set-addresses", "c8", "00:00:00:00:03:18 10.3.0.18")
			addLocalnet(c, "ls3", "ln-ls3", "physnet2", 300)
			nb("lsp-set-options", "ln-ls3", "network_name=physnet2", "ethtype=802.11ad")
			nb("lsp-add", "ls3", "l2gw", "--", "lsp-set-type", "l2gw", "l2gateway",
				"--", "lsp-set-addresses", "l2gw", "unknown",
				"--", "lsp-set-options", "l2gw", "network_name=physnet1", "l2gateway-chassis=hv1")

			nb("lr-add", "lr3")
			connect(c, "lr3", "ls3", "00:00:00:00:ff:31", "10.3.0.1/24")
			nb("ls-add", "ext3")
			connect(c, "lr3", "ext3", "00:00:00:00:ff:32", "172.18.0.1/24")
			addLocalnet(c, "ext3", "ln-ext3", "physnet1", 0)
			nb("lrp-set-gateway-chassis", "lr3-ext3", "hv2", "10")
			nb("set", "Logical_Router_Port", "lr3-ext3", "options:redirect-type=bridged")
		},
		after: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			// ovn-controller samples drops only into a collector set that
			// exists on br-int.
			ch.MustVsctl("--", "--id=@br", "get", "Bridge", "br-int",
				"--", "create", "Flow_Sample_Collector_Set", "id=7", "bridge=@br")
		},
		vifs: []string{"vm1", "vm9", "vm8"},
		up:   []string{"vm1", "vm8", "l2gw"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			return hasInterfaces(ch, "patch", "ln-ls1", "ln-ls3", "l2gw")
		},
		minFlows: 60,
		expect: []string{"push_vlan:0x88a8", "sample(probability=65535,collector_set_id=7",
			"set_field:00:00:00:00:ff:32->eth_src"},
	},
	{
		// Live migration: vm1 is bound here with hv2 as additional chassis,
		// vm3 is bound on hv2 with this chassis as additional one (RARP
		// activation); ls1 has a localnet port, so multichassis traffic
		// to vm2 (on hv2) is tunnelled with path-MTU checks.
		name:           "multichassis",
		encapType:      "geneve",
		bridgeMappings: []string{"physnet1:br-phys"},
		providers:      []string{"br-phys"},
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			nb := c.MustNbctl
			sbFakeChassis(t, c, "hv2", "geneve", "192.168.0.2")
			nb("ls-add", "ls1")
			addLocalnet(c, "ls1", "ln-ls1", "physnet1", 0)
			addVIF(c, "ls1", "vm1", "00:00:00:00:01:01 10.0.0.11", "")
			nb("lsp-set-options", "vm1", "requested-chassis=hv1,hv2")
			addVIF(c, "ls1", "vm2", "00:00:00:00:01:02 10.0.0.12", "")
			addVIF(c, "ls1", "vm3", "00:00:00:00:01:03 10.0.0.13", "")
			nb("lsp-set-options", "vm3", "requested-chassis=hv2,hv1", "activation-strategy=rarp")
			c.MustSbctl("lsp-bind", "vm2", "hv2")
			c.MustSbctl("lsp-bind", "vm3", "hv2")
		},
		after: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			hv2 := strings.TrimSpace(c.MustSbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=hv2"))
			c.MustSbctl("set", "Port_Binding", "vm1", "additional_chassis="+hv2)
		},
		vifs: []string{"vm1", "vm3"},
		up:   []string{"vm1"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			if ok, err := hasInterfaces(ch, "geneve", "hv2"); !ok || err != nil {
				return ok, err
			}
			return hasInterfaces(ch, "patch", "ln-ls1")
		},
		minFlows: 40,
		expect:   []string{"table=39, priority=110,", "check_pkt_larger(", "table=0, priority=1010,"},
	},
	{
		// OVN-IC: a transit switch with a local VIF and a remote port in
		// another availability zone (chassis hv5, is-remote); this chassis
		// is an interconnection gateway so it has a tunnel there.
		name:      "interconnect",
		encapType: "geneve",
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			nb := c.MustNbctl
			if err := ch.SetExternalIDs(map[string]string{"ovn-is-interconn": "true"}); err != nil {
				t.Fatal(err)
			}
			sbFakeChassis(t, c, "hv5", "geneve", "192.168.0.5")
			c.MustSbctl("set", "Chassis", "hv5", "other_config:is-remote=true")
			nb("ls-add", "ts1", "--", "set", "Logical_Switch", "ts1", "other_config:interconn-ts=ts1")
			addVIF(c, "ts1", "vm1", "00:00:00:00:01:01 10.0.0.11", "")
			nb("lsp-add", "ts1", "rp5", "--", "lsp-set-type", "rp5", "remote",
				"--", "lsp-set-addresses", "rp5", "00:00:00:00:05:05 10.0.0.55",
				"--", "lsp-set-options", "rp5", "requested-chassis=hv5")
			nb("lr-add", "lr0")
			connect(c, "lr0", "ts1", "00:00:00:00:ff:01", "10.0.0.1/24")
		},
		after: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			// ovn-ic would bind the remote port to its gateway chassis.
			c.MustSbctl("lsp-bind", "rp5", "hv5")
		},
		vifs: []string{"vm1"},
		up:   []string{"vm1"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			return hasInterfaces(ch, "geneve", "hv5")
		},
		minFlows: 20,
		// Patch ports of a transit switch's groups are delivered locally.
		expectRE: []string{`table=40, priority=100,reg15=0x8000,metadata=0x1 actions=.*set_field:0x3->reg15,resubmit\(,41\)`,
			`table=39, priority=100,reg15=0x8000,metadata=0x1 actions=set_field:0x2->reg15,set_field:0x1/0xffffff->tun_id`},
	},
	{
		// Hardware VTEP: a ramp switch port bound to a VXLAN gateway chassis
		// with is-vtep, and an HA gateway port where this chassis is the
		// lower-priority member (standby without BFD).
		name:      "vtep-and-standby",
		encapType: "geneve,vxlan",
		build: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			nb := c.MustNbctl
			sbFakeChassis(t, c, "vtep1", "vxlan", "192.168.0.9")
			c.MustSbctl("set", "Chassis", "vtep1", "other_config:is-vtep=true")
			sbFakeChassis(t, c, "hv2", "geneve", "192.168.0.2")
			nb("ls-add", "ls1")
			addVIF(c, "ls1", "vm1", "00:00:00:00:01:01 10.0.0.11", "")
			nb("lsp-add", "ls1", "vtepp", "--", "lsp-set-type", "vtepp", "vtep",
				"--", "lsp-set-addresses", "vtepp", "unknown",
				"--", "lsp-set-options", "vtepp", "vtep-physical-switch=vtep1", "vtep-logical-switch=lsw0")
			nb("lr-add", "lr0")
			connect(c, "lr0", "ls1", "00:00:00:00:ff:01", "10.0.0.1/24")
			nb("ls-add", "ls2")
			connect(c, "lr0", "ls2", "00:00:00:00:ff:02", "10.1.0.1/24")
			nb("lrp-set-gateway-chassis", "lr0-ls2", "hv1", "10")
			nb("lrp-set-gateway-chassis", "lr0-ls2", "hv2", "20")
		},
		after: func(t *testing.T, c *sandbox.Central, ch *sandbox.Chassis) {
			c.MustSbctl("lsp-bind", "vtepp", "vtep1")
		},
		vifs: []string{"vm1"},
		up:   []string{"vm1"},
		ready: func(ch *sandbox.Chassis) (bool, error) {
			if ok, err := hasInterfaces(ch, "vxlan", "vtep1"); !ok || err != nil {
				return ok, err
			}
			return hasInterfaces(ch, "geneve", "hv2")
		},
		minFlows: 25,
		expect:   []string{"table=0, priority=110,", "bundle(eth_src,0,active_backup"},
		expectRE: []string{`table=39, priority=100,.* actions=set_field:ANY->in_port,set_field:0x1/0xffffff->tun_id,output:`},
	},
}

// addVIF adds a logical switch port with addresses and, when ps is not
// empty, port security.
func addVIF(c *sandbox.Central, ls, name, addrs, ps string) {
	args := []string{"lsp-add", ls, name, "--", "lsp-set-addresses", name, addrs}
	if ps != "" {
		args = append(args, "--", "lsp-set-port-security", name, ps)
	}
	c.MustNbctl(args...)
}

// connect adds router port <lr>-<ls> and its switch peer <ls>-<lr>.
func connect(c *sandbox.Central, lr, ls, mac, cidr string) {
	lrp, lsp := lr+"-"+ls, ls+"-"+lr
	c.MustNbctl("lrp-add", lr, lrp, mac, cidr)
	c.MustNbctl("lsp-add", ls, lsp, "--", "lsp-set-type", lsp, "router",
		"--", "lsp-set-addresses", lsp, "router", "--", "lsp-set-options", lsp, "router-port="+lrp)
}

// addLocalnet adds a localnet port on network (tag 0: untagged).
func addLocalnet(c *sandbox.Central, ls, name, network string, tag int) {
	args := []string{"lsp-add", ls, name, "--", "lsp-set-type", name, "localnet",
		"--", "lsp-set-addresses", name, "unknown", "--", "lsp-set-options", name, "network_name=" + network}
	if tag != 0 {
		args = append(args, "--", "set", "Logical_Switch_Port", name, fmt.Sprintf("tag_request=%d", tag))
	}
	c.MustNbctl(args...)
}

// sbFakeChassis registers a chassis that never runs a controller.
func sbFakeChassis(t *testing.T, c *sandbox.Central, name, encap, ip string) {
	t.Helper()
	c.MustSbctl("chassis-add", name, encap, ip)
}
