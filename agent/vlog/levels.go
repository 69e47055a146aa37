package vlog

import (
	"fmt"
	"log/slog"
	"strings"
)

// Level is a vlog level, ordered from quietest (Off) to most verbose (Dbg).
type Level int32

// The vlog levels, in OVS's order.
const (
	Off Level = iota
	Emer
	Err
	Warn
	Info
	Dbg
	numLevels
)

var levelNames = [numLevels]string{"OFF", "EMER", "ERR", "WARN", "INFO", "DBG"}

// String is the level's vlog name (INFO, DBG, ...).
func (l Level) String() string {
	if l < 0 || l >= numLevels {
		return fmt.Sprintf("LEVEL(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel reads a level name, case-insensitively (off, emer, err, warn,
// info, dbg).
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if strings.EqualFold(s, n) {
			return Level(i), true
		}
	}
	return 0, false
}

// syslogSeverity is the syslog priority of each level (as OVS maps them).
var syslogSeverity = [numLevels]int{1, 1, 3, 4, 5, 7}

// FromSlog maps a slog level to a vlog level: Debug → DBG, Info → INFO,
// Warn → WARN, Error → ERR, anything above Error → EMER.
func FromSlog(l slog.Level) Level {
	switch {
	case l < slog.LevelInfo:
		return Dbg
	case l < slog.LevelWarn:
		return Info
	case l < slog.LevelError:
		return Warn
	case l <= slog.LevelError:
		return Err
	default:
		return Emer
	}
}

// ToSlog is the lowest slog level that FromSlog maps to l.
func ToSlog(l Level) slog.Level {
	switch l {
	case Dbg:
		return slog.LevelDebug
	case Info:
		return slog.LevelInfo
	case Warn:
		return slog.LevelWarn
	case Err:
		return slog.LevelError
	case Emer:
		return slog.LevelError + 4
	default:
		return slog.Level(1 << 30)
	}
}

// Destination is where a line goes.
type Destination int

// The vlog destinations, in OVS's order.
const (
	Syslog Destination = iota
	Console
	File
	numDestinations
)

var destinationNames = [numDestinations]string{"syslog", "console", "file"}

func (d Destination) String() string { return destinationNames[d] }

func parseDestination(s string) (Destination, bool) {
	for i, n := range destinationNames {
		if strings.EqualFold(s, n) {
			return Destination(i), true
		}
	}
	return 0, false
}

// Default line patterns, as in OVS.
var defaultPatterns = [numDestinations]string{
	Syslog:  "ovs|%05N|%c%T|%p|%m",
	Console: "%D{%Y-%m-%dT%H:%M:%SZ}|%05N|%c%T|%p|%m",
	File:    "%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m",
}
