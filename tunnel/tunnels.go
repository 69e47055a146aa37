package tunnel

import (
	"fmt"
	"sort"
	"strings"
)

// ChassisIDKey is the Port external_ids key that marks a tunnel port as
// created by the chassis agent; its value is TunnelID(chassis, remote IP).
const ChassisIDKey = "ovn-chassis-id"

// Encapsulation types and their preference (higher wins), as ovn-controller
// ranks them when several are common to both chassis.
const (
	Geneve = "geneve"
	STT    = "stt"
	VXLAN  = "vxlan"
)

// TypeRank returns the preference of an encapsulation type (geneve 4, stt 2,
// vxlan 1) or 0 for an unknown type.
func TypeRank(encapType string) int {
	switch encapType {
	case Geneve:
		return 4
	case STT:
		return 2
	case VXLAN:
		return 1
	}
	return 0
}

// Encap is an SB Encap row.
type Encap struct {
	Type    string
	IP      string
	Options map[string]string
}

// Chassis is the part of an SB Chassis row that decides tunnels to it.
type Chassis struct {
	Name           string
	Encaps         []Encap
	TransportZones []string
	OtherConfig    map[string]string
}

// Config is this chassis' side of the tunnel decision.
type Config struct {
	// ChassisName is this chassis' system-id (its own Chassis row is skipped).
	ChassisName string
	// Encaps are this chassis' own Encap rows (type × IP as registered).
	Encaps []Encap
	// IsInterconn is the own Chassis other_config:is-interconn (ovn-is-interconn):
	// only then are tunnels built to chassis with other_config:is-remote=true.
	IsInterconn bool
	// ChassisIdx is Open_vSwitch other_config:ovn-chassis-idx-<system-id>
	// ("" for the only controller on the host).
	ChassisIdx string
	// TransportZones is ovn-transport-zones split on commas.
	TransportZones []string
	// EncapTOS is ovn-encap-tos ("" or "none": not set on the tunnels).
	EncapTOS string
	// EncapDFDefault is ovn-encap-df_default ("" : not set).
	EncapDFDefault string
	// SetLocalIP is ovn-set-local-ip.
	SetLocalIP bool
	// IPsec is SB_Global.ipsec; IPsecEncapsulation and IPsecForceEncaps are
	// SB_Global options:ipsec_encapsulation / ipsec_forceencaps.
	IPsec, IPsecEncapsulation, IPsecForceEncaps bool
}

// TunnelPort is a tunnel port the integration bridge should have.
type TunnelPort struct {
	// Name is both the Port and the Interface name.
	Name string
	// Type is the Interface type (= the remote Encap type).
	Type string
	// Options is the Interface options map.
	Options map[string]string
	// Chassis and RemoteIP identify the remote end; ID() joins them.
	Chassis  string
	RemoteIP string
}

// ID is the value of external_ids:ovn-chassis-id.
func (p TunnelPort) ID() string { return TunnelID(p.Chassis, p.RemoteIP) }

// ExternalIDs is the Port external_ids map.
func (p TunnelPort) ExternalIDs() map[string]string {
	return map[string]string{ChassisIDKey: p.ID()}
}

// SkippedChassis is a remote chassis that gets no tunnel, with the reason.
type SkippedChassis struct {
	Chassis string
	Reason  string
}

// TunnelPlan is the outcome of PlanTunnels.
type TunnelPlan struct {
	// Want is every tunnel port that should exist afterwards, sorted by name.
	Want []TunnelPort
	// Add are the ports to create: new ones, and replacements that reuse
	// the name of a port listed in Remove (delete that one first, or in
	// the same transaction).
	Add []TunnelPort
	// Remove are names of existing integration-bridge ports to delete:
	// tunnels no longer wanted, duplicates, and ports being replaced.
	Remove []string
	// Skipped lists remote chassis without a tunnel, for logging.
	Skipped []SkippedChassis
	// Warnings are configuration problems worth logging.
	Warnings []string
}

// TunnelID is the ovn-chassis-id value for a tunnel to chassis at ip.
func TunnelID(chassis, ip string) string { return chassis + "@" + ip }

