package agent

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/unixctl"
	"github.com/chassisd/chassisd/metadata"
)

// MetadataOptions turn on the OVN metadata agent's job (namespaces and the
// proxy to Nova). It is off when Config is nil: a node may still run
// Neutron's agent, and the two must not fight over the namespaces.
type MetadataOptions struct {
	Config *metadata.Config
	// Registerer gets the metadata metrics (none when nil).
	Registerer prometheus.Registerer
	// NetnsDir overrides where namespaces are named (tests).
	NetnsDir string
}

// Chassis_Private external_ids keys of the metadata agent (reference §3).
const (
	keyMetadataID    = "neutron:ovn-metadata-id"
	keyMetadataSBCfg = "neutron:ovn-metadata-sb-cfg"
	keyOVNBridge     = "neutron:ovn-bridge"
)

// staleAgentKeys are left by Neutron's newer "OVN agent"; the metadata
// agent removes them when it starts.
var staleAgentKeys = []string{"neutron:ovn-neutron-agent-sb-cfg", "neutron:description-neutron-agent", "neutron:ovn-neutron-agent-id"}

// metadataRun is the running metadata job and the main loop's bookkeeping
// for it.
type metadataRun struct {
	mgr    *metadata.Manager
	cancel context.CancelFunc
	done   chan struct{}
	// bridge is the integration bridge the switch plugs into (written by
	// the main loop, read by the manager).
	bridge atomic.Pointer[string]

	// inputs the desired state was last computed from.
	pbGen, dpGen uint64
	chassisUUID  string
	computed     bool
	warned       map[string]bool

	// Chassis_Private registration.
	privUUID     string
	cleanedKeys  bool
	sbCfgStarted bool
	sbCfgFirst   bool // the first SB_Global change after start is written at once
	lastGlobal   int
	sbCfgDue     time.Time
	sbCfgTimer   *time.Timer
}

// initMetadata builds the metadata manager when the job is enabled.
func (a *Agent) initMetadata() error {
	mo := a.opts.Metadata
	if mo.Config == nil {
		return nil
	}
	run := &metadataRun{warned: map[string]bool{}}
	mgr, err := metadata.NewManager(metadata.Options{
		Config: mo.Config, Switch: &metadataSwitch{a: a, run: run}, Logger: a.opts.Logger,
		Registerer: mo.Registerer, NetnsDir: mo.NetnsDir,
	})
	if err != nil {
		return err
	}
	run.mgr = mgr
	a.metadata = run
	return nil
}

// syncMetadata hands the metadata manager the networks to serve and keeps
// this chassis registered as a metadata agent in Chassis_Private.
func (a *Agent) syncMetadata(ctx context.Context, sbCl client.Client, cfg config.Config, ch *sbdb.Chassis) error {
	run := a.metadata
	if run == nil {
		return nil
	}
	bridge := cfg.Bridge
	run.bridge.Store(&bridge)
	if run.done == nil {
		mctx, cancel := context.WithCancel(a.connCtx)
		run.cancel, run.done = cancel, make(chan struct{})
		go func() {
			defer close(run.done)
			_ = run.mgr.Run(mctx)
		}()
	}
	pbGen, dpGen := a.sb.Generation(sbdb.PortBindingTable), a.sb.Generation(sbdb.DatapathBindingTable)
	if !run.computed || pbGen != run.pbGen || dpGen != run.dpGen || ch.UUID != run.chassisUUID {
		var pbs []sbdb.PortBinding
		if err := sbCl.List(ctx, &pbs); err != nil {
			return fmt.Errorf("read Port_Binding table: %w", err)
		}
		var dps []sbdb.DatapathBinding
		if err := sbCl.List(ctx, &dps); err != nil {
			return fmt.Errorf("read Datapath_Binding table: %w", err)
		}
		desired := metadataState(ch.UUID, pbs, dps)
		for _, w := range desired.warnings {
			if !run.warned[w] {
				run.warned[w] = true
				a.log.Warn("metadata: network not served", "problem", w)
			}
		}
		run.mgr.Update(metadata.State{Networks: desired.networks, Lookup: desired.index.lookup})
		run.pbGen, run.dpGen, run.chassisUUID, run.computed = pbGen, dpGen, ch.UUID, true
	}
	return a.registerMetadataAgent(ctx, sbCl, cfg)
}

