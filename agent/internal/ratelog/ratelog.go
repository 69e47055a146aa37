// Package ratelog rate-limits the log lines that a guest or a remote peer
// can trigger (DHCP replies, malformed packets, server errors), as OVS's
// VLOG_*_RL macros do: each call site owns a Limiter that lets through a
// burst and then a steady number of lines per minute, and the first line
// let through after some were dropped is preceded by one saying how many.
package ratelog

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is one call site's budget of log lines. It is safe for
// concurrent use; the zero value is not usable (see New).
type Limiter struct {
	lim *rate.Limiter

	mu        sync.Mutex
	dropped   uint64
	firstDrop time.Time
	lastDrop  time.Time
}

// New allows perMinute lines a minute on average, in bursts of up to burst
// lines: OVS's VLOG_RATE_LIMIT_INIT(perMinute, burst).
func New(perMinute, burst int) *Limiter {
	return &Limiter{lim: rate.NewLimiter(rate.Limit(float64(perMinute)/60), burst)}
}

// Log writes msg at level through log unless this call site's budget is
// spent. A line that is not enabled at its level uses no budget.
func (l *Limiter) Log(log *slog.Logger, level slog.Level, msg string, args ...any) {
	l.LogAt(time.Now(), log, level, msg, args...)
}

// Warn is Log at slog.LevelWarn.
func (l *Limiter) Warn(log *slog.Logger, msg string, args ...any) {
	l.LogAt(time.Now(), log, slog.LevelWarn, msg, args...)
}

// Info is Log at slog.LevelInfo.
func (l *Limiter) Info(log *slog.Logger, msg string, args ...any) {
	l.LogAt(time.Now(), log, slog.LevelInfo, msg, args...)
}

// Debug is Log at slog.LevelDebug.
func (l *Limiter) Debug(log *slog.Logger, msg string, args ...any) {
	l.LogAt(time.Now(), log, slog.LevelDebug, msg, args...)
}

// LogAt is Log with the caller's clock (packet handlers already have one).
func (l *Limiter) LogAt(now time.Time, log *slog.Logger, level slog.Level, msg string, args ...any) {
	ctx := context.Background()
	if !log.Enabled(ctx, level) {
		return
	}
	l.mu.Lock()
	if !l.lim.AllowN(now, 1) {
		if l.dropped == 0 {
			l.firstDrop = now
		}
		l.dropped++
		l.lastDrop = now
		l.mu.Unlock()
		return
	}
	dropped, first, last := l.dropped, l.firstDrop, l.lastDrop
	l.dropped = 0
	l.mu.Unlock()
	if dropped > 0 {
		log.Log(ctx, level, fmt.Sprintf("Dropped %d log messages in last %d seconds (most recently, %d seconds ago) due to excessive rate",
			dropped, seconds(now.Sub(first)), seconds(now.Sub(last))), "dropped", dropped)
	}
	log.Log(ctx, level, msg, args...)
}

// Dropped is the number of lines dropped since the last one let through.
func (l *Limiter) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

func seconds(d time.Duration) int64 { return int64(math.Round(d.Seconds())) }
