package pinctrl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/chassisd/chassisd/agent/internal/ratelog"
	"github.com/chassisd/chassisd/agent/metrics"
	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// reasonAction is OFPR_ACTION: the packet-in came from a controller action.
const reasonAction = 1

// oxmInPortController is the packet-out match in_port=CONTROLLER
// (OXM_OF_IN_PORT, OFPP_CONTROLLER).
var oxmInPortController = []byte{0x80, 0x00, 0x00, 0x04, 0xff, 0xff, 0xff, 0xfd}

// Options configure a Pinctrl.
type Options struct {
	Logger *slog.Logger
	// Notify is called (from pinctrl's goroutines, must not block) when
	// results for the main loop are ready, e.g. the agent's poke.
	Notify func()
	// RetryInterval is how long to wait before reconnecting (default 1s).
	RetryInterval time.Duration
}

// Pinctrl is the controller side of br-int's controller actions.
type Pinctrl struct {
	target string
	opts   Options
	log    *slog.Logger
	aclLog *slog.Logger
	macs   macQueue
	buffer packetBuffer
	fdb    fdbQueue
	garps  garpSet

	// Every line a packet can trigger goes through a rate limiter, as in
	// ovn-controller: a guest must not be able to fill the disk.
	rl logLimits

	mu     sync.Mutex
	conn   sender                      // the current connection, nil when down
	dns    map[int64]DNSRecords        // by datapath key
	warned map[string]*ratelog.Limiter // per kind of warning
}

// logLimits are ovn-controller's limits where it has one
// (VLOG_RATE_LIMIT_INIT(lines per minute, burst)).
type logLimits struct {
	dhcp   *ratelog.Limiter // replies sent: 20, 40 as pinctrl.c
	failed *ratelog.Limiter // packet-ins not answered: 1, 5 as pinctrl.c's warnings
	// ACL log lines: ovn-controller limits them only with the ACL's meter
	// (log(meter=...)); without one, this keeps a flood from filling the
	// disk while letting an operator's test traffic through.
	acl *ratelog.Limiter
}

func newLogLimits() logLimits {
	return logLimits{dhcp: ratelog.New(20, 40), failed: ratelog.New(1, 5), acl: ratelog.New(1200, 200)}
}

// New returns a Pinctrl for the switch at target
// ("unix:<rundir>/br-int.mgmt"); Run connects it.
func New(target string, opts Options) *Pinctrl {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Notify == nil {
		opts.Notify = func() {}
	}
	if opts.RetryInterval == 0 {
		opts.RetryInterval = time.Second
	}
	return &Pinctrl{target: target, opts: opts, log: opts.Logger, rl: newLogLimits(), warned: map[string]*ratelog.Limiter{},
		aclLog: opts.Logger.With("module", "acl_log")}
}

// Target is the OpenFlow target this Pinctrl connects to.
func (p *Pinctrl) Target() string { return p.target }

// TakeMACBindings removes and returns the learned bindings that are due;
// the main loop writes them to MAC_Binding. Bindings not yet due are
// announced through Notify when they are.
func (p *Pinctrl) TakeMACBindings(now time.Time) []MACBinding {
	due, _ := p.macs.take(now)
	return due
}

