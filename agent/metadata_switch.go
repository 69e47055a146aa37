package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
)

// errNoIntegrationBridge is returned while the integration bridge is
// missing; the manager retries.
var errNoIntegrationBridge = errors.New("integration bridge not found")

// metadataSwitch plugs the metadata veths into the integration bridge
// through the local OVS database, as Neutron's agent does with
// `ovs-vsctl --may-exist add-port br-int tap…0 -- set Interface tap…0
// external_ids:iface-id=<port>`.
type metadataSwitch struct {
	a   *Agent
	run *metadataRun
}

// ovsView is the part of the OVS database the switch works on.
type ovsView struct {
	bridges []vswitchd.Bridge
	ports   map[string]*vswitchd.Port      // by UUID
	ifaces  map[string]*vswitchd.Interface // by UUID
}

func (s *metadataSwitch) view(ctx context.Context) (*ovsView, error) {
	cl, _ := s.a.ovs.Client()
	if cl == nil {
		return nil, db.ErrNotConnected
	}
	v := &ovsView{ports: map[string]*vswitchd.Port{}, ifaces: map[string]*vswitchd.Interface{}}
	if err := cl.List(ctx, &v.bridges); err != nil {
		return nil, fmt.Errorf("read Bridge table: %w", err)
	}
	var ports []vswitchd.Port
	if err := cl.List(ctx, &ports); err != nil {
		return nil, fmt.Errorf("read Port table: %w", err)
	}
	for i := range ports {
		v.ports[ports[i].UUID] = &ports[i]
	}
	var ifaces []vswitchd.Interface
	if err := cl.List(ctx, &ifaces); err != nil {
		return nil, fmt.Errorf("read Interface table: %w", err)
	}
	for i := range ifaces {
		v.ifaces[ifaces[i].UUID] = &ifaces[i]
	}
	return v, nil
}

// bridgesWith returns the bridges that have a port named port, and that
// port of each.
func (v *ovsView) bridgesWith(port string) map[*vswitchd.Bridge]*vswitchd.Port {
	out := map[*vswitchd.Bridge]*vswitchd.Port{}
	for i := range v.bridges {
		br := &v.bridges[i]
		for _, pu := range br.Ports {
			if p := v.ports[pu]; p != nil && p.Name == port {
				out[br] = p
			}
		}
	}
	return out
}

func (s *metadataSwitch) Plug(ctx context.Context, port, ifaceID string) error {
	bridgeName := ""
	if b := s.run.bridge.Load(); b != nil {
		bridgeName = *b
	}
	v, err := s.view(ctx)
	if err != nil {
		return err
	}
	var brInt *vswitchd.Bridge
	for i := range v.bridges {
		if v.bridges[i].Name == bridgeName {
			brInt = &v.bridges[i]
		}
	}
	if brInt == nil {
		return fmt.Errorf("%s: %w", bridgeName, errNoIntegrationBridge)
	}
	cl, _ := s.a.ovs.Client()
	if cl == nil {
		return db.ErrNotConnected
	}
	var ops []ovsdb.Operation
	var existing *vswitchd.Port
	for br, p := range v.bridgesWith(port) {
		if br.UUID == brInt.UUID {
			existing = p
			continue
		}
		// Left in another bridge (a migration from ML2/OVS): take it out.
		row := &vswitchd.Bridge{UUID: br.UUID}
		op, err := cl.Where(row).Mutate(row, model.Mutation{Field: &row.Ports, Mutator: ovsdb.MutateOperationDelete, Value: []string{p.UUID}})
		if err != nil {
			return fmt.Errorf("build removal of %s from %s: %w", port, br.Name, err)
		}
		ops = append(ops, op...)
		s.a.log.Info("metadata: removing port from a foreign bridge", "port", port, "bridge", br.Name)
	}
	if existing == nil {
		iface := &vswitchd.Interface{UUID: "mdiface", Name: port, ExternalIDs: map[string]string{"iface-id": ifaceID}}
		p := &vswitchd.Port{UUID: "mdport", Name: port, Interfaces: []string{iface.UUID}}
		create, err := cl.Create(iface, p)
		if err != nil {
			return fmt.Errorf("build insert of port %s: %w", port, err)
		}
		br := &vswitchd.Bridge{UUID: brInt.UUID}
		attach, err := cl.Where(br).Mutate(br, model.Mutation{Field: &br.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{p.UUID}})
		if err != nil {
			return fmt.Errorf("build attach of port %s: %w", port, err)
		}
		ops = append(append(ops, create...), attach...)
	} else {
		for _, iu := range existing.Interfaces {
			ifc := v.ifaces[iu]
			if ifc == nil || ifc.Name != port || ifc.ExternalIDs["iface-id"] == ifaceID {
				continue
			}
			// Merged into external_ids, as `ovs-vsctl set` does.
			row := &vswitchd.Interface{UUID: ifc.UUID}
			op, err := cl.Where(row).Mutate(row,
				model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationDelete, Value: []string{"iface-id"}},
				model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationInsert, Value: map[string]string{"iface-id": ifaceID}})
			if err != nil {
				return fmt.Errorf("build iface-id update of %s: %w", port, err)
			}
			ops = append(ops, op...)
		}
	}
	if _, err := db.Transact(ctx, cl, ops...); err != nil {
		return fmt.Errorf("plug %s: %w", port, err)
	}
	return nil
}

func (s *metadataSwitch) Unplug(ctx context.Context, port string) error {
	v, err := s.view(ctx)
	if err != nil {
		return err
	}
	cl, _ := s.a.ovs.Client()
	if cl == nil {
		return db.ErrNotConnected
	}
	var ops []ovsdb.Operation
	for br, p := range v.bridgesWith(port) {
		row := &vswitchd.Bridge{UUID: br.UUID}
		op, err := cl.Where(row).Mutate(row, model.Mutation{Field: &row.Ports, Mutator: ovsdb.MutateOperationDelete, Value: []string{p.UUID}})
		if err != nil {
			return fmt.Errorf("build removal of %s from %s: %w", port, br.Name, err)
		}
		ops = append(ops, op...)
	}
	if _, err := db.Transact(ctx, cl, ops...); err != nil {
		return fmt.Errorf("unplug %s: %w", port, err)
	}
	return nil
}
