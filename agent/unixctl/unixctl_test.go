package unixctl

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOVSAppctl drives the server with the real ovs-appctl client.
func TestOVSAppctl(t *testing.T) {
	if _, err := exec.LookPath("ovs-appctl"); err != nil {
		t.Skip("ovs-appctl not installed")
	}
	path := filepath.Join(t.TempDir(), "x.ctl")
	s := New(path, slog.Default())
	s.Register("echo", func(args []string) (string, error) { return strings.Join(args, "|") + "\n", nil })
	s.Register("fail", func([]string) (string, error) { return "", errors.New("it failed") })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	appctl := func(args ...string) (string, error) {
		var out []byte
		var err error
		for range 50 { // the socket appears asynchronously
			out, err = exec.Command("ovs-appctl", append([]string{"-t", path}, args...)...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "No such file") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		return string(out), err
	}
	if out, err := appctl("echo", "a", "--restart"); err != nil || out != "a|--restart\n" {
		t.Errorf("echo: %q %v", out, err)
	}
	if out, err := appctl("fail"); err == nil || !strings.Contains(out, "it failed") {
		t.Errorf("fail: %q %v", out, err)
	}
	if out, err := appctl("nope"); err == nil || !strings.Contains(out, "is not a valid command") {
		t.Errorf("unknown: %q %v", out, err)
	}
	if out, _ := appctl("list-commands"); !strings.Contains(out, "  echo") {
		t.Errorf("list-commands: %q", out)
	}
}

// TestCall drives the server with this package's client: outputs, server
// errors and unknown commands come back as ovs-appctl shows them.
func TestCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.ctl")
	s := New(path, slog.Default())
	s.Register("echo", func(args []string) (string, error) { return strings.Join(args, "|") + "\n", nil })
	s.Register("fail", func([]string) (string, error) { return "", errors.New("it failed") })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var out string
	var err error
	for range 50 { // the socket appears asynchronously
		if out, err = Call(ctx, path, "echo", "a", "b"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || out != "a|b\n" {
		t.Fatalf("echo a b = %q, %v; want \"a|b\\n\"", out, err)
	}
	if out, err := Call(ctx, path, "echo"); err != nil || out != "\n" {
		t.Errorf("echo without arguments = %q, %v", out, err)
	}
	var ce *CommandError
	if _, err := Call(ctx, path, "fail"); !errors.As(err, &ce) || ce.Message != "it failed" {
		t.Errorf("fail: err = %v, want CommandError \"it failed\"", err)
	}
	if _, err := Call(ctx, path, "nope"); !errors.As(err, &ce) || !strings.Contains(ce.Message, "not a valid command") {
		t.Errorf("unknown command: err = %v", err)
	}
	if _, err := Call(ctx, filepath.Join(t.TempDir(), "missing.ctl"), "echo"); err == nil || errors.As(err, &ce) {
		t.Errorf("missing socket: err = %v, want a connection error", err)
	}
}

// TestSocketModeIgnoresPermissiveUmask: under umask 000 the socket is still
// 0770, never open to other users, as OVS creates its sockets.
func TestSocketModeIgnoresPermissiveUmask(t *testing.T) {
	old := syscall.Umask(0)
	path := filepath.Join(t.TempDir(), "m.ctl")
	s := New(path, slog.Default())
	err := s.Listen()
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o770 {
		t.Errorf("socket mode %o, want 770", got)
	}
	old = syscall.Umask(0o027)
	s2 := New(path+"2", slog.Default())
	err = s2.Listen()
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if st, _ := os.Stat(path + "2"); st.Mode().Perm() != 0o750 {
		t.Errorf("under umask 027 mode %o, want 750", st.Mode().Perm())
	}
}

func TestRepliesEndWithNewlineAndArgsAreChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.ctl")
	s := New(path, slog.Default())
	s.RegisterCommand(Command{Name: "status", MaxArgs: 0, Handler: func([]string) (string, error) { return "connected", nil }})
	s.RegisterCommand(Command{Name: "one", MinArgs: 1, MaxArgs: 1, Handler: func(a []string) (string, error) { return "", nil }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve(ctx)
	if out, err := Call(ctx, path, "status"); err != nil || out != "connected\n" {
		t.Errorf("status: %q %v", out, err)
	}
	if _, err := Call(ctx, path, "one"); err == nil || err.Error() != "\"one\" command requires at least 1 arguments" {
		t.Errorf("one: %v", err)
	}
	if _, err := Call(ctx, path, "status", "x"); err == nil || err.Error() != "\"status\" command takes at most 0 arguments" {
		t.Errorf("status x: %v", err)
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	// A socket whose process is gone: bind and close without removing.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(dir, "ovn-controller."+strconv.Itoa(cmd.Process.Pid)+".ctl")
	l, err := listenUnix(dead, 0o770)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	live := filepath.Join(dir, "ovn-controller.1.ctl") // pid 1 is alive
	if err := os.WriteFile(live, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	removed := RemoveStale(dir, "ovn-controller")
	if len(removed) != 1 || removed[0] != dead {
		t.Errorf("removed %v, want [%s]", removed, dead)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("live process' socket removed: %v", err)
	}
}