// Run keeps a connection to the switch and answers packet-ins until ctx is
// cancelled; it returns nil then.
func (p *Pinctrl) Run(ctx context.Context) error {
	failures := 0
	for {
		connected, err := p.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			failures = 0
			p.log.Warn("pinctrl connection lost, reconnecting", "target", p.target, "err", err)
		} else {
			// Usual for a moment while ovs-vswitchd creates the bridge:
			// warn on the first failure of a streak, then once a minute.
			failures++
			level := slog.LevelDebug
			if failures == 1 || failures%60 == 0 {
				level = slog.LevelWarn
			}
			p.log.Log(ctx, level, "pinctrl cannot connect, retrying", "target", p.target, "err", err, "attempt", failures)
		}
		t := time.NewTimer(p.opts.RetryInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// session runs one connection to its end; connected tells whether the
// switch accepted it.
func (p *Pinctrl) session(ctx context.Context) (connected bool, err error) {
	c, err := conn.Dial(ctx, p.target, conn.WithAsyncBuffer(1024), conn.WithLogger(p.log),
		conn.WithProbeInterval(10*time.Second))
	if err != nil {
		return false, err
	}
	defer c.Close()
	if err := c.SetPacketInFormat(ctx, conn.PacketInFormatNXT2); err != nil {
		return true, err
	}
	// Service connections (the .mgmt socket) get no packet-ins until they
	// ask for them with a non-zero miss_send_len.
	if err := c.SetConfig(ctx, conn.ConfigFragNormal, 0xffff); err != nil {
		return true, err
	}
	p.log.Info("pinctrl connected", "target", p.target)
	p.mu.Lock()
	p.conn = c
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.conn = nil
		p.mu.Unlock()
	}()
	periodic := time.NewTicker(250 * time.Millisecond)
	defer periodic.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case now := <-periodic.C:
			p.sendGARPs(c, now)
		case m, ok := <-c.Async():
			if !ok {
				return true, fmt.Errorf("pinctrl: %w", c.Err())
			}
			if v, st, isNX := m.Experimenter(); !isNX || v != conn.NiciraVendor || st != conn.NXTPacketIn2 {
				continue
			}
			metrics.PinctrlTotalPinPkts.Inc()
			if err := p.handle(c, m.Raw, time.Now()); errors.Is(err, conn.ErrClosed) {
				return true, err
			}
		}
	}
}

// handle decodes and answers one NXT_PACKET_IN2. Its failures come from
// what a guest sent, so they are logged rate-limited; only a closed
// connection is returned.
func (p *Pinctrl) handle(s sender, raw []byte, now time.Time) error {
	pin, err := conn.DecodePacketIn2(raw)
	if err != nil {
		p.warn("decode", "malformed packet-in", "err", err)
		return nil
	}
	if err := p.answer(s, pin, now); err != nil {
		if errors.Is(err, conn.ErrClosed) {
			return err
		}
		p.rl.failed.LogAt(now, p.log, slog.LevelDebug, "pinctrl: packet-in not answered", "err", err)
	}
	return nil
}

// sender is the part of the switch connection replies go to.
type sender interface {
	PacketOut(*conn.PacketOut) error
	Resume(pin *conn.PacketIn, packet []byte) error
}

// answer handles one packet-in and sends its reply, if any.
func (p *Pinctrl) answer(s sender, pin *conn.PacketIn, now time.Time) error {
	r, err := p.process(pin, now)
	if r.resume != nil {
		if rerr := s.Resume(r.resume, r.packet); rerr != nil {
			return fmt.Errorf("resume: %w", rerr)
		}
	}
	if r.packetOut != nil {
		if perr := s.PacketOut(r.packetOut); perr != nil {
			return fmt.Errorf("packet-out: %w", perr)
		}
	}
	return err
}

// reply is what process decided to send back.
type reply struct {
	packetOut *conn.PacketOut
	resume    *conn.PacketIn // the packet-in to resume (metadata possibly rewritten)
	packet    []byte         // the packet to resume with
}

