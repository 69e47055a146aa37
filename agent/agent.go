// Package agent is chassisd's daemon core: it owns the main loop that reads
// the local Open_vSwitch configuration, keeps the integration bridge, the
// Southbound Chassis registration and the port bindings in step, and
// sequences every write to the databases.
//
// The decisions themselves live in pure sub-packages (config, chassis,
// binding); agent only gathers their inputs from the database caches and
// turns their results into transactions.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"

	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
	"github.com/chassisd/chassisd/agent/metrics"
	"github.com/chassisd/chassisd/agent/runtime"
)

// passTimeout bounds one pass of the main loop.
const passTimeout = 5 * time.Second

// DefaultOVSRemote is where ovn-controller looks for the local database.
const DefaultOVSRemote = "unix:/var/run/openvswitch/db.sock"

// Options configure an Agent.
type Options struct {
	// OVSRemote is the local Open_vSwitch database (DefaultOVSRemote).
	OVSRemote string
	// ChassisName overrides external_ids:system-id (-n / system-id-override).
	ChassisName string
	// SSL are the --private-key, --certificate and --ca-cert files for
	// ssl: Southbound remotes; the Open_vSwitch SSL table overrides them.
	SSL db.SSLFiles
	// Hostname is the default for external_ids:hostname (os.Hostname()).
	Hostname string
	// OVSRunDir is where ovs-vswitchd's <bridge>.mgmt sockets are
	// (default $OVS_RUNDIR, else /var/run/openvswitch).
	OVSRunDir string
	// RetryInterval is how soon a failed pass is retried (default 1s).
	RetryInterval time.Duration
	Logger        *slog.Logger
	// Metadata turns on the metadata agent's job (off without a config).
	Metadata MetadataOptions
}

// Agent is one running chassisd.
type Agent struct {
	opts Options
	log  *slog.Logger
	ovs  *db.Conn
	sb   *db.Conn
	ssl  *db.SSL

	startTS int64
	cleanup atomic.Bool
	// kick wakes the main loop (flows confirmed installed, ...).
	kick chan struct{}
	// connCtx lives until the agent's connections are closed.
	connCtx context.Context

	// Only touched by the main loop.
	cfg          *config.Config
	lastCfgErr   string
	sbEpoch      uint64
	chassis      chassisState
	reported     map[string]string // configuration warnings already logged
	logged       map[string]bool   // other repeated warnings already logged
	zones        map[string]int    // conntrack zone per user, as recorded on br-int
	flows        *flowSync
	pinctrl      *pinctrlRun
	metadata     *metadataRun
	sbReset      sbReset
	chassisGuard chassisGuard

	// ctl is the state of the control commands (appctl.go).
	ctl appctl
}

// sbTables are the Southbound tables chassisd monitors. All their model
// columns are monitored (ovn-monitor-all behaviour).
var sbTables = map[string]model.Model{
	sbdb.SBGlobalTable:        &sbdb.SBGlobal{},
	sbdb.ChassisTable:         &sbdb.Chassis{},
	sbdb.ChassisPrivateTable:  &sbdb.ChassisPrivate{},
	sbdb.EncapTable:           &sbdb.Encap{},
	sbdb.PortBindingTable:     &sbdb.PortBinding{},
	sbdb.DatapathBindingTable: &sbdb.DatapathBinding{},
	sbdb.HAChassisGroupTable:  &sbdb.HAChassisGroup{},
	sbdb.HAChassisTable:       &sbdb.HAChassis{},
	// Flow translation inputs.
	sbdb.LogicalFlowTable:        &sbdb.LogicalFlow{},
	sbdb.LogicalDPGroupTable:     &sbdb.LogicalDPGroup{},
	sbdb.MulticastGroupTable:     &sbdb.MulticastGroup{},
	sbdb.AddressSetTable:         &sbdb.AddressSet{},
	sbdb.PortGroupTable:          &sbdb.PortGroup{},
	sbdb.MACBindingTable:         &sbdb.MACBinding{},
	sbdb.StaticMACBindingTable:   &sbdb.StaticMACBinding{},
	sbdb.FDBTable:                &sbdb.FDB{},
	sbdb.MeterTable:              &sbdb.Meter{},
	sbdb.MeterBandTable:          &sbdb.MeterBand{},
	sbdb.ChassisTemplateVarTable: &sbdb.ChassisTemplateVar{},
	sbdb.LoadBalancerTable:       &sbdb.LoadBalancer{},
	sbdb.DNSTable:                &sbdb.DNS{}, // pinctrl's dns_lookup
}

