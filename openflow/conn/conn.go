package conn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Option configures Dial and New.
type Option func(*options)

type options struct {
	probeInterval time.Duration
	logger        *slog.Logger
	asyncBuffer   int
}

// WithProbeInterval makes the connection send an echo request after
// interval without any message from the switch, and close with an error
// if another interval passes without one. Zero (the default) disables
// probing; echo requests from the switch are always answered.
func WithProbeInterval(interval time.Duration) Option {
	return func(o *options) { o.probeInterval = interval }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAsyncBuffer sets the capacity of the Async channel (default 1024).
// When it is full, further asynchronous messages are dropped and counted.
func WithAsyncBuffer(n int) Option { return func(o *options) { o.asyncBuffer = n } }

// Conn is one OpenFlow 1.5 connection to a switch. A reader goroutine
// dispatches replies to the requests waiting for their xid; everything
// else (packet-ins, port status, errors nobody waits for) goes to Async.
// All methods are safe for concurrent use.
type Conn struct {
	nc       net.Conn
	log      *slog.Logger
	opts     options
	features Features

	wmu     sync.Mutex // guards w and scratch
	w       *bufio.Writer
	scratch []byte

	xid      atomic.Uint32
	bundleID atomic.Uint32

	mu      sync.Mutex
	waiters map[uint32]*waiter
	bundles map[uint32]*bundleErrors
	closed  bool
	err     error

	async     chan Message
	controlQ  chan []byte // messages the reader wants sent (echo replies)
	done      chan struct{}
	wg        sync.WaitGroup
	lastRecv  atomic.Int64
	dropped   atomic.Uint64
	closeOnce sync.Once
}

type waiter struct {
	// errorsOnly waiters expect no reply; they only collect an error.
	errorsOnly bool
	multipart  bool
	parts      []Message
	done       chan struct{}
	reply      Message
	err        error
}

// Dial connects to target ("unix:/path", "tcp:host:port", or a bare socket
// path), negotiates OpenFlow 1.5 and fetches the switch features.
func Dial(ctx context.Context, target string, opts ...Option) (*Conn, error) {
	network, addr := "unix", target
	switch {
	case strings.HasPrefix(target, "unix:"):
		addr = strings.TrimPrefix(target, "unix:")
	case strings.HasPrefix(target, "tcp:"):
		network, addr = "tcp", strings.TrimPrefix(target, "tcp:")
	}
	var d net.Dialer
	totals.opens.Add(1)
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("dial openflow %s: %w", target, err)
	}
	c, err := New(ctx, nc, opts...)
	if err != nil {
		return nil, fmt.Errorf("openflow %s: %w", target, err)
	}
	return c, nil
}

// New runs the OpenFlow handshake on an established connection. On error
// nc is closed.
func New(ctx context.Context, nc net.Conn, opts ...Option) (*Conn, error) {
	o := options{asyncBuffer: 1024, logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	c := &Conn{
		nc: nc, log: o.logger, opts: o,
		w:        bufio.NewWriterSize(nc, 256<<10),
		waiters:  make(map[uint32]*waiter),
		bundles:  make(map[uint32]*bundleErrors),
		async:    make(chan Message, o.asyncBuffer),
		controlQ: make(chan []byte, 64),
		done:     make(chan struct{}),
	}
	br := bufio.NewReaderSize(nc, 256<<10)
	if err := c.hello(ctx, br); err != nil {
		nc.Close()
		return nil, err
	}
	c.lastRecv.Store(time.Now().UnixNano())
	c.wg.Add(2)
	go c.readLoop(br)
	go c.controlLoop()
	if o.probeInterval > 0 {
		c.wg.Add(1)
		go c.probeLoop(o.probeInterval)
	}
	reply, err := c.Request(ctx, AppendSimple(nil, TypeFeaturesRequest, c.NewXid()))
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("features request: %w", err)
	}
	if c.features, err = DecodeFeatures(reply.Body()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// hello exchanges OFPT_HELLO before the reader goroutine runs.
func (c *Conn) hello(ctx context.Context, br *bufio.Reader) error {
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.nc.Write(AppendHello(nil, c.NewXid())); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	m, err := readMessage(br)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("hello: %w", ctx.Err())
		}
		return fmt.Errorf("read hello: %w", err)
	}
	switch m.Type {
	case TypeHello:
	case TypeError:
		if e, derr := DecodeError(m.Raw); derr == nil {
			return fmt.Errorf("hello: %w", e)
		}
		return fmt.Errorf("hello: malformed error reply")
	default:
		return fmt.Errorf("hello: switch sent %s first", m.Type)
	}
	if !helloSupports(m) {
		return fmt.Errorf("hello: switch does not offer OpenFlow 1.5 (version %#x)", m.Version)
	}
	return nil
}

