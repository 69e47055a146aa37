package agent

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/client"

	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
	"github.com/chassisd/chassisd/agent/lflow"
	"github.com/chassisd/chassisd/agent/metrics"
	"github.com/chassisd/chassisd/agent/physical"
	"github.com/chassisd/chassisd/agent/runtime"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// flowSync owns br-int's OpenFlow side: the reconciler connected to the
// bridge, the logical flow translator fed with what changed since the last
// pass, and the bookkeeping that says when a port's or an nb_cfg's flows
// are confirmed installed.
type flowSync struct {
	target string
	ofc    *ofctrl.Controller
	cancel context.CancelFunc
	done   chan struct{}

	lflows   *lflow.Translator
	features lflow.Features
	fed      bool // the translator holds a snapshot (false: next feed is Full)
	// inputsKey is flowInputsKey at the last computation, which produced
	// desired version lastVersion for SB_Global.nb_cfg lastNbCfg.
	inputsKey   string
	lastVersion uint64
	lastNbCfg   int

	// portSince is the first desired version that contained each local
	// port's flows; the port is installed once that version is.
	portSince map[string]uint64
	// nbCfgs are SB_Global.nb_cfg values waiting for their flows.
	nbCfgs []nbCfgMark
	// computed signals watchInstalled that a new desired version exists.
	computed chan struct{}
}

type nbCfgMark struct {
	version uint64
	nbCfg   int
}

// ovsRunDir is where ovs-vswitchd puts <bridge>.mgmt.
func (a *Agent) ovsRunDir() string {
	if a.opts.OVSRunDir != "" {
		return a.opts.OVSRunDir
	}
	if d := os.Getenv("OVS_RUNDIR"); d != "" {
		return d
	}
	return "/var/run/openvswitch"
}

// ensureFlowSync starts (or, when the bridge changed, restarts) the
// OpenFlow reconciler for bridge.
func (a *Agent) ensureFlowSync(bridge string) *flowSync {
	target := "unix:" + filepath.Join(a.ovsRunDir(), bridge+".mgmt")
	if a.flows != nil && a.flows.target == target {
		return a.flows
	}
	a.stopFlowSync()
	ctx, cancel := context.WithCancel(a.connCtx)
	fs := &flowSync{
		target: target, cancel: cancel, done: make(chan struct{}),
		ofc: ofctrl.New(target, ofctrl.WithLogger(a.opts.Logger.With("module", "ofctrl")),
			ofctrl.WithDecoder(ofctrl.FlowDecoder{})),
		portSince: map[string]uint64{},
		computed:  make(chan struct{}, 1),
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = fs.ofc.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		a.watchInstalled(ctx, fs)
	}()
	go func() {
		wg.Wait()
		close(fs.done)
	}()
	a.flows = fs
	a.log.Info("managing OpenFlow on the integration bridge", "target", target)
	return fs
}

func (a *Agent) stopFlowSync() {
	if a.flows == nil {
		return
	}
	a.flows.cancel()
	<-a.flows.done
	a.flows = nil
}

// installFlows computes br-int's desired flows and hands them to the
// reconciler. It returns the desired version, which WaitInstalled confirms.
func (a *Agent) installFlows(fs *flowSync, phys *physical.Input, lin *lflow.Input) uint64 {
	defer metrics.FlowGeneration.Start()()
	feedTranslator(fs, lin)
	metrics.PhysicalRun.Inc()
	flows := physical.Compute(phys)
	flows = append(flows, fs.lflows.Flows()...)
	v := fs.ofc.Update(func(t ofctrl.Txn) {
		t.Clear()
		for _, f := range flows {
			t.PutFlow(f)
		}
		for _, g := range fs.lflows.Groups() {
			t.PutGroup(g)
		}
		for _, m := range fs.lflows.Meters() {
			t.PutMeter(m)
		}
	})
	select {
	case fs.computed <- struct{}{}:
	default:
	}
	return v
}

// watchInstalled wakes the main loop each time the newest desired version
// is confirmed on the switch, so ports and nb_cfg waiting for it are
// reported. One watcher serves every version: waiting for the newest covers
// the older ones.
func (a *Agent) watchInstalled(ctx context.Context, fs *flowSync) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-fs.computed:
		}
		start := time.Now()
		if fs.ofc.WaitInstalled(ctx, fs.ofc.DesiredVersion()) != nil {
			return
		}
		metrics.ObserveFlowInstallation(time.Since(start))
		a.poke()
	}
}

// feedTranslator gives the translator the new snapshot: the first time (and
// after a reconnect) in full, then only what changed, so unchanged logical
// flows keep their translation and their conjunction, group and meter ids.
func feedTranslator(fs *flowSync, in *lflow.Input) {
	if fs.fed {
		metrics.LflowIncrementalRun.Inc()
		metrics.FlowComputations.WithLabelValues("incremental").Inc()
		fs.lflows.Update(in)
	} else {
		metrics.LflowRun.Inc()
		metrics.FlowComputations.WithLabelValues("full").Inc()
		fs.lflows.Full(in)
		fs.fed = true
	}
}

