package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultTimeout bounds every wait for a daemon or a condition.
const DefaultTimeout = 20 * time.Second

// stopGrace is how long a daemon gets after SIGTERM before SIGKILL.
const stopGrace = 5 * time.Second

// daemon is one long-running child process in its own process group.
type daemon struct {
	name    string
	dir     string
	netns   string
	env     []string
	argv    []string
	cmd     *exec.Cmd
	outPath string
	done    chan struct{}
	waitErr error
}

// startDaemon runs argv (inside netns when netns is not empty) with its
// stdout and stderr going to dir/<name>.out.
func startDaemon(name, dir, netns string, env []string, argv []string) (*daemon, error) {
	origArgv := argv
	if netns != "" {
		argv = append([]string{"ip", "netns", "exec", netns}, argv...)
	}
	outPath := filepath.Join(dir, name+".out")
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open output file for %s: %w", name, err)
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, strings.Join(argv, " "), err)
	}
	d := &daemon{name: name, dir: dir, netns: netns, env: env, argv: origArgv,
		cmd: cmd, outPath: outPath, done: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.done)
	}()
	return d, nil
}

// respawn stops the daemon and starts it again with the same command line.
func (d *daemon) respawn() (*daemon, error) {
	if err := d.stop(); err != nil {
		return nil, err
	}
	return startDaemon(d.name, d.dir, d.netns, d.env, d.argv)
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Pid returns the daemon's process id.
func (d *daemon) pid() int { return d.cmd.Process.Pid }

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace.
func (d *daemon) stop() error {
	if d == nil || d.exited() {
		return nil
	}
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-d.done:
		return nil
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-d.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", d.name, pgid)
	}
}

// kill sends SIGKILL to the process group (a crash) and waits for it.
func (d *daemon) kill() error {
	if d == nil || d.exited() {
		return nil
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-d.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", d.name, d.cmd.Process.Pid)
	}
}

// errExited reports that a daemon died while we waited for it.
func (d *daemon) errExited() error {
	return fmt.Errorf("%s exited early (%v); output:\n%s", d.name, d.waitErr, tailFile(d.outPath, 30))
}

// waitSocket waits until a unix socket accepts connections, failing early if
// the daemon that should create it exits.
func waitSocket(d *daemon, path string, timeout time.Duration) error {
	return Eventually(timeout, func() (bool, error) {
		if d != nil && d.exited() {
			return false, d.errExited()
		}
		c, err := net.Dial("unix", path)
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	})
}

// Eventually polls cond every 50 ms (backing off to 500 ms) until it returns
// true, returns an error, or timeout passes.
func Eventually(timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	delay := 50 * time.Millisecond
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v", timeout)
		}
		time.Sleep(delay)
		if delay < 500*time.Millisecond {
			delay += delay / 2
		}
	}
}

// run executes a short command and returns its trimmed stdout; the error
// includes stderr.
func run(argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	out := strings.TrimSpace(stdout.String())
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Run executes a command with the package's default timeout and returns its
// trimmed stdout; on failure the error carries stderr.
func Run(argv ...string) (string, error) { return run(argv...) }

// tailFile returns the last n lines of a file, or a note why it cannot.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// dumpLogs returns the tails of every *.log and *.out file directly in dir
// (subdirectories belong to chassis, which dump their own).
func dumpLogs(dir string, lines int) string {
	var b strings.Builder
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if ext := filepath.Ext(path); e.IsDir() || (ext != ".log" && ext != ".out") {
			continue
		}
		if info, err := e.Info(); err != nil || info.Size() == 0 {
			continue
		}
		fmt.Fprintf(&b, "==== %s (last %d lines) ====\n%s\n", path, lines, tailFile(path, lines))
	}
	return b.String()
}

// checkSocketPath rejects paths longer than sun_path allows.
func checkSocketPath(path string) error {
	if len(path) >= 104 {
		return fmt.Errorf("unix socket path %q is too long (%d bytes); use a shorter base directory", path, len(path))
	}
	return nil
}

var errNoTB = errors.New("sandbox: Must* helper used on an object created without a testing.TB")
