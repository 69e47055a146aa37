// Package vlog is chassisd's one logging back end: a slog.Handler that
// writes OVS vlog lines ("2026-12-07T12:00:00.000Z|00042|module|INFO|msg")
// to the three vlog destinations (console, syslog, file), with a level per
// module and destination that can be changed at run time, as OVS's
// lib/vlog.c does for ovn-controller.
//
// It owns: the level table (-v specs, vlog/set, vlog/list), the line
// patterns (PATTERN:destination:pattern), the log file and its reopening
// after rotation (vlog/reopen), the syslog method, and an optional JSON
// rendering. It does not own rate limiting: call sites that a guest or a
// remote peer can trigger limit themselves.
//
// Every package logs through a *slog.Logger carrying a "module" attribute;
// that attribute selects the vlog module (unknown names are added on
// first use, so vlog/list shows them).
package vlog
