package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestBurstThenRateThenDroppedCount(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	l := New(20, 40) // ovn-controller's DHCP reply limit
	t0 := time.Unix(1000, 0)
	for i := range 1000 {
		l.LogAt(t0.Add(time.Duration(i)*time.Millisecond), log, slog.LevelInfo, "DHCPOFFER")
	}
	if n := strings.Count(out.String(), "DHCPOFFER"); n != 40 {
		t.Fatalf("%d lines of a 1000-line burst written, want the burst of 40", n)
	}
	if l.Dropped() != 960 {
		t.Fatalf("dropped %d, want 960", l.Dropped())
	}
	out.Reset()
	// 20 a minute: one more line is due 3 s later.
	l.LogAt(t0.Add(4*time.Second), log, slog.LevelInfo, "DHCPACK")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "Dropped 960 log messages in last 4 seconds (most recently, 3 seconds ago) due to excessive rate") ||
		!strings.Contains(lines[1], "DHCPACK") {
		t.Fatalf("after the flood got %q, want the dropped count then the line", lines)
	}
	if l.Dropped() != 0 {
		t.Error("dropped count not reset")
	}
}

func TestDisabledLevelUsesNoBudget(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	l := New(1, 1)
	now := time.Unix(0, 0)
	for range 10 {
		l.LogAt(now, log, slog.LevelDebug, "quiet")
	}
	l.LogAt(now, log, slog.LevelWarn, "loud")
	if got := out.String(); !strings.Contains(got, "loud") || strings.Contains(got, "Dropped") {
		t.Fatalf("got %q, want the warning alone", got)
	}
}
