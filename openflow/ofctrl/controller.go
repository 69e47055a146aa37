package ofctrl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
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

// Txn changes the desired table; see Update.
type Txn struct{ c *Controller }

// flowEntry encodes f and computes its identity. With canonical keys
// (the default) the match key is taken from the decoded encoding, i.e. the
// match as the switch will report it, so a match that is not in canonical
// form still compares equal to its dump.
func (c *Controller) flowEntry(f Flow) (flowKey, *desiredFlow) {
	d := &desiredFlow{flow: f}
	k := flowKey{table: f.Table, priority: f.Priority}
	if f.Match != nil {
		d.oxm = f.Match.AppendOXMFields(nil)
		k.match = f.Match.Key()
		if c.canonicalKeys {
			if m, err := c.dec.DecodeMatch(d.oxm); err == nil {
				k.match = m.Key()
			}
		}
	}
	if f.Actions != nil {
		d.actions = f.Actions.Append(nil)
	}
	return k, d
}

// flowEntries is flowEntry for many flows, spread over the available CPUs.
func (c *Controller) flowEntries(flows []Flow) ([]flowKey, []*desiredFlow) {
	keys := make([]flowKey, len(flows))
	entries := make([]*desiredFlow, len(flows))
	parallel(len(flows), func(i int) { keys[i], entries[i] = c.flowEntry(flows[i]) })
	return keys, entries
}

