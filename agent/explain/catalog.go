package explain

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
)

// Catalog is what the agent knows that explains a trace: this chassis'
// bindings, the Southbound rows whose UUIDs the trace's cookies point at,
// the OVS interfaces of the integration bridge, the flows chassisd itself
// installed at the trace's (table, priority) pairs and, with --nb-db, the
// Northbound rows the logical flows' stage hints point at. It is plain data
// (JSON-serialisable), so an explanation can be recomputed from a saved
// catalog and trace.
type Catalog struct {
	// Chassis is this chassis' name; Bridge its integration bridge.
	Chassis string `json:"chassis"`
	Bridge  string `json:"bridge"`

	Datapaths       []Datapath       `json:"datapaths"`
	Ports           []Port           `json:"ports"`
	LogicalFlows    []LogicalFlow    `json:"logical_flows,omitempty"`
	MulticastGroups []MulticastGroup `json:"multicast_groups,omitempty"`
	MACBindings     []MACBinding     `json:"mac_bindings,omitempty"`
	LoadBalancers   []LoadBalancer   `json:"load_balancers,omitempty"`
	Interfaces      []Interface      `json:"interfaces"`

	// InstalledKnown says whether Installed was filled in: when false
	// (the agent has not computed flows yet) nothing is reported foreign.
	InstalledKnown bool            `json:"installed_known"`
	Installed      []InstalledFlow `json:"installed,omitempty"`

	// Northbound holds NB rows whose UUIDs start with a stage hint of the
	// trace's logical flows; NorthboundRead says the NB was read (--nb-db).
	Northbound     []NBRow `json:"northbound,omitempty"`
	NorthboundRead bool    `json:"northbound_read,omitempty"`
}

// Datapath is a Datapath_Binding.
type Datapath struct {
	UUID string `json:"uuid"`
	Key  uint32 `json:"key"`
	// Name is external_ids:name (neutron-<uuid> under Neutron), DisplayName
	// the name people know (external_ids:name2, the Neutron name, if set).
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Router      bool   `json:"router,omitempty"`
}

// Port is a Port_Binding.
type Port struct {
	UUID         string            `json:"uuid"`
	Name         string            `json:"name"`
	Datapath     uint32            `json:"datapath"`
	Key          uint32            `json:"key"`
	Type         string            `json:"type,omitempty"`
	MAC          []string          `json:"mac,omitempty"`
	PortSecurity []string          `json:"port_security,omitempty"`
	Chassis      string            `json:"chassis,omitempty"`
	Options      map[string]string `json:"options,omitempty"`
	ExternalIDs  map[string]string `json:"external_ids,omitempty"`
}

// LogicalFlow is a Logical_Flow row; Datapaths are the keys of the
// datapaths it applies to (its datapath or its group's).
type LogicalFlow struct {
	UUID        string            `json:"uuid"`
	Pipeline    string            `json:"pipeline"`
	Table       int               `json:"table"`
	Priority    int               `json:"priority"`
	Match       string            `json:"match"`
	Actions     string            `json:"actions"`
	ExternalIDs map[string]string `json:"external_ids,omitempty"`
	Datapaths   []uint32          `json:"datapaths,omitempty"`
}

// Stage is the flow's pipeline stage name (ls_in_acl, ...).
func (f *LogicalFlow) Stage() string { return f.ExternalIDs["stage-name"] }

// MulticastGroup is a Multicast_Group row.
type MulticastGroup struct {
	UUID     string   `json:"uuid"`
	Name     string   `json:"name"`
	Datapath uint32   `json:"datapath"`
	Key      uint32   `json:"key"`
	Ports    []string `json:"ports,omitempty"`
}

// MACBinding is a MAC_Binding (or Static_MAC_Binding) row.
type MACBinding struct {
	UUID        string `json:"uuid"`
	Datapath    uint32 `json:"datapath"`
	LogicalPort string `json:"logical_port"`
	IP          string `json:"ip"`
	MAC         string `json:"mac"`
	Static      bool   `json:"static,omitempty"`
}

// LoadBalancer is a Southbound Load_Balancer row.
type LoadBalancer struct {
	UUID        string            `json:"uuid"`
	Name        string            `json:"name"`
	Protocol    string            `json:"protocol,omitempty"`
	VIPs        map[string]string `json:"vips,omitempty"` // "10.0.0.10:80" -> "10.0.1.5:8080,..."
	ExternalIDs map[string]string `json:"external_ids,omitempty"`
}

