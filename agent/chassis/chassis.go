// Package chassis computes the Southbound Chassis, Encap and
// Chassis_Private contents chassisd registers, with the columns and
// other_config keys ovn-controller 23.03 writes (controller/chassis.c).
//
// It is pure: the agent compares Desired with what the database holds and
// writes the difference.
package chassis

import (
	"maps"
	"slices"
	"strings"

	"github.com/chassisd/chassisd/agent/config"
)

// Features lists the feature flags chassisd advertises in
// Chassis.other_config. ovn-northd changes the logical flows it generates
// for every chassis based on these, so only features chassisd implements
// belong here. ovn-controller 23.03 advertises port-up-notif,
// ct-no-masked-label, mac-binding-timestamp and ovn-ct-lb-related.
var Features = []string{
	"port-up-notif",      // Port_Binding.up is set once the port's flows are installed
	"ct-no-masked-label", // ct_mark.blocked / ct_mark.natted are compiled (OVN 24.03 symbol table)
	"ovn-ct-lb-related",  // ct_lb_mark and its related-traffic flows are encoded
	// MAC_Binding rows learned by put_arp/put_nd carry the write time
	// (agent/pinctrl). Refreshing the timestamp of bindings in use (for
	// mac_binding_age_threshold aging) is not done yet.
	"mac-binding-timestamp",
}

// preservedKeys are other_config keys written by others (ovn-controller
// keeps them too).
var preservedKeys = []string{"is-vtep", "is-remote"}

// Encap is one tunnel endpoint of this chassis.
type Encap struct {
	Type    string
	IP      string
	Options map[string]string
}

// Spec is the desired content of this chassis' rows.
type Spec struct {
	Name           string
	Hostname       string
	OtherConfig    map[string]string
	TransportZones []string
	Encaps         []Encap
}

// Desired computes the Spec from the configuration and the interface types
// the local switch supports (Open_vSwitch.iface_types).
func Desired(cfg config.Config, ifaceTypes []string) Spec {
	types := slices.Clone(ifaceTypes)
	slices.Sort(types)
	dpType := cfg.DatapathType
	oc := map[string]string{
		"datapath-type":                   dpType,
		"iface-types":                     strings.Join(types, ","),
		"ovn-bridge-mappings":             cfg.RawBridgeMappings,
		"ovn-chassis-mac-mappings":        cfg.ChassisMacMappings,
		"ovn-cms-options":                 cfg.CMSOptions,
		"ovn-monitor-all":                 boolString(cfg.MonitorAll),
		"is-interconn":                    boolString(cfg.IsInterconn),
		"ovn-enable-lflow-cache":          cfg.EnableLflowCache,
		"ovn-limit-lflow-cache":           cfg.LimitLflowCache,
		"ovn-memlimit-lflow-cache-kb":     cfg.MemlimitLflowCacheKB,
		"ovn-trim-limit-lflow-cache":      cfg.TrimLimitLflowCache,
		"ovn-trim-wmark-perc-lflow-cache": cfg.TrimWmarkPercLflowCache,
		"ovn-trim-timeout-ms":             cfg.TrimTimeoutMs,
	}
	for _, f := range Features {
		oc[f] = "true"
	}
	var encaps []Encap
	for _, t := range cfg.EncapTypes {
		for _, ip := range cfg.EncapIPs {
			encaps = append(encaps, Encap{Type: t, IP: ip, Options: map[string]string{"csum": cfg.EncapCsum}})
		}
	}
	return Spec{
		Name:           cfg.ChassisName,
		Hostname:       cfg.Hostname,
		OtherConfig:    oc,
		TransportZones: slices.Clone(cfg.TransportZones),
		Encaps:         encaps,
	}
}

// MergeOtherConfig returns the other_config to write over current: the
// desired keys plus the preserved keys of current. Other keys are dropped,
// as ovn-controller does.
func (s Spec) MergeOtherConfig(current map[string]string) map[string]string {
	out := maps.Clone(s.OtherConfig)
	for _, k := range preservedKeys {
		if v, ok := current[k]; ok {
			out[k] = v
		}
	}
	return out
}

// EncapsEqual reports whether the current encaps equal the desired ones,
// in any order.
func (s Spec) EncapsEqual(current []Encap) bool {
	if len(current) != len(s.Encaps) {
		return false
	}
	for _, want := range s.Encaps {
		if !slices.ContainsFunc(current, func(e Encap) bool {
			return e.Type == want.Type && e.IP == want.IP && maps.Equal(e.Options, want.Options)
		}) {
			return false
		}
	}
	return true
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