// parallel runs fn(0..n-1) on all CPUs when n is large enough to be worth
// it; fn must only touch index i of shared slices.
func parallel(n int, fn func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 4096 || workers < 2 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// sameFlow reports whether d would install the same as prev.
func sameFlow(prev, d *desiredFlow) bool {
	return prev != nil && prev.flow.Cookie == d.flow.Cookie && bytes.Equal(prev.actions, d.actions)
}

// PutFlow adds or replaces the desired flow with f's identity. When two
// flows have the same identity, the last put wins.
func (t Txn) PutFlow(f Flow) {
	c := t.c
	k, d := c.flowEntry(f)
	if sameFlow(c.desired[k], d) {
		return // unchanged: keep the old entry (and its rejection, if any)
	}
	c.desired[k] = d
	c.dirty[k] = struct{}{}
}

// DeleteFlow removes the desired flow with this identity.
func (t Txn) DeleteFlow(table uint8, priority uint16, m Match) {
	k, _ := t.c.flowEntry(Flow{Table: table, Priority: priority, Match: m})
	if _, ok := t.c.desired[k]; ok {
		delete(t.c.desired, k)
		t.c.dirty[k] = struct{}{}
	}
}

// PutGroup adds or replaces a desired group.
func (t Txn) PutGroup(g Group) {
	c := t.c
	d := &desiredGroup{group: g, canon: canonicalGroup(&g)}
	if old, ok := c.desiredGroups[g.ID]; ok && bytes.Equal(old.canon, d.canon) {
		return
	}
	c.desiredGroups[g.ID] = d
	c.dirtyGroups[g.ID] = struct{}{}
}

// DeleteGroup removes a desired group.
func (t Txn) DeleteGroup(id uint32) {
	if _, ok := t.c.desiredGroups[id]; ok {
		delete(t.c.desiredGroups, id)
		t.c.dirtyGroups[id] = struct{}{}
	}
}

// PutMeter adds or replaces a desired meter.
func (t Txn) PutMeter(m Meter) {
	c := t.c
	d := &desiredMeter{meter: m, canon: canonicalMeter(&m)}
	if old, ok := c.desiredMeters[m.ID]; ok && bytes.Equal(old.canon, d.canon) {
		return
	}
	c.desiredMeters[m.ID] = d
	c.dirtyMeters[m.ID] = struct{}{}
}

// DeleteMeter removes a desired meter.
func (t Txn) DeleteMeter(id uint32) {
	if _, ok := t.c.desiredMeters[id]; ok {
		delete(t.c.desiredMeters, id)
		t.c.dirtyMeters[id] = struct{}{}
	}
}

// Clear empties the desired table (flows, groups, meters). Followed by Puts
// of the full new state in the same Update, only the difference is sent.
func (t Txn) Clear() {
	c := t.c
	for k := range c.desired {
		c.dirty[k] = struct{}{}
	}
	for id := range c.desiredGroups {
		c.dirtyGroups[id] = struct{}{}
	}
	for id := range c.desiredMeters {
		c.dirtyMeters[id] = struct{}{}
	}
	c.desired = make(map[flowKey]*desiredFlow, len(c.desired))
	c.desiredGroups = map[uint32]*desiredGroup{}
	c.desiredMeters = map[uint32]*desiredMeter{}
}

// Update applies fn to the desired table atomically and returns the new
// desired-state version. The change reaches the switch at the next Sync
// (Run syncs right away); WaitInstalled(version) tells when it is in.
func (c *Controller) Update(fn func(Txn)) uint64 {
	c.mu.Lock()
	fn(Txn{c})
	c.desiredSeq++
	seq := c.desiredSeq
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return seq
}

// SetFlows replaces the desired flows (groups and meters stay). Only flows
// that are new, changed or gone become pending, so a full recompute that
// changes little costs little to sync.
func (c *Controller) SetFlows(flows []Flow) uint64 {
	// Encoding is pure: do it before taking the lock, on all cores.
	keys, entries := c.flowEntries(flows)
	return c.Update(func(Txn) {
		old := c.desired
		c.desired = make(map[flowKey]*desiredFlow, len(flows))
		for i := range flows {
			k, d := keys[i], entries[i]
			if prev := old[k]; sameFlow(prev, d) {
				c.desired[k] = prev
				continue
			}
			c.desired[k] = d
			c.dirty[k] = struct{}{}
		}
		for k := range old {
			if _, ok := c.desired[k]; !ok {
				c.dirty[k] = struct{}{}
			}
		}
	})
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

// CheckDrift dumps the switch, counts entries that differ from what the
// controller believes is installed, and repairs them. It returns that count.
func (c *Controller) CheckDrift(ctx context.Context) (int, error) {
	return c.reconcile(ctx, true)
}

// reconcile replaces the installed view with a dump of the switch and
// syncs. With countDrift it counts differences from the previous view.
func (c *Controller) reconcile(ctx context.Context, countDrift bool) (int, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	cn := c.Conn()
	if cn == nil {
		return 0, errors.New("not connected")
	}
	flows, err := cn.FlowStats(ctx, conn.FlowStatsRequest{Table: conn.TableAll})
	if err != nil {
		return 0, err
	}
	groups, err := cn.GroupDescs(ctx, conn.GroupAll)
	if err != nil {
		return 0, err
	}
	meters, err := cn.MeterConfigs(ctx, conn.MeterAll)
	if err != nil {
		return 0, err
	}
	// Flows with a timeout are not ours: chassisd installs none, and
	// ovs-vswitchd adds them for OVN's learn actions (LB affinity, hairpin
	// SNAT). They are left alone.
	managed := flows[:0]
	for _, fs := range flows {
		if fs.IdleTimeout == 0 && fs.HardTimeout == 0 {
			managed = append(managed, fs)
		}
	}
	flows = managed
	keys := make([]flowKey, len(flows))
	entries := make([]*installedFlow, len(flows))
	parallel(len(flows), func(i int) { keys[i], entries[i] = c.installedFromStats(&flows[i]) })
	inst := make(map[flowKey]*installedFlow, len(flows))
	for i, k := range keys {
		inst[k] = entries[i]
	}
	instG := make(map[uint32][]byte, len(groups))
	for _, gd := range groups {
		g, err := groupFromDesc(gd, c.dec)
		if err != nil {
			c.log.Warn("undecodable group on switch, will replace it", "group", gd.GroupID, "err", err)
			instG[gd.GroupID] = []byte("undecodable")
			continue
		}
		instG[gd.GroupID] = canonicalGroup(g)
	}
	instM := make(map[uint32][]byte, len(meters))
	for _, mc := range meters {
		instM[mc.MeterID] = canonicalMeter(&Meter{ID: mc.MeterID, Flags: mc.Flags, Bands: mc.Bands})
	}

	c.mu.Lock()
	drift := 0
	if countDrift {
		drift = countFlowDrift(c.installed, inst) + countBytesDrift(c.installedGrp, instG) + countBytesDrift(c.installedMeter, instM)
		c.stats.DriftChecks++
		c.stats.DriftRepairs += uint64(drift)
	}
	c.installed, c.installedGrp, c.installedMeter = inst, instG, instM
	clear(c.rejectedFlows)
	clear(c.rejectedGroups)
	clear(c.rejectedMeters)
	for k := range c.desired {
		c.dirty[k] = struct{}{}
	}
	for k := range inst {
		c.dirty[k] = struct{}{}
	}
	for id := range c.desiredGroups {
		c.dirtyGroups[id] = struct{}{}
	}
	for id := range instG {
		c.dirtyGroups[id] = struct{}{}
	}
	for id := range c.desiredMeters {
		c.dirtyMeters[id] = struct{}{}
	}
	for id := range instM {
		c.dirtyMeters[id] = struct{}{}
	}
	c.mu.Unlock()
	if drift > 0 {
		c.log.Warn("openflow drift repaired", "entries", drift)
	}
	return drift, c.syncLocked(ctx, cn)
}

func (c *Controller) installedFromStats(fs *conn.FlowStats) (flowKey, *installedFlow) {
	f := &installedFlow{cookie: fs.Cookie, oxm: append([]byte(nil), fs.Match...)}
	k := flowKey{table: fs.Table, priority: fs.Priority}
	m, err := c.dec.DecodeMatch(fs.Match)
	if err != nil {
		// Unknown to us, so never desired: keyed apart, to be deleted.
		k.match = "undecodable:" + string(fs.Match)
		f.text = fmt.Sprintf("table=%d, priority=%d, undecodable match (%v)", fs.Table, fs.Priority, err)
		return k, f
	}
	k.match = m.Key()
	raw, err := fs.Actions()
	if err == nil {
		var acts Actions
		if acts, err = c.dec.DecodeActions(raw); err == nil {
			f.actions = acts.Append(nil)
			return k, f
		}
	}
	// Actions we cannot read never equal desired ones: a desired flow with
	// this key gets re-added, a foreign one deleted.
	f.actions = []byte("undecodable")
	return k, f
}

func countFlowDrift(before, after map[flowKey]*installedFlow) int {
	n := 0
	for k, b := range before {
		a, ok := after[k]
		if !ok || a.cookie != b.cookie || !bytes.Equal(a.actions, b.actions) {
			n++
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			n++
		}
	}
	return n
}

func countBytesDrift(before, after map[uint32][]byte) int {
	n := 0
	for k, b := range before {
		if a, ok := after[k]; !ok || !bytes.Equal(a, b) {
			n++
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			n++
		}
	}
	return n
}

// Sync sends the pending changes of the desired table to the switch.
func (c *Controller) Sync(ctx context.Context) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	cn := c.Conn()
	if cn == nil {
		return errors.New("not connected")
	}
	return c.syncLocked(ctx, cn)
}

type opKind uint8

const (
	opFlow opKind = iota
	opGroup
	opMeter
)

// op is one message of a round.
type op struct {
	kind opKind
	cmd  uint8 // conn.FlowModCommand, GroupModCommand or MeterModCommand
	key  flowKey
	id   uint32
	df   *desiredFlow
	inf  *installedFlow
	dg   *desiredGroup
	dm   *desiredMeter
}

func (o *op) encode(dst []byte, xid uint32) []byte {
	switch o.kind {
	case opFlow:
		fm := conn.FlowMod{Command: conn.FlowModCommand(o.cmd), Table: o.key.table, Priority: o.key.priority}
		if o.df != nil && conn.FlowModCommand(o.cmd) != conn.FlowDeleteStrict {
			fm.Cookie, fm.Match, fm.Actions = o.df.flow.Cookie, o.df.oxm, o.df.actions
		} else {
			fm.Match = o.inf.oxm
		}
		return fm.Append(dst, xid)
	case opGroup:
		gm := conn.GroupMod{Command: conn.GroupModCommand(o.cmd), GroupID: o.id}
		if o.dg != nil && conn.GroupModCommand(o.cmd) != conn.GroupDelete {
			// add-or-modify, so that a group the switch has (or lost)
			// behind our back does not fail the bundle.
			gm.Command = conn.GroupAddOrMod
			gm.Type, gm.Buckets, gm.Properties = o.dg.group.Type, encodeBuckets(&o.dg.group), o.dg.group.Properties
		}
		return gm.Append(dst, xid)
	default:
		mm := conn.MeterMod{Command: conn.MeterModCommand(o.cmd), MeterID: o.id}
		if o.dm != nil && conn.MeterModCommand(o.cmd) != conn.MeterDelete {
			mm.Flags, mm.Bands = o.dm.meter.Flags, o.dm.meter.Bands
		}
		return mm.Append(dst, xid)
	}
}

func (o *op) describe() string {
	switch o.kind {
	case opFlow:
		if o.df != nil {
			return o.df.flow.String()
		}
		if o.inf.text != "" {
			return "delete " + o.inf.text
		}
		return fmt.Sprintf("delete table=%d, priority=%d", o.key.table, o.key.priority)
	case opGroup:
		return fmt.Sprintf("group_id=%d", o.id)
	default:
		return fmt.Sprintf("meter=%d", o.id)
	}
}

// plan turns the dirty sets into ops: meter adds/modifies, then in the
// bundle group adds/modifies, flow deletes, flow adds/modifies, group
// deletes, then meter deletes. Called with mu.
func (c *Controller) plan() (meterPre, bundle, meterPost []*op) {
	var groupPre, groupPost []*op
	// One allocation for all ops: the slab never grows past its capacity,
	// so the pointers stay valid.
	slab := make([]op, 0, len(c.dirty)+len(c.dirtyGroups)+len(c.dirtyMeters))
	newOp := func(o op) *op {
		slab = append(slab, o)
		return &slab[len(slab)-1]
	}
	for id := range c.dirtyMeters {
		d, want := c.desiredMeters[id]
		inst, have := c.installedMeter[id]
		switch {
		case want && c.rejectedMeters[id].entry == d:
		case want && !have:
			meterPre = append(meterPre, newOp(op{kind: opMeter, cmd: uint8(conn.MeterAdd), id: id, dm: d}))
		case want && !bytes.Equal(inst, d.canon):
			meterPre = append(meterPre, newOp(op{kind: opMeter, cmd: uint8(conn.MeterModify), id: id, dm: d}))
		case !want && have:
			meterPost = append(meterPost, newOp(op{kind: opMeter, cmd: uint8(conn.MeterDelete), id: id}))
		}
	}
	for id := range c.dirtyGroups {
		d, want := c.desiredGroups[id]
		inst, have := c.installedGrp[id]
		switch {
		case want && c.rejectedGroups[id].entry == d:
		case want && !have:
			groupPre = append(groupPre, newOp(op{kind: opGroup, cmd: uint8(conn.GroupAdd), id: id, dg: d}))
		case want && !bytes.Equal(inst, d.canon):
			groupPre = append(groupPre, newOp(op{kind: opGroup, cmd: uint8(conn.GroupModify), id: id, dg: d}))
		case !want && have:
			groupPost = append(groupPost, newOp(op{kind: opGroup, cmd: uint8(conn.GroupDelete), id: id}))
		}
	}
	// Flow deletions go first: if a desired match and an installed one are
	// the same rule under two spellings (a match that is not canonical),
	// delete-then-add leaves the rule installed where add-then-delete
	// would remove it.
	var flowDeletes, flowChanges []*op
	for k := range c.dirty {
		d, want := c.desired[k]
		inst, have := c.installed[k]
		switch {
		case want && c.rejectedFlows[k].entry == d:
		case want && !have:
			flowChanges = append(flowChanges, newOp(op{kind: opFlow, cmd: uint8(conn.FlowAdd), key: k, df: d}))
		case want && inst.cookie != d.flow.Cookie:
			// modify_strict keeps the old cookie, so replace the flow.
			flowChanges = append(flowChanges, newOp(op{kind: opFlow, cmd: uint8(conn.FlowAdd), key: k, df: d, inf: inst}))
		case want && !bytes.Equal(inst.actions, d.actions):
			flowChanges = append(flowChanges, newOp(op{kind: opFlow, cmd: uint8(conn.FlowModifyStrict), key: k, df: d, inf: inst}))
		case !want && have:
			flowDeletes = append(flowDeletes, newOp(op{kind: opFlow, cmd: uint8(conn.FlowDeleteStrict), key: k, inf: inst}))
		}
	}
	bundle = append(groupPre, flowDeletes...)
	bundle = append(bundle, flowChanges...)
	bundle = append(bundle, groupPost...)
	sortOps(meterPre)
	sortOps(meterPost)
	return meterPre, bundle, meterPost
}

// sortOps orders meter ops by id so that rounds are deterministic.
func sortOps(ops []*op) { sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id }) }

