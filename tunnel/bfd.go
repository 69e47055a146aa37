package tunnel

import "sort"

// HAChassis is one member of an SB HA_Chassis_Group.
type HAChassis struct {
	// Chassis is the member's chassis name, "" when its reference does not
	// resolve (the chassis is gone).
	Chassis  string
	Priority int
}

// RefChassis is one of an HA group's ref_chassis: a chassis with ports
// that use the group.
type RefChassis struct {
	Name string
	// IsRemote is the chassis' other_config:is-remote (OVN-IC).
	IsRemote bool
}

// HAChassisGroup is the part of an SB HA_Chassis_Group that decides BFD and
// which member is active.
type HAChassisGroup struct {
	Name       string
	Members    []HAChassis
	RefChassis []RefChassis
}

// BFDTargets returns the chassis this chassis must run BFD with: for every
// HA group of at least two members, the other members plus the group's
// (non-IC) ref chassis if this chassis is a member, or the members if this
// chassis is only a ref chassis.
func BFDTargets(own string, groups []HAChassisGroup) map[string]bool {
	targets := map[string]bool{}
	for _, g := range groups {
		if len(g.Members) < 2 {
			continue
		}
		var set []string
		member := false
		for _, m := range g.Members {
			if m.Chassis == "" {
				continue
			}
			set = append(set, m.Chassis)
			if m.Chassis == own {
				member = true
			}
		}
		needed := member
		for _, r := range g.RefChassis {
			if member && !r.IsRemote {
				set = append(set, r.Name)
			}
			if !member && r.Name == own {
				needed = true
			}
		}
		if needed {
			for _, c := range set {
				targets[c] = true
			}
		}
	}
	return targets
}

// BFDSettings is the Interface bfd column ovn-controller writes on tunnels
// that need BFD: enable=true, check_tnl_key=true, plus SB_Global options
// bfd-min-rx, bfd-decay-min-rx, bfd-min-tx and bfd-mult when set.
// check_tnl_key makes OVS ignore BFD control packets that carry a zero
// tunnel key, i.e. ones forged by a logical port (CVE-2024-2182); the fix is
// in Debian's 23.03.1-1~deb12u2 and upstream from 24.09.
func BFDSettings(sbGlobalOptions map[string]string) map[string]string {
	bfd := map[string]string{"enable": "true", "check_tnl_key": "true"}
	for opt, key := range map[string]string{
		"bfd-min-rx": "min_rx", "bfd-decay-min-rx": "decay_min_rx", "bfd-min-tx": "min_tx", "bfd-mult": "mult",
	} {
		if v, ok := sbGlobalOptions[opt]; ok {
			bfd[key] = v
		}
	}
	return bfd
}

// BFDChange sets an Interface's bfd column; a nil BFD clears it.
type BFDChange struct {
	Interface string
	BFD       map[string]string
}

// PlanBFD lists the bfd column changes on the tunnel interfaces of brInt:
// tunnels to BFD targets get BFDSettings, other tunnels get BFD cleared if
// they have any. Interfaces already as wanted are left out.
func PlanBFD(own string, groups []HAChassisGroup, sbGlobalOptions map[string]string, brInt Bridge) []BFDChange {
	targets := BFDTargets(own, groups)
	want := BFDSettings(sbGlobalOptions)
	var changes []BFDChange
	for _, p := range brInt.Ports {
		id, ok := p.ExternalIDs[ChassisIDKey]
		if !ok {
			continue
		}
		chassis, _, parsed := ParseTunnelID(id)
		enable := parsed && targets[chassis]
		for _, iface := range p.Interfaces {
			if iface.Name != p.Name {
				continue
			}
			switch {
			case enable && !mapsEqual(iface.BFD, want):
				changes = append(changes, BFDChange{Interface: iface.Name, BFD: copyMap(want)})
			case !enable && len(iface.BFD) > 0:
				changes = append(changes, BFDChange{Interface: iface.Name})
			}
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Interface < changes[j].Interface })
	return changes
}

// ActiveTunnels returns the chassis reached by a tunnel of brInt whose BFD
// is enabled and up.
func ActiveTunnels(brInt Bridge) map[string]bool {
	active := map[string]bool{}
	for _, p := range brInt.Ports {
		if p.Name == brInt.Name {
			continue
		}
		for _, iface := range p.Interfaces {
			if _, tunnel := iface.Options["remote_ip"]; !tunnel {
				continue
			}
			if iface.BFD["enable"] != "true" || iface.BFDStatus["state"] != "up" {
				continue
			}
			if chassis, _, ok := ParseTunnelID(p.ExternalIDs[ChassisIDKey]); ok {
				active[chassis] = true
			}
		}
	}
	return active
}

// HAGroupIsActive reports whether own is the active member of group, given
// the chassis with live BFD sessions (ActiveTunnels): the only member; or
// the only member whose chassis still exists; otherwise, unless this chassis
// is cut off (no active tunnels), the highest-priority member among itself
// and the members it has a live session with, where being alone in that
// list also needs a live session with a ref chassis.
func HAGroupIsActive(group HAChassisGroup, active map[string]bool, own string) bool {
	if len(group.Members) == 0 {
		return false
	}
	if len(group.Members) == 1 {
		return group.Members[0].Chassis == own
	}
	resolved, ownPresent := 0, false
	for _, m := range group.Members {
		if m.Chassis != "" {
			resolved++
			ownPresent = ownPresent || m.Chassis == own
		}
	}
	if ownPresent && resolved == 1 {
		return true
	}
	if len(active) == 0 {
		return false
	}
	ordered := OrderedHAChassis(group, active, own)
	if len(ordered) == 1 {
		refAlive := false
		for _, r := range group.RefChassis {
			refAlive = refAlive || active[r.Name]
		}
		if !refAlive {
			return false
		}
	}
	return len(ordered) > 0 && ordered[0].Chassis == own
}

// OrderedHAChassis returns the group's members by decreasing priority (ties:
// decreasing name), leaving out unresolved members and, when active is not
// nil, members other than own without a live BFD session.
func OrderedHAChassis(group HAChassisGroup, active map[string]bool, own string) []HAChassis {
	var out []HAChassis
	for _, m := range group.Members {
		if m.Chassis == "" {
			continue
		}
		if active != nil && m.Chassis != own && !active[m.Chassis] {
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority > out[j].Priority
		}
		return out[i].Chassis > out[j].Chassis
	})
	return out
}
