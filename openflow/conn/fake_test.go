package conn

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeSwitch is a scripted switch on the other end of a connection, for
// tests of Conn's logic that need no Open vSwitch.
type fakeSwitch struct {
	t   *testing.T
	nc  net.Conn
	br  *bufio.Reader
	got chan Message
}

// serveFake accepts one connection on ln, does the hello and features
// exchange, then hands every further message to handle (which may write
// replies with sw.send).
func serveFake(t *testing.T, ln net.Listener, hello []byte, handle func(sw *fakeSwitch, m Message)) {
	t.Helper()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		sw := &fakeSwitch{t: t, nc: nc, br: bufio.NewReader(nc)}
		defer nc.Close()
		if _, err := nc.Write(hello); err != nil {
			return
		}
		for {
			m, err := readMessage(sw.br)
			if err != nil {
				return
			}
			switch m.Type {
			case TypeHello:
			case TypeFeaturesRequest:
				body := make([]byte, 24)
				binary.BigEndian.PutUint64(body, 0xabcdef)
				body[12] = 254
				sw.send(append(AppendSimple(nil, TypeFeaturesReply, m.Xid)[:HeaderLen], body...))
			default:
				handle(sw, m)
			}
		}
	}()
}

func (sw *fakeSwitch) send(msg []byte) {
	binary.BigEndian.PutUint16(msg[2:], uint16(len(msg)))
	if _, err := sw.nc.Write(msg); err != nil {
		sw.t.Logf("fake switch write: %v", err)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback tcp: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func errorMsg(xid uint32, typ, code uint16, offending []byte) []byte {
	b := appendHeader(nil, TypeError, xid)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, code)
	return append(b, offending...)
}

func TestFakeSwitchRouting(t *testing.T) {
	ln := listen(t)
	serveFake(t, ln, AppendHello(nil, 1), func(sw *fakeSwitch, m Message) {
		switch m.Type {
		case TypeEchoRequest:
			reply := append([]byte(nil), m.Raw...)
			reply[1] = byte(TypeEchoReply)
			sw.send(reply)
		case TypeBarrierRequest:
			// An unsolicited echo request first: the client must answer it.
			sw.send(AppendEcho(nil, TypeEchoRequest, 0x777, []byte("ping")))
			sw.send(AppendSimple(nil, TypeBarrierReply, m.Xid))
		case TypeEchoReply:
			if m.Xid == 0x777 && bytes.Equal(m.Body(), []byte("ping")) {
				sw.send(AppendSimple(nil, TypePortStatus, 0)) // signal: echo answered
			}
		case TypeMultipartRequest:
			// Three parts, REPLY_MORE on the first two.
			for i := 0; i < 3; i++ {
				b := appendHeader(nil, TypeMultipartReply, m.Xid)
				b = binary.BigEndian.AppendUint16(b, MultipartMeterDesc)
				more := uint16(0)
				if i < 2 {
					more = MultipartReplyMore
				}
				b = binary.BigEndian.AppendUint16(b, more)
				b = append(b, 0, 0, 0, 0)
				b = append(b, 0, 8, 0, 0, 0, 0, 0, byte(i+1)) // one meter config, id i+1
				sw.send(b)
			}
		case TypeFlowMod:
			sw.send(errorMsg(m.Xid, 2, 15, m.Raw[:min(64, len(m.Raw))]))
		case TypeExperimenter:
			// NX error for a TLV table mod: NXTTMFC_ALREADY_MAPPED.
			b := appendHeader(nil, TypeError, m.Xid)
			b = append(b, 0xff, 0xff, 0, 20, 0, 0, 0x23, 0x20)
			sw.send(append(b, m.Raw...))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "tcp:"+ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Features().DatapathID != 0xabcdef || c.Features().NTables != 254 {
		t.Fatalf("features %+v", c.Features())
	}
	if _, err := c.Echo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-c.Async():
		if m.Type != TypePortStatus {
			t.Fatalf("async %s", m.Name())
		}
	case <-ctx.Done():
		t.Fatal("switch's echo request was not answered")
	}
	meters, err := c.MeterConfigs(ctx, MeterAll)
	if err != nil || len(meters) != 3 || meters[2].MeterID != 3 {
		t.Fatalf("multipart reassembly: %+v %v", meters, err)
	}
	fm := FlowMod{Command: FlowAdd, Table: 1}
	err = c.SendChecked(ctx, fm.Append(nil, c.NewXid()))
	var ofe *OFError
	if !errors.As(err, &ofe) || ofe.Name() != "OFPBAC_BAD_SET_ARGUMENT" || !errors.Is(err, ErrBadSetArgument) {
		t.Fatalf("flow-mod error %v", err)
	}
	if !strings.Contains(err.Error(), "OFPT_FLOW_MOD") {
		t.Fatalf("error does not name the request: %v", err)
	}
	err = c.SendChecked(ctx, AppendTLVTableMod(nil, c.NewXid(), TLVTableAdd, nil))
	if !errors.Is(err, ErrTLVAlreadyMap) || !strings.Contains(err.Error(), "NXTTMFC_ALREADY_MAPPED") || !strings.Contains(err.Error(), "NXT_TLV_TABLE_MOD") {
		t.Fatalf("nx error %v", err)
	}
}

func TestFakeSwitchRejectsOldVersion(t *testing.T) {
	ln := listen(t)
	hello := AppendHello(nil, 1)
	hello[0] = 4                                 // OpenFlow 1.3 switch ...
	binary.BigEndian.PutUint32(hello[12:], 1<<4) // ... offering only 1.3
	serveFake(t, ln, hello, func(*fakeSwitch, Message) {})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := Dial(ctx, "tcp:"+ln.Addr().String()); err == nil || !strings.Contains(err.Error(), "OpenFlow 1.5") {
		if c != nil {
			c.Close()
		}
		t.Fatalf("want a version error, got %v", err)
	}
}

func TestProbeClosesSilentConnection(t *testing.T) {
	ln := listen(t)
	serveFake(t, ln, AppendHello(nil, 1), func(*fakeSwitch, Message) {}) // never answers echo
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "tcp:"+ln.Addr().String(), WithProbeInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-c.Done():
		if !strings.Contains(c.Err().Error(), "probe") {
			t.Fatalf("closed for %v", c.Err())
		}
	case <-ctx.Done():
		t.Fatal("a silent switch was not detected")
	}
}

func TestContextCancelsRequest(t *testing.T) {
	ln := listen(t)
	serveFake(t, ln, AppendHello(nil, 1), func(*fakeSwitch, Message) {}) // never replies
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "tcp:"+ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	if err := c.Barrier(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("barrier: %v", err)
	}
	c.mu.Lock()
	n := len(c.waiters)
	c.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left after cancel", n)
	}
}

func TestEncodingLayout(t *testing.T) {
	fm := FlowMod{Command: FlowModifyStrict, Table: 7, Priority: 100, Cookie: 0x1122, Match: []byte{0x80, 0, 0x0a, 2, 8, 0}, Actions: make([]byte, 8)}
	b := fm.Append(nil, 0x55)
	// header 8 + flow_mod 40 + match 10 padded to 16 + instruction 8 + actions 8
	if h, err := ParseHeader(b); err != nil || h.Version != Version || h.Type != TypeFlowMod || h.Length != 80 || h.Xid != 0x55 || len(b) != 80 {
		t.Fatalf("header %+v (%v), %d bytes", h, err, len(b))
	}
	if b[24] != 7 || b[25] != byte(FlowModifyStrict) || binary.BigEndian.Uint16(b[30:]) != 100 || binary.BigEndian.Uint64(b[8:]) != 0x1122 {
		t.Fatalf("flow_mod fields: % x", b[8:48])
	}
	// ofp_match: type 1, length 4+6, padded to 16; then apply-actions.
	if !bytes.Equal(b[48:52], []byte{0, 1, 0, 10}) || !bytes.Equal(b[64:68], []byte{0, 4, 0, 16}) {
		t.Fatalf("match/instruction layout: % x", b[48:])
	}
	if a, err := ApplyActions(b[64:]); err != nil || len(a) != 8 {
		t.Fatalf("ApplyActions: %x %v", a, err)
	}
	// Bundle add: the inner message carries the outer xid.
	ln := listen(t)
	got := make(chan Message, 4)
	serveFake(t, ln, AppendHello(nil, 1), func(sw *fakeSwitch, m Message) {
		switch m.Type {
		case TypeBundleControl:
			r := append([]byte(nil), m.Raw...)
			binary.BigEndian.PutUint16(r[12:], binary.BigEndian.Uint16(r[12:])+1) // *_REPLY
			sw.send(r)
		case TypeBundleAddMessage:
			got <- m
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "tcp:"+ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bd, err := c.OpenBundle(ctx, BundleAtomic|BundleOrdered)
	if err != nil {
		t.Fatal(err)
	}
	xid, err := bd.Add(fm.Append)
	if err != nil {
		t.Fatal(err)
	}
	if err := bd.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	m := <-got
	inner := m.Raw[16:]
	if m.Xid != xid || binary.BigEndian.Uint32(inner[4:]) != xid || int(m.Length) != 16+len(b) ||
		binary.BigEndian.Uint16(m.Raw[14:]) != BundleAtomic|BundleOrdered || MsgType(inner[1]) != TypeFlowMod {
		t.Fatalf("bundle add framing: % x", m.Raw[:24])
	}
}

func TestPacketIn2ResumeRoundTrip(t *testing.T) {
	pin := &PacketIn{Packet: []byte{1, 2, 3, 4, 5}, TableID: 9, Cookie: 0xfeed, Reason: 1,
		Metadata: []byte{0x80, 0, 0, 4, 0, 0, 0, 7}, Continuation: []byte{0x80, 0, 0, 8, 1, 2, 3, 4}}
	raw := AppendResume(nil, 1, pin, pin.Packet)
	binary.BigEndian.PutUint32(raw[12:], NXTPacketIn2) // same property layout
	got, err := DecodePacketIn2(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Packet, pin.Packet) || got.TableID != 9 || got.Cookie != 0xfeed || got.Reason != 1 ||
		!bytes.Equal(got.Metadata, pin.Metadata) || !bytes.Equal(got.Continuation, pin.Continuation) || got.FullLen != 5 {
		t.Fatalf("round trip: %+v", got)
	}
	if len(raw)%8 != 0 {
		t.Fatalf("resume length %d not 8-aligned", len(raw))
	}
}