// Interface is an OVS interface on the integration bridge.
type Interface struct {
	OFPort int    `json:"ofport"`
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	// IfaceID is external_ids:iface-id (the logical port of a VIF).
	IfaceID string `json:"iface_id,omitempty"`
	// RemoteChassis and RemoteIP describe a tunnel (from the port's
	// ovn-chassis-id and the interface's remote_ip).
	RemoteChassis string `json:"remote_chassis,omitempty"`
	RemoteIP      string `json:"remote_ip,omitempty"`
	// PatchPeer is the peer interface of a patch port; LocalnetPort the
	// logical port it carries (ovn-localnet-port / ovn-l2gateway-port).
	PatchPeer    string `json:"patch_peer,omitempty"`
	LocalnetPort string `json:"localnet_port,omitempty"`
}

// InstalledFlow identifies a flow chassisd wants on the bridge, with the
// match formatted as OVS prints it.
type InstalledFlow struct {
	Table    int    `json:"table"`
	Priority int    `json:"priority"`
	Cookie   uint64 `json:"cookie"`
	Match    string `json:"match"`
}

// NBRow is a Northbound row (ACL, NAT, Logical_Router_Static_Route, ...)
// with its columns as text.
type NBRow struct {
	Table       string            `json:"table"`
	UUID        string            `json:"uuid"`
	Columns     map[string]string `json:"columns,omitempty"`
	ExternalIDs map[string]string `json:"external_ids,omitempty"`
}

// CookiePrefix is the UUID prefix an OpenFlow cookie stands for: OVN
// cookies are the first 32 bits of the row's UUID.
func CookiePrefix(cookie uint64) string { return fmt.Sprintf("%08x", uint32(cookie)) }

// index is a Catalog with lookup maps.
type index struct {
	*Catalog
	dpByKey  map[uint32]*Datapath
	portByDP map[[2]uint32]*Port
	portByNm map[string]*Port
	ifByPort map[int]*Interface
	mcByDP   map[[2]uint32]*MulticastGroup
}

func newIndex(c *Catalog) *index {
	x := &index{Catalog: c,
		dpByKey: map[uint32]*Datapath{}, portByDP: map[[2]uint32]*Port{}, portByNm: map[string]*Port{},
		ifByPort: map[int]*Interface{}, mcByDP: map[[2]uint32]*MulticastGroup{}}
	for i := range c.Datapaths {
		x.dpByKey[c.Datapaths[i].Key] = &c.Datapaths[i]
	}
	for i := range c.Ports {
		p := &c.Ports[i]
		x.portByDP[[2]uint32{p.Datapath, p.Key}] = p
		x.portByNm[p.Name] = p
	}
	for i := range c.Interfaces {
		x.ifByPort[c.Interfaces[i].OFPort] = &c.Interfaces[i]
	}
	for i := range c.MulticastGroups {
		m := &c.MulticastGroups[i]
		x.mcByDP[[2]uint32{m.Datapath, m.Key}] = m
	}
	return x
}

// datapathName is how a datapath is shown: its Neutron/display name, else
// its name, else its key.
func (x *index) datapathName(key uint32) string {
	d := x.dpByKey[key]
	switch {
	case d == nil:
		return fmt.Sprintf("datapath %d", key)
	case d.DisplayName != "":
		return d.DisplayName
	case d.Name != "":
		return d.Name
	}
	return fmt.Sprintf("datapath %d", key)
}

// portName names the logical port (or multicast group) with this key in
// the datapath.
func (x *index) portName(dp, key uint32) string {
	if p := x.portByDP[[2]uint32{dp, key}]; p != nil {
		return p.Name
	}
	if m := x.mcByDP[[2]uint32{dp, key}]; m != nil {
		return m.Name
	}
	if key == 0 {
		return ""
	}
	return fmt.Sprintf("port key %d", key)
}

// logicalFlow returns the logical flow behind an OpenFlow cookie in table
// on datapath dp (0: any).
func (x *index) logicalFlow(cookie uint64, table int, dp uint32) *LogicalFlow {
	if cookie == 0 {
		return nil
	}
	prefix := CookiePrefix(cookie)
	var best *LogicalFlow
	for i := range x.LogicalFlows {
		f := &x.LogicalFlows[i]
		if !strings.HasPrefix(f.UUID, prefix) {
			continue
		}
		if t, ok := OpenFlowTable(f.Pipeline, f.Table); ok && t != table {
			continue
		}
		if dp != 0 && len(f.Datapaths) > 0 && !containsKey(f.Datapaths, dp) {
			if best == nil {
				best = f
			}
			continue
		}
		return f
	}
	return best
}

