package ovstest

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
	"sync"
	"syscall"
	"testing"
	"time"
)

// SchemaPath is the vswitchd schema that ovsdb-tool creates the database from.
// Override with env OVS_SCHEMA.
const SchemaPath = "/usr/share/openvswitch/vswitch.ovsschema"

// startTimeout bounds each wait for a daemon or socket to come up.
const startTimeout = 20 * time.Second

// Option configures Start.
type Option func(*config)

type config struct {
	dummy bool
}

// WithDummy starts ovs-vswitchd with --enable-dummy, which adds the "dummy"
// datapath and netdev types (useful for ports without kernel devices).
func WithDummy() Option { return func(c *config) { c.dummy = true } }

// Switch is a private Open vSwitch instance owned by one test.
type Switch struct {
	t   testing.TB
	cfg config
	dir string

	mu        sync.Mutex
	dbServer  *exec.Cmd
	vswitchd  *exec.Cmd
	vsExited  chan struct{}
	bridges   []string
	stopped   bool
	binPaths  map[string]string
	startedAt time.Time
	syncSeq   int
}

var binaries = []string{"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl"}

// Start launches ovsdb-server and ovs-vswitchd in a fresh temporary
// directory. It skips the test when the OVS binaries are missing (fails when
// CI=true) and registers a cleanup that stops both daemons.
func Start(t testing.TB, opts ...Option) *Switch {
	t.Helper()
	s := &Switch{t: t, binPaths: map[string]string{}, startedAt: time.Now()}
	for _, o := range opts {
		o(&s.cfg)
	}
	schema := SchemaPath
	if v := os.Getenv("OVS_SCHEMA"); v != "" {
		schema = v
	}
	var missing []string
	for _, b := range binaries {
		p, err := lookPath(b)
		if err != nil {
			missing = append(missing, b)
			continue
		}
		s.binPaths[b] = p
	}
	if _, err := os.Stat(schema); err != nil {
		missing = append(missing, schema)
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("ovstest: Open vSwitch not available (missing %s)", strings.Join(missing, ", "))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	// Unix socket paths are limited to 108 bytes, and t.TempDir() embeds the
	// test name, so use a short directory of our own.
	dir, err := os.MkdirTemp("", "ovs")
	if err != nil {
		t.Fatalf("ovstest: temp dir: %v", err)
	}
	s.dir = dir
	t.Cleanup(s.cleanup)

	s.mustRun("ovsdb-tool", "create", s.path("conf.db"), schema)
	s.startDBServer()
	s.mustRun("ovs-vsctl", s.vsctlArgs("--no-wait", "init")...)
	s.StartVswitchd()
	return s
}

func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// Dir is the run, database and log directory of this instance.
func (s *Switch) Dir() string { return s.dir }

// DBSock is the OVSDB remote of this instance ("unix:DIR/db.sock").
func (s *Switch) DBSock() string { return "unix:" + s.path("db.sock") }

// Mgmt is the OpenFlow management socket of a bridge ("unix:DIR/<br>.mgmt").
func (s *Switch) Mgmt(bridge string) string { return "unix:" + s.path(bridge+".mgmt") }

func (s *Switch) path(name string) string { return filepath.Join(s.dir, name) }

func (s *Switch) env() []string {
	return append(os.Environ(),
		"OVS_RUNDIR="+s.dir, "OVS_DBDIR="+s.dir, "OVS_LOGDIR="+s.dir,
		"OVS_SYSCONFDIR="+s.dir, "OVS_PKGDATADIR=/usr/share/openvswitch")
}

func (s *Switch) vsctlArgs(args ...string) []string {
	return append([]string{"--db=" + s.DBSock(), "--timeout=20"}, args...)
}

// Run runs one OVS utility (ovs-vsctl, ovs-ofctl, ovs-appctl ...) with this
// instance's environment and returns its stdout, or an error that includes
// stderr.
func (s *Switch) Run(name string, args ...string) (string, error) {
	bin := s.binPaths[name]
	if bin == "" {
		var err error
		if bin, err = lookPath(name); err != nil {
			return "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = s.env()
	cmd.Dir = s.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func (s *Switch) mustRun(name string, args ...string) string {
	s.t.Helper()
	out, err := s.Run(name, args...)
	if err != nil {
		s.t.Fatalf("ovstest: %v", err)
	}
	return out
}

// Vsctl runs ovs-vsctl against this instance and fails the test on error.
func (s *Switch) Vsctl(args ...string) string {
	s.t.Helper()
	return s.mustRun("ovs-vsctl", s.vsctlArgs(args...)...)
}

// VsctlErr runs ovs-vsctl against this instance and returns the error.
func (s *Switch) VsctlErr(args ...string) (string, error) {
	return s.Run("ovs-vsctl", s.vsctlArgs(args...)...)
}

// Ofctl runs ovs-ofctl -O OpenFlow15 and fails the test on error. A bridge
// name argument is resolved to this instance's management socket through
// OVS_RUNDIR.
func (s *Switch) Ofctl(args ...string) string {
	s.t.Helper()
	return s.mustRun("ovs-ofctl", append([]string{"-O", "OpenFlow15"}, args...)...)
}

// OfctlErr is Ofctl returning the error instead of failing the test.
func (s *Switch) OfctlErr(args ...string) (string, error) {
	return s.Run("ovs-ofctl", append([]string{"-O", "OpenFlow15"}, args...)...)
}

// Appctl runs ovs-appctl against ovs-vswitchd and fails the test on error.
func (s *Switch) Appctl(args ...string) string {
	s.t.Helper()
	return s.mustRun("ovs-appctl", append([]string{"-t", s.path("ovs-vswitchd.ctl")}, args...)...)
}

// AddBridge creates a userspace bridge (datapath_type=netdev,
// fail_mode=secure, OpenFlow10..15) and waits until its management socket
// accepts connections.
func (s *Switch) AddBridge(name string) {
	s.t.Helper()
	s.Vsctl("add-br", name, "--", "set", "bridge", name,
		"datapath_type=netdev", "fail_mode=secure",
		"protocols=OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15")
	s.mu.Lock()
	s.bridges = append(s.bridges, name)
	s.mu.Unlock()
	if err := waitSocket(s.path(name+".mgmt"), startTimeout, nil); err != nil {
		s.t.Fatalf("ovstest: bridge %s: %v", name, err)
	}
}

// AddPort adds a port to a bridge, setting the given Interface columns
// (e.g. "type=internal", "ofport_request=5", "external_ids:iface-id=lsp1"),
// and returns its OpenFlow port number.
func (s *Switch) AddPort(bridge, port string, ifaceColumns ...string) int {
	s.t.Helper()
	args := []string{"add-port", bridge, port}
	if len(ifaceColumns) > 0 {
		args = append(append(args, "--", "set", "interface", port), ifaceColumns...)
	}
	s.Vsctl(args...)
	out := strings.TrimSpace(s.Vsctl("get", "interface", port, "ofport"))
	var ofport int
	if _, err := fmt.Sscan(out, &ofport); err != nil || ofport <= 0 {
		s.t.Fatalf("ovstest: port %s has ofport %q", port, out)
	}
	return ofport
}

func (s *Switch) daemonCmd(name string, privateNetns bool, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(s.binPaths[name], args...)
	cmd.Env = s.env()
	cmd.Dir = s.dir
	// Own process group, so cleanup can kill anything the daemon forks; die
	// with the test binary if it is killed without running cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if privateNetns {
		// The netdev datapath creates tap devices named "ovs-netdev" and
		// after each bridge; a second ovs-vswitchd on the host (another test,
		// a developer's switch) would collide with them.
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNET
	}
	out, err := os.OpenFile(s.path(name+".stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	out.Close() // the child holds its own copy
	return cmd, nil
}

func (s *Switch) startDBServer() {
	s.t.Helper()
	cmd, err := s.daemonCmd("ovsdb-server", false, s.path("conf.db"),
		"--remote=punix:"+s.path("db.sock"),
		"--unixctl="+s.path("ovsdb-server.ctl"),
		"--pidfile="+s.path("ovsdb-server.pid"),
		"--log-file="+s.path("ovsdb-server.log"),
		"-vconsole:off", "-vfile:info")
	if err != nil {
		s.t.Fatalf("ovstest: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.dbServer = cmd
	s.mu.Unlock()
	if err := waitSocket(s.path("db.sock"), startTimeout, exited); err != nil {
		s.t.Fatalf("ovstest: ovsdb-server: %v\n%s", err, s.logs())
	}
}

// privateNetns reports whether ovs-vswitchd gets its own network namespace:
// when running as root, unless OVSTEST_HOST_NETNS=1.
func (s *Switch) privateNetns() bool {
	return os.Geteuid() == 0 && os.Getenv("OVSTEST_HOST_NETNS") != "1"
}

// StartVswitchd starts ovs-vswitchd and waits until it answers on its control
// socket and every bridge added so far has its management socket back.
func (s *Switch) StartVswitchd() {
	s.t.Helper()
	args := []string{s.DBSock(),
		"--unixctl=" + s.path("ovs-vswitchd.ctl"),
		"--pidfile=" + s.path("ovs-vswitchd.pid"),
		"--log-file=" + s.path("ovs-vswitchd.log"),
		"-vconsole:off", "-vfile:info"}
	if s.cfg.dummy {
		args = append(args, "--enable-dummy")
	}
	cmd, err := s.daemonCmd("ovs-vswitchd", s.privateNetns(), args...)
	if err != nil {
		s.t.Fatalf("ovstest: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.vswitchd, s.vsExited = cmd, exited
	bridges := append([]string(nil), s.bridges...)
	s.mu.Unlock()
	if err := waitSocket(s.path("ovs-vswitchd.ctl"), startTimeout, exited); err != nil {
		s.t.Fatalf("ovstest: ovs-vswitchd: %v\n%s", err, s.logs())
	}
	// A write without --no-wait returns only once ovs-vswitchd has applied
	// the configuration (cur_cfg caught up with next_cfg).
	s.syncSeq++
	if _, err := s.VsctlErr("set", "Open_vSwitch", ".", fmt.Sprintf("external_ids:ovstest-sync=%d", s.syncSeq)); err != nil {
		s.t.Fatalf("ovstest: ovs-vswitchd did not configure: %v\n%s", err, s.logs())
	}
	for _, br := range bridges {
		if err := waitSocket(s.path(br+".mgmt"), startTimeout, exited); err != nil {
			s.t.Fatalf("ovstest: bridge %s after vswitchd start: %v\n%s", br, err, s.logs())
		}
	}
}

// StopVswitchd kills ovs-vswitchd (SIGKILL, as a crash) and waits for it to
// exit. The database and bridges stay.
func (s *Switch) StopVswitchd() {
	s.t.Helper()
	s.mu.Lock()
	cmd, exited := s.vswitchd, s.vsExited
	s.vswitchd, s.vsExited = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	killGroup(cmd)
	select {
	case <-exited:
	case <-time.After(startTimeout):
		s.t.Fatalf("ovstest: ovs-vswitchd did not exit")
	}
}

// RestartVswitchd kills ovs-vswitchd and starts it again; flows, groups and
// meters are lost, bridges come back from the database.
func (s *Switch) RestartVswitchd() {
	s.t.Helper()
	s.StopVswitchd()
	s.StartVswitchd()
}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	// Negative pid: the whole process group started with Setpgid.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}

func (s *Switch) cleanup() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	vs, vsExited, db := s.vswitchd, s.vsExited, s.dbServer
	s.mu.Unlock()
	if s.t.Failed() {
		s.t.Logf("ovstest: logs of %s\n%s", s.dir, s.logs())
	}
	if vs != nil {
		killGroup(vs)
		select {
		case <-vsExited:
		case <-time.After(5 * time.Second):
		}
	}
	if db != nil {
		killGroup(db)
		// Wait is called by the goroutine started with the process.
		time.Sleep(10 * time.Millisecond)
	}
	if os.Getenv("OVSTEST_KEEP") == "" {
		os.RemoveAll(s.dir)
	} else {
		s.t.Logf("ovstest: kept %s", s.dir)
	}
}

// logs returns the tail of every daemon log, for failure messages.
func (s *Switch) logs() string {
	var b strings.Builder
	for _, name := range []string{"ovsdb-server.log", "ovsdb-server.stderr", "ovs-vswitchd.log", "ovs-vswitchd.stderr"} {
		data, err := os.ReadFile(s.path(name))
		if err != nil || len(data) == 0 {
			continue
		}
		const max = 16 << 10
		if len(data) > max {
			data = data[len(data)-max:]
		}
		fmt.Fprintf(&b, "==> %s <==\n%s\n", name, data)
	}
	return b.String()
}

// VswitchdPID is the process id of the running ovs-vswitchd (0 if stopped),
// e.g. to read its CPU time in benchmarks.
func (s *Switch) VswitchdPID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vswitchd == nil || s.vswitchd.Process == nil {
		return 0
	}
	return s.vswitchd.Process.Pid
}

// Logs returns the tail of the daemons' logs.
func (s *Switch) Logs() string { return s.logs() }

// waitSocket polls until a unix socket accepts a connection, the timeout
// passes, or exited is closed (the daemon died).
func waitSocket(path string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		lastErr = err
		select {
		case <-exited:
			return errors.New("daemon exited before " + filepath.Base(path) + " appeared")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("socket %s not ready after %v: %w", path, timeout, lastErr)
}
