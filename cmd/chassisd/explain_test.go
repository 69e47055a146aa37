package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/agent/unixctl"
)

// TestExplainCLI runs `chassisd explain` against a control socket whose
// explain command echoes its arguments, found the ways ovn-appctl finds
// ovn-controller.
func TestExplainCLI(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OVN_RUNDIR", dir)
	sock := filepath.Join(dir, fmt.Sprintf("ovn-controller.%d.ctl", os.Getpid()))
	srv := unixctl.New(sock, slog.Default())
	srv.Register("explain", func(args []string) (string, error) {
		if len(args) > 0 && args[0] == "--fail" {
			return "", errors.New("port x is bound to chassis hv2")
		}
		return "explained: " + strings.Join(args, " ") + "\n", nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	for i := 0; i < 100 && !fileExists(sock); i++ {
		time.Sleep(10 * time.Millisecond)
	}

	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		rc := runExplain(args, &out, &errOut)
		return rc, out.String(), errOut.String()
	}
	// No pidfile: the one live ovn-controller.<pid>.ctl.
	if rc, out, errOut := run("--from", "vm1", "--to", "10.0.0.5", "--json"); rc != 0 || out != "explained: --from vm1 --to 10.0.0.5 --json\n" {
		t.Errorf("through the live socket: rc %d, %q %q", rc, out, errOut)
	}
	// A stale socket of a dead process is ignored, a pidfile wins.
	if err := os.WriteFile(filepath.Join(dir, "ovn-controller.999999999.ctl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if rc, _, errOut := run("--from", "vm1", "--to", "10.0.0.5"); rc != 0 {
		t.Errorf("with a stale socket around: rc %d %s", rc, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "ovn-controller.pid"), []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	// -t and --timeout are the CLI's own and are not passed on.
	if rc, out, _ := run("-t", sock, "in_port=1,icmp", "--timeout", "5"); rc != 0 || out != "explained: in_port=1,icmp\n" {
		t.Errorf("-t SOCKET: rc %d %q", rc, out)
	}
	if rc, out, _ := run("--target=ovn-controller", "in_port=1,icmp"); rc != 0 || out != "explained: in_port=1,icmp\n" {
		t.Errorf("--target=NAME: rc %d %q", rc, out)
	}
	// Errors: the daemon's (exit 2, its message), bad arguments caught
	// before asking anyone (2), no daemon (1).
	if rc, _, errOut := run("--fail", "--from", "x", "--to", "10.0.0.5"); rc != 2 || !strings.Contains(errOut, "flag provided but not defined") {
		t.Errorf("unknown flag: rc %d %q", rc, errOut)
	}
	if rc, _, errOut := run("--from", "x"); rc != 2 || !strings.Contains(errOut, "--from and --to are required") {
		t.Errorf("missing --to: rc %d %q", rc, errOut)
	}
	if rc, out, _ := run("-h"); rc != 0 || !strings.Contains(out, "--from") || !strings.Contains(out, "--target") {
		t.Errorf("-h: rc %d\n%s", rc, out)
	}
	if rc, _, errOut := run("-t", filepath.Join(dir, "nothing.ctl"), "in_port=1"); rc != 1 || !strings.Contains(errOut, "connect to") {
		t.Errorf("no daemon: rc %d %q", rc, errOut)
	}
	srv.Register("explain", func([]string) (string, error) { return "", errors.New("port x is bound to chassis hv2") })
	if rc, _, errOut := run("in_port=1"); rc != 2 || !strings.Contains(errOut, "bound to chassis hv2") {
		t.Errorf("daemon error: rc %d %q", rc, errOut)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestControlSocketWithoutDaemon(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OVN_RUNDIR", dir)
	if _, err := controlSocket(""); err == nil || !strings.Contains(err.Error(), "is chassisd running?") {
		t.Errorf("empty run dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ovn-controller.pid"), []byte("nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := controlSocket(""); err == nil || !strings.Contains(err.Error(), "pidfile holds no pid") {
		t.Errorf("bad pidfile: %v", err)
	}
}