// process decides the answer to one packet-in. Paused packet-ins are
// always resumed, also when handling fails.
func (p *Pinctrl) process(pin *conn.PacketIn, now time.Time) (reply, error) {
	var r reply
	if pin.Continuation != nil {
		r = reply{resume: pin, packet: pin.Packet}
	}
	if pin.Reason != reasonAction {
		return r, nil
	}
	ud, err := actions.DecodeUserdata(pin.Userdata)
	if err != nil {
		return r, err
	}
	metrics.FlowExtract.Inc()
	metrics.PinctrlPackets.WithLabelValues(ud.Op.String()).Inc()
	md, err := flow.DecodeOXMFields(pin.Metadata)
	if err != nil {
		return r, fmt.Errorf("packet-in metadata: %w", err)
	}
	switch ud.Op {
	case actions.OpPutARP:
		ip, _, _ := md.GetUint(flow.FieldReg0)
		return r, p.learn(pin, md, netip.AddrFrom4(be32Bytes(uint32(ip))), now)
	case actions.OpPutND:
		return r, p.learn(pin, md, xxreg0(md), now)
	case actions.OpPutFDB:
		f, err := parseFrame(pin.Packet)
		if err != nil {
			return r, err
		}
		dp, _, _ := md.GetUint(flow.FieldMetadata)
		port, _, _ := md.GetUint(pipeline.RegInport)
		if p.fdb.add(int64(dp), int64(port), f.src) {
			p.opts.Notify()
		} else {
			p.warn("fdb-overflow", "pinctrl: too many pending FDB entries, dropping")
		}
		return r, nil
	case actions.OpARP:
		r, err := p.packetOut(r, pin, md, ud, composeARPRequest)
		if err == nil {
			ip, _, _ := md.GetUint(flow.FieldReg0)
			p.bufferPacket(now, pin, md, netip.AddrFrom4(be32Bytes(uint32(ip))))
		}
		return r, err
	case actions.OpNDNS:
		r, err := p.packetOut(r, pin, md, ud, composeNeighborSolicit)
		if err == nil {
			p.bufferPacket(now, pin, md, xxreg0(md))
		}
		return r, err
	case actions.OpNDNA, actions.OpNDNARouter:
		router := ud.Op == actions.OpNDNARouter
		return p.packetOut(r, pin, md, ud, func(b []byte) ([]byte, error) { return composeNeighborAdvert(b, router) })
	case actions.OpICMP:
		return p.packetOut(r, pin, md, ud, func(b []byte) ([]byte, error) { return composeICMP(b, true) })
	case actions.OpICMP4Error, actions.OpICMP6Error:
		return p.packetOut(r, pin, md, ud, func(b []byte) ([]byte, error) { return composeICMP(b, false) })
	case actions.OpTCPReset:
		return p.packetOut(r, pin, md, ud, composeTCPReset)
	case actions.OpReject:
		return p.packetOut(r, pin, md, ud, composeReject)
	case actions.OpPutICMP4FragMTU, actions.OpPutICMP6FragMTU:
		if r.resume != nil {
			if pkt, err := setFragMTU(pin.Packet, ud.Payload); err == nil {
				r.packet = pkt
			} else {
				return r, err
			}
		}
		return r, nil
	case actions.OpPutDHCPOpts:
		if r.resume == nil {
			return r, fmt.Errorf("put_dhcp_opts without continuation")
		}
		return p.dhcpv4(r, pin, md, ud)
	case actions.OpPutDHCPv6Opts:
		if r.resume == nil {
			return r, fmt.Errorf("put_dhcpv6_opts without continuation")
		}
		return p.dhcpv6(r, pin, md, ud)
	case actions.OpDNSLookup:
		if r.resume == nil {
			return r, fmt.Errorf("dns_lookup without continuation")
		}
		return p.dnsLookup(r, pin, md, ud)
	case actions.OpLog:
		p.logACL(pin, ud.Payload)
		return r, nil
	default:
		p.warn("op-"+ud.Op.String(), "pinctrl: controller opcode not handled", "opcode", ud.Op.String())
		return r, nil
	}
}

// xxreg0 reads the IPv6 argument register of put_nd and nd_ns.
func xxreg0(md flow.Match) netip.Addr {
	var ip [16]byte
	if v, _, ok := md.Get(flow.FieldXXReg0); ok {
		copy(ip[:], v)
	}
	return netip.AddrFrom16(ip)
}

// bufferPacket keeps the packet that needed a next-hop resolution until
// its MAC_Binding appears (keyed by datapath, logical outport and IP).
func (p *Pinctrl) bufferPacket(now time.Time, pin *conn.PacketIn, md flow.Match, ip netip.Addr) {
	dp, _, _ := md.GetUint(flow.FieldMetadata)
	port, _, _ := md.GetUint(pipeline.RegOutport)
	if !p.buffer.add(now, Neighbour{DatapathKey: int64(dp), PortKey: int64(port), IP: ip.Unmap()}, pin.Packet, md) {
		metrics.PinctrlDropBufferedPackets.Inc()
		p.warn("buffer-full", "pinctrl: too many next hops being resolved, dropping packet")
	}
}

// learn queues the MAC binding of a put_arp/put_nd: the flow moved the
// learned MAC into eth.src just before the controller action.
func (p *Pinctrl) learn(pin *conn.PacketIn, md flow.Match, ip netip.Addr, now time.Time) error {
	f, err := parseFrame(pin.Packet)
	if err != nil {
		return err
	}
	dp, _, _ := md.GetUint(flow.FieldMetadata)
	port, _, _ := md.GetUint(pipeline.RegInport)
	at, ok := p.macs.add(now, int64(dp), int64(port), ip, f.src, f.dst[0]&1 != 0)
	if !ok {
		metrics.PinctrlDropPutMACBinding.Inc()
		p.warn("mac-overflow", "pinctrl: too many pending MAC bindings, dropping")
		return nil
	}
	if d := at.Sub(now); d > 0 {
		time.AfterFunc(d, p.opts.Notify)
	} else {
		p.opts.Notify()
	}
	return nil
}