// registerMetadataAgent writes the Chassis_Private external_ids by which
// neutron-server lists this chassis' metadata agent as alive.
func (a *Agent) registerMetadataAgent(ctx context.Context, sbCl client.Client, cfg config.Config) error {
	run := a.metadata
	priv, err := findChassisPrivate(ctx, sbCl, cfg.ChassisName)
	if err != nil || priv == nil {
		return err // created by this pass; written on the next
	}
	var globals []sbdb.SBGlobal
	if err := sbCl.List(ctx, &globals); err != nil {
		return fmt.Errorf("read SB_Global: %w", err)
	}
	global := 0
	if len(globals) > 0 {
		global = globals[0].NbCfg
	}
	set := map[string]string{}
	if priv.UUID != run.privUUID {
		if run.privUUID != "" {
			// Re-created (by an ovn-controller, an operator): register
			// again and check every namespace.
			a.log.Info("Chassis_Private re-created; registering the metadata agent again", "chassis", cfg.ChassisName)
			run.mgr.Resync()
			set[keyMetadataSBCfg] = strconv.Itoa(global)
		}
		run.privUUID = priv.UUID
	}
	if _, ok := priv.ExternalIDs[keyMetadataID]; !ok {
		// Written only when absent: an id already there is kept.
		set[keyMetadataID] = metadata.AgentID(cfg.ChassisName)
	}
	if priv.ExternalIDs[keyOVNBridge] != cfg.Bridge {
		set[keyOVNBridge] = cfg.Bridge
	}
	now := time.Now()
	switch {
	case !run.sbCfgStarted:
		// At start the agent reports what the chassis last reported.
		run.sbCfgStarted, run.sbCfgFirst, run.lastGlobal = true, true, global
		set[keyMetadataSBCfg] = strconv.Itoa(priv.NbCfg)
	case global != run.lastGlobal:
		run.lastGlobal = global
		if run.sbCfgFirst {
			run.sbCfgFirst = false
			set[keyMetadataSBCfg] = strconv.Itoa(global)
		} else if run.sbCfgTimer == nil {
			// Spread the chassis' writes as Neutron does: 0..max(3,
			// min(agent_down_time/3, 10)) seconds later.
			limit := max(3, min(int(a.opts.Metadata.Config.AgentDownTime/time.Second)/3, 10))
			delay := time.Duration(rand.IntN(limit+1)) * time.Second
			run.sbCfgDue = now.Add(delay)
			run.sbCfgTimer = time.AfterFunc(delay, a.poke)
		}
	}
	if run.sbCfgTimer != nil && !now.Before(run.sbCfgDue) {
		run.sbCfgTimer = nil
		set[keyMetadataSBCfg] = strconv.Itoa(global)
	}
	for k, v := range set {
		if priv.ExternalIDs[k] == v {
			delete(set, k)
		}
	}
	var remove []string
	if !run.cleanedKeys {
		for _, k := range staleAgentKeys {
			if _, ok := priv.ExternalIDs[k]; ok {
				remove = append(remove, k)
			}
		}
	}
	if len(set) == 0 && len(remove) == 0 {
		run.cleanedKeys = true
		return nil
	}
	row := &sbdb.ChassisPrivate{UUID: priv.UUID}
	var mutations []model.Mutation
	if len(remove) > 0 || len(set) > 0 {
		keys := append(remove, slices.Sorted(maps.Keys(set))...)
		mutations = append(mutations, model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationDelete, Value: keys})
	}
	if len(set) > 0 {
		mutations = append(mutations, model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationInsert, Value: set})
	}
	ops, err := sbCl.Where(row).Mutate(row, mutations...)
	if err != nil {
		return fmt.Errorf("build Chassis_Private metadata keys update: %w", err)
	}
	if _, err := db.Transact(ctx, sbCl, ops...); err != nil {
		return fmt.Errorf("register the metadata agent in Chassis_Private: %w", err)
	}
	run.cleanedKeys = true
	return nil
}

// stopMetadata stops serving (the namespaces stay for the next run).
func (a *Agent) stopMetadata() {
	run := a.metadata
	if run == nil || run.done == nil {
		return
	}
	run.cancel()
	<-run.done
	run.done = nil
	if run.sbCfgTimer != nil {
		run.sbCfgTimer.Stop()
		run.sbCfgTimer = nil
	}
}

// RegisterMetadataCommands adds metadata/show to a control socket: the
// namespaces served with their addresses and listeners.
func (a *Agent) RegisterMetadataCommands(ctl *unixctl.Server) {
	ctl.Register("metadata/show", func([]string) (string, error) {
		if a.metadata == nil {
			return "metadata proxy disabled (no --metadata-config-file)\n", nil
		}
		return a.metadata.mgr.Show(), nil
	})
}