// helloSupports reports whether a switch hello allows OpenFlow 1.5: through
// its version bitmap when present, else through its header version.
func helloSupports(m Message) bool {
	body := m.Body()
	for len(body) >= 4 {
		typ, n := be16(body), int(be16(body[2:]))
		if n < 4 || n > len(body) {
			break
		}
		if typ == 1 { // OFPHET_VERSIONBITMAP
			bm := body[4:n]
			word := int(Version) / 32
			if len(bm) < 4*(word+1) {
				return false
			}
			return be32(bm[4*word:])&(1<<(Version%32)) != 0
		}
		padded := (n + 7) &^ 7
		if padded > len(body) {
			break
		}
		body = body[padded:]
	}
	return m.Version >= Version
}

func readMessage(br *bufio.Reader) (Message, error) {
	var hdr [HeaderLen]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return Message{}, err
	}
	h, err := ParseHeader(hdr[:])
	if err != nil {
		return Message{}, err
	}
	raw := make([]byte, h.Length)
	copy(raw, hdr[:])
	if _, err := io.ReadFull(br, raw[HeaderLen:]); err != nil {
		return Message{}, err
	}
	totals.received.Add(1)
	return Message{Header: h, Raw: raw}, nil
}

// Features returns the switch features from the handshake.
func (c *Conn) Features() Features { return c.features }

// NewXid returns a fresh transaction id (never 0).
func (c *Conn) NewXid() uint32 {
	for {
		if x := c.xid.Add(1); x != 0 {
			return x
		}
	}
}

// Async delivers messages nobody requested: packet-ins, port status, flow
// removed, and errors whose xid no request waits for. It is closed when
// the connection ends.
func (c *Conn) Async() <-chan Message { return c.async }

// Dropped counts asynchronous messages dropped because Async was full.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// Done is closed when the connection has ended; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (nil while it is up).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection and waits for its goroutines.
func (c *Conn) Close() error {
	c.shutdown(ErrClosed)
	c.wg.Wait()
	return nil
}

func (c *Conn) shutdown(reason error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.err = reason
		waiters := c.waiters
		c.waiters = map[uint32]*waiter{}
		c.mu.Unlock()
		c.nc.Close()
		close(c.done)
		for _, w := range waiters {
			w.err = reason
			close(w.done)
		}
	})
}

// write sends one encoded message; flush pushes it to the socket now.
func (c *Conn) write(msg []byte, flush bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(msg, flush)
}

func (c *Conn) writeLocked(msg []byte, flush bool) error {
	totals.sent.Add(1)
	if _, err := c.w.Write(msg); err != nil {
		c.shutdown(fmt.Errorf("write: %w", err))
		return c.connErr()
	}
	if flush {
		if err := c.w.Flush(); err != nil {
			c.shutdown(fmt.Errorf("write: %w", err))
			return c.connErr()
		}
	}
	return nil
}

func (c *Conn) connErr() error {
	if err := c.Err(); err != nil {
		if errors.Is(err, ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return ErrClosed
}

// Send writes a message (with its xid already set) without waiting.
func (c *Conn) Send(msg []byte) error { return c.write(msg, true) }

func (c *Conn) register(xid uint32, w *waiter) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.errLocked()
	}
	c.waiters[xid] = w
	return nil
}

func (c *Conn) errLocked() error {
	if c.err == nil || errors.Is(c.err, ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, c.err)
}

func (c *Conn) unregister(xid uint32) {
	c.mu.Lock()
	delete(c.waiters, xid)
	c.mu.Unlock()
}

func (c *Conn) wait(ctx context.Context, xid uint32, w *waiter) error {
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		c.unregister(xid)
		return ctx.Err()
	}
}