// packetOut composes a new packet from the packet-in and sends it through
// the nested actions of the userdata, with the logical pipeline state
// (metadata and registers) of the packet-in restored first.
func (p *Pinctrl) packetOut(r reply, pin *conn.PacketIn, md flow.Match, ud actions.Userdata,
	compose func([]byte) ([]byte, error)) (reply, error) {
	pkt, err := compose(pin.Packet)
	if err != nil {
		return r, fmt.Errorf("%s: %w", ud.Op, err)
	}
	r.packetOut = &conn.PacketOut{Match: oxmInPortController, Actions: append(restoreActions(md), ud.Payload...), Packet: pkt}
	return r, nil
}

// restoreActions sets metadata and every non-zero register of md.
func restoreActions(md flow.Match) []byte {
	var as flow.Actions
	if v, _, ok := md.GetUint(flow.FieldMetadata); ok && v != 0 {
		as = append(as, flow.SetFieldUint(flow.FieldMetadata, v))
	}
	for i := 0; i < 16; i++ {
		if v, _, ok := md.GetUint(flow.FieldReg(i)); ok && v != 0 {
			as = append(as, flow.SetFieldUint(flow.FieldReg(i), v))
		}
	}
	return as.Append(nil)
}

// setFragMTU writes the MTU of a PUT_ICMP4_FRAG_MTU (be16) or
// PUT_ICMP6_FRAG_MTU (be32) into the ICMP error and fixes its checksum.
func setFragMTU(pkt []byte, arg []byte) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), pkt...)
	l3 := len(pkt) - len(f.payload)
	switch {
	case f.etherType == ethTypeIPv4 && len(arg) >= 2:
		ip, err := parseIPv4(f.payload)
		if err != nil || ip.proto != protoICMP || ip.total < ip.ihl+8 {
			return nil, errNotParsable
		}
		icmp := out[l3+ip.ihl : l3+ip.total]
		copy(icmp[6:8], arg[:2])
		icmp[2], icmp[3] = 0, 0
		binary.BigEndian.PutUint16(icmp[2:], checksum(0, icmp))
	case f.etherType == ethTypeIPv6 && len(arg) >= 4:
		ip, err := parseIPv6(f.payload)
		if err != nil || ip.next != protoICMPv6 || len(f.payload) < ipv6HeaderLen+8 {
			return nil, errNotParsable
		}
		icmp := out[l3+ipv6HeaderLen:]
		copy(icmp[4:8], arg[:4])
		icmp[2], icmp[3] = 0, 0
		binary.BigEndian.PutUint16(icmp[2:], checksum(ipv6PseudoSum(ip.src, ip.dst, len(icmp), protoICMPv6), icmp))
	default:
		return nil, errNotParsable
	}
	return out, nil
}

// logACL prints the log line of an ACL with log=true, byte for byte as
// OVN's acl_log module does (always at INFO, the severity is in the text).
func (p *Pinctrl) logACL(pin *conn.PacketIn, args []byte) {
	if len(args) < 2 {
		p.warn("acl-log", "log data missing")
		return
	}
	direction := "to-lport"
	if pin.TableID < pipeline.TableLogEgress {
		direction = "from-lport"
	}
	p.rl.acl.Info(p.aclLog, aclLogLine(string(args[2:]), args[0], args[1], direction, pin.Packet))
}

// warn logs a warning a packet triggered, rate-limited per kind as
// ovn-controller's VLOG_WARN_RL (1 a minute, bursts of 5). Kinds are a
// fixed set (and opcode names), so the map stays small.
func (p *Pinctrl) warn(kind, msg string, args ...any) {
	p.mu.Lock()
	l := p.warned[kind]
	if l == nil {
		l = ratelog.New(1, 5)
		p.warned[kind] = l
	}
	p.mu.Unlock()
	l.Warn(p.log, msg, args...)
}

func be32Bytes(v uint32) [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return b
}
