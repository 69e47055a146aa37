package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chassisd/chassisd/agent/metrics"
	"github.com/chassisd/chassisd/agent/unixctl"
)

// appctl is the agent's state for its control commands. Commands that
// read the main loop's state run as queries on the main loop, between two
// passes, so they see one consistent state and need no locks.
type appctl struct {
	queries chan func()
	paused  atomic.Bool
	// nbCfgDelay holds each new nb_cfg report back this long
	// (debug/delay-nb-cfg-report).
	nbCfgDelay atomic.Int64
	// Only touched by the main loop.
	heldNbCfg   int
	heldSince   time.Time
	statsOffset map[string]uint64
	mu          sync.Mutex
}

// errLoopBusy is answered when the main loop does not take a query in time.
var errLoopBusy = errors.New("chassisd main loop did not answer within 5s")

// query runs fn on the main loop and waits for it.
func (a *Agent) query(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(ctx, passTimeout)
	defer cancel()
	select {
	case a.ctl.queries <- func() { fn(); close(done) }:
	case <-ctx.Done():
		return errLoopBusy
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errLoopBusy
	}
}

// passPaused reports whether debug/pause stopped processing.
func (a *Agent) passPaused() bool { return a.ctl.paused.Load() }

// RegisterCommands adds ovn-controller's control commands and chassisd's
// own read-only views to s.
func (a *Agent) RegisterCommands(s *unixctl.Server) {
	cmd := func(name, usage string, minArgs, maxArgs int, h unixctl.Handler) {
		s.RegisterCommand(unixctl.Command{Name: name, Usage: usage, MinArgs: minArgs, MaxArgs: maxArgs, Handler: h})
	}
	bg := context.Background()

	cmd("connection-status", "", 0, 0, func([]string) (string, error) {
		if cl, _ := a.sb.Client(); cl != nil && cl.Connected() {
			return "connected", nil
		}
		return "not connected", nil
	})
	cmd("sb-cluster-state-reset", "", 0, 0, func([]string) (string, error) {
		// chassisd keeps no RAFT index to reset: every reconnect starts
		// from a fresh snapshot of whichever member it reaches.
		return "", nil
	})

	cmd("ct-zone-list", "", 0, 0, func([]string) (string, error) {
		var b strings.Builder
		err := a.query(bg, func() {
			for _, name := range sortedMapKeys(a.zones) {
				fmt.Fprintf(&b, "%s %d\n", name, a.zones[name])
			}
		})
		return b.String(), err
	})
	tableList := func(kind string) unixctl.Handler {
		return func([]string) (string, error) {
			var b strings.Builder
			err := a.query(bg, func() {
				if a.flows == nil || a.flows.lflows == nil {
					return
				}
				t := a.flows.lflows
				type item struct {
					name string
					id   uint32
				}
				var items []item
				if kind == "group" {
					for _, g := range t.Groups() {
						if name, ok := t.GroupDescription(g.ID); ok {
							items = append(items, item{name, g.ID})
						}
					}
				} else {
					for _, m := range t.Meters() {
						if name, ok := t.MeterName(m.ID); ok {
							items = append(items, item{name, m.ID})
						}
					}
				}
				slices.SortFunc(items, func(x, y item) int { return strings.Compare(x.name, y.name) })
				for _, it := range items {
					fmt.Fprintf(&b, "%s: %d\n", it.name, it.id)
				}
			})
			return b.String(), err
		}
	}
	cmd("group-table-list", "", 0, 0, tableList("group"))
	cmd("meter-table-list", "", 0, 0, tableList("meter"))

	recompute := func([]string) (string, error) {
		return "", a.query(bg, a.forceRecompute)
	}
	cmd("recompute", "[deprecated]", 0, 0, recompute)
	cmd("inc-engine/recompute", "", 0, 0, recompute)
	cmd("inc-engine/show-stats", "", 0, 2, a.engineStats)
	cmd("inc-engine/clear-stats", "", 0, 0, func([]string) (string, error) {
		a.ctl.mu.Lock()
		a.ctl.statsOffset = engineCounters()
		a.ctl.mu.Unlock()
		return "", nil
	})
	cmd("inc-engine/compute-log-timeout", "", 1, 1, func(args []string) (string, error) {
		if _, err := strconv.ParseUint(args[0], 10, 32); err != nil {
			return "", errors.New("unsigned integer required")
		}
		return "", nil
	})

	flush := func([]string) (string, error) {
		a.log.Info("User triggered lflow cache flush.")
		return "", a.query(bg, a.forceRecompute)
	}
	cmd("lflow-cache/flush", "", 0, 0, flush)
	cmd("flush-lflow-cache", "[deprecated]", 0, 0, flush)
	cmd("lflow-cache/show-stats", "", 0, 0, func([]string) (string, error) {
		// chassisd keeps each logical flow's translation for as long as
		// the flow exists and has no separate, size-limited cache.
		var b strings.Builder
		b.WriteString("Enabled: false\n")
		for _, k := range []string{"high-watermark", "total", "cache-expr", "cache-matches", "trim count", "Mem usage (KB)"} {
			fmt.Fprintf(&b, "%-16s: 0\n", k)
		}
		return b.String(), nil
	})

	cmd("debug/pause", "", 0, 0, func([]string) (string, error) {
		a.log.Info("User triggered execution pause.")
		a.ctl.paused.Store(true)
		return "", nil
	})
	cmd("debug/resume", "", 0, 0, func([]string) (string, error) {
		a.log.Info("User triggered execution resume.")
		a.ctl.paused.Store(false)
		a.poke()
		return "", nil
	})
	cmd("debug/status", "", 0, 0, func([]string) (string, error) {
		if a.ctl.paused.Load() {
			return "paused", nil
		}
		return "running", nil
	})
	cmd("debug/delay-nb-cfg-report", "SECONDS", 1, 1, func(args []string) (string, error) {
		n, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil {
			return "", errors.New("unsigned integer required")
		}
		a.ctl.nbCfgDelay.Store(int64(n))
		if n == 0 {
			return "no delay for nb_cfg report.", nil
		}
		return fmt.Sprintf("delay nb_cfg report for %d seconds.", n), nil
	})
	cmd("debug/ignore-startup-delay", "", 0, 0, func([]string) (string, error) {
		// chassisd has no startup delay: it holds nothing back after a
		// start beyond what reconciliation needs.
		return "", nil
	})
	cmd("debug/dump-local-bindings", "", 0, 0, func([]string) (string, error) {
		var out string
		var qerr error
		err := a.query(bg, func() { out, qerr = a.dumpLocalBindings(bg) })
		return out, errors.Join(err, qerr)
	})
	cmd("debug/dump-local-template-vars", "", 0, 0, func([]string) (string, error) {
		var out string
		var qerr error
		err := a.query(bg, func() { out, qerr = a.dumpLocalTemplateVars(bg) })
		return out, errors.Join(err, qerr)
	})
	cmd("debug/dump-lflow-conj-ids", "", 0, 0, func([]string) (string, error) {
		return "", errors.New("not supported by chassisd: conjunction ids are assigned per translation and not kept by logical flow")
	})

	cmd("memory/show", "", 0, 0, func([]string) (string, error) { return a.memoryShow(bg) })

	cmd("inject-pkt", "MICROFLOW", 1, 1, func(args []string) (string, error) {
		var qerr error
		err := a.query(bg, func() { qerr = a.injectPacket(bg, args[0]) })
		return "", errors.Join(err, qerr)
	})

	// chassisd's own read-only views.
	cmd("chassisd/flows", "", 0, 0, func([]string) (string, error) { return a.flowsView(bg) })
	cmd("chassisd/rejected-flows", "", 0, 0, func([]string) (string, error) { return a.rejectedView(bg) })
	cmd("chassisd/pinctrl-stats", "", 0, 0, func([]string) (string, error) { return a.pinctrlView(bg) })
}

