package agent

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chassisd/chassisd/agent/chassis"
	"github.com/chassisd/chassisd/agent/db/sbdb"
)

// Backoff between rewrites of this chassis' rows once another writer has
// been seen overwriting them.
const (
	rewriteBackoffMin = 2 * time.Second
	rewriteBackoffMax = 5 * time.Minute
)

// chassisGuard notices when this chassis' Chassis and Encap rows are
// rewritten by someone else — typically a second host configured with the
// same system-id — and stops the rewrite war two agents would wage: each
// time the rows are found changed to something this agent did not write,
// it logs an error naming what the other writer put there and waits,
// doubling the wait up to rewriteBackoffMax, before writing them back.
type chassisGuard struct {
	written   string // identity of the rows this agent wrote last
	conflicts int
	until     time.Time
}

// chassisIdentity is what two hosts sharing a system-id disagree on: the
// hostname and the encapsulations (type and IP), for a chassis name.
func chassisIdentity(name, hostname string, encaps []chassis.Encap) string {
	parts := make([]string, 0, len(encaps))
	for _, e := range encaps {
		parts = append(parts, e.Type+"@"+e.IP)
	}
	slices.Sort(parts)
	return "name=" + name + " hostname=" + hostname + " encaps=" + strings.Join(parts, ",")
}

// chassisContended reports whether ensureChassis must leave the rows as
// they are for now. Called when ch (with encaps current) may need an
// update to spec.
func (a *Agent) chassisContended(spec chassis.Spec, ch *sbdb.Chassis, current []chassis.Encap) bool {
	g := &a.chassisGuard
	want := chassisIdentity(spec.Name, spec.Hostname, spec.Encaps)
	have := chassisIdentity(ch.Name, ch.Hostname, current)
	now := time.Now()
	if have == want {
		g.written = want // what is there is ours
		return false
	}
	if now.Before(g.until) {
		return true
	}
	if g.written == want && have != want {
		// We wrote want; someone else has written have since.
		g.conflicts++
		wait := min(rewriteBackoffMin<<min(g.conflicts-1, 16), rewriteBackoffMax)
		g.until = now.Add(wait)
		time.AfterFunc(wait, a.poke)
		a.log.Error(fmt.Sprintf("chassis %s: its Chassis/Encap rows were rewritten by another writer "+
			"(%s, this host has %s): is another host configured with the same system-id? "+
			"Not writing them back for %v", spec.Name, have, want, wait),
			"chassis", spec.Name, "conflicts", g.conflicts)
		return true
	}
	g.written = want
	return false
}

// noteChassisCreated records the rows this agent just inserted.
func (a *Agent) noteChassisCreated(spec chassis.Spec) {
	a.chassisGuard.written = chassisIdentity(spec.Name, spec.Hostname, spec.Encaps)
}