// maxLoggedRejections bounds the rejections logged per round.
const maxLoggedRejections = 10

// RejectedError reports the entries the switch refused in a round; the
// rest of the round was installed.
type RejectedError struct{ Rejections []Rejection }

func (e *RejectedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "switch rejected %d entr", len(e.Rejections))
	if len(e.Rejections) == 1 {
		b.WriteString("y")
	} else {
		b.WriteString("ies")
	}
	for i, r := range e.Rejections {
		if i == 5 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; %s: %v", r.What, r.Err)
	}
	return b.String()
}

// syncLocked runs one round. Called with syncMu held.
func (c *Controller) syncLocked(ctx context.Context, cn *conn.Conn) error {
	c.mu.Lock()
	seq := c.desiredSeq
	meterPre, bundleOps, meterPost := c.plan()
	c.dirty = make(map[flowKey]struct{})
	c.dirtyGroups = make(map[uint32]struct{})
	c.dirtyMeters = make(map[uint32]struct{})
	c.mu.Unlock()

	var refused []Rejection
	err := c.send(ctx, cn, meterPre, bundleOps, meterPost, &refused)
	if err != nil {
		// Outcome unknown: forget what we believe and re-dump next time.
		c.mu.Lock()
		c.requeue(meterPre, bundleOps, meterPost)
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	if len(meterPre)+len(bundleOps)+len(meterPost) > 0 {
		c.stats.Syncs++
	}
	if seq > c.installedSeq {
		c.installedSeq = seq
		close(c.installedCh)
		c.installedCh = make(chan struct{})
	}
	c.refreshRejections()
	c.mu.Unlock()
	if len(refused) > 0 {
		return &RejectedError{Rejections: refused}
	}
	return nil
}

// requeue marks the entries of a failed round dirty again. Called with mu.
func (c *Controller) requeue(lists ...[]*op) {
	for _, l := range lists {
		for _, o := range l {
			switch o.kind {
			case opFlow:
				c.dirty[o.key] = struct{}{}
			case opGroup:
				c.dirtyGroups[o.id] = struct{}{}
			default:
				c.dirtyMeters[o.id] = struct{}{}
			}
		}
	}
}

// refreshRejections drops rejections of entries that changed since and
// rebuilds the list. Called with mu.
func (c *Controller) refreshRejections() {
	c.rejections = c.rejections[:0]
	for k, r := range c.rejectedFlows {
		if c.desired[k] != r.entry {
			delete(c.rejectedFlows, k)
		} else {
			c.rejections = append(c.rejections, r.why)
		}
	}
	for id, r := range c.rejectedGroups {
		if c.desiredGroups[id] != r.entry {
			delete(c.rejectedGroups, id)
		} else {
			c.rejections = append(c.rejections, r.why)
		}
	}
	for id, r := range c.rejectedMeters {
		if c.desiredMeters[id] != r.entry {
			delete(c.rejectedMeters, id)
		} else {
			c.rejections = append(c.rejections, r.why)
		}
	}
	sort.Slice(c.rejections, func(i, j int) bool { return c.rejections[i].What < c.rejections[j].What })
}

// send transmits one round: meters that must exist before the bundle, the
// bundle (retried without the entries the switch rejected when the atomic
// commit failed), a barrier, then meter deletions.
func (c *Controller) send(ctx context.Context, cn *conn.Conn, meterPre, bundleOps, meterPost []*op, out *[]Rejection) error {
	for _, o := range meterPre {
		if err := c.sendMeter(ctx, cn, o, out); err != nil {
			return err
		}
	}
	pending := bundleOps
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 8 {
			return fmt.Errorf("bundle still failing after %d attempts", attempt)
		}
		b, err := cn.OpenBundle(ctx, conn.BundleAtomic|conn.BundleOrdered)
		if err != nil {
			return err
		}
		byXid := make(map[uint32]*op, len(pending))
		for _, o := range pending {
			xid, err := b.Add(o.encode)
			if err != nil {
				return fmt.Errorf("bundle add: %w", err)
			}
			byXid[xid] = o
		}
		err = b.Commit(ctx)
		var be *conn.BundleError
		if err != nil && !errors.As(err, &be) {
			return err
		}
		refused := map[*op]Rejection{}
		if be != nil {
			for xid, e := range be.Rejected {
				o, ok := byXid[xid]
				if !ok {
					continue
				}
				r := Rejection{What: o.describe(), Err: e}
				refused[o] = r
				*out = append(*out, r)
				// A bad translation can be refused thousands of times:
				// log the first few of a round, the caller has them all.
				if len(*out) <= maxLoggedRejections {
					c.log.Warn("switch rejected openflow entry", "entry", r.What, "err", e.Name())
				}
			}
		}
		if be != nil && be.Commit != nil {
			if len(refused) == 0 {
				return fmt.Errorf("bundle commit failed without naming a message: %w", be)
			}
			// Atomic commit: nothing applied. Retry without the refused.
			c.markRejected(refused)
			next := pending[:0:0]
			for _, o := range pending {
				if _, ok := refused[o]; !ok {
					next = append(next, o)
				}
			}
			pending = next
			continue
		}
		c.markRejected(refused)
		c.applied(pending, refused)
		break
	}
	if len(bundleOps) > 0 {
		if err := cn.Barrier(ctx); err != nil {
			return err
		}
	}
	for _, o := range meterPost {
		if err := c.sendMeter(ctx, cn, o, out); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) sendMeter(ctx context.Context, cn *conn.Conn, o *op, out *[]Rejection) error {
	err := cn.SendChecked(ctx, o.encode(nil, cn.NewXid()))
	// The switch's meters may differ from our view (another writer): an
	// add of an existing meter becomes a modify and vice versa.
	switch {
	case err != nil && errors.Is(err, conn.ErrMeterExists) && conn.MeterModCommand(o.cmd) == conn.MeterAdd:
		alt := *o
		alt.cmd = uint8(conn.MeterModify)
		err = cn.SendChecked(ctx, alt.encode(nil, cn.NewXid()))
	case err != nil && errors.Is(err, conn.ErrUnknownMeter) && conn.MeterModCommand(o.cmd) == conn.MeterModify:
		alt := *o
		alt.cmd = uint8(conn.MeterAdd)
		err = cn.SendChecked(ctx, alt.encode(nil, cn.NewXid()))
	case err != nil && errors.Is(err, conn.ErrUnknownMeter) && conn.MeterModCommand(o.cmd) == conn.MeterDelete:
		err = nil // already gone
	}
	var ofe *conn.OFError
	if err != nil && !errors.As(err, &ofe) {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.MeterMods++
	if err != nil {
		r := Rejection{What: o.describe(), Err: err}
		*out = append(*out, r)
		c.stats.Rejections++
		if o.dm != nil {
			c.rejectedMeters[o.id] = rejected[*desiredMeter]{o.dm, r}
		}
		return nil
	}
	if o.dm != nil && conn.MeterModCommand(o.cmd) != conn.MeterDelete {
		c.installedMeter[o.id] = o.dm.canon
	} else {
		delete(c.installedMeter, o.id)
	}
	return nil
}

func (c *Controller) markRejected(refused map[*op]Rejection) {
	if len(refused) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for o, why := range refused {
		c.stats.Rejections++
		switch {
		case o.kind == opFlow && o.df != nil:
			c.rejectedFlows[o.key] = rejected[*desiredFlow]{o.df, why}
		case o.kind == opGroup && o.dg != nil:
			c.rejectedGroups[o.id] = rejected[*desiredGroup]{o.dg, why}
		}
	}
}

// applied records a committed bundle in the installed view.
func (c *Controller) applied(ops []*op, refused map[*op]Rejection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Bundles++
	slab := make([]installedFlow, len(ops))
	for i, o := range ops {
		switch o.kind {
		case opFlow:
			c.stats.FlowMods++
		case opGroup:
			c.stats.GroupMods++
		}
		if _, ok := refused[o]; ok {
			continue
		}
		switch {
		case o.kind == opFlow && conn.FlowModCommand(o.cmd) == conn.FlowDeleteStrict:
			delete(c.installed, o.key)
		case o.kind == opFlow:
			slab[i] = installedFlow{cookie: o.df.flow.Cookie, oxm: o.df.oxm, actions: o.df.actions}
			c.installed[o.key] = &slab[i]
		case conn.GroupModCommand(o.cmd) == conn.GroupDelete:
			delete(c.installedGrp, o.id)
		default:
			c.installedGrp[o.id] = o.dg.canon
		}
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
	for ctx.Err() == nil {
		if err := c.Connect(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			c.log.Debug("openflow connect failed, retrying", "target", c.target, "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff = min(backoff*2, c.backoffMax)
			continue
		}
		backoff = c.backoffMin
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