// Request sends msg and waits for the reply with the same xid. An
// OFPT_ERROR reply is returned as *OFError.
func (c *Conn) Request(ctx context.Context, msg []byte) (Message, error) {
	xid := be32(msg[4:])
	w := &waiter{done: make(chan struct{})}
	if err := c.register(xid, w); err != nil {
		return Message{}, err
	}
	if err := c.write(msg, true); err != nil {
		c.unregister(xid)
		return Message{}, err
	}
	if err := c.wait(ctx, xid, w); err != nil {
		return Message{}, err
	}
	return w.reply, nil
}

// Multipart sends a multipart request and returns every reply message until
// the one without OFPMPF_REPLY_MORE.
func (c *Conn) Multipart(ctx context.Context, msg []byte) ([]Message, error) {
	xid := be32(msg[4:])
	w := &waiter{multipart: true, done: make(chan struct{})}
	if err := c.register(xid, w); err != nil {
		return nil, err
	}
	if err := c.write(msg, true); err != nil {
		c.unregister(xid)
		return nil, err
	}
	if err := c.wait(ctx, xid, w); err != nil {
		return nil, err
	}
	return w.parts, nil
}

// Barrier sends a barrier request and waits for its reply: every message
// sent before it has been processed by the switch.
func (c *Conn) Barrier(ctx context.Context) error {
	_, err := c.Request(ctx, AppendSimple(nil, TypeBarrierRequest, c.NewXid()))
	if err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	return nil
}

// Echo sends an echo request and returns the round-trip time.
func (c *Conn) Echo(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if _, err := c.Request(ctx, AppendEcho(nil, TypeEchoRequest, c.NewXid(), nil)); err != nil {
		return 0, fmt.Errorf("echo: %w", err)
	}
	return time.Since(start), nil
}

// SendChecked sends messages that have no reply of their own, followed by a
// barrier, and returns the errors the switch reported for them (joined).
// The xid of each message must be set and unique.
func (c *Conn) SendChecked(ctx context.Context, msgs ...[]byte) error {
	ws := make([]*waiter, len(msgs))
	xids := make([]uint32, len(msgs))
	for i, m := range msgs {
		xids[i] = be32(m[4:])
		ws[i] = &waiter{errorsOnly: true, done: make(chan struct{})}
		if err := c.register(xids[i], ws[i]); err != nil {
			c.unregisterAll(xids[:i])
			return err
		}
	}
	defer c.unregisterAll(xids)
	c.wmu.Lock()
	var err error
	for _, m := range msgs {
		if err = c.writeLocked(m, false); err != nil {
			break
		}
	}
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	if err := c.Barrier(ctx); err != nil {
		return err
	}
	var errs []error
	c.mu.Lock()
	for _, w := range ws {
		if w.err != nil {
			errs = append(errs, w.err)
		}
	}
	c.mu.Unlock()
	return errors.Join(errs...)
}

func (c *Conn) unregisterAll(xids []uint32) {
	c.mu.Lock()
	for _, x := range xids {
		delete(c.waiters, x)
	}
	c.mu.Unlock()
}

// SetConfig sends OFPT_SET_CONFIG (checked with a barrier).
func (c *Conn) SetConfig(ctx context.Context, flags, missSendLen uint16) error {
	if err := c.SendChecked(ctx, AppendSetConfig(nil, c.NewXid(), flags, missSendLen)); err != nil {
		return fmt.Errorf("set config: %w", err)
	}
	return nil
}

// SetPacketInFormat sends NXT_SET_PACKET_IN_FORMAT (PacketInFormatNXT2 for
// packet-in2 with continuations).
func (c *Conn) SetPacketInFormat(ctx context.Context, format uint32) error {
	if err := c.SendChecked(ctx, AppendSetPacketInFormat(nil, c.NewXid(), format)); err != nil {
		return fmt.Errorf("set packet-in format: %w", err)
	}
	return nil
}

// SetControllerID sends NXT_SET_CONTROLLER_ID.
func (c *Conn) SetControllerID(ctx context.Context, id uint16) error {
	if err := c.SendChecked(ctx, AppendSetControllerID(nil, c.NewXid(), id)); err != nil {
		return fmt.Errorf("set controller id: %w", err)
	}
	return nil
}

