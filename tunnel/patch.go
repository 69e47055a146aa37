package tunnel

import (
	"fmt"
	"sort"
	"strings"
)

// Port binding types that get patch ports, and the Port external_ids key
// that marks each kind of patch port.
const (
	TypeLocalnet  = "localnet"
	TypeL2Gateway = "l2gateway"

	LocalnetPortKey  = "ovn-localnet-port"
	L2GatewayPortKey = "ovn-l2gateway-port"
)

// Keys of patch ports that older ovn-controllers created; such ports on the
// integration bridge are removed.
var legacyPatchKeys = []string{"ovn-l3gateway-port", "ovn-logical-patch-port"}

// BridgeMapping is one "network:bridge" entry of ovn-bridge-mappings.
type BridgeMapping struct {
	Network string
	Bridge  string
}

// ParseBridgeMappings parses ovn-bridge-mappings the way ovn-controller
// does: entries separated by commas, parsing stops at the first empty entry,
// and a malformed entry (no colon, empty network or bridge) stops parsing
// with an error while the entries before it are still returned.
func ParseBridgeMappings(s string) ([]BridgeMapping, error) {
	var out []BridgeMapping
	if s == "" {
		return nil, nil
	}
	for _, entry := range strings.Split(s, ",") {
		if entry == "" {
			break
		}
		network, bridge, ok := strings.Cut(entry, ":")
		if !ok || network == "" || bridge == "" {
			return out, fmt.Errorf("invalid ovn-bridge-mappings %q: entry %q is not network:bridge", s, entry)
		}
		out = append(out, BridgeMapping{Network: network, Bridge: bridge})
	}
	return out, nil
}

// PatchBinding is the part of an SB Port_Binding of type localnet or
// l2gateway that decides its patch ports.
type PatchBinding struct {
	LogicalPort string
	// Type is TypeLocalnet or TypeL2Gateway.
	Type string
	// NetworkName is options:network_name.
	NetworkName string
	// Chassis is the name of the chassis the binding is bound to (l2gateway
	// ports get patch ports only on their own chassis).
	Chassis string
	// OnLocalDatapath says whether the binding's datapath is local to this
	// chassis; bindings on other datapaths are ignored.
	OnLocalDatapath bool
}

// PatchPort is one end of a patch port pair.
type PatchPort struct {
	// Bridge is where the port lives; Name its Port/Interface name.
	Bridge string
	Name   string
	// Peer is options:peer, the name of the other end.
	Peer string
	// IDKey is the external_ids key (LocalnetPortKey or L2GatewayPortKey)
	// whose value is LogicalPort.
	IDKey       string
	LogicalPort string
}

// ExternalIDs is the Port external_ids map.
func (p PatchPort) ExternalIDs() map[string]string {
	return map[string]string{p.IDKey: p.LogicalPort}
}

// Options is the Interface options map (the Interface type is "patch").
func (p PatchPort) Options() map[string]string { return map[string]string{"peer": p.Peer} }

// PatchPortName is ovn-controller's name for the patch port on bridge src
// that leads to dst: "patch-<src>-to-<dst>".
func PatchPortName(src, dst string) string { return "patch-" + src + "-to-" + dst }

// MissingBridge is a binding whose network has no usable bridge mapping.
type MissingBridge struct {
	LogicalPort, Type, Network string
}

// PatchConfig is this chassis' side of the patch port decision.
type PatchConfig struct {
	ChassisName string
	// IntegrationBridge is ovn-bridge (default br-int).
	IntegrationBridge string
	// BridgeMappings is the raw ovn-bridge-mappings value.
	BridgeMappings string
}

// PatchPlan is the outcome of PlanPatchPorts.
type PatchPlan struct {
	// Want is every patch port that should exist, both ends of each pair,
	// integration-bridge end first.
	Want []PatchPort
	// Add are the ends that do not exist yet.
	Add []PatchPort
	// Remove are stale patch ports (integration-bridge end and its peer).
	// ovn-controller holds removals back after it starts, until it has
	// handled 20 engine updates and run for 10 s, so that a restart with a
	// partial SB view does not cut provider traffic; callers should do the
	// same (e.g. until the first full SB sync and a few seconds).
	Remove []PortRef
	// MissingBridges are bindings whose network maps to no existing bridge;
	// l2gateway ones are errors, localnet ones are normal on chassis that
	// do not carry that network.
	MissingBridges []MissingBridge
	// Warnings are configuration problems worth logging (bad mappings, a
	// mapping to a bridge that does not exist, a binding with no network).
	Warnings []string
}

