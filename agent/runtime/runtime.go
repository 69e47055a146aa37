// Package runtime computes what is local to this chassis from the
// Southbound snapshot and the binding plan, as ovn-controller's runtime
// data does (controller/binding.c, controller/local_data.c): the local
// datapaths (those with a port bound here, plus the peers reached through
// patch ports), and the conntrack zone users and their zone numbers
// (controller/ovn-controller.c update_ct_zones()).
//
// It is pure: inputs are plain structs, outputs are values.
package runtime

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Port is the part of a Port_Binding locality needs.
type Port struct {
	Name     string
	Type     pipeline.PortType
	Datapath string // Datapath_Binding UUID
	Options  map[string]string
	// BoundHere: claimed by (or being claimed by) this chassis.
	BoundHere bool
	// InHAGroup: this chassis is a member (active or standby) of the
	// port's HA chassis group.
	InHAGroup bool
	// HasLocalInterface: an interface on br-int names this port.
	HasLocalInterface bool
}

// maxPatchDepth caps the walk through patch ports, as ovn-controller does.
const maxPatchDepth = 100

// LocalDatapaths returns the UUIDs of the datapaths local to this chassis.
func LocalDatapaths(ports []Port) map[string]bool {
	byName := make(map[string]*Port, len(ports))
	byDP := map[string][]*Port{}
	for i := range ports {
		p := &ports[i]
		byName[p.Name] = p
		byDP[p.Datapath] = append(byDP[p.Datapath], p)
	}
	local := map[string]bool{}
	var queue []string
	add := func(dp string) {
		if dp != "" && !local[dp] {
			local[dp] = true
			queue = append(queue, dp)
		}
	}
	for i := range ports {
		p := &ports[i]
		switch p.Type {
		case pipeline.PortVIF, pipeline.PortL2Gateway, pipeline.PortL3Gateway, pipeline.PortVirtual:
			if p.BoundHere {
				add(p.Datapath)
			}
		case pipeline.PortChassisRedirect, pipeline.PortExternal:
			if p.BoundHere || p.InHAGroup {
				add(p.Datapath)
			}
		}
	}
	for depth := 0; len(queue) > 0 && depth < maxPatchDepth; depth++ {
		next := queue
		queue = nil
		for _, dp := range next {
			for _, p := range byDP[dp] {
				if p.Type != pipeline.PortPatch && p.Type != pipeline.PortL3Gateway {
					continue
				}
				peer := byName[p.Options["peer"]]
				if peer == nil {
					continue
				}
				if p.Type == pipeline.PortL3Gateway && !p.BoundHere {
					continue
				}
				if needPeer(peer, byName) {
					add(peer.Datapath)
				}
			}
		}
	}
	return local
}

// needPeer reports whether a patch peer's datapath joins the local set: a
// distributed gateway port whose chassis-redirect port always redirects
// brings its datapath in only on members of the redirect port's HA group.
func needPeer(peer *Port, byName map[string]*Port) bool {
	crName := peer.Options["chassis-redirect-port"]
	if crName == "" {
		return true
	}
	cr := byName[crName]
	if cr == nil || cr.Options["always-redirect"] != "true" {
		return true
	}
	return cr.InHAGroup || cr.BoundHere
}

// Datapath is what CT zone users need of a local datapath.
type Datapath struct {
	UUID string
	// SNATZone is external_ids:snat-ct-zone, 0 when unset.
	SNATZone int
}

// ZoneUsers lists the conntrack zone users of this chassis: every local
// logical port (bound here, localports with an interface, localnet ports of
// local datapaths) and "<datapath UUID>_dnat" / "_snat" for each local
// datapath (the OVN 23.03 naming).
func ZoneUsers(ports []Port, local map[string]bool) []string {
	users := map[string]bool{}
	for _, p := range ports {
		switch {
		case p.BoundHere:
			users[p.Name] = true
		case p.Type == pipeline.PortLocalport && p.HasLocalInterface:
			users[p.Name] = true
		case p.Type == pipeline.PortLocalnet && local[p.Datapath]:
			users[p.Name] = true
		case (p.Type == pipeline.PortChassisRedirect || p.Type == pipeline.PortExternal) && p.InHAGroup:
			users[p.Name] = true
		}
	}
	for dp := range local {
		users[dp+"_dnat"] = true
		users[dp+"_snat"] = true
	}
	return slices.Sorted(maps.Keys(users))
}

// ZonePrefix is the br-int external_ids key prefix of CT zone assignments.
const ZonePrefix = "ct-zone-"

// Zone numbers ovn-controller hands out (0 is the default zone).
const (
	MinZone = 1
	MaxZone = 65535
)

// AssignZones keeps existing assignments (from br-int external_ids) for
// users that still exist, honours pinned SNAT zones, and gives each new
// user the lowest free zone. It returns the full assignment.
func AssignZones(users []string, existing map[string]int, pinned map[string]int) map[string]int {
	out := make(map[string]int, len(users))
	used := map[int]bool{}
	wanted := map[string]bool{}
	for _, u := range users {
		wanted[u] = true
	}
	// Pinned zones first; they evict an automatic holder of the same zone.
	for _, u := range slices.Sorted(maps.Keys(pinned)) {
		if z := pinned[u]; wanted[u] && z >= MinZone && z <= MaxZone && !used[z] {
			out[u] = z
			used[z] = true
		}
	}
	for _, u := range users {
		if _, done := out[u]; done {
			continue
		}
		if z, ok := existing[u]; ok && z >= MinZone && z <= MaxZone && !used[z] {
			out[u] = z
			used[z] = true
		}
	}
	next := MinZone
	for _, u := range users {
		if _, done := out[u]; done {
			continue
		}
		for next <= MaxZone && used[next] {
			next++
		}
		if next > MaxZone {
			break // out of zones; ovn-controller logs and skips too
		}
		out[u] = next
		used[next] = true
	}
	return out
}

// ParseZones reads ct-zone-<user>=<n> entries from br-int external_ids.
// Values outside 1..65535 (zone 0 is never assigned) are ignored: the user
// gets a new zone instead of an out-of-range one in ct(zone=...).
func ParseZones(ext map[string]string) map[string]int {
	out := map[string]int{}
	for k, v := range ext {
		user, ok := strings.CutPrefix(k, ZonePrefix)
		if !ok {
			continue
		}
		if z, err := strconv.Atoi(v); err == nil && z >= 1 && z <= 65535 {
			out[user] = z
		}
	}
	return out
}

// ZoneChanges returns the external_ids to set and the keys to remove to go
// from the existing assignment to the wanted one.
func ZoneChanges(existing, wanted map[string]int) (set map[string]string, remove []string) {
	set = map[string]string{}
	for u, z := range wanted {
		if existing[u] != z {
			set[ZonePrefix+u] = strconv.Itoa(z)
		}
	}
	for u := range existing {
		if _, ok := wanted[u]; !ok {
			remove = append(remove, ZonePrefix+u)
		}
	}
	sort.Strings(remove)
	return set, remove
}
