package agent

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/metadata"
)

func strp(s string) *string { return &s }

// The seed scenario's network (geneve-network-ovn.md) with a VM here and
// one on another chassis, plus networks that must not be served.
func TestMetadataState(t *testing.T) {
	const me, other = "chassis-me", "chassis-other"
	dps := []sbdb.DatapathBinding{
		{UUID: "dp1", ExternalIDs: map[string]string{"name": "neutron-f5e24ee8-2bcb-43a4-91d5-0abad0c58197", "name2": "selfservice"}},
		{UUID: "dp2", ExternalIDs: map[string]string{"name": "neutron-22222222-0000-0000-0000-000000000002"}},
		{UUID: "dp3", ExternalIDs: map[string]string{"name": "neutron-33333333-0000-0000-0000-000000000003"}},
		{UUID: "dp4", ExternalIDs: map[string]string{"name": "neutron-44444444-0000-0000-0000-000000000004"}},
		{UUID: "dp5", ExternalIDs: map[string]string{"name": "neutron-55555555-0000-0000-0000-000000000005"}},
	}
	meta := func(dp, lport, mac, cidrs string) sbdb.PortBinding {
		return sbdb.PortBinding{UUID: "pb-" + lport, LogicalPort: lport, Type: "localport", Datapath: dp, MAC: []string{mac},
			ExternalIDs: map[string]string{"neutron:device_owner": "network:distributed", "neutron:device_id": "ovnmeta-x",
				"neutron:cidrs": cidrs, "neutron:mtu": ""}}
	}
	vif := func(dp, lport, mac string, chassis *string, additional ...string) sbdb.PortBinding {
		return sbdb.PortBinding{UUID: "pb-" + lport, LogicalPort: lport, Datapath: dp, MAC: []string{mac}, Chassis: chassis,
			AdditionalChassis: additional,
			ExternalIDs:       map[string]string{"neutron:device_id": "inst-" + lport, "neutron:project_id": "proj"}}
	}
	seedMeta := meta("dp1", "47a2be8a-c336-42e0-a8a6-044ff5df6bf2", "fa:16:3e:71:9e:ad 192.168.101.1", "192.168.101.1/24")
	mtuMeta := meta("dp2", "md2", "fa:16:3e:00:02:01 10.2.0.2", "10.2.0.2/24 fd00:2::2/64")
	mtuMeta.ExternalIDs["neutron:mtu"] = "1442"
	badMAC := meta("dp4", "md4", "zz:16:3e:00:04:01 10.4.0.2", "10.4.0.2/24")
	pbs := []sbdb.PortBinding{
		seedMeta,
		vif("dp1", "vm1", "fa:16:3e:00:01:11 192.168.101.11", strp(me)),
		vif("dp1", "vm2", "fa:16:3e:00:01:12 192.168.101.12", strp(other)),
		vif("dp1", "unbound", "fa:16:3e:00:01:13 192.168.101.13", nil),
		// dp2: a live-migration target (additional_chassis) with IPv6.
		mtuMeta,
		vif("dp2", "mig", "fa:16:3e:00:02:11 10.2.0.11 fd00:2::11", strp(other), me),
		// dp3: no metadata port; dp4: a broken one; dp5: only "unknown".
		vif("dp3", "vm3", "fa:16:3e:00:03:11 10.3.0.11", strp(me)),
		badMAC,
		vif("dp4", "vm4", "fa:16:3e:00:04:11 10.4.0.11", strp(me)),
		meta("dp5", "md5", "fa:16:3e:00:05:01 10.5.0.2", "10.5.0.2/24"),
		vif("dp5", "vm5", "unknown", strp(me)),
		// A router port bound here is not a VIF.
		{UUID: "pb-cr", LogicalPort: "cr-lrp", Type: "chassisredirect", Datapath: "dp5", Chassis: strp(me), MAC: []string{"fa:16:3e:00:05:fe 10.5.0.1/24"}},
	}
	got := metadataState(me, pbs, dps)

	if len(got.networks) != 2 {
		t.Fatalf("networks %+v, want dp1 and dp2", got.networks)
	}
	n := got.networks[0]
	if n.ID != "f5e24ee8-2bcb-43a4-91d5-0abad0c58197" || n.Port.LogicalPort != "47a2be8a-c336-42e0-a8a6-044ff5df6bf2" ||
		n.Port.MAC.String() != "fa:16:3e:71:9e:ad" || n.Port.MTU != 0 || n.LocalIPv6 ||
		!slices.Equal(n.LocalIPv4, []netip.Addr{netip.MustParseAddr("192.168.101.11")}) ||
		!slices.Equal(n.Port.CIDRs, []netip.Prefix{netip.MustParsePrefix("192.168.101.1/24")}) {
		t.Errorf("seed network: %+v", n)
	}
	m := got.networks[1]
	if m.ID != "22222222-0000-0000-0000-000000000002" || m.Port.MTU != 1442 || !m.LocalIPv6 || len(m.LocalIPv4) != 1 || len(m.Port.CIDRs) != 2 {
		t.Errorf("migration target network: %+v", m)
	}
	warnings := strings.Join(got.warnings, "\n")
	for _, want := range []string{"33333333-0000-0000-0000-000000000003: no metadata port", "invalid MAC"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings %q lack %q", warnings, want)
		}
	}
	if strings.Contains(warnings, "55555555") {
		t.Errorf("a network whose only VIF has no address is not an error: %q", warnings)
	}

	// Lookups: any bound port of a served network, by IP or by MAC.
	lk := func(network, ip string, mac string) []metadata.Instance {
		var hw net.HardwareAddr
		if mac != "" {
			hw, _ = net.ParseMAC(mac)
		}
		var a netip.Addr
		if ip != "" {
			a = netip.MustParseAddr(ip)
		}
		return got.index.lookup(network, a, hw)
	}
	seed := n.ID
	if r := lk(seed, "192.168.101.11", ""); len(r) != 1 || r[0].ID != "inst-vm1" || r[0].ProjectID != "proj" {
		t.Errorf("vm1: %+v", r)
	}
	if r := lk(seed, "192.168.101.12", ""); len(r) != 1 || r[0].ID != "inst-vm2" {
		t.Errorf("vm2 on another chassis: %+v", r)
	}
	if r := lk(seed, "192.168.101.13", ""); len(r) != 0 {
		t.Errorf("an unbound port matched: %+v", r)
	}
	if r := lk(seed, "192.168.101.1", ""); len(r) != 0 {
		t.Errorf("the metadata port itself matched: %+v", r)
	}
	if r := lk(m.ID, "192.168.101.11", ""); len(r) != 0 {
		t.Errorf("vm1 matched on another network: %+v", r)
	}
	if r := lk(seed, "", "FA:16:3E:00:01:11"); len(r) != 1 || r[0].ID != "inst-vm1" {
		t.Errorf("vm1 by MAC: %+v", r)
	}
	if r := lk(m.ID, "fd00:2::11", ""); len(r) != 1 || r[0].ID != "inst-mig" {
		t.Errorf("IPv6 address: %+v", r)
	}

	// Two ports with the same address: both returned (the proxy answers 404).
	dup := vif("dp1", "dup", "fa:16:3e:00:01:99 192.168.101.11", strp(other))
	got = metadataState(me, append(slices.Clone(pbs), dup), dps)
	if r := got.index.lookup(seed, netip.MustParseAddr("192.168.101.11"), nil); len(r) != 2 {
		t.Errorf("duplicate address: %+v", r)
	}

	// The last VIF here gone: nothing is served.
	pbs[1].Chassis = strp(other)
	pbs[5].AdditionalChassis = nil
	if got := metadataState(me, pbs, dps); len(got.networks) != 0 {
		t.Errorf("networks without local VIFs: %+v", got.networks)
	}
}
