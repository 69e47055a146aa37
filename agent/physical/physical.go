package physical

import (
	"cmp"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/chassisd/chassisd/agent/internal/ovshash"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ofctrl"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Compute returns the physical flows ovn-controller 23.03.1 would install
// for in. Flows are deduplicated on (table, priority, match) keeping the
// first one generated, as ovn-controller's desired flow table does; the
// generation order is ports sorted by UUID, then multicast groups sorted by
// UUID, then tunnels and defaults. The result is sorted by table, priority
// (descending) and match key. Each Flow's Match is a flow.Match and its
// Actions a flow.Actions.
func Compute(in *Input) []ofctrl.Flow { return ComputeResult(in).Flows }

// Result is Compute's output with provenance, for incremental updates and
// debugging.
type Result struct {
	Flows []ofctrl.Flow
	// Origins[i] are the UUIDs of the SB rows Flows[i] derives from
	// (Port_Binding, Multicast_Group, remote Chassis); several when rows
	// produce the same flow; empty for defaults and tunnel-receive flows
	// (they depend on OVS state only).
	Origins [][]string
}

// ComputeResult is Compute with each flow's origins.
func ComputeResult(in *Input) Result { return newComputer(in).run() }

// ComputeFor computes only the flows that originate from the given rows
// (UUIDs as in Result.Origins; "" selects the defaults and tunnel flows),
// for incremental updates: see Affected. Flows are deduplicated among
// themselves only.
func ComputeFor(in *Input, rows map[string]bool) Result {
	c := newComputer(in)
	c.only = rows
	return c.run()
}

func (c *computer) run() Result {
	c.chassisMACConjunctions()
	for _, pb := range c.ports {
		if c.want(pb.UUID) {
			c.origin = pb.UUID
			c.portBinding(pb)
		}
	}
	for _, mc := range c.mcGroups {
		if c.want(mc.UUID) {
			c.origin = mc.UUID
			c.multicastGroup(mc)
		}
	}
	c.origin = ""
	if c.want("") {
		c.tunnelReceive()
		c.defaults()
	}
	sortFlows(c.flows, c.origins)
	return Result{Flows: c.flows, Origins: c.origins}
}

// want reports whether the flows of row uuid are being computed.
func (c *computer) want(uuid string) bool { return c.only == nil || c.only[uuid] }

// computer is one Compute run: the indexed input and the flows so far.
type computer struct {
	in      *Input
	geneve  flow.Field
	ports   []*PortBinding // sorted by UUID
	byName  map[string]*PortBinding
	localDP map[uint32]*localDatapath
	// tunnels by chassis name, in Input order.
	tunnels  map[string][]*Tunnel
	active   map[string]bool
	mcGroups []*MulticastGroup

	flows   []ofctrl.Flow
	origins [][]string
	seen    map[flowKey]int // index into flows
	// origin is the UUID of the SB row being translated.
	origin string
	// only, when set, restricts the run to the flows of these rows.
	only map[string]bool
}

type flowKey struct {
	table    uint8
	priority uint16
	match    string
}

// localDatapath is ovn-controller's struct local_datapath, reduced to what
// the physical flows use.
type localDatapath struct {
	dp       *Datapath
	localnet *PortBinding
	// peerPorts are the (local patch port, its peer) pairs of this
	// datapath's patch ports.
	peerPorts     []peerPort
	externalPorts []*PortBinding
}

type peerPort struct{ local, remote *PortBinding }

func newComputer(in *Input) *computer {
	c := &computer{
		in:      in,
		geneve:  flow.FieldTunMetadata(in.GeneveField),
		byName:  make(map[string]*PortBinding, len(in.Ports)),
		localDP: make(map[uint32]*localDatapath, len(in.Datapaths)),
		tunnels: make(map[string][]*Tunnel),
		active:  make(map[string]bool, len(in.ActiveTunnels)),
		seen:    make(map[flowKey]int),
	}
	for i := range in.Ports {
		pb := &in.Ports[i]
		c.ports = append(c.ports, pb)
		c.byName[pb.LogicalPort] = pb
	}
	sort.SliceStable(c.ports, func(i, j int) bool { return c.ports[i].UUID < c.ports[j].UUID })
	for i := range in.Datapaths {
		dp := &in.Datapaths[i]
		c.localDP[dp.TunnelKey] = &localDatapath{dp: dp}
	}
	for _, pb := range c.ports {
		ld := c.localDP[pb.DatapathKey]
		if ld == nil {
			continue
		}
		switch pb.Type {
		case pipeline.PortLocalnet:
			if ld.localnet == nil {
				ld.localnet = pb
			} else {
				slog.Warn("physical: several localnet ports on one datapath, using the first",
					"datapath", pb.DatapathKey, "used", ld.localnet.LogicalPort, "ignored", pb.LogicalPort)
			}
		case pipeline.PortExternal:
			ld.externalPorts = append(ld.externalPorts, pb)
		}
	}
	for _, pb := range c.ports {
		c.addPeerPorts(pb)
	}
	for i := range in.Tunnels {
		t := &in.Tunnels[i]
		c.tunnels[t.Chassis] = append(c.tunnels[t.Chassis], t)
	}
	for _, ch := range in.ActiveTunnels {
		c.active[ch] = true
	}
	for i := range in.MulticastGroups {
		c.mcGroups = append(c.mcGroups, &in.MulticastGroups[i])
	}
	sort.SliceStable(c.mcGroups, func(i, j int) bool { return c.mcGroups[i].UUID < c.mcGroups[j].UUID })
	return c
}

// addPeerPorts records pb and its peer as peer ports of their datapaths
// when ovn-controller links them (need_add_peer_to_local()).
func (c *computer) addPeerPorts(pb *PortBinding) {
	if pb.Type != pipeline.PortPatch && pb.Type != pipeline.PortL3Gateway {
		return
	}
	peer := c.byName[pb.Options["peer"]]
	if peer == nil || !c.needAddPeerToLocal(pb) {
		return
	}
	ld, peerLD := c.localDP[pb.DatapathKey], c.localDP[peer.DatapathKey]
	if ld == nil || peerLD == nil {
		return
	}
	ld.addPeerPort(pb, peer)
	peerLD.addPeerPort(peer, pb)
}

func (ld *localDatapath) addPeerPort(local, remote *PortBinding) {
	for _, pp := range ld.peerPorts {
		if pp.local == local {
			return
		}
	}
	ld.peerPorts = append(ld.peerPorts, peerPort{local: local, remote: remote})
}

// needAddPeerToLocal is need_add_peer_to_local(): a gateway router port
// bound here, a distributed patch port, or a DGP whose always-redirect
// chassisredirect port may be here.
func (c *computer) needAddPeerToLocal(pb *PortBinding) bool {
	if pb.Type == pipeline.PortL3Gateway && pb.Chassis == c.in.Chassis {
		return true
	}
	if pb.Type != pipeline.PortPatch {
		return false
	}
	crpName := pb.Options["chassis-redirect-port"]
	if crpName == "" {
		return true
	}
	crp := c.byName[crpName]
	if crp == nil {
		return false
	}
	if !optionTrue(crp.Options, "always-redirect") {
		return true
	}
	for _, m := range crp.HAChassis {
		if m.Chassis == c.in.Chassis {
			return true
		}
	}
	return false
}

// add installs a flow unless one with the same table, priority and match
// exists already; then only the origin is recorded.
func (c *computer) add(table uint8, priority uint16, cookie uint64, m flow.Match, acts flow.Actions) {
	k := flowKey{table, priority, m.Key()}
	if i, dup := c.seen[k]; dup {
		if c.origin != "" && !contains(c.origins[i], c.origin) {
			c.origins[i] = append(c.origins[i], c.origin)
		}
		return
	}
	c.seen[k] = len(c.flows)
	c.flows = append(c.flows, ofctrl.Flow{Table: table, Priority: priority, Cookie: cookie, Match: m, Actions: acts})
	var o []string
	if c.origin != "" {
		o = []string{c.origin}
	}
	c.origins = append(c.origins, o)
}

// peer is get_binding_peer(): the port named by options:peer, if it points
// back.
func (c *computer) peer(pb *PortBinding) *PortBinding {
	name := pb.Options["peer"]
	if name == "" {
		return nil
	}
	peer := c.byName[name]
	if peer == nil || peer.Options["peer"] != pb.LogicalPort {
		return nil
	}
	return peer
}

// zoneIDs are the conntrack zones loaded for a port: its own and its
// datapath's NAT zones (0: none).
type zoneIDs struct{ ct, dnat, snat uint16 }

// zones is get_zone_ids().
func (c *computer) zones(pb *PortBinding) zoneIDs {
	z := zoneIDs{ct: c.in.CTZones[pb.LogicalPort]}
	if ld := c.localDP[pb.DatapathKey]; ld != nil {
		z.dnat = c.in.CTZones[ld.dp.UUID+"_dnat"]
		z.snat = c.in.CTZones[ld.dp.UUID+"_snat"]
	}
	return z
}

// cookieOf is the cookie ovn-controller gives every flow derived from the
// row uuid.
func cookieOf(uuid string) uint64 { return uint64(ovshash.UUIDPart0(uuid)) }

// tunnelFor is chassis_tunnel_find(): the tunnel to chassis whose remote IP
// is ip, or (ip "" or not found) the first tunnel to it.
func (c *computer) tunnelFor(chassis, ip string) *Tunnel {
	ts := c.tunnels[chassis]
	if ip != "" {
		for _, t := range ts {
			if t.IP == ip {
				return t
			}
		}
	}
	if len(ts) > 0 {
		return ts[0]
	}
	return nil
}

// canBindHere is lport_can_bind_on_this_chassis(): requested-chassis (a
// comma-separated list of names or hostnames) is empty or names us.
func (c *computer) canBindHere(pb *PortBinding) bool {
	req := pb.Options["requested-chassis"]
	if req == "" {
		return true
	}
	for _, ch := range strings.Split(req, ",") {
		if ch == c.in.Chassis || (c.in.Hostname != "" && ch == c.in.Hostname) {
			return true
		}
	}
	return false
}

// sortFlows sorts flows (and their origins alongside) by table, priority
// descending and match (by its key: cheap, and deterministic).
func sortFlows(fs []ofctrl.Flow, origins [][]string) {
	idx := make([]int, len(fs))
	keys := make([]string, len(fs))
	for i, f := range fs {
		idx[i] = i
		keys[i] = f.Match.Key()
	}
	slices.SortFunc(idx, func(i, j int) int {
		a, b := &fs[i], &fs[j]
		if a.Table != b.Table {
			return cmp.Compare(a.Table, b.Table)
		}
		if a.Priority != b.Priority {
			return cmp.Compare(b.Priority, a.Priority)
		}
		return strings.Compare(keys[i], keys[j])
	})
	sortedFlows := make([]ofctrl.Flow, len(fs))
	sortedOrigins := make([][]string, len(fs))
	for n, i := range idx {
		sortedFlows[n], sortedOrigins[n] = fs[i], origins[i]
	}
	copy(fs, sortedFlows)
	copy(origins, sortedOrigins)
}

// optionTrue is smap_get_bool(options, key, false): "true" in any case.
func optionTrue(options map[string]string, key string) bool {
	return strings.EqualFold(options[key], "true")
}
