package db

import (
	"context"
	"log/slog"

	"github.com/go-logr/logr"
)

// libovsdbLogger adapts slog for libovsdb, which logs through logr. Its
// errors become warnings; its chatter (V(1) and above) is dropped, and the
// rest goes to debug.
func libovsdbLogger(l *slog.Logger) *logr.Logger {
	lg := logr.New(&slogSink{l: l.With("module", "libovsdb")})
	return &lg
}

type slogSink struct {
	l *slog.Logger
}

func (s *slogSink) Init(logr.RuntimeInfo) {}

func (s *slogSink) Enabled(level int) bool {
	return level < 1 && s.l.Enabled(context.Background(), slog.LevelDebug)
}

func (s *slogSink) Info(_ int, msg string, kv ...any) { s.l.Debug(msg, kv...) }

func (s *slogSink) Error(err error, msg string, kv ...any) {
	s.l.Warn(msg, append(kv, "err", err)...)
}

func (s *slogSink) WithValues(kv ...any) logr.LogSink { return &slogSink{l: s.l.With(kv...)} }

func (s *slogSink) WithName(name string) logr.LogSink {
	return &slogSink{l: s.l.With("logger", name)}
}
