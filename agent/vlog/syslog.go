package vlog

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Syslog facilities (RFC 5424 codes shifted as syslog(3) expects).
const (
	facilityDaemon = 3 << 3
	facilityLocal0 = 16 << 3
)

var facilities = map[string]int{
	"kern": 0 << 3, "user": 1 << 3, "mail": 2 << 3, "daemon": facilityDaemon, "auth": 4 << 3,
	"syslog": 5 << 3, "lpr": 6 << 3, "news": 7 << 3, "uucp": 8 << 3, "clock": 9 << 3,
	"authpriv": 10 << 3, "ftp": 11 << 3, "ntp": 12 << 3, "audit": 13 << 3, "alert": 14 << 3,
	"clock2": 15 << 3, "local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3,
	"local3": 19 << 3, "local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3, "local7": 23 << 3,
}

// syslogWriter sends syslog lines over a datagram socket. The socket is
// dialled on first use and again after a failure, so a syslog daemon that
// starts later still gets the lines.
type syslogWriter struct {
	method   string // "libc", "unix", "udp", "null"
	addr     string
	program  string
	facility int // 0: the method's default
	rfc5424  bool
	extra    *syslogWriter // --syslog-target

	mu   sync.Mutex
	conn net.Conn
	last time.Time // last failed dial
}

func newSyslogWriter(method, program string) (*syslogWriter, error) {
	w := &syslogWriter{program: program}
	switch {
	case method == "null":
		w.method = "null"
	case method == "libc":
		w.method, w.addr = "libc", "/dev/log"
	case strings.HasPrefix(method, "unix:"):
		w.method, w.addr = "unix", strings.TrimPrefix(method, "unix:")
	case strings.HasPrefix(method, "udp:"):
		w.method, w.addr = "udp", strings.TrimPrefix(method, "udp:")
		if _, _, err := net.SplitHostPort(w.addr); err != nil {
			return nil, fmt.Errorf("syslog method %q: %w", method, err)
		}
		w.rfc5424 = true
	default:
		return nil, fmt.Errorf("unsupported syslog method '%s'", method)
	}
	return w, nil
}

func (w *syslogWriter) dial() net.Conn {
	if w.conn != nil {
		return w.conn
	}
	if time.Since(w.last) < 5*time.Second {
		return nil
	}
	network := "unixgram"
	if w.method == "udp" {
		network = "udp"
	}
	c, err := net.DialTimeout(network, w.addr, time.Second)
	if err != nil {
		w.last = time.Now()
		return nil
	}
	w.conn = c
	return c
}

// send writes one line (already rendered with the syslog pattern).
func (w *syslogWriter) send(e *entry, line []byte) {
	if w.extra != nil {
		w.extra.send(e, line)
	}
	if w.method == "null" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.dial()
	if c == nil {
		return
	}
	facility := w.facility
	pri := syslogSeverity[e.level]
	var b []byte
	switch {
	case w.rfc5424:
		if facility == 0 {
			facility = facilityLocal0
		}
		b = fmt.Appendf(nil, "<%d>1 %s %s %s %d %s - \xef\xbb\xbf", facility+pri,
			e.when.UTC().Format("2006-01-02T15:04:05.000Z"), e.host, e.program, e.pid, e.module)
		b = e.message(b)
	case w.method == "libc":
		if facility == 0 {
			facility = facilityDaemon
		}
		b = fmt.Appendf(nil, "<%d>%s %s[%s]: %s", facility+pri, e.when.Local().Format(time.Stamp),
			w.program, strconv.Itoa(e.pid), line)
	default:
		if facility == 0 {
			facility = facilityDaemon
		}
		b = fmt.Appendf(nil, "<%d>%s", facility+pri, line)
	}
	// A syslog daemon that stops reading must not stall the agent.
	_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Write(b); err != nil {
		c.Close()
		w.conn = nil
	}
}

func (w *syslogWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
	if w.extra != nil {
		w.extra.close()
	}
}