var ovsTables = map[string]model.Model{
	vswitchd.OpenvSwitchTable:            &vswitchd.OpenvSwitch{},
	vswitchd.BridgeTable:                 &vswitchd.Bridge{},
	vswitchd.PortTable:                   &vswitchd.Port{},
	vswitchd.InterfaceTable:              &vswitchd.Interface{},
	vswitchd.FlowSampleCollectorSetTable: &vswitchd.FlowSampleCollectorSet{},
	vswitchd.DatapathTable:               &vswitchd.Datapath{},
	vswitchd.SSLTable:                    &vswitchd.SSL{},
}

// New returns an agent; Run starts it.
func New(opts Options) (*Agent, error) {
	if opts.OVSRemote == "" {
		opts.OVSRemote = DefaultOVSRemote
	}
	if _, err := config.ParseRemotes(opts.OVSRemote); err != nil {
		return nil, fmt.Errorf("OVS database remote: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
	}
	if opts.RetryInterval == 0 {
		opts.RetryInterval = time.Second
	}
	ovsModel, err := vswitchd.FullDatabaseModel()
	if err != nil {
		return nil, fmt.Errorf("OVS model: %w", err)
	}
	sbModel, err := sbdb.FullDatabaseModel()
	if err != nil {
		return nil, fmt.Errorf("SB model: %w", err)
	}
	a := &Agent{
		opts:     opts,
		log:      opts.Logger.With("module", "main"),
		startTS:  time.Now().UnixMilli(),
		reported: map[string]string{},
		logged:   map[string]bool{},
		kick:     make(chan struct{}, 1),
		ctl:      appctl{queries: make(chan func())},
	}
	a.ovs = db.New(db.Options{Name: "ovs", Model: ovsModel, Tables: ovsTables, Logger: opts.Logger}, []string{opts.OVSRemote})
	a.ssl = db.NewSSL(opts.SSL)
	a.sb = db.New(db.Options{Name: "sb", Model: sbModel, Tables: sbTables, SSL: a.ssl, Logger: opts.Logger}, nil)
	if err := a.initMetadata(); err != nil {
		return nil, err
	}
	return a, nil
}

// RequestCleanup makes the next exit remove this chassis from the
// Southbound database and release its ports (ovn-appctl exit without
// --restart). A plain exit leaves everything in place so a restart is
// hitless.
func (a *Agent) RequestCleanup() { a.cleanup.Store(true) }

// Run runs the agent until ctx is cancelled.
func (a *Agent) Run(ctx context.Context) error {
	connCtx, stopConns := context.WithCancel(context.Background())
	a.connCtx = connCtx
	var wg sync.WaitGroup
	defer func() {
		a.stopMetadata()
		a.stopPinctrl()
		a.stopFlowSync()
		stopConns()
		wg.Wait()
	}()
	for _, c := range []*db.Conn{a.ovs, a.sb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Run(connCtx)
		}()
	}

	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			if a.cleanup.Load() {
				cctx, cancel := context.WithTimeout(connCtx, 10*time.Second)
				err := a.removeChassis(cctx)
				cancel()
				if err != nil {
					a.log.Error("cleanup on exit failed", "err", err)
					return err
				}
			}
			a.log.Info("exiting", "cleanup", a.cleanup.Load())
			return nil
		case <-a.ovs.Changed():
		case <-a.sb.Changed():
		case <-a.kick:
		case <-retry.C:
		case q := <-a.ctl.queries:
			q() // a control command reading the loop's state
			continue
		}
		if a.passPaused() {
			continue // debug/pause
		}
		// A pass that reads a client which has just lost its connection
		// would wait in libovsdb for a consistent cache forever; the
		// deadline turns that into a retry on the next client.
		passCtx, cancel := context.WithTimeout(ctx, passTimeout)
		err := a.runOnce(passCtx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, db.ErrNotConnected) {
				a.log.Warn("pass failed, will retry", "err", err)
			}
			retry.Reset(a.opts.RetryInterval)
		}
	}
}

