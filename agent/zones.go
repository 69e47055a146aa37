package agent

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/binding"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
	"github.com/chassisd/chassisd/agent/runtime"
	"github.com/chassisd/chassisd/openflow/pipeline"
	"github.com/chassisd/chassisd/tunnel"
)

// syncZones assigns conntrack zones to the local ports and datapaths and
// records them in br-int's external_ids (ct-zone-<user>), where
// ovn-controller keeps them too, so either agent can take over the other's
// zones.
func (a *Agent) syncZones(ctx context.Context, sbCl, ovsCl client.Client, br *vswitchd.Bridge, ports []runtime.Port, local map[string]bool) error {
	users := runtime.ZoneUsers(ports, local)
	var dps []sbdb.DatapathBinding
	if err := sbCl.WhereCache(func(d *sbdb.DatapathBinding) bool { return local[d.UUID] }).List(ctx, &dps); err != nil {
		return fmt.Errorf("read Datapath_Binding: %w", err)
	}
	pinned := map[string]int{}
	for _, d := range dps {
		if v, ok := d.ExternalIDs["snat-ct-zone"]; ok {
			if z, err := strconv.Atoi(v); err == nil {
				pinned[d.UUID+"_snat"] = z
			}
		}
	}
	existing := runtime.ParseZones(br.ExternalIDs)
	wanted := runtime.AssignZones(users, existing, pinned)
	set, remove := runtime.ZoneChanges(existing, wanted)
	if len(set) == 0 && len(remove) == 0 {
		a.zones = wanted
		return nil
	}
	row := &vswitchd.Bridge{UUID: br.UUID}
	var ops []ovsdb.Operation
	if len(remove) > 0 {
		op, err := deleteMapKeys(ovsCl, row, func(m *vswitchd.Bridge) any { return &m.ExternalIDs }, remove...)
		if err != nil {
			return err
		}
		ops = append(ops, op...)
	}
	if len(set) > 0 {
		op, err := mutateMap(ovsCl, row, func(m *vswitchd.Bridge) any { return &m.ExternalIDs }, set)
		if err != nil {
			return err
		}
		ops = append(ops, op...)
	}
	if _, err := db.Transact(ctx, ovsCl, ops...); err != nil {
		return fmt.Errorf("record zones on %s: %w", br.Name, err)
	}
	a.log.Debug("conntrack zones updated", "assigned", len(set), "freed", len(remove))
	a.zones = wanted
	return nil
}

// patchBindings lists the localnet and l2gateway ports for the patch port
// planner.
func patchBindings(bs *bindingState, local map[string]bool) []tunnel.PatchBinding {
	var out []tunnel.PatchBinding
	for _, p := range bs.ports {
		if p.Type != pipeline.PortLocalnet && p.Type != pipeline.PortL2Gateway {
			continue
		}
		pb := tunnel.PatchBinding{
			LogicalPort: p.LogicalPort, Type: string(p.Type), NetworkName: p.Options["network_name"],
			OnLocalDatapath: local[p.Datapath],
		}
		if p.Type == pipeline.PortL2Gateway && boundHere(bs, p) {
			pb.Chassis = bs.self.Name
		}
		out = append(out, pb)
	}
	return out
}

func boundHere(bs *bindingState, p *binding.Port) bool {
	for _, b := range bs.plan.Bound {
		if b.UUID == p.UUID {
			return true
		}
	}
	return false
}