// forceRecompute makes the next pass translate every logical flow and
// recompute everything else, as ovn-controller's recompute does.
func (a *Agent) forceRecompute() {
	a.log.Info("User triggered force recompute.")
	a.chassis = chassisState{}
	if a.flows != nil {
		a.flows.fed = false
		a.flows.inputsKey = ""
	}
	if a.pinctrl != nil {
		a.pinctrl.inputsKey = ""
	}
	a.poke()
}

// holdNbCfgReport reports whether the nb_cfg report of nbCfg must wait
// (debug/delay-nb-cfg-report); it wakes the loop when the delay is over.
func (a *Agent) holdNbCfgReport(nbCfg int) bool {
	delay := time.Duration(a.ctl.nbCfgDelay.Load()) * time.Second
	if delay == 0 {
		return false
	}
	now := time.Now()
	if a.ctl.heldNbCfg != nbCfg || a.ctl.heldSince.IsZero() {
		a.ctl.heldNbCfg, a.ctl.heldSince = nbCfg, now
		a.log.Info(fmt.Sprintf("Sleep for %d sec", int(delay.Seconds())))
	}
	if wait := a.ctl.heldSince.Add(delay).Sub(now); wait > 0 {
		time.AfterFunc(wait, a.poke)
		return true
	}
	return false
}

// engineCounters are the computation counts inc-engine/show-stats shows.
func engineCounters() map[string]uint64 {
	full, _ := metrics.ReadCounter("lflow_run")
	phys, _ := metrics.ReadCounter("physical_run")
	incr, _ := metrics.ReadCounter("lflow_incremental_run")
	return map[string]uint64{"lflow_output/recompute": full, "lflow_output/compute": incr,
		"physical_flow_output/recompute": phys}
}

// engineStats is inc-engine/show-stats in ovn-controller's format. The
// current main loop has two computation steps: lflow_output (full or
// incremental translation of the logical flows) and physical_flow_output.
func (a *Agent) engineStats(args []string) (string, error) {
	cur := engineCounters()
	a.ctl.mu.Lock()
	for k, v := range a.ctl.statsOffset {
		cur[k] -= min(v, cur[k])
	}
	a.ctl.mu.Unlock()
	var b strings.Builder
	for _, node := range []string{"lflow_output", "physical_flow_output"} {
		if len(args) > 0 && args[0] != node {
			continue
		}
		stats := map[string]uint64{"recompute": cur[node+"/recompute"], "compute": cur[node+"/compute"], "abort": 0}
		if len(args) > 1 {
			v, ok := stats[args[1]]
			if !ok {
				return "Invalid stat type : " + args[1], nil
			}
			return strconv.FormatUint(v, 10), nil
		}
		fmt.Fprintf(&b, "Node: %s\n- recompute: %12d\n- compute:   %12d\n- abort:     %12d\n",
			node, stats["recompute"], stats["compute"], stats["abort"])
	}
	return b.String(), nil
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
