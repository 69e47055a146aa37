package pinctrl

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestGuestFloodsAreRateLimitedInTheLog sends 1,000 packet-ins of each
// kind a guest controls — DHCP discovers, ACL-logged packets, packets a
// handler cannot answer, undecodable packet-ins, unknown opcodes — and
// checks that the log gets ovn-controller's budget of lines for each, not
// one line per packet (before: 1,000 DHCPOFFER lines). The next line let
// through after a flood carries the count of dropped lines.
func TestGuestFloodsAreRateLimitedInTheLog(t *testing.T) {
	var out lockedBuffer
	p := New("unix:/nonexistent", Options{Logger: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	s := &discardSender{}
	md := mustHex(t, pinMetadata)
	dhcp := encodePacketIn2(&conn.PacketIn{Packet: dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpDiscover), Reason: reasonAction,
		Metadata: md, Userdata: append(mustHex(t, "0000000200000000 0001de10 00000063"), neutronArgs...), Continuation: []byte{1, 2, 3, 4}})
	acl := encodePacketIn2(&conn.PacketIn{Packet: mustHex(t, echoFrame), Reason: reasonAction, TableID: 17, Metadata: md,
		Userdata: append(mustHex(t, "0000000700000000 0106"), "acl-web"...)})
	// tcp_reset on an ICMP packet: the handler fails.
	unanswerable := encodePacketIn2(&conn.PacketIn{Packet: mustHex(t, echoFrame), Reason: reasonAction, Metadata: md,
		Userdata: mustHex(t, "0000000b00000000")})
	unknownOp := encodePacketIn2(&conn.PacketIn{Packet: mustHex(t, echoFrame), Reason: reasonAction, Metadata: md,
		Userdata: mustHex(t, "000000fe00000000")})
	garbage := append([]byte(nil), unknownOp[:40]...)
	garbage[2], garbage[3] = 0, 40
	garbage[17] = 0xff // property length beyond the message

	kinds := []struct {
		name   string
		raw    []byte
		needle string
		max    int
	}{
		{"dhcp", dhcp, "msg=DHCPOFFER", 41},
		{"acl", acl, "acl-web", 201},
		{"unanswerable", unanswerable, "packet-in not answered", 6},
		{"unknown opcode", unknownOp, "opcode not handled", 6},
		{"garbage", garbage, "malformed packet-in", 6},
	}
	start := time.Now()
	for _, k := range kinds {
		for i := range 1000 {
			if err := p.handle(s, k.raw, start.Add(time.Duration(i)*time.Millisecond)); err != nil {
				t.Fatalf("%s: %v", k.name, err)
			}
		}
	}
	if time.Since(start) > 2*time.Second {
		t.Skip("machine too slow for the limiter's refill to be negligible")
	}
	log := out.String()
	for _, k := range kinds {
		n := strings.Count(log, k.needle)
		if n == 0 || n > k.max {
			t.Errorf("%s flood of 1000: %d log lines, want 1..%d", k.name, n, k.max)
		}
	}
	if s.resumes < 1000 {
		t.Errorf("only %d DHCP requests answered: rate limiting must not drop replies", s.resumes)
	}
	// Once the budget refills, the next line says how many were dropped.
	before := len(log)
	p.rl.failed.LogAt(start.Add(5*time.Minute), p.log, slog.LevelDebug, "pinctrl: packet-in not answered", "err", "later")
	if tail := out.String()[before:]; !strings.Contains(tail, "Dropped 99") || !strings.Contains(tail, "due to excessive rate") {
		t.Errorf("line after the flood: %q, want the dropped count first", tail)
	}
}
