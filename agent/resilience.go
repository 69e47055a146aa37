package agent

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ovn-org/libovsdb/client"

	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/physical"
	"github.com/chassisd/chassisd/agent/runtime"
)

// repopulationHold bounds how long the installed flows are kept for a
// Southbound that was replaced by an empty one, waiting for ovn-northd to
// fill it again.
const repopulationHold = 60 * time.Second

// sbReset tracks the identity of the Southbound's content, to tell a
// reconnection to the same database (an outage) from one to a database
// restarted empty (a wipe, a restore from nothing).
type sbReset struct {
	global  string    // SB_Global _uuid of the last pass past the guard
	bound   []string  // logical ports bound here in that pass
	holding []string  // ports waited for since a reset
	until   time.Time // end of the hold
}

// holdForRepopulation reports whether this pass must stop before bindings
// and flows because the Southbound is not (re)populated: it has no
// SB_Global row yet, or its SB_Global is a new row (the database was
// replaced) and the Port_Bindings of the ports bound here before are not
// back. Computing from such a database would remove the flows of ports
// whose logical state has not changed until ovn-northd catches up
// (seconds), cutting their traffic; the installed flows stay instead, for
// at most repopulationHold. The chassis registers meanwhile.
func (a *Agent) holdForRepopulation(ctx context.Context, cl client.Client) (bool, error) {
	var globals []sbdb.SBGlobal
	if err := cl.List(ctx, &globals); err != nil {
		return false, fmt.Errorf("read SB_Global: %w", err)
	}
	r := &a.sbReset
	now := time.Now()
	if len(globals) == 0 {
		a.noteHold(true, "Southbound database has no SB_Global row (not populated by ovn-northd yet): keeping the installed flows and bindings")
		if r.until.IsZero() {
			r.holding, r.until = r.bound, now.Add(repopulationHold)
			time.AfterFunc(repopulationHold, a.poke)
		}
		return now.Before(r.until), nil
	}
	g := globals[0].UUID
	if r.global != "" && g != r.global && r.until.IsZero() && len(r.bound) > 0 {
		// A new SB_Global: the database was replaced.
		r.holding, r.until = r.bound, now.Add(repopulationHold)
		time.AfterFunc(repopulationHold, a.poke)
	}
	if !r.until.IsZero() {
		missing := 0
		if len(r.holding) > 0 {
			var pbs []sbdb.PortBinding
			err := cl.WhereCache(func(pb *sbdb.PortBinding) bool { return slices.Contains(r.holding, pb.LogicalPort) }).List(ctx, &pbs)
			if err != nil {
				return false, fmt.Errorf("read Port_Binding: %w", err)
			}
			missing = len(r.holding) - len(pbs)
		}
		if missing > 0 && now.Before(r.until) {
			a.noteHold(true, fmt.Sprintf("Southbound database was replaced: keeping the installed flows until ovn-northd restores the %d port bindings of this chassis", len(r.holding)))
			return true, nil
		}
		r.holding, r.until = nil, time.Time{}
	}
	a.noteHold(false, "")
	r.global = g
	return false, nil
}

// noteBound records the ports bound here in a pass past the guard.
func (a *Agent) noteBound(ports []runtime.Port) {
	a.sbReset.bound = a.sbReset.bound[:0]
	for _, p := range ports {
		if p.BoundHere && p.Type == "" {
			a.sbReset.bound = append(a.sbReset.bound, p.Name)
		}
	}
}

// noteHold logs entering and leaving a hold once each.
func (a *Agent) noteHold(holding bool, why string) {
	const key = "sb-hold"
	switch {
	case holding && !a.logged[key]:
		a.log.Warn(why)
		a.logged[key] = true
	case !holding && a.logged[key]:
		a.log.Info("Southbound database populated: computing flows again")
		delete(a.logged, key)
	}
}

// claimedHere makes the physical flows of ports claimed in this pass those
// of a port bound here, as the logical ones already are (runtime's
// BoundHere): the claim is committed but the Southbound's update may not be
// in the cache yet, and installing the flows of an unbound port until it is
// cuts the port's traffic (every port is claimed again after a Southbound
// was replaced). ovn-controller likewise computes a port's flows in the pass
// that claims it.
func claimedHere(in *physical.Input, ports []runtime.Port, self string) {
	claimed := map[string]bool{}
	for _, p := range ports {
		if p.BoundHere {
			claimed[p.Name] = true
		}
	}
	for i := range in.Ports {
		pb := &in.Ports[i]
		if claimed[pb.LogicalPort] && pb.Chassis == "" {
			pb.Chassis = self
		}
	}
}
