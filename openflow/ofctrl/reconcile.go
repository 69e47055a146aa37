package ofctrl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/chassisd/chassisd/openflow/conn"
)

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
