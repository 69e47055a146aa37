// Package config turns the local Open_vSwitch row's external_ids into
// chassisd's configuration, with the keys, defaults and per-chassis override
// rule of ovn-controller (a key "<key>-<chassis>" wins over "<key>").
//
// It is pure: no I/O. Problems in optional keys are returned as warnings and
// the offending value is ignored, so one bad key never stops the agent.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults shared with ovn-controller.
const (
	DefaultBridge          = "br-int"
	DefaultDatapathType    = "system"
	DefaultProbeIntervalMs = 5000
)

// EncapTypes chassisd can build tunnels for, in ovn-controller's order of
// preference.
var supportedEncapTypes = []string{"geneve", "vxlan"}

// BridgeMapping maps a physical network name to a provider bridge.
type BridgeMapping struct {
	Network string
	Bridge  string
}

// Config is everything chassisd reads from Open_vSwitch external_ids.
type Config struct {
	ChassisName string
	Hostname    string

	// Remote is the raw ovn-remote string; Remotes its endpoints.
	Remote        string
	Remotes       []string
	ProbeInterval time.Duration

	EncapTypes []string
	EncapIPs   []string
	// EncapCsum is the value written to Encap.options:csum ("true"/"false").
	EncapCsum string

	Bridge         string
	DatapathType   string // empty: keep br-int's, else DefaultDatapathType
	BridgeMappings []BridgeMapping
	// RawBridgeMappings is ovn-bridge-mappings as written, for Chassis.other_config.
	RawBridgeMappings  string
	ChassisMacMappings string
	CMSOptions         string
	TransportZones     []string
	MonitorAll         bool
	IsInterconn        bool

	// Tunnel options: ovn-encap-tos, ovn-encap-df_default, ovn-set-local-ip.
	EncapTOS       string
	EncapDFDefault string
	SetLocalIP     bool

	// Lflow cache knobs are only echoed into Chassis.other_config.
	EnableLflowCache        string
	LimitLflowCache         string
	MemlimitLflowCacheKB    string
	TrimLimitLflowCache     string
	TrimWmarkPercLflowCache string
	TrimTimeoutMs           string
}

// Parse reads cfg from the Open_vSwitch external_ids. chassisOverride, when
// not empty, is the name given with -n / the system-id-override file.
// A missing mandatory key is an error; a malformed optional one is a warning.
func Parse(ext map[string]string, chassisOverride, defaultHostname string) (Config, []error, error) {
	var warns []error
	c := Config{ChassisName: chassisOverride}
	if c.ChassisName == "" {
		c.ChassisName = ext["system-id"]
	}
	if c.ChassisName == "" {
		return c, nil, errors.New("external_ids:system-id is not set")
	}
	get := func(key string) (string, bool) {
		if v, ok := ext[key+"-"+c.ChassisName]; ok {
			return v, true
		}
		v, ok := ext[key]
		return v, ok
	}
	str := func(key, def string) string {
		if v, ok := get(key); ok {
			return v
		}
		return def
	}

	c.Hostname = str("hostname", defaultHostname)

	c.Remote = str("ovn-remote", "")
	if c.Remote == "" {
		return c, nil, errors.New("external_ids:ovn-remote is not set")
	}
	remotes, err := ParseRemotes(c.Remote)
	if err != nil {
		return c, nil, err
	}
	c.Remotes = remotes

	c.ProbeInterval = DefaultProbeInterval(c.Remotes)
	if v, ok := get("ovn-remote-probe-interval"); ok && v != "" {
		ms, err := strconv.Atoi(v)
		switch {
		case err != nil:
			warns = append(warns, fmt.Errorf("ovn-remote-probe-interval %q is not a number of milliseconds; using the default", v))
		case ms <= 0:
			c.ProbeInterval = 0
		case ms < 1000:
			c.ProbeInterval = time.Second
		default:
			c.ProbeInterval = time.Duration(ms) * time.Millisecond
		}
	}

	types, typeWarns, err := parseEncapTypes(str("ovn-encap-type", ""))
	warns = append(warns, typeWarns...)
	if err != nil {
		return c, warns, err
	}
	c.EncapTypes = types
	ips, ipWarns, err := parseEncapIPs(str("ovn-encap-ip", ""))
	warns = append(warns, ipWarns...)
	if err != nil {
		return c, warns, err
	}
	c.EncapIPs = ips
	c.EncapCsum = "true"
	if v, ok := get("ovn-encap-csum"); ok {
		switch v {
		case "true", "false":
			c.EncapCsum = v
		default:
			warns = append(warns, fmt.Errorf("ovn-encap-csum %q is neither true nor false; using true", v))
		}
	}

	c.Bridge = str("ovn-bridge", DefaultBridge)
	c.DatapathType = str("ovn-bridge-datapath-type", "")
	c.RawBridgeMappings = str("ovn-bridge-mappings", "")
	maps, mapWarns := ParseBridgeMappings(c.RawBridgeMappings)
	c.BridgeMappings = maps
	warns = append(warns, mapWarns...)
	c.ChassisMacMappings = str("ovn-chassis-mac-mappings", "")
	c.CMSOptions = str("ovn-cms-options", "")
	c.TransportZones = splitList(str("ovn-transport-zones", ""))
	c.MonitorAll = parseBool(str("ovn-monitor-all", "false"))
	c.IsInterconn = parseBool(str("ovn-is-interconn", "false"))
	c.EncapTOS = str("ovn-encap-tos", "")
	c.EncapDFDefault = str("ovn-encap-df_default", "")
	c.SetLocalIP = parseBool(str("ovn-set-local-ip", "false"))

	c.EnableLflowCache = str("ovn-enable-lflow-cache", "true")
	c.LimitLflowCache = str("ovn-limit-lflow-cache", "")
	c.MemlimitLflowCacheKB = str("ovn-memlimit-lflow-cache-kb", "")
	c.TrimLimitLflowCache = str("ovn-trim-limit-lflow-cache", "")
	c.TrimWmarkPercLflowCache = str("ovn-trim-wmark-perc-lflow-cache", "")
	c.TrimTimeoutMs = str("ovn-trim-timeout-ms", "")
	return c, warns, nil
}

