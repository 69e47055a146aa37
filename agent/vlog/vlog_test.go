package vlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var fixed = time.Date(2026, 12, 7, 12, 0, 0, 42_000_000, time.UTC)

func newTest(t *testing.T, json bool) (*Log, *bytes.Buffer) {
	t.Helper()
	var console bytes.Buffer
	l := New(Options{Console: &console, JSON: json, Now: func() time.Time { return fixed }})
	t.Cleanup(l.Close)
	return l, &console
}

func TestLinesHaveOVSVlogFormat(t *testing.T) {
	l, console := newTest(t, false)
	file := filepath.Join(t.TempDir(), "ovn-controller.log")
	if err := l.SetLogFile(file); err != nil {
		t.Fatal(err)
	}
	log := l.Logger().With("module", "binding")
	log.Info("Claiming lport sw0-port1 for this chassis.", "chassis", "hv1", "why", "iface-id set")

	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	// The first line is vlog's own "opened log file".
	if len(lines) != 2 {
		t.Fatalf("file has %d lines:\n%s", len(lines), got)
	}
	if want := "|00001|vlog|INFO|opened log file " + file; !strings.HasSuffix(lines[0], want) {
		t.Errorf("first line %q, want suffix %q", lines[0], want)
	}
	want := `2026-12-07T12:00:00.042Z|00002|binding|INFO|Claiming lport sw0-port1 for this chassis. chassis=hv1 why="iface-id set"`
	if lines[1] != want {
		t.Errorf("file line\n got %q\nwant %q", lines[1], want)
	}
	// The console pattern has no milliseconds.
	wantConsole := `2026-12-07T12:00:00Z|00002|binding|INFO|Claiming lport sw0-port1 for this chassis. chassis=hv1 why="iface-id set"`
	if !strings.Contains(console.String(), wantConsole+"\n") {
		t.Errorf("console:\n%s\nwant line %q", console, wantConsole)
	}
}

func TestLevelsPerModuleAndDestination(t *testing.T) {
	l, console := newTest(t, false)
	file := filepath.Join(t.TempDir(), "f.log")
	if err := l.SetLogFile(file); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"console:off", "file:info", "syslog:off", "vconn:file:dbg"} {
		if err := l.SetVerbosity(spec); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
	}
	console.Reset()
	l.Logger().With("module", "vconn").Debug("sent")
	l.Logger().With("module", "ofctrl").Debug("not shown")
	l.Logger().With("module", "ofctrl").Info("shown")
	if console.Len() != 0 {
		t.Errorf("console:off still wrote %q", console)
	}
	got, _ := os.ReadFile(file)
	if !strings.Contains(string(got), "|vconn|DBG|sent") || !strings.Contains(string(got), "|ofctrl|INFO|shown") ||
		strings.Contains(string(got), "not shown") {
		t.Errorf("file:\n%s", got)
	}
	list := l.Levels()
	if !strings.Contains(list, "vconn              OFF        OFF        DBG\n") {
		t.Errorf("vlog/list:\n%s", list)
	}
	if !strings.HasPrefix(list, "                 console    syslog    file\n                 -------    ------    ------\n") {
		t.Errorf("vlog/list header:\n%s", list)
	}
	// A module created after a global spec takes it.
	if err := l.SetLevelsFromString("dbg"); err != nil {
		t.Fatal(err)
	}
	if l.Level("brand_new", Console) != Dbg {
		t.Error("new module did not inherit the global level")
	}
}

func TestSpecErrorsAreOVSs(t *testing.T) {
	l, _ := newTest(t, false)
	for spec, want := range map[string]string{
		"nosuchthing":        `no destination, level, or module "nosuchthing"`,
		"console:file":       "cannot specify multiple destinations",
		"info:dbg":           "cannot specify multiple levels",
		"binding:lflow":      "cannot specify multiple modules",
		"PATTERN:nowhere:%m": `unknown destination "nowhere"`,
	} {
		err := l.SetLevelsFromString(spec)
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", spec, err, want)
		}
	}
}

func TestPatternAndJSON(t *testing.T) {
	l, console := newTest(t, false)
	if err := l.SetLevelsFromString("PATTERN:console:%c:%-6p|%05N|%m"); err != nil {
		t.Fatal(err)
	}
	l.Logger().With("module", "main").Warn("x")
	if got := console.String(); got != "main:WARN  |00001|x\n" {
		t.Errorf("pattern line %q", got)
	}

	j, jc := newTest(t, true)
	j.Logger().With("module", "pinctrl").Error("boom", "n", 3, "err", errors.New("bad"))
	var obj map[string]any
	if err := json.Unmarshal(jc.Bytes(), &obj); err != nil {
		t.Fatalf("%q: %v", jc, err)
	}
	if obj["module"] != "pinctrl" || obj["level"] != "ERR" || obj["msg"] != "boom" || obj["n"] != 3.0 || obj["err"] != "bad" {
		t.Errorf("json line %v", obj)
	}
}

func TestReopenAfterRotation(t *testing.T) {
	l, _ := newTest(t, false)
	if err := l.Reopen(); !errors.Is(err, ErrNoLogFile) {
		t.Errorf("reopen without a file: %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "ovn-controller.log")
	if err := l.SetLogFile(file); err != nil {
		t.Fatal(err)
	}
	log := l.Logger().With("module", "main")
	log.Info("before")
	if err := os.Rename(file, file+".1"); err != nil {
		t.Fatal(err)
	}
	log.Info("still old")
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	log.Info("after")
	old, _ := os.ReadFile(file + ".1")
	cur, _ := os.ReadFile(file)
	if !strings.Contains(string(old), "still old") || !strings.Contains(string(old), "closing log file") || strings.Contains(string(old), "after") {
		t.Errorf("rotated file:\n%s", old)
	}
	if !strings.Contains(string(cur), "opened log file") || !strings.Contains(string(cur), "|main|INFO|after") {
		t.Errorf("new file:\n%s", cur)
	}
	// Reopening the same file keeps it and logs nothing.
	before, _ := os.ReadFile(file)
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Errorf("reopen of the same file wrote %q", after[len(before):])
	}
}

func TestSyslogUnixMethod(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	pc, err := listenUnixgram(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	l, _ := newTest(t, false)
	if err := l.SetSyslogMethod("unix:" + sock); err != nil {
		t.Fatal(err)
	}
	l.Logger().With("module", "main").Warn("to syslog")
	buf := make([]byte, 512)
	_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	// daemon facility (3) * 8 + warning (4).
	if got := string(buf[:n]); got != "<28>ovs|00001|main|WARN|to syslog" {
		t.Errorf("syslog datagram %q", got)
	}
	if err := l.SetSyslogMethod("carrier-pigeon"); err == nil {
		t.Error("unknown syslog method accepted")
	}
}

func listenUnixgram(path string) (*net.UnixConn, error) {
	return net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
}