func containsKey(keys []uint32, k uint32) bool {
	for _, v := range keys {
		if v == k {
			return true
		}
	}
	return false
}

// portByCookie returns the Port_Binding a physical flow's cookie names.
func (x *index) portByCookie(cookie uint64) *Port {
	if cookie == 0 {
		return nil
	}
	prefix := CookiePrefix(cookie)
	for i := range x.Ports {
		if strings.HasPrefix(x.Ports[i].UUID, prefix) {
			return &x.Ports[i]
		}
	}
	return nil
}

func (x *index) macBindingByCookie(cookie uint64) *MACBinding {
	if cookie == 0 {
		return nil
	}
	prefix := CookiePrefix(cookie)
	for i := range x.MACBindings {
		if strings.HasPrefix(x.MACBindings[i].UUID, prefix) {
			return &x.MACBindings[i]
		}
	}
	return nil
}

func (x *index) multicastByCookie(cookie uint64) *MulticastGroup {
	if cookie == 0 {
		return nil
	}
	prefix := CookiePrefix(cookie)
	for i := range x.MulticastGroups {
		if strings.HasPrefix(x.MulticastGroups[i].UUID, prefix) {
			return &x.MulticastGroups[i]
		}
	}
	return nil
}

// loadBalancerByHint finds the SB load balancer of an NB uuid prefix (its
// external_ids:lb_id), or by its own uuid prefix.
func (x *index) loadBalancerByHint(hint string) *LoadBalancer {
	if hint == "" {
		return nil
	}
	for i := range x.LoadBalancers {
		lb := &x.LoadBalancers[i]
		if strings.HasPrefix(lb.ExternalIDs["lb_id"], hint) || strings.HasPrefix(lb.UUID, hint) {
			return lb
		}
	}
	return nil
}

// nbRows returns the NB rows whose UUID starts with hint.
func (x *index) nbRows(hint string) []NBRow {
	if hint == "" {
		return nil
	}
	var rows []NBRow
	for _, r := range x.Northbound {
		if strings.HasPrefix(r.UUID, hint) {
			rows = append(rows, r)
		}
	}
	return rows
}

// installed reports how the flow a step hit relates to what chassisd
// installed: "" (ours), or a description of the difference.
func (x *index) installed(st *Step) (origin, note string) {
	if !x.InstalledKnown || st.NoMatch {
		return OriginChassisd, ""
	}
	if learnedTables[st.Table] {
		return OriginLearned, "learned at run time by a learn() action"
	}
	var sameMatch *InstalledFlow
	for i := range x.Installed {
		f := &x.Installed[i]
		if f.Table != st.Table || f.Priority != st.Priority || f.Match != st.Match {
			continue
		}
		if f.Cookie == st.Cookie {
			return OriginChassisd, ""
		}
		sameMatch = f
	}
	if sameMatch != nil {
		return OriginDrift, fmt.Sprintf("chassisd installed this match with cookie %#x, the switch has cookie %#x", sameMatch.Cookie, st.Cookie)
	}
	return OriginForeign, "chassisd did not install this flow (another controller's, or a manual change)"
}

// Origins of a flow.
const (
	OriginChassisd = "chassisd"
	OriginLearned  = "learned"
	OriginDrift    = "drift"
	OriginForeign  = "foreign"
	// OriginOtherBridge is a step in another bridge (the underlay's, a
	// provider bridge) that the packet crossed.
	OriginOtherBridge = "other-bridge"
)

// portAddresses parses a Port_Binding mac entry ("MAC IP1 IP2/len ...").
func portAddresses(entry string) (mac string, ips []netip.Prefix) {
	fields := strings.Fields(entry)
	if len(fields) == 0 {
		return "", nil
	}
	mac = strings.ToLower(fields[0])
	if hw, err := net.ParseMAC(mac); err != nil || len(hw) != 6 {
		return "", nil
	}
	for _, f := range fields[1:] {
		if p, err := netip.ParsePrefix(f); err == nil {
			ips = append(ips, p)
		} else if a, err := netip.ParseAddr(f); err == nil {
			ips = append(ips, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return mac, ips
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
