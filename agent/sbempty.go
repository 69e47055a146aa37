package agent

import (
	"context"
	"fmt"

	"github.com/ovn-org/libovsdb/client"

	"github.com/chassisd/chassisd/agent/db/sbdb"
)

// southboundUnpopulated reports whether the Southbound database has no
// SB_Global row, i.e. ovn-northd has not (re)filled it: a Southbound
// restarted empty. Flows computed from it would remove every logical flow
// from br-int while northd is still on its way, cutting traffic of ports
// whose logical state does not change; the installed flows are kept until
// the database is populated again (the chassis registers meanwhile). It
// logs the transitions once.
func (a *Agent) southboundUnpopulated(ctx context.Context, cl client.Client) (bool, error) {
	var globals []sbdb.SBGlobal
	if err := cl.List(ctx, &globals); err != nil {
		return false, fmt.Errorf("read SB_Global: %w", err)
	}
	const key = "sb-unpopulated"
	empty := len(globals) == 0
	switch {
	case empty && !a.logged[key]:
		a.log.Warn("Southbound database has no SB_Global row (not populated by ovn-northd yet): keeping the installed flows and bindings until it is")
		a.logged[key] = true
	case !empty && a.logged[key]:
		a.log.Info("Southbound database populated again")
		delete(a.logged, key)
	}
	return empty, nil
}
