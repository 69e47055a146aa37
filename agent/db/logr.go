package db

import (
	"context"
	"log/slog"

	"github.com/go-logr/logr"

	"github.com/chassisd/chassisd/agent/internal/ratelog"
)

// libovsdbLogger adapts slog for libovsdb, which logs through logr. Its
// errors become warnings; its chatter (V(1) and above) is dropped, and the
// rest goes to debug. A server can make libovsdb fail on every update it
// sends, so both are rate-limited as ovsdb-idl's warnings are (1 a
// minute, bursts of 5).
func libovsdbLogger(l *slog.Logger) *logr.Logger {
	lg := logr.New(&slogSink{l: l.With("module", "libovsdb"), errs: ratelog.New(1, 5), info: ratelog.New(1, 5)})
	return &lg
}

type slogSink struct {
	l          *slog.Logger
	errs, info *ratelog.Limiter
}

func (s *slogSink) Init(logr.RuntimeInfo) {}

func (s *slogSink) Enabled(level int) bool {
	return level < 1 && s.l.Enabled(context.Background(), slog.LevelDebug)
}

func (s *slogSink) Info(_ int, msg string, kv ...any) { s.info.Debug(s.l, msg, kv...) }

func (s *slogSink) Error(err error, msg string, kv ...any) {
	s.errs.Warn(s.l, msg, append(kv, "err", err)...)
}

func (s *slogSink) WithValues(kv ...any) logr.LogSink {
	return &slogSink{l: s.l.With(kv...), errs: s.errs, info: s.info}
}

func (s *slogSink) WithName(name string) logr.LogSink {
	return &slogSink{l: s.l.With("logger", name), errs: s.errs, info: s.info}
}
