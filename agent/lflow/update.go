package lflow

import (
	"maps"
	"reflect"
	"slices"
)

// Update brings the translation to in by comparing it with the current
// state and applying only the differences through the incremental methods
// (Put*/Delete*/Set*), so it recomputes only what depends on what changed.
// It is for callers that hold whole snapshots; the result equals Full(in).
// A change of the collector sets falls back to Full.
func (t *Translator) Update(in *Input) {
	if !maps.Equal(t.collectors, nonNil(in.CollectorSetIDs)) {
		t.Full(in)
		return
	}

	// Datapaths and datapath groups first: they decide what is local.
	newDPs := map[string]Datapath{}
	for _, d := range in.Datapaths {
		newDPs[d.UUID] = d
	}
	for _, u := range sortedKeys(newDPs) {
		d := newDPs[u]
		if old := t.datapaths[u]; old == nil || !sameDatapath(*old, d) {
			t.PutDatapath(d)
		}
	}
	for _, u := range sortedKeys(t.datapaths) {
		if _, ok := newDPs[u]; !ok {
			t.DeleteDatapath(u)
		}
	}
	for _, u := range sortedKeys(in.DPGroups) {
		if old, ok := t.dpGroups[u]; !ok || !slices.Equal(old, in.DPGroups[u]) {
			t.PutDPGroup(u, in.DPGroups[u])
		}
	}
	for _, u := range sortedKeys(t.dpGroups) {
		if _, ok := in.DPGroups[u]; !ok {
			t.DeleteDPGroup(u)
		}
	}

	newPorts := map[string]PortBinding{}
	for _, p := range in.Ports {
		newPorts[p.Name] = p
	}
	for _, n := range sortedKeys(newPorts) {
		if old := t.ports[n]; old == nil || !reflect.DeepEqual(*old, newPorts[n]) {
			t.PutPort(newPorts[n])
		}
	}
	for _, n := range sortedKeys(t.ports) {
		if _, ok := newPorts[n]; !ok {
			t.DeletePort(n)
		}
	}

	newMC := map[string]MulticastGroup{}
	for _, g := range in.MulticastGroups {
		newMC[g.Datapath+" "+g.Name] = g
	}
	for _, k := range sortedKeys(newMC) {
		if old := t.mcGroups[k]; old == nil || *old != newMC[k] {
			t.PutMulticastGroup(newMC[k])
		}
	}
	for _, k := range sortedKeys(t.mcGroups) {
		if _, ok := newMC[k]; !ok {
			g := t.mcGroups[k]
			t.DeleteMulticastGroup(g.Datapath, g.Name)
		}
	}

	for _, n := range sortedKeys(in.AddressSets) {
		if old, ok := t.addrSetsRaw[n]; !ok || !slices.Equal(old, in.AddressSets[n]) {
			t.PutAddressSet(n, in.AddressSets[n])
		}
	}
	for _, n := range sortedKeys(t.addrSetsRaw) {
		if _, ok := in.AddressSets[n]; !ok {
			t.DeleteAddressSet(n)
		}
	}
	for _, n := range sortedKeys(in.PortGroups) {
		if old, ok := t.pgRaw[n]; !ok || !slices.Equal(old, in.PortGroups[n]) {
			t.PutPortGroup(n, in.PortGroups[n])
		}
	}
	for _, n := range sortedKeys(t.pgRaw) {
		if _, ok := in.PortGroups[n]; !ok {
			t.DeletePortGroup(n)
		}
	}
	if !maps.Equal(t.tmplVars, nonNil(in.TemplateVars)) {
		t.SetTemplateVars(nonNil(in.TemplateVars))
	}
	if !maps.Equal(t.tunnels, nonNil(in.ChassisTunnels)) {
		t.SetChassisTunnels(nonNil(in.ChassisTunnels))
	}
	for _, n := range sortedKeys(in.Meters) {
		if old, ok := t.meterRows[n]; !ok || !reflect.DeepEqual(old, in.Meters[n]) {
			t.PutMeterRow(in.Meters[n])
		}
	}
	for _, n := range sortedKeys(t.meterRows) {
		if _, ok := in.Meters[n]; !ok {
			t.DeleteMeterRow(n)
		}
	}

	newFlows := map[string]LogicalFlow{}
	for _, f := range in.Flows {
		newFlows[f.UUID] = f
	}
	for _, u := range sortedKeys(t.flows) {
		if _, ok := newFlows[u]; !ok {
			t.DeleteFlow(u)
		}
	}
	for _, u := range sortedKeys(newFlows) {
		if old := t.flows[u]; old == nil || old.f != newFlows[u] {
			t.PutFlow(newFlows[u])
		}
	}

	newMB := map[string]MACBinding{}
	for _, b := range in.MACBindings {
		newMB[b.UUID] = b
	}
	for _, u := range sortedKeys(t.extra.macBindings) {
		if _, ok := newMB[u]; !ok {
			t.DeleteMACBinding(u)
		}
	}
	for _, u := range sortedKeys(newMB) {
		if old := t.extra.macBindings[u]; old == nil || *old != newMB[u] {
			t.PutMACBinding(newMB[u])
		}
	}
	newFDB := map[string]FDB{}
	for _, f := range in.FDBs {
		newFDB[f.UUID] = f
	}
	for _, u := range sortedKeys(t.extra.fdbs) {
		if _, ok := newFDB[u]; !ok {
			t.DeleteFDB(u)
		}
	}
	for _, u := range sortedKeys(newFDB) {
		if old := t.extra.fdbs[u]; old == nil || *old != newFDB[u] {
			t.PutFDB(newFDB[u])
		}
	}
	newLB := map[string]LoadBalancer{}
	for _, lb := range in.LoadBalancers {
		newLB[lb.UUID] = lb
	}
	for _, u := range sortedKeys(t.extra.lbs) {
		if _, ok := newLB[u]; !ok {
			t.DeleteLoadBalancer(u)
		}
	}
	for _, u := range sortedKeys(newLB) {
		if old := t.extra.lbs[u]; old == nil || !reflect.DeepEqual(*old, newLB[u]) {
			t.PutLoadBalancer(newLB[u])
		}
	}
	t.SetLBHairpinUseCTLabel(in.LBHairpinUseCTLabel)
}

func sameDatapath(a, b Datapath) bool {
	return a.UUID == b.UUID && a.TunnelKey == b.TunnelKey && a.Local == b.Local && maps.Equal(a.ExternalIDs, b.ExternalIDs)
}

func nonNil[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