// PlanPatchPorts computes the patch port pairs between the integration
// bridge and the provider bridges. bridges must contain every OVS bridge
// (a mapping to a missing bridge is reported, not fatal).
func PlanPatchPorts(cfg PatchConfig, bindings []PatchBinding, bridges []Bridge) PatchPlan {
	var plan PatchPlan
	brIntName := cfg.IntegrationBridge
	if brIntName == "" {
		brIntName = "br-int"
	}
	byName := make(map[string]*Bridge, len(bridges))
	for i := range bridges {
		byName[bridges[i].Name] = &bridges[i]
	}
	brInt := byName[brIntName]
	if brInt == nil {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("integration bridge %q does not exist", brIntName))
		return plan
	}

	mappings, err := ParseBridgeMappings(cfg.BridgeMappings)
	if err != nil {
		plan.Warnings = append(plan.Warnings, err.Error())
	}
	networkBridge := make(map[string]string)
	for _, m := range mappings {
		if byName[m.Bridge] == nil {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("bridge %q not found for network %q", m.Bridge, m.Network))
			continue
		}
		if _, dup := networkBridge[m.Network]; !dup {
			networkBridge[m.Network] = m.Bridge
		}
	}

	// Patch ports of ours on the integration bridge; those still wanted are
	// struck off, the rest are removed at the end.
	stale := make(map[string]Port)
	for _, p := range brInt.Ports {
		if isOurPatchPort(p) {
			stale[p.Name] = p
		}
	}

	// l2gateway before localnet, as ovn-controller does.
	ordered := make([]PatchBinding, 0, len(bindings))
	for _, typ := range []string{TypeL2Gateway, TypeLocalnet} {
		for _, b := range bindings {
			if b.Type == typ {
				ordered = append(ordered, b)
			}
		}
	}
	seen := make(map[string]bool)
	for _, b := range ordered {
		if !b.OnLocalDatapath {
			continue
		}
		if b.Type == TypeL2Gateway && b.Chassis != cfg.ChassisName {
			continue
		}
		if b.NetworkName == "" {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("%s port %q has no network name", b.Type, b.LogicalPort))
			continue
		}
		provider, ok := networkBridge[b.NetworkName]
		if !ok {
			plan.MissingBridges = append(plan.MissingBridges, MissingBridge{b.LogicalPort, b.Type, b.NetworkName})
			continue
		}
		key := LocalnetPortKey
		if b.Type == TypeL2Gateway {
			key = L2GatewayPortKey
		}
		intName := PatchPortName(brIntName, b.LogicalPort)
		provName := PatchPortName(b.LogicalPort, brIntName)
		for _, end := range []PatchPort{
			{Bridge: brIntName, Name: intName, Peer: provName, IDKey: key, LogicalPort: b.LogicalPort},
			{Bridge: provider, Name: provName, Peer: intName, IDKey: key, LogicalPort: b.LogicalPort},
		} {
			if seen[end.Bridge+"\x00"+end.Name] {
				continue
			}
			seen[end.Bridge+"\x00"+end.Name] = true
			plan.Want = append(plan.Want, end)
			// Any patch port on that bridge peering with the wanted peer
			// counts as present, whatever its name.
			if p, found := findPatchByPeer(*byName[end.Bridge], end.Peer); found {
				delete(stale, p.Name)
				continue
			}
			plan.Add = append(plan.Add, end)
		}
	}

	names := make([]string, 0, len(stale))
	for n := range stale {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := stale[n]
		// Peer first, found by name on whichever bridge holds it.
		for _, iface := range p.Interfaces {
			if iface.Type != "patch" {
				continue
			}
			if peer := iface.Options["peer"]; peer != "" {
				if br := bridgeOfPort(bridges, peer); br != "" {
					plan.Remove = append(plan.Remove, PortRef{Bridge: br, Port: peer})
				}
			}
		}
		plan.Remove = append(plan.Remove, PortRef{Bridge: brIntName, Port: n})
	}
	return plan
}

func isOurPatchPort(p Port) bool {
	for _, k := range append([]string{LocalnetPortKey, L2GatewayPortKey}, legacyPatchKeys...) {
		if _, ok := p.ExternalIDs[k]; ok {
			return true
		}
	}
	return false
}

func findPatchByPeer(br Bridge, peer string) (Port, bool) {
	for _, p := range br.Ports {
		for _, iface := range p.Interfaces {
			if iface.Type == "patch" && iface.Options["peer"] == peer {
				return p, true
			}
		}
	}
	return Port{}, false
}

func bridgeOfPort(bridges []Bridge, port string) string {
	for _, br := range bridges {
		for _, p := range br.Ports {
			if p.Name == port {
				return br.Name
			}
		}
	}
	return ""
}