// poke wakes the main loop.
func (a *Agent) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// runOnce brings every managed row one step closer to the desired state.
// Every pass recomputes from the caches, so a reconnect (a new epoch) needs
// no special handling beyond running again.
func (a *Agent) runOnce(ctx context.Context) error {
	ovsCl, _ := a.ovs.Client()
	if ovsCl == nil {
		return db.ErrNotConnected
	}
	ovsRow, err := openVSwitchRow(ctx, ovsCl)
	if err != nil {
		return err
	}
	cfg, ok := a.readConfig(ovsRow)
	if !ok {
		return nil
	}
	a.readSSLTable(ctx, ovsCl, ovsRow)
	a.sb.SetEndpoints(cfg.Remotes)

	br, err := a.ensureBridge(ctx, ovsCl, ovsRow, cfg)
	if err != nil {
		return fmt.Errorf("integration bridge %s: %w", cfg.Bridge, err)
	}
	if br == nil {
		return nil // created; the next update carries it
	}
	cfg.DatapathType = br.DatapathType
	a.ensurePinctrl(cfg.Bridge)

	sbCl, epoch := a.sb.Client()
	if sbCl == nil {
		return db.ErrNotConnected
	}
	if epoch != a.sbEpoch {
		a.log.Info("southbound connected, full recompute", "epoch", epoch)
		a.sbEpoch = epoch
		a.chassis = chassisState{}
		if a.flows != nil {
			a.flows.fed = false // retranslate every logical flow
		}
	}
	ch, err := a.ensureChassis(ctx, sbCl, cfg, ovsRow.IfaceTypes)
	if err != nil {
		return fmt.Errorf("chassis %s registration: %w", cfg.ChassisName, err)
	}
	if ch == nil {
		return nil
	}
	if hold, err := a.holdForRepopulation(ctx, sbCl); hold || err != nil {
		return err
	}
	if err := a.syncMetadata(ctx, sbCl, cfg, ch); err != nil {
		a.log.Warn("metadata not updated", "err", err)
	}
	stopPinctrl := metrics.PinctrlRun.Start()
	err = a.applyPinctrl(ctx, sbCl, ch.UUID)
	stopPinctrl()
	if err != nil {
		a.log.Warn("pinctrl results not written", "err", err)
	}
	stopIfStatus := metrics.IfStatusMgrRun.Start()
	bs, err := a.syncBindings(ctx, sbCl, ovsCl, br, cfg, ch)
	stopIfStatus()
	if err != nil {
		return fmt.Errorf("port bindings: %w", err)
	}
	rports := bs.runtimePorts()
	a.noteBound(rports)
	local := runtime.LocalDatapaths(rports)
	stopPatch := metrics.PatchRun.Start()
	err = a.syncTunnelsAndPatches(ctx, sbCl, ovsCl, ovsRow, cfg, patchBindings(bs, local))
	stopPatch()
	if err != nil {
		return err
	}
	stopZones := metrics.CTZoneCommit.Start()
	err = a.syncZones(ctx, sbCl, ovsCl, br, rports, local)
	stopZones()
	if err != nil {
		return fmt.Errorf("conntrack zones: %w", err)
	}
	caps := datapathCapabilities(ctx, ovsCl, ovsRow, br.DatapathType)
	if err := a.syncFlows(ctx, sbCl, ovsCl, cfg, caps, bs, rports, local); err != nil {
		return fmt.Errorf("flows: %w", err)
	}
	defer metrics.OfctrlSeqnoRun.Start()()
	return a.reportNbCfg(ctx, sbCl, ovsCl, br, cfg)
}

func openVSwitchRow(ctx context.Context, cl client.Client) (*vswitchd.OpenvSwitch, error) {
	var rows []vswitchd.OpenvSwitch
	if err := cl.List(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read Open_vSwitch table: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("the Open_vSwitch table is empty (is the database initialised?)")
	}
	return &rows[0], nil
}

// readConfig parses external_ids, logging each problem once. A bad
// configuration keeps the last good one running.
func (a *Agent) readConfig(row *vswitchd.OpenvSwitch) (config.Config, bool) {
	cfg, warns, err := config.Parse(row.ExternalIDs, a.opts.ChassisName, a.opts.Hostname)
	seen := map[string]bool{}
	for _, w := range warns {
		msg := w.Error()
		seen[msg] = true
		if _, logged := a.reported[msg]; !logged {
			a.log.Warn("ignoring bad configuration value", "problem", msg)
			a.reported[msg] = ""
		}
	}
	for msg := range a.reported {
		if !seen[msg] {
			delete(a.reported, msg)
		}
	}
	if err != nil {
		if err.Error() != a.lastCfgErr {
			a.lastCfgErr = err.Error()
			if a.cfg != nil {
				a.log.Error("invalid configuration in Open_vSwitch external_ids; keeping the previous one", "err", err)
			} else {
				a.log.Error("invalid configuration in Open_vSwitch external_ids; waiting for a valid one", "err", err)
			}
		}
		if a.cfg == nil {
			return config.Config{}, false
		}
		return *a.cfg, true
	}
	if a.lastCfgErr != "" {
		a.log.Info("configuration is valid again")
		a.lastCfgErr = ""
	}
	if a.cfg == nil || a.cfg.Remote != cfg.Remote || a.cfg.ChassisName != cfg.ChassisName {
		a.log.Info("configuration", "chassis", cfg.ChassisName, "remote", cfg.Remote,
			"encap-type", cfg.EncapTypes, "encap-ip", cfg.EncapIPs, "bridge", cfg.Bridge)
	}
	a.cfg = &cfg
	return cfg, true
}
