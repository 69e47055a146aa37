package conn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Bundle is an open OpenFlow bundle. Messages added to it are streamed to
// the switch without waiting (ovs-vswitchd discards bundles idle for 10 s,
// so do not pause between Add and Commit). A Bundle is used by one
// goroutine at a time.
type Bundle struct {
	c     *Conn
	id    uint32
	flags uint16
	errs  *bundleErrors
	n     int
	done  bool
}

// BundleError reports a failed bundle: the messages the switch rejected
// (by the xid Add returned) and the outcome of the commit.
type BundleError struct {
	BundleID uint32
	// Rejected maps the xid of each rejected message to the switch's error.
	Rejected map[uint32]*OFError
	// Commit is the commit's own error (usually OFPBFC_MSG_FAILED), nil if
	// the commit succeeded in spite of rejected messages.
	Commit error
}

func (e *BundleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bundle %d", e.BundleID)
	if e.Commit != nil {
		fmt.Fprintf(&b, " commit failed: %v", e.Commit)
	} else {
		b.WriteString(" committed")
	}
	if len(e.Rejected) > 0 {
		xids := make([]uint32, 0, len(e.Rejected))
		for x := range e.Rejected {
			xids = append(xids, x)
		}
		sort.Slice(xids, func(i, j int) bool { return xids[i] < xids[j] })
		fmt.Fprintf(&b, "; %d message(s) rejected:", len(xids))
		for i, x := range xids {
			if i == 5 {
				fmt.Fprintf(&b, " ...")
				break
			}
			fmt.Fprintf(&b, " [%v]", e.Rejected[x])
		}
	}
	return b.String()
}

func (e *BundleError) Unwrap() error { return e.Commit }

// OpenBundle opens a bundle with the given flags (BundleAtomic|BundleOrdered)
// and waits for the switch to confirm.
func (c *Conn) OpenBundle(ctx context.Context, flags uint16) (*Bundle, error) {
	id := c.bundleID.Add(1)
	b := &Bundle{c: c, id: id, flags: flags, errs: &bundleErrors{}}
	c.mu.Lock()
	c.bundles[id] = b.errs
	c.mu.Unlock()
	reply, err := c.Request(ctx, AppendBundleControl(nil, c.NewXid(), id, BundleOpenRequest, flags))
	if err == nil {
		err = checkBundleReply(reply, BundleOpenReply)
	}
	if err != nil {
		b.release()
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	return b, nil
}

func checkBundleReply(m Message, want uint16) error {
	if m.Type != TypeBundleControl || len(m.Raw) < 16 {
		return fmt.Errorf("unexpected reply %s", m.Name())
	}
	if got := be16(m.Raw[12:]); got != want {
		return fmt.Errorf("bundle control reply type %d, want %d", got, want)
	}
	return nil
}

func (b *Bundle) release() {
	b.c.mu.Lock()
	delete(b.c.bundles, b.id)
	b.c.mu.Unlock()
	b.done = true
}

// ID is the bundle id.
func (b *Bundle) ID() uint32 { return b.id }

// Len is the number of messages added so far.
func (b *Bundle) Len() int { return b.n }

// Add appends one message to the bundle. encode appends the complete inner
// message with the given xid (FlowMod.Append, GroupMod.Append ...); the xid
// is returned so that a rejection can be mapped back to what was added.
func (b *Bundle) Add(encode func(dst []byte, xid uint32) []byte) (uint32, error) {
	if b.done {
		return 0, fmt.Errorf("bundle %d already finished", b.id)
	}
	c := b.c
	xid := c.NewXid()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	buf := c.scratch[:0]
	buf = appendBundleAddHeader(buf, xid, b.id, b.flags, 0)
	buf = encode(buf, xid)
	c.scratch = buf
	total := len(buf)
	if total > MaxMessageLen {
		return 0, fmt.Errorf("bundle %d: message of %d bytes exceeds %d", b.id, total, MaxMessageLen)
	}
	binary.BigEndian.PutUint16(buf[2:], uint16(total))
	b.n++
	return xid, c.writeLocked(buf, false)
}

// AddRaw appends an already encoded message; its xid is overwritten.
func (b *Bundle) AddRaw(msg []byte) (uint32, error) {
	return b.Add(func(dst []byte, xid uint32) []byte {
		s := len(dst)
		dst = append(dst, msg...)
		binary.BigEndian.PutUint32(dst[s+4:], xid)
		return dst
	})
}

// Commit commits the bundle and waits for the reply. If the switch rejected
// any message, or the commit failed, the error is a *BundleError.
func (b *Bundle) Commit(ctx context.Context) error {
	return b.finish(ctx, BundleCommitRequest, BundleCommitReply)
}

// Discard discards the bundle.
func (b *Bundle) Discard(ctx context.Context) error {
	return b.finish(ctx, BundleDiscardRequest, BundleDiscardReply)
}

func (b *Bundle) finish(ctx context.Context, req, want uint16) error {
	if b.done {
		return fmt.Errorf("bundle %d already finished", b.id)
	}
	defer b.release()
	reply, err := b.c.Request(ctx, AppendBundleControl(nil, b.c.NewXid(), b.id, req, b.flags))
	if err == nil {
		err = checkBundleReply(reply, want)
	}
	var ofe *OFError
	if err != nil && !errors.As(err, &ofe) {
		return fmt.Errorf("bundle %d: %w", b.id, err) // connection trouble: outcome unknown
	}
	b.errs.mu.Lock()
	rejected := b.errs.errs
	b.errs.mu.Unlock()
	if err == nil && len(rejected) == 0 {
		return nil
	}
	return &BundleError{BundleID: b.id, Rejected: rejected, Commit: err}
}
