package vlog

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options configure a Log.
type Options struct {
	// Program is the program name of %A and of syslog lines
	// (default "ovn-controller").
	Program string
	// Console is the console destination (default os.Stderr).
	Console io.Writer
	// JSON renders console and file lines as JSON objects instead of the
	// vlog patterns.
	JSON bool
	// Now is the clock (default time.Now); tests fix it.
	Now func() time.Time
}

// Log is the process's logging configuration and its destinations. All
// methods are safe for concurrent use.
type Log struct {
	opts     Options
	pid      int
	hostname string
	start    time.Time
	seq      atomic.Uint32

	mu       sync.Mutex
	modules  map[string]*module
	patterns [numDestinations]pattern
	fileName string
	file     *os.File
	syslog   *syslogWriter
	// defaults are the levels given to modules created later by name
	// (a spec without a module applies to every module, present and
	// future).
	defaults [numDestinations]Level
	// writeMu serialises writes so lines never interleave.
	writeMu sync.Mutex
}

type module struct {
	name   string
	levels [numDestinations]atomic.Int32
	// min is the most verbose level any active destination wants; records
	// above it are dropped before being formatted.
	min atomic.Int32
}

// New returns a Log with every module at INFO on every destination (OVS's
// defaults), logging to the console and, once SetSyslogMethod is called,
// to syslog; the file destination starts closed.
func New(opts Options) *Log {
	if opts.Program == "" {
		opts.Program = "ovn-controller"
	}
	if opts.Console == nil {
		opts.Console = os.Stderr
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	host, _ := os.Hostname()
	l := &Log{opts: opts, pid: os.Getpid(), hostname: host, start: opts.Now(), modules: map[string]*module{}}
	for d := range numDestinations {
		l.patterns[d] = compilePattern(defaultPatterns[d])
		l.defaults[d] = Info
	}
	for _, name := range knownModules {
		l.moduleLocked(name)
	}
	return l
}

// SetPID changes the pid printed by %P and in syslog lines (after a
// daemon re-executes itself, the pid is the child's).
func (l *Log) SetPID(pid int) {
	l.mu.Lock()
	l.pid = pid
	l.mu.Unlock()
}

// Handler returns a slog.Handler writing to this Log.
func (l *Log) Handler() slog.Handler { return &handler{log: l, mod: l.module("main")} }

// Logger returns a slog.Logger on Handler.
func (l *Log) Logger() *slog.Logger { return slog.New(l.Handler()) }

// module returns the named module, creating it with the default levels.
func (l *Log) module(name string) *module {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.moduleLocked(name)
}

func (l *Log) moduleLocked(name string) *module {
	if m, ok := l.modules[name]; ok {
		return m
	}
	m := &module{name: name}
	for d := range numDestinations {
		m.levels[d].Store(int32(l.defaults[d]))
	}
	l.modules[name] = m
	l.updateMinLocked(m)
	return m
}

// active reports whether destination d can take lines now.
func (l *Log) activeLocked(d Destination) bool {
	switch d {
	case File:
		return l.file != nil
	case Syslog:
		return l.syslog != nil
	default:
		return true
	}
}

func (l *Log) updateMinLocked(m *module) {
	lowest := Off
	for d := range numDestinations {
		if l.activeLocked(d) {
			lowest = max(lowest, Level(m.levels[d].Load()))
		}
	}
	m.min.Store(int32(lowest))
}

func (l *Log) updateAllLocked() {
	for _, m := range l.modules {
		l.updateMinLocked(m)
	}
}

// SetLevels sets module's level on destination dest; an empty module means
// every module, a negative dest every destination.
func (l *Log) SetLevels(moduleName string, dest Destination, level Level) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var mods []*module
	if moduleName == "" {
		for d := range numDestinations {
			if dest < 0 || d == dest {
				l.defaults[d] = level
			}
		}
		for _, m := range l.modules {
			mods = append(mods, m)
		}
	} else {
		mods = []*module{l.moduleLocked(moduleName)}
	}
	for _, m := range mods {
		for d := range numDestinations {
			if dest < 0 || d == dest {
				m.levels[d].Store(int32(level))
			}
		}
		l.updateMinLocked(m)
	}
}

// Level returns module's level on destination d.
func (l *Log) Level(moduleName string, d Destination) Level {
	return Level(l.module(moduleName).levels[d].Load())
}

