package unixctl

import (
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
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