// ParseTunnelID splits an ovn-chassis-id value into chassis name and remote
// IP; ok is false when the delimiter is missing or either part is empty.
func ParseTunnelID(id string) (chassis, ip string, ok bool) {
	i := strings.IndexByte(id, '@')
	if i <= 0 || i == len(id)-1 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// TunnelPrefix is the name prefix of this agent's tunnel ports ("ovn-", or
// "ovn<idx>-" for a co-hosted controller).
func TunnelPrefix(chassisIdx string) string { return "ovn" + chassisIdx + "-" }

// tunnelName is the n-th candidate name for a tunnel to chassis: the chassis
// name is cut to 6 bytes (5 with an index) so the name fits in IFNAMSIZ.
func tunnelName(chassisIdx, chassis string, n int) string {
	limit := 6
	if chassisIdx != "" {
		limit = 5
	}
	if len(chassis) > limit {
		chassis = chassis[:limit]
	}
	return fmt.Sprintf("ovn%s-%s-%x", chassisIdx, chassis, n)
}

// PlanTunnels computes the tunnel ports of the integration bridge brInt
// given the SB Chassis rows (the own row among them is ignored). Remote
// chassis are visited in name order, which decides the counter suffix when
// truncated names collide (ovn-controller uses its IDL's order instead).
func PlanTunnels(cfg Config, remotes []Chassis, brInt Bridge) TunnelPlan {
	var plan TunnelPlan

	usedNames := make(map[string]bool, len(brInt.Ports))
	existing := make(map[string]Port)
	for _, p := range brInt.Ports {
		usedNames[p.Name] = true
		id, ok := p.ExternalIDs[ChassisIDKey]
		if !ok {
			continue
		}
		if _, dup := existing[id]; dup {
			plan.Remove = append(plan.Remove, p.Name)
			continue
		}
		existing[id] = p
	}

	localIP, localWarn := localIP(cfg)
	if localWarn != "" {
		plan.Warnings = append(plan.Warnings, localWarn)
	}
	zones := make(map[string]bool, len(cfg.TransportZones))
	for _, z := range cfg.TransportZones {
		zones[z] = true
	}

	nextCounter := make(map[string]int)
	sorted := append([]Chassis(nil), remotes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	wanted := make(map[string]bool)
	for _, ch := range sorted {
		if ch.Name == cfg.ChassisName {
			continue
		}
		if !zonesOverlap(zones, ch.TransportZones) {
			plan.Skipped = append(plan.Skipped, SkippedChassis{ch.Name, "no common transport zone"})
			continue
		}
		if ch.OtherConfig["is-remote"] == "true" && !cfg.IsInterconn {
			plan.Skipped = append(plan.Skipped, SkippedChassis{ch.Name, "remote (interconnection) chassis and this chassis is not interconn"})
			continue
		}
		best := preferredType(ch.Encaps, cfg.Encaps)
		if best == "" {
			plan.Skipped = append(plan.Skipped, SkippedChassis{ch.Name, "no encapsulation type in common"})
			continue
		}
		for _, e := range ch.Encaps {
			if TypeRank(e.Type) != TypeRank(best) {
				continue
			}
			want := TunnelPort{
				Type:     e.Type,
				Options:  tunnelOptions(cfg, ch.Name, e, localIP),
				Chassis:  ch.Name,
				RemoteIP: e.IP,
			}
			id := want.ID()
			if wanted[id] {
				// A second Encap row with the same IP and type: one port.
				continue
			}
			old, had := existing[id]
			if had && len(old.Interfaces) == 1 && old.Interfaces[0].Type == want.Type &&
				mapsEqual(old.Interfaces[0].Options, want.Options) {
				want.Name = old.Name
				wanted[id] = true
				plan.Want = append(plan.Want, want)
				continue
			}
			if had {
				want.Name = old.Name
			} else {
				want.Name = freeTunnelName(cfg.ChassisIdx, ch.Name, usedNames, nextCounter)
				if want.Name == "" {
					plan.Warnings = append(plan.Warnings, fmt.Sprintf("no free tunnel port name for chassis %q", ch.Name))
					continue
				}
				usedNames[want.Name] = true
			}
			wanted[id] = true
			plan.Want = append(plan.Want, want)
			plan.Add = append(plan.Add, want)
		}
	}

	// Existing ports whose id is not kept as is: stale, or being replaced.
	for _, p := range brInt.Ports {
		id, ok := p.ExternalIDs[ChassisIDKey]
		if !ok || existing[id].Name != p.Name {
			continue
		}
		if wanted[id] && !isReplaced(plan.Add, p.Name) {
			continue
		}
		plan.Remove = append(plan.Remove, p.Name)
	}
	sort.Slice(plan.Want, func(i, j int) bool { return plan.Want[i].Name < plan.Want[j].Name })
	sort.Strings(plan.Remove)
	return plan
}

func isReplaced(adds []TunnelPort, name string) bool {
	for _, a := range adds {
		if a.Name == name {
			return true
		}
	}
	return false
}

// freeTunnelName returns the first unused candidate name. next remembers,
// per truncated chassis name, where the previous search stopped: names
// only get used during one plan, so earlier candidates stay taken, and
// many chassis sharing a 6-byte prefix ("compute-0001"...) cost linear
// rather than quadratic time.
func freeTunnelName(idx, chassis string, used map[string]bool, next map[string]int) string {
	key := tunnelName(idx, chassis, 0)
	for n := next[key]; n < 0xffff; n++ {
		if name := tunnelName(idx, chassis, n); !used[name] {
			next[key] = n + 1
			return name
		}
	}
	return ""
}

// zonesOverlap: two chassis without any zone overlap too.
func zonesOverlap(own map[string]bool, remote []string) bool {
	if len(own) == 0 && len(remote) == 0 {
		return true
	}
	for _, z := range remote {
		if own[z] {
			return true
		}
	}
	return false
}

// preferredType is the best-ranked remote encap type that this chassis also
// has, or "".
func preferredType(remote, own []Encap) string {
	ownRanks := make(map[int]bool)
	for _, e := range own {
		ownRanks[TypeRank(e.Type)] = true
	}
	best, bestRank := "", 0
	for _, e := range remote {
		if r := TypeRank(e.Type); r > bestRank && ownRanks[r] {
			best, bestRank = e.Type, r
		}
	}
	return best
}

// localIP is the own encap IP put into options:local_ip when that option is
// needed; like ovn-controller 23.03 only one IP is supported there, the
// first one wins.
func localIP(cfg Config) (ip, warning string) {
	if !cfg.SetLocalIP && !cfg.IPsec {
		return "", ""
	}
	for _, e := range cfg.Encaps {
		if ip == "" {
			ip = e.IP
		} else if e.IP != ip {
			return ip, "ovn-encap-ip is a list: IPsec and ovn-set-local-ip support only one IP, using " + ip
		}
	}
	return ip, ""
}

func tunnelOptions(cfg Config, remoteChassis string, e Encap, localIP string) map[string]string {
	opts := map[string]string{"remote_ip": e.IP, "key": "flow"}
	if csum := e.Options["csum"]; csum == "true" || csum == "false" {
		opts["csum"] = csum
	}
	if port, ok := e.Options["dst_port"]; ok {
		opts["dst_port"] = port
	}
	if cfg.EncapTOS != "" && cfg.EncapTOS != "none" {
		opts["tos"] = cfg.EncapTOS
	}
	if cfg.EncapDFDefault != "" {
		opts["df_default"] = cfg.EncapDFDefault
	}
	if cfg.IPsec {
		opts["remote_name"] = remoteChassis
		if cfg.IPsecEncapsulation {
			opts["ipsec_encapsulation"] = "yes"
		}
		if cfg.IPsecForceEncaps {
			opts["ipsec_forceencaps"] = "yes"
		}
	}
	if localIP != "" {
		opts["local_ip"] = localIP
	}
	return opts
}

// StaleTunnelsElsewhere lists tunnel ports of this agent (ovn-chassis-id set
// and the "ovn<idx>-" prefix) on bridges other than the integration bridge;
// ovn-controller removes them at start-up (e.g. after ovn-bridge changed
// while it was down).
func StaleTunnelsElsewhere(brIntName, chassisIdx string, bridges []Bridge) []PortRef {
	prefix := TunnelPrefix(chassisIdx)
	var refs []PortRef
	for _, br := range bridges {
		if br.Name == brIntName {
			continue
		}
		for _, p := range br.Ports {
			if _, ok := p.ExternalIDs[ChassisIDKey]; ok && strings.HasPrefix(p.Name, prefix) {
				refs = append(refs, PortRef{Bridge: br.Name, Port: p.Name})
			}
		}
	}
	return refs
}
