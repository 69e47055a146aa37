package vlog

import (
	"context"
	"log/slog"
	"slices"
)

// handler is the slog.Handler of a Log. The "module" attribute, bound with
// With or given in a record, selects the vlog module.
type handler struct {
	log    *Log
	mod    *module
	attrs  []slog.Attr // bound attributes other than module, groups applied
	groups []string
}

func (h *handler) Enabled(_ context.Context, level slog.Level) bool {
	return FromSlog(level) <= Level(h.mod.min.Load())
}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	mod := h.mod
	attrs := slices.Clip(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		if len(h.groups) == 0 && a.Key == "module" {
			mod = h.log.module(a.Value.String())
			return true
		}
		attrs = append(attrs, h.qualify(a))
		return true
	})
	level := FromSlog(r.Level)
	if level > Level(mod.min.Load()) {
		return nil
	}
	h.log.emit(mod, level, h.log.opts.Now(), r.Message, attrs)
	return nil
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = slices.Clip(h.attrs)
	for _, a := range as {
		if len(h.groups) == 0 && a.Key == "module" {
			n.mod = h.log.module(a.Value.String())
			continue
		}
		n.attrs = append(n.attrs, h.qualify(a))
	}
	return &n
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.groups = append(slices.Clip(h.groups), name)
	return &n
}

// qualify prefixes the attribute's key with the open groups.
func (h *handler) qualify(a slog.Attr) slog.Attr {
	for i := len(h.groups) - 1; i >= 0; i-- {
		a = slog.Attr{Key: h.groups[i], Value: slog.GroupValue(a)}
	}
	return a
}
