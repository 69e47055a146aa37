package ofctrl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
)

// Option configures a Controller.
type Option func(*Controller)

// WithDecoder sets how dumped matches and actions are decoded for
// comparison (default FlowDecoder: openflow/flow values).
func WithDecoder(d Decoder) Option { return func(c *Controller) { c.dec = d } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *Controller) { c.log = l } }

// WithDriftInterval sets how often Run re-dumps the switch to repair drift
// (default 60 s; 0 disables).
func WithDriftInterval(d time.Duration) Option { return func(c *Controller) { c.driftInterval = d } }

// WithConnOptions passes options to conn.Dial.
func WithConnOptions(opts ...conn.Option) Option {
	return func(c *Controller) { c.connOpts = append(c.connOpts, opts...) }
}

// WithTrustedMatchKeys skips re-decoding each desired match to compute its
// identity: use it only when every match is already canonical
// (flow.Match.Canonical), or flows with other matches churn on reconcile.
func WithTrustedMatchKeys() Option { return func(c *Controller) { c.canonicalKeys = false } }

// WithoutTLVMap skips mapping OVN's Geneve option to a tun_metadata field on
// connect (it is on by default, as in ovn-controller).
func WithoutTLVMap() Option { return func(c *Controller) { c.tlvMap = false } }

// WithReconnectBackoff bounds the delay between connection attempts in Run
// (default 20 ms doubling to 250 ms: a local switch that restarts should
// get its flows back within a second).
func WithReconnectBackoff(min, max time.Duration) Option {
	return func(c *Controller) { c.backoffMin, c.backoffMax = min, max }
}

type flowKey struct {
	table    uint8
	priority uint16
	match    string
}

type desiredFlow struct {
	flow    Flow
	oxm     []byte
	actions []byte
}

type installedFlow struct {
	cookie  uint64
	oxm     []byte // as the switch holds it, for delete_strict
	actions []byte // canonical (our encoding of the decoded actions)
	text    string // for foreign flows we could not decode
}

// rejected remembers which desired entry the switch refused, and why.
type rejected[T comparable] struct {
	entry T
	why   Rejection
}

type desiredGroup struct {
	group Group
	canon []byte
}

type desiredMeter struct {
	meter Meter
	canon []byte
}

// Rejection is a desired entry the switch refused.
type Rejection struct {
	What string // the flow, group or meter, in text
	Err  error
}

// Stats are the controller's counters.
type Stats struct {
	FlowMods     uint64 // flow-mods sent (add, modify_strict, delete_strict)
	GroupMods    uint64
	MeterMods    uint64
	Bundles      uint64 // bundles committed
	Syncs        uint64 // Sync rounds that sent something
	Connects     uint64 // successful connections (with full reconcile)
	DriftChecks  uint64
	DriftRepairs uint64 // entries found different from what was installed, and repaired
	Rejections   uint64
}

// Controller keeps a switch's flows, groups and meters equal to a desired
// table: it sends only differences, in one atomic ordered bundle per
// round, and after (re)connecting it dumps the switch and reconciles
// instead of clearing it.
type Controller struct {
	target        string
	dec           Decoder
	log           *slog.Logger
	driftInterval time.Duration
	connOpts      []conn.Option
	tlvMap        bool
	canonicalKeys bool
	backoffMin    time.Duration
	backoffMax    time.Duration

	syncMu sync.Mutex // serializes rounds on the switch

	mu             sync.Mutex
	cn             *conn.Conn
	desired        map[flowKey]*desiredFlow
	installed      map[flowKey]*installedFlow
	dirty          map[flowKey]struct{}
	desiredGroups  map[uint32]*desiredGroup
	installedGrp   map[uint32][]byte
	dirtyGroups    map[uint32]struct{}
	desiredMeters  map[uint32]*desiredMeter
	installedMeter map[uint32][]byte
	dirtyMeters    map[uint32]struct{}
	// Rejected entries are skipped by Sync until they change; a reconcile
	// (connect, drift check) tries them again.
	rejectedFlows  map[flowKey]rejected[*desiredFlow]
	rejectedGroups map[uint32]rejected[*desiredGroup]
	rejectedMeters map[uint32]rejected[*desiredMeter]
	rejections     []Rejection
	desiredSeq     uint64
	installedSeq   uint64
	installedCh    chan struct{} // closed and replaced when installedSeq moves
	stats          Stats
	tlvIndex       int
	kick           chan struct{}
}

// New returns a Controller for the switch at target (e.g.
// "unix:/var/run/openvswitch/br-int.mgmt"). It does not connect; call Run
// (or Connect and Sync).
func New(target string, opts ...Option) *Controller {
	c := &Controller{
		target: target, dec: FlowDecoder{}, log: slog.Default(), driftInterval: 60 * time.Second,
		tlvMap: true, canonicalKeys: true, backoffMin: 20 * time.Millisecond, backoffMax: 250 * time.Millisecond,
		desired: map[flowKey]*desiredFlow{}, installed: map[flowKey]*installedFlow{}, dirty: map[flowKey]struct{}{},
		desiredGroups: map[uint32]*desiredGroup{}, installedGrp: map[uint32][]byte{}, dirtyGroups: map[uint32]struct{}{},
		desiredMeters: map[uint32]*desiredMeter{}, installedMeter: map[uint32][]byte{}, dirtyMeters: map[uint32]struct{}{},
		rejectedFlows: map[flowKey]rejected[*desiredFlow]{}, rejectedGroups: map[uint32]rejected[*desiredGroup]{},
		rejectedMeters: map[uint32]rejected[*desiredMeter]{},
		installedCh:    make(chan struct{}), tlvIndex: -1, kick: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// DesiredVersion is the version of the latest Update.
func (c *Controller) DesiredVersion() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.desiredSeq
}

// InstalledVersion is the latest desired version confirmed on the switch
// (bundle committed and barrier acknowledged).
func (c *Controller) InstalledVersion() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.installedSeq
}

