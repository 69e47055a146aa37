package agent

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/metadata"
)

// Port_Binding external_ids Neutron writes (reference §2).
const (
	extDeviceOwner = "neutron:device_owner"
	extDeviceID    = "neutron:device_id"
	extProjectID   = "neutron:project_id"
	extCIDRs       = "neutron:cidrs"
	extMTU         = "neutron:mtu"
	ownerMetadata  = "network:distributed"
)

// desiredMetadata is what the metadata job should serve, computed from the
// Southbound rows.
type desiredMetadata struct {
	networks []metadata.Network
	index    *metadataIndex
	// warnings explain networks with local VIFs that are not served.
	warnings []string
}

// metadataState computes, for the chassis whose Chassis row is
// chassisUUID, the networks that have a metadata port and a VIF bound here
// (chassis or additional_chassis; types "", external, localport), and the
// address → instance index of those networks' ports bound anywhere.
func metadataState(chassisUUID string, pbs []sbdb.PortBinding, dps []sbdb.DatapathBinding) desiredMetadata {
	network := make(map[string]string, len(dps)) // datapath UUID -> network id
	for _, dp := range dps {
		// Neutron drops the first "neutron-" of the switch name.
		if name := dp.ExternalIDs["name"]; name != "" {
			network[dp.UUID] = strings.Replace(name, "neutron-", "", 1)
		}
	}
	metaPort := map[string]*sbdb.PortBinding{} // by datapath
	local := map[string][]*sbdb.PortBinding{}  // VIFs bound here, by datapath
	for i := range pbs {
		pb := &pbs[i]
		if network[pb.Datapath] == "" {
			continue
		}
		if pb.Type == "localport" && pb.ExternalIDs[extDeviceOwner] == ownerMetadata {
			if cur := metaPort[pb.Datapath]; cur == nil || pb.LogicalPort < cur.LogicalPort {
				metaPort[pb.Datapath] = pb
			}
		}
		if (pb.Type == "" || pb.Type == "external" || pb.Type == "localport") && boundTo(pb, chassisUUID) {
			local[pb.Datapath] = append(local[pb.Datapath], pb)
		}
	}

	var out desiredMetadata
	served := map[string]string{} // datapath -> network
	for _, dp := range slices.Sorted(maps.Keys(local)) {
		netID := network[dp]
		n, err := metadataNetwork(netID, metaPort[dp], local[dp])
		if err != nil {
			out.warnings = append(out.warnings, fmt.Sprintf("network %s: %v", netID, err))
			continue
		}
		if n == nil {
			continue
		}
		out.networks = append(out.networks, *n)
		served[dp] = netID
	}
	out.index = newMetadataIndex(pbs, served)
	return out
}

func boundTo(pb *sbdb.PortBinding, chassisUUID string) bool {
	return (pb.Chassis != nil && *pb.Chassis == chassisUUID) || slices.Contains(pb.AdditionalChassis, chassisUUID)
}

// metadataNetwork describes one network with local VIFs; nil when there is
// nothing to serve (no VIF address), an error when its metadata port is
// unusable.
func metadataNetwork(netID string, port *sbdb.PortBinding, vifs []*sbdb.PortBinding) (*metadata.Network, error) {
	if port == nil {
		return nil, fmt.Errorf("no metadata port (localport with %s=%s)", extDeviceOwner, ownerMetadata)
	}
	if len(port.MAC) == 0 {
		return nil, fmt.Errorf("metadata port %s has no MAC", port.LogicalPort)
	}
	fields := strings.Fields(port.MAC[0])
	if len(fields) == 0 {
		return nil, fmt.Errorf("metadata port %s has no MAC", port.LogicalPort)
	}
	mac, err := net.ParseMAC(fields[0])
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("metadata port %s: invalid MAC %q", port.LogicalPort, fields[0])
	}
	cidrs, ok := port.ExternalIDs[extCIDRs]
	if !ok {
		return nil, fmt.Errorf("metadata port %s has no %s", port.LogicalPort, extCIDRs)
	}
	n := &metadata.Network{ID: netID, Port: metadata.Port{LogicalPort: port.LogicalPort, MAC: mac}}
	for _, c := range strings.Fields(cidrs) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("metadata port %s: invalid %s entry %q", port.LogicalPort, extCIDRs, c)
		}
		n.Port.CIDRs = append(n.Port.CIDRs, p)
	}
	// Older Neutron writes an empty neutron:mtu: leave the MTU alone.
	if mtu, err := strconv.Atoi(port.ExternalIDs[extMTU]); err == nil && mtu > 0 {
		n.Port.MTU = mtu
	}
	for _, vif := range vifs {
		for _, a := range macColumnAddrs(vif.MAC) {
			if a.Is4() {
				if !slices.Contains(n.LocalIPv4, a) {
					n.LocalIPv4 = append(n.LocalIPv4, a)
				}
			} else {
				n.LocalIPv6 = true
			}
		}
	}
	if len(n.LocalIPv4) == 0 && !n.LocalIPv6 {
		return nil, nil
	}
	slices.SortFunc(n.LocalIPv4, func(a, b netip.Addr) int { return a.Compare(b) })
	return n, nil
}

// macColumnAddrs are the IP addresses of a Port_Binding's first mac entry
// ("<mac> <ip> <ip>..."; "unknown" has none).
func macColumnAddrs(mac []string) []netip.Addr {
	if len(mac) == 0 {
		return nil
	}
	fields := strings.Fields(mac[0])
	var out []netip.Addr
	for _, f := range fields[min(1, len(fields)):] {
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// metadataIndex maps (network, address or MAC) to the instances whose
// ports have it. It is immutable once built, so the proxy's goroutines
// read it without locks while the main loop builds the next one.
type metadataIndex struct {
	byAddr map[string]map[string][]metadata.Instance // network -> key -> instances
}

// newMetadataIndex indexes the ports of the served datapaths that are
// bound to some chassis, by every address of their first mac entry and by
// their MAC, as Neutron's proxy searches them.
func newMetadataIndex(pbs []sbdb.PortBinding, served map[string]string) *metadataIndex {
	idx := &metadataIndex{byAddr: map[string]map[string][]metadata.Instance{}}
	for i := range pbs {
		pb := &pbs[i]
		netID := served[pb.Datapath]
		if netID == "" || pb.Chassis == nil || len(pb.MAC) == 0 {
			continue
		}
		instID := pb.ExternalIDs[extDeviceID]
		if instID == "" {
			continue // not a VM port
		}
		inst := metadata.Instance{ID: instID, ProjectID: pb.ExternalIDs[extProjectID]}
		keys := idx.byAddr[netID]
		if keys == nil {
			keys = map[string][]metadata.Instance{}
			idx.byAddr[netID] = keys
		}
		fields := strings.Fields(pb.MAC[0])
		if len(fields) > 0 {
			if mac, err := net.ParseMAC(fields[0]); err == nil {
				keys[mac.String()] = append(keys[mac.String()], inst)
			}
		}
		for _, a := range macColumnAddrs(pb.MAC) {
			keys[a.String()] = append(keys[a.String()], inst)
		}
	}
	return idx
}

func (idx *metadataIndex) lookup(network string, ip netip.Addr, mac net.HardwareAddr) []metadata.Instance {
	key := ip.Unmap().WithZone("").String()
	if mac != nil {
		key = mac.String()
	}
	return idx.byAddr[network][key]
}