// ParseRemotes splits an ovn-remote value ("tcp:1.2.3.4:6642,ssl:...")
// into endpoints and checks each one's method.
func ParseRemotes(s string) ([]string, error) {
	var out []string
	for _, r := range splitList(s) {
		method, rest, ok := strings.Cut(r, ":")
		if !ok || rest == "" {
			return nil, fmt.Errorf("ovn-remote %q: %q is not method:address", s, r)
		}
		switch method {
		case "unix", "tcp", "ssl":
		default:
			return nil, fmt.Errorf("ovn-remote %q: unsupported method %q (want unix, tcp or ssl)", s, method)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ovn-remote %q names no endpoint", s)
	}
	return out, nil
}

// DefaultProbeInterval is ovn-controller's default SB inactivity probe:
// 5 s over the network, none over a unix socket.
func DefaultProbeInterval(remotes []string) time.Duration {
	for _, r := range remotes {
		if !strings.HasPrefix(r, "unix:") {
			return DefaultProbeIntervalMs * time.Millisecond
		}
	}
	return 0
}

func parseEncapTypes(s string) ([]string, []error, error) {
	var out []string
	var warns []error
	for _, t := range splitList(s) {
		t = strings.ToLower(t)
		if !slices.Contains(supportedEncapTypes, t) {
			warns = append(warns, fmt.Errorf("ovn-encap-type: ignoring unsupported encapsulation %q (supported: %s)",
				t, strings.Join(supportedEncapTypes, ", ")))
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, warns, fmt.Errorf("external_ids:ovn-encap-type %q names no supported encapsulation", s)
	}
	return out, warns, nil
}

func parseEncapIPs(s string) ([]string, []error, error) {
	var out []string
	var warns []error
	for _, v := range splitList(s) {
		if _, err := netip.ParseAddr(v); err != nil {
			warns = append(warns, fmt.Errorf("ovn-encap-ip: ignoring %q: not an IP address", v))
			continue
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, warns, errors.New("external_ids:ovn-encap-ip is not set to a valid IP address")
	}
	return out, warns, nil
}

// ParseBridgeMappings parses "physnet1:br-ex,physnet2:br-vlan". Malformed
// entries are skipped with a warning.
func ParseBridgeMappings(s string) ([]BridgeMapping, []error) {
	var out []BridgeMapping
	var warns []error
	for _, m := range splitList(s) {
		network, bridge, ok := strings.Cut(m, ":")
		if !ok || network == "" || bridge == "" || strings.Contains(bridge, ":") {
			warns = append(warns, fmt.Errorf("ovn-bridge-mappings: ignoring %q: not network:bridge", m))
			continue
		}
		out = append(out, BridgeMapping{Network: network, Bridge: bridge})
	}
	return out, warns
}

// BridgeFor returns the provider bridge mapped to a physical network.
func (c Config) BridgeFor(network string) (string, bool) {
	for _, m := range c.BridgeMappings {
		if m.Network == network {
			return m.Bridge, true
		}
	}
	return "", false
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseBool(s string) bool {
	return s == "true"
}