// WaitInstalled blocks until desired version seq (from Update) is
// installed on the switch, or ctx ends.
func (c *Controller) WaitInstalled(ctx context.Context, seq uint64) error {
	for {
		c.mu.Lock()
		done, ch := c.installedSeq >= seq, c.installedCh
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for flows version %d: %w", seq, ctx.Err())
		}
	}
}

// Stats returns a snapshot of the counters.
func (c *Controller) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Rejections returns the entries the switch refused and that are still
// desired unchanged.
func (c *Controller) Rejections() []Rejection {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Rejection(nil), c.rejections...)
}

// TunMetadataIndex is the tun_metadata index OVN's Geneve option is mapped
// to on the switch (-1 before the first connection or with WithoutTLVMap).
func (c *Controller) TunMetadataIndex() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tlvIndex
}

// Conn returns the current connection (nil when disconnected).
func (c *Controller) Conn() *conn.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cn
}

// Connect dials the switch, maps the Geneve TLV option, dumps what the
// switch holds and applies only the difference to the desired table. The
// switch is never cleared first.
func (c *Controller) Connect(ctx context.Context) error {
	cn, err := conn.Dial(ctx, c.target, c.connOpts...)
	if err != nil {
		return err
	}
	if c.tlvMap {
		idx, err := cn.EnsureTLVMap(ctx, conn.OVNGeneveClass, conn.OVNGeneveType, conn.OVNGeneveLen)
		if err != nil {
			cn.Close()
			return fmt.Errorf("map geneve option: %w", err)
		}
		c.mu.Lock()
		c.tlvIndex = int(idx)
		c.mu.Unlock()
	}
	c.mu.Lock()
	old := c.cn
	c.cn = cn
	c.stats.Connects++
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}
	if _, err := c.reconcile(ctx, false); err != nil {
		return fmt.Errorf("initial reconcile: %w", err)
	}
	return nil
}

// Close closes the current connection.
func (c *Controller) Close() {
	c.mu.Lock()
	cn := c.cn
	c.cn = nil
	c.mu.Unlock()
	if cn != nil {
		cn.Close()
	}
}

// Run keeps the controller connected and the switch in sync until ctx
// ends: it reconnects (with backoff) when the switch goes away — e.g. an
// ovs-vswitchd restart — and reconciles after each connection, syncs on
// every Update, and checks for drift periodically.
//
// Run connects only after the first Update (or SetFlows): reconciling
// against a desired table the agent has not computed yet would empty
// br-int, which a restarting agent must never do.
func (c *Controller) Run(ctx context.Context) error {
	for c.DesiredVersion() == 0 {
		select {
		case <-c.kick:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	backoff := c.backoffMin
	failures := 0
	for ctx.Err() == nil {
		if err := c.Connect(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			// Warn on the first failure of a streak and then about every
			// minute; the retries in between are debug.
			failures++
			level := slog.LevelDebug
			if failures == 1 || failures%240 == 0 {
				level = slog.LevelWarn
			}
			c.log.Log(ctx, level, "openflow connect failed, retrying", "target", c.target, "err", err, "attempt", failures)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff = min(backoff*2, c.backoffMax)
			continue
		}
		backoff, failures = c.backoffMin, 0
		c.log.Info("openflow connected and reconciled", "target", c.target)
		c.serve(ctx)
	}
	c.Close()
	return ctx.Err()
}

// serve syncs on kicks and checks drift until the connection ends.
func (c *Controller) serve(ctx context.Context) {
	cn := c.Conn()
	if cn == nil {
		return
	}
	var drift <-chan time.Time
	if c.driftInterval > 0 {
		t := time.NewTicker(c.driftInterval)
		defer t.Stop()
		drift = t.C
	}
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-cn.Done():
			c.log.Warn("openflow connection lost", "target", c.target, "err", cn.Err())
			return
		case <-c.kick:
			err = c.Sync(ctx)
		case <-drift:
			_, err = c.CheckDrift(ctx)
		}
		var re *RejectedError
		if err != nil && !errors.As(err, &re) {
			c.log.Warn("openflow sync failed", "err", err)
			if cn.Err() == nil {
				cn.Close() // unknown state: reconnect and reconcile from a dump
			}
			return
		}
	}
}

// FlushCTZones flushes the conntrack entries of the given zones on the
// switch (NXT_CT_FLUSH_ZONE), e.g. for zones just assigned or released,
// before the agent records them in OVSDB.
func (c *Controller) FlushCTZones(ctx context.Context, zones ...uint16) error {
	cn := c.Conn()
	if cn == nil {
		return errors.New("flush ct zones: not connected")
	}
	msgs := make([][]byte, len(zones))
	for i, z := range zones {
		msgs[i] = conn.AppendCTFlushZone(nil, cn.NewXid(), z)
	}
	if err := cn.SendChecked(ctx, msgs...); err != nil {
		return fmt.Errorf("flush ct zones %v: %w", zones, err)
	}
	return nil
}