// SetLevelsFromString applies one vlog spec, as -v/--verbose and vlog/set
// take it: words separated by ':', ',', spaces or tabs, each a module, a
// destination, a level or "any" (missing parts mean every module, every
// destination, DBG); or "PATTERN:<destination>:<pattern>"; or
// "FACILITY:<facility>".
func (l *Log) SetLevelsFromString(spec string) error {
	words := strings.FieldsFunc(spec, isSpecSeparator)
	if len(words) > 0 && strings.EqualFold(words[0], "PATTERN") {
		if len(words) < 2 {
			return errors.New("missing destination")
		}
		destWord, p := patternArgs(spec)
		dest := Destination(-1)
		if !strings.EqualFold(destWord, "any") {
			d, ok := parseDestination(destWord)
			if !ok {
				return fmt.Errorf("unknown destination \"%s\"", destWord)
			}
			dest = d
		}
		l.SetPattern(dest, p)
		return nil
	}
	if len(words) > 0 && strings.EqualFold(words[0], "FACILITY") {
		if len(words) != 2 {
			return errors.New("invalid facility")
		}
		f, ok := facilities[strings.ToLower(words[1])]
		if !ok {
			return errors.New("invalid facility")
		}
		l.mu.Lock()
		if l.syslog != nil {
			l.syslog.facility = f
		}
		l.mu.Unlock()
		return nil
	}
	var (
		moduleName string
		dest       = Destination(-1)
		level      = Level(-1)
	)
	for _, w := range words {
		if strings.EqualFold(w, "any") {
			continue
		}
		if d, ok := parseDestination(w); ok {
			if dest >= 0 {
				return errors.New("cannot specify multiple destinations")
			}
			dest = d
			continue
		}
		if lv, ok := ParseLevel(w); ok {
			if level >= 0 {
				return errors.New("cannot specify multiple levels")
			}
			level = lv
			continue
		}
		if l.hasModule(w) {
			if moduleName != "" {
				return errors.New("cannot specify multiple modules")
			}
			moduleName = w
			continue
		}
		return fmt.Errorf("no destination, level, or module \"%s\"", w)
	}
	if level < 0 {
		level = Dbg
	}
	l.SetLevels(moduleName, dest, level)
	return nil
}

// patternArgs splits "PATTERN:<destination>:<pattern>" as strtok does: the
// pattern is everything after the one separator that ends the destination.
func patternArgs(spec string) (dest, p string) {
	i := 0
	word := func() string {
		for i < len(spec) && isSpecSeparator(rune(spec[i])) {
			i++
		}
		start := i
		for i < len(spec) && !isSpecSeparator(rune(spec[i])) {
			i++
		}
		return spec[start:i]
	}
	word() // PATTERN
	dest = word()
	if i < len(spec) {
		i++
	}
	return dest, spec[i:]
}

func isSpecSeparator(r rune) bool { return r == ':' || r == ',' || r == ' ' || r == '\t' }

func (l *Log) hasModule(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.modules[name]
	return ok
}

// SetVerbosity is -v/--verbose: with an empty spec every module and
// destination goes to DBG.
func (l *Log) SetVerbosity(spec string) error {
	if spec == "" {
		l.SetLevels("", -1, Dbg)
		return nil
	}
	if err := l.SetLevelsFromString(spec); err != nil {
		return fmt.Errorf("processing \"%s\": %w", spec, err)
	}
	return nil
}

// SetPattern sets the line pattern of dest (negative: every destination).
func (l *Log) SetPattern(dest Destination, p string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for d := range numDestinations {
		if dest < 0 || d == dest {
			l.patterns[d] = compilePattern(p)
		}
	}
}

// Levels is vlog/list's table: one line per module, sorted, with its
// console, syslog and file levels.
func (l *Log) Levels() string {
	l.mu.Lock()
	lines := make([]string, 0, len(l.modules))
	for _, m := range l.modules {
		lines = append(lines, fmt.Sprintf("%-16s  %4s       %4s       %4s\n", m.name,
			Level(m.levels[Console].Load()), Level(m.levels[Syslog].Load()), Level(m.levels[File].Load())))
	}
	l.mu.Unlock()
	slices.Sort(lines)
	var b strings.Builder
	b.WriteString("                 console    syslog    file\n")
	b.WriteString("                 -------    ------    ------\n")
	for _, s := range lines {
		b.WriteString(s)
	}
	return b.String()
}

// Patterns is vlog/list-pattern's output.
func (l *Log) Patterns() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	b.WriteString("         prefix                            format\n")
	b.WriteString("         ------                            ------\n")
	for _, d := range []Destination{Console, Syslog, File} {
		fmt.Fprintf(&b, "%-7s  %s\n", d, l.patterns[d].src)
	}
	return b.String()
}