// markComputed records that version v is the first to contain the flows of
// these ports and this nb_cfg.
func (fs *flowSync) markComputed(v uint64, localPorts []string, nbCfg int) {
	bound := make(map[string]bool, len(localPorts))
	for _, p := range localPorts {
		bound[p] = true
		if _, ok := fs.portSince[p]; !ok {
			fs.portSince[p] = v
		}
	}
	for p := range fs.portSince {
		if !bound[p] {
			delete(fs.portSince, p)
		}
	}
	if n := len(fs.nbCfgs); n == 0 || fs.nbCfgs[n-1].nbCfg != nbCfg {
		fs.nbCfgs = append(fs.nbCfgs, nbCfgMark{version: v, nbCfg: nbCfg})
	}
}

// portInstalled reports whether the port's flows are on the switch.
func (fs *flowSync) portInstalled(lport string) bool {
	v, ok := fs.portSince[lport]
	return ok && fs.ofc.InstalledVersion() >= v
}

// installedNbCfg returns the newest nb_cfg whose flows are installed, and
// whether there is one.
func (fs *flowSync) installedNbCfg() (int, bool) {
	installed := fs.ofc.InstalledVersion()
	best, ok := 0, false
	keep := fs.nbCfgs[:0]
	for _, m := range fs.nbCfgs {
		if m.version <= installed {
			best, ok = m.nbCfg, true
			continue
		}
		keep = append(keep, m)
	}
	if ok {
		// Keep the installed mark so later passes still know it.
		keep = append([]nbCfgMark{{version: 0, nbCfg: best}}, keep...)
	}
	fs.nbCfgs = keep
	return best, ok
}

// syncFlows computes br-int's flows from the current snapshot and hands
// them to the reconciler, remembering which ports and nb_cfg they cover.
func (a *Agent) syncFlows(ctx context.Context, sbCl, ovsCl client.Client, cfg config.Config, caps map[string]string, bs *bindingState, rports []runtime.Port, local map[string]bool) error {
	fs := a.ensureFlowSync(cfg.Bridge)
	if f := ovsFeatures(caps); f != fs.features || fs.lflows == nil {
		// Features change how actions are encoded: translate everything anew.
		a.log.Info("OVS features", "ct_zero_snat", f.CTZeroSNAT, "dp_hash_l4_sym", f.DPHashL4Sym, "meters", f.DPMeter)
		fs.features = f
		fs.lflows = lflow.New(lflow.Options{Features: f, Logger: a.opts.Logger.With("module", "lflow")})
		fs.fed = false
	}
	// Most passes are caused by the agent's own writes (nb_cfg, ovn-installed,
	// zones): skip the computation when none of its inputs changed.
	var localPorts []string
	for _, p := range bs.plan.Bound {
		if p.Chassis == bs.self.UUID {
			localPorts = append(localPorts, p.LogicalPort)
		}
	}
	key := a.flowInputsKey(fs)
	if key == fs.inputsKey {
		// Nothing changed since the last computation, which therefore
		// covers every port bound now.
		fs.markComputed(fs.lastVersion, localPorts, fs.lastNbCfg)
		return nil
	}
	sb, err := readSB(ctx, sbCl)
	if err != nil {
		return err
	}
	ovs, err := readOVS(ctx, ovsCl, cfg.Bridge)
	if err != nil {
		return err
	}
	phys := physicalInput(cfg, sb, ovs, local, a.zones, fs.ofc.TunMetadataIndex())
	claimedHere(phys, rports, cfg.ChassisName)
	v := a.installFlows(fs, phys, lflowInput(cfg, sb, ovs, rports, local))
	fs.markComputed(v, localPorts, sb.global.NbCfg)
	fs.inputsKey, fs.lastVersion, fs.lastNbCfg = key, v, sb.global.NbCfg
	return nil
}

// flowInputsKey summarises everything the flows are computed from: the
// change generations of the Southbound and OVS tables they read, the
// conntrack zones, the features and the translator's state.
func (a *Agent) flowInputsKey(fs *flowSync) string {
	var b strings.Builder
	for _, t := range slices.Sorted(maps.Keys(sbTables)) {
		if t == sbdb.ChassisPrivateTable {
			continue // only the agent's own nb_cfg reports
		}
		fmt.Fprintf(&b, "%d,", a.sb.Generation(t))
	}
	for _, t := range []string{vswitchd.InterfaceTable, vswitchd.PortTable, vswitchd.FlowSampleCollectorSetTable} {
		fmt.Fprintf(&b, "%d,", a.ovs.Generation(t))
	}
	fmt.Fprintf(&b, "%v|%v|%d|%t", a.zones, fs.features, fs.ofc.TunMetadataIndex(), fs.fed)
	return b.String()
}

// ovsFeatures derives the OVS features that change action encoding from
// the datapath's capabilities, as ovn-controller's features.c does.
func ovsFeatures(caps map[string]string) lflow.Features {
	return lflow.Features{
		CTZeroSNAT: caps["ct_zero_snat"] == "true",
		// Every OVS with a Datapath capabilities column (2.13+) hashes L4
		// fields symmetrically; the userspace and kernel datapaths meter.
		DPHashL4Sym: len(caps) > 0,
		DPMeter:     len(caps) > 0,
	}
}