// FlowStats dumps the flows selected by req.
func (c *Conn) FlowStats(ctx context.Context, req FlowStatsRequest) ([]FlowStats, error) {
	parts, err := c.Multipart(ctx, AppendMultipartRequest(nil, c.NewXid(), MultipartFlowDesc, req.AppendBody(nil)))
	if err != nil {
		return nil, fmt.Errorf("flow stats: %w", err)
	}
	var out []FlowStats
	for _, p := range parts {
		if out, err = DecodeFlowStats(p.Body()[8:], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GroupDescs dumps the group descriptions (groupID GroupAll for all).
func (c *Conn) GroupDescs(ctx context.Context, groupID uint32) ([]GroupDesc, error) {
	parts, err := c.Multipart(ctx, AppendMultipartRequest(nil, c.NewXid(), MultipartGroupDesc, AppendGroupDescRequestBody(nil, groupID)))
	if err != nil {
		return nil, fmt.Errorf("group desc: %w", err)
	}
	var out []GroupDesc
	for _, p := range parts {
		if out, err = DecodeGroupDescs(p.Body()[8:], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MeterConfigs dumps the meter configurations (meterID MeterAll for all).
func (c *Conn) MeterConfigs(ctx context.Context, meterID uint32) ([]MeterConfig, error) {
	parts, err := c.Multipart(ctx, AppendMultipartRequest(nil, c.NewXid(), MultipartMeterDesc, AppendMeterDescRequestBody(nil, meterID)))
	if err != nil {
		return nil, fmt.Errorf("meter config: %w", err)
	}
	var out []MeterConfig
	for _, p := range parts {
		if out, err = DecodeMeterConfigs(p.Body()[8:], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TLVTable requests the switch's Geneve option → tun_metadata map.
func (c *Conn) TLVTable(ctx context.Context) (TLVTable, error) {
	reply, err := c.Request(ctx, AppendTLVTableRequest(nil, c.NewXid()))
	if err != nil {
		return TLVTable{}, fmt.Errorf("tlv table request: %w", err)
	}
	return DecodeTLVTableReply(reply.Raw)
}

// EnsureTLVMap makes sure the option (class, type, length) is mapped to a
// tun_metadata field and returns its index: an existing mapping is kept,
// otherwise the lowest free index is added, as ovn-controller does.
func (c *Conn) EnsureTLVMap(ctx context.Context, class uint16, typ, length uint8) (uint16, error) {
	for attempt := 0; attempt < 3; attempt++ {
		table, err := c.TLVTable(ctx)
		if err != nil {
			return 0, err
		}
		if idx, ok := table.Lookup(class, typ, length); ok {
			return idx, nil
		}
		used := map[uint16]bool{}
		for _, m := range table.Maps {
			used[m.Index] = true
		}
		idx := uint16(0)
		for used[idx] {
			idx++
		}
		if table.MaxFields != 0 && idx >= table.MaxFields {
			return 0, fmt.Errorf("tlv table full (%d fields)", table.MaxFields)
		}
		err = c.SendChecked(ctx, AppendTLVTableMod(nil, c.NewXid(), TLVTableAdd,
			[]TLVMap{{OptionClass: class, OptionType: typ, OptionLen: length, Index: idx}}))
		if err == nil {
			return idx, nil
		}
		// Another controller may have mapped it (or taken the index)
		// meanwhile; look again.
		var ofe *OFError
		if !errors.As(err, &ofe) {
			return 0, fmt.Errorf("tlv table mod: %w", err)
		}
		c.log.Debug("tlv table mod rejected, retrying", "err", err)
	}
	return 0, fmt.Errorf("tlv table mod: mapping option %#x/%#x/%d kept failing", class, typ, length)
}

// PacketOut sends an OFPT_PACKET_OUT.
func (c *Conn) PacketOut(p *PacketOut) error { return c.Send(p.Append(nil, c.NewXid())) }

// Resume sends NXT_RESUME for a paused packet-in.
func (c *Conn) Resume(pin *PacketIn, packet []byte) error {
	return c.Send(AppendResume(nil, c.NewXid(), pin, packet))
}

func (c *Conn) readLoop(br *bufio.Reader) {
	defer c.wg.Done()
	defer close(c.async)
	for {
		m, err := readMessage(br)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				c.shutdown(fmt.Errorf("switch closed the connection: %w", err))
			} else {
				c.shutdown(fmt.Errorf("read: %w", err))
			}
			return
		}
		c.lastRecv.Store(time.Now().UnixNano())
		c.dispatch(m)
	}
}

func (c *Conn) dispatch(m Message) {
	switch m.Type {
	case TypeEchoRequest:
		reply := append([]byte(nil), m.Raw...)
		reply[1] = byte(TypeEchoReply)
		// Never block the reader: if replies pile up, the writer is stuck
		// and the switch will judge the connection by later probes.
		select {
		case c.controlQ <- reply:
		default:
			c.log.Warn("openflow echo reply dropped: writer busy")
		}
		return
	case TypeError:
		e, err := DecodeError(m.Raw)
		if err != nil {
			c.log.Warn("malformed openflow error", "err", err)
			return
		}
		if c.deliverError(m.Xid, e) {
			return
		}
	case TypeHello, TypePacketIn, TypePortStatus, TypeFlowRemoved, TypeRoleStatus, TypeTableStatus,
		TypeRequestForward, TypeControllerStatus:
	case TypeEchoReply:
		c.deliverReply(m) // unmatched replies answer our own probes
		return
	default:
		if c.deliverReply(m) {
			return
		}
	}
	c.pushAsync(m)
}

func (c *Conn) deliverReply(m Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.waiters[m.Xid]
	if !ok || w.errorsOnly {
		return false
	}
	if w.multipart {
		if m.Type != TypeMultipartReply || len(m.Raw) < multipartHeaderBytes {
			return false
		}
		w.parts = append(w.parts, m)
		if be16(m.Raw[10:])&MultipartReplyMore != 0 {
			return true
		}
	}
	w.reply = m
	delete(c.waiters, m.Xid)
	close(w.done)
	return true
}

func (c *Conn) deliverError(xid uint32, e *OFError) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.waiters[xid]; ok {
		w.err = e
		if !w.errorsOnly {
			delete(c.waiters, xid)
			close(w.done)
		}
		return true
	}
	// Errors about a bundled message carry the bundle-add message as data.
	if len(e.Data) >= bundleAddHeaderLen && MsgType(e.Data[1]) == TypeBundleAddMessage {
		if be, ok := c.bundles[be32(e.Data[8:])]; ok {
			be.add(xid, e)
			return true
		}
	}
	return false
}

func (c *Conn) pushAsync(m Message) {
	select {
	case c.async <- m:
	default:
		if n := c.dropped.Add(1); n&(n-1) == 0 {
			c.log.Warn("openflow async queue full, dropping", "msg", m.Name(), "dropped", n)
		}
	}
}

// controlLoop writes the messages the reader must not write itself (it
// would block on a writer that waits for the switch, which waits for us).
func (c *Conn) controlLoop() {
	defer c.wg.Done()
	for {
		select {
		case msg := <-c.controlQ:
			if err := c.write(msg, true); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}

func (c *Conn) probeLoop(interval time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	probing := false
	var probeSent time.Time
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			last := time.Unix(0, c.lastRecv.Load())
			switch {
			case now.Sub(last) < interval:
				probing = false
			case !probing:
				probing, probeSent = true, now
				msg := AppendEcho(nil, TypeEchoRequest, c.NewXid(), nil)
				select {
				case c.controlQ <- msg:
				case <-c.done:
					return
				}
			case last.Before(probeSent) && now.Sub(probeSent) >= interval:
				c.log.Warn("openflow switch did not answer the echo probe", "idle", now.Sub(last))
				c.shutdown(fmt.Errorf("no message from the switch for %v (probe interval %v)", now.Sub(last), interval))
				return
			}
		}
	}
}

// bundleErrors collects the errors about one bundle's messages.
type bundleErrors struct {
	mu   sync.Mutex
	errs map[uint32]*OFError
}

func (b *bundleErrors) add(xid uint32, e *OFError) {
	b.mu.Lock()
	if b.errs == nil {
		b.errs = map[uint32]*OFError{}
	}
	b.errs[xid] = e
	b.mu.Unlock()
}