// SetLogFile opens name (appending, created 0660 less the umask) as the
// file destination, replacing the current one unless it is the same file.
// An empty name closes the file destination.
func (l *Log) SetLogFile(name string) error {
	var f *os.File
	if name != "" {
		var err error
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o660)
		if err != nil {
			slog.New(l.Handler()).With("module", "vlog").Warn(fmt.Sprintf("failed to open %s for logging: %v", name, err))
			return err
		}
	}
	l.mu.Lock()
	if same := l.file != nil && f != nil && sameFile(l.file, f); same || (l.file == nil && f == nil) {
		l.fileName = name
		l.mu.Unlock()
		if f != nil {
			f.Close()
		}
		return nil
	}
	hadFile := l.file != nil
	l.mu.Unlock()
	vl := slog.New(l.Handler()).With("module", "vlog")
	if hadFile {
		vl.Info("closing log file")
	}
	l.mu.Lock()
	l.writeMu.Lock()
	if l.file != nil {
		l.file.Close()
	}
	l.file, l.fileName = f, name
	l.writeMu.Unlock()
	l.updateAllLocked()
	l.mu.Unlock()
	if f != nil {
		vl.Info("opened log file " + name)
	}
	return nil
}

func sameFile(a, b *os.File) bool {
	sa, err1 := a.Stat()
	sb, err2 := b.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// LogFile is the name of the log file, "" when there is none.
func (l *Log) LogFile() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fileName
}

// ErrNoLogFile is returned by Reopen when no log file is configured.
var ErrNoLogFile = errors.New("Logging to file not configured")

// Reopen reopens the log file by name, after logrotate moved it away
// (vlog/reopen).
func (l *Log) Reopen() error {
	name := l.LogFile()
	if name == "" {
		return ErrNoLogFile
	}
	if err := l.SetLogFile(name); err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return errors.New(strings.ToUpper(errno.Error()[:1]) + errno.Error()[1:])
		}
		return err
	}
	return nil
}

// SetSyslogMethod selects how syslog lines are sent: "libc" (the local
// /dev/log socket, as syslog(3) does), "unix:<file>", "udp:<ip>:<port>" or
// "null".
func (l *Log) SetSyslogMethod(method string) error {
	w, err := newSyslogWriter(method, l.opts.Program)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.syslog != nil {
		w.facility = l.syslog.facility
		l.syslog.close()
	}
	l.syslog = w
	l.updateAllLocked()
	return nil
}

// SetSyslogTarget also sends every syslog line to host:port over UDP in
// RFC 5424 form (--syslog-target).
func (l *Log) SetSyslogTarget(hostport string) error {
	w, err := newSyslogWriter("udp:"+hostport, l.opts.Program)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.syslog == nil {
		l.syslog = w
	} else {
		l.syslog.extra = w
	}
	l.updateAllLocked()
	return nil
}

// Close closes the file and syslog destinations.
func (l *Log) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
	if l.syslog != nil {
		l.syslog.close()
		l.syslog = nil
	}
	l.updateAllLocked()
}

// emit writes one record, already known to pass m.min.
func (l *Log) emit(m *module, level Level, when time.Time, msg string, attrs []slog.Attr) {
	var wanted [numDestinations]bool
	any := false
	l.mu.Lock()
	for d := range numDestinations {
		wanted[d] = l.activeLocked(d) && level <= Level(m.levels[d].Load()) && level > Off
		any = any || wanted[d]
	}
	patterns := l.patterns
	pid := l.pid
	sl := l.syslog
	l.mu.Unlock()
	if !any {
		return
	}
	e := entry{
		module: m.name, level: level, when: when, msg: msg, attrs: attrs,
		seq: l.seq.Add(1), pid: pid, program: l.opts.Program, host: l.hostname, start: l.start,
	}
	var buf []byte
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if wanted[Console] {
		buf = l.render(buf[:0], patterns[Console], &e)
		_, _ = l.opts.Console.Write(buf)
	}
	if wanted[File] && l.file != nil {
		buf = l.render(buf[:0], patterns[File], &e)
		_, _ = l.file.Write(buf)
	}
	if wanted[Syslog] && sl != nil {
		buf = patterns[Syslog].format(buf[:0], &e)
		sl.send(&e, buf)
	}
}

func (l *Log) render(buf []byte, p pattern, e *entry) []byte {
	if l.opts.JSON {
		return appendJSON(buf, e)
	}
	buf = p.format(buf, e)
	return append(buf, '\n')
}
