package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// node is one chassis (private ovsdb-server and ovs-vswitchd) next to an
// OVN central, with chassisd built and its environment pointing into the
// chassis directory.
type node struct {
	t       *testing.T
	central *sandbox.Central
	ch      *sandbox.Chassis
	bin     string
	env     []string
}

func newNode(t *testing.T) *node {
	t.Helper()
	sandbox.RequireRoot(t)
	sandbox.Require(t, []string{"ovn-appctl", "ovs-appctl"})
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	if err := ch.Configure("hv1", "192.0.2.1", "geneve"); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, central: central, ch: ch, bin: sandbox.BuildBinary(t, "github.com/chassisd/chassisd/cmd/chassisd")}
	for _, kv := range []string{"OVS_RUNDIR", "OVN_RUNDIR", "OVS_LOGDIR", "OVN_LOGDIR", "OVS_DBDIR", "OVN_DBDIR"} {
		n.env = append(n.env, kv+"="+ch.Dir())
	}
	n.env = append(append(os.Environ(), n.env...), "OVN_SYSCONFDIR="+ch.Dir())
	return n
}

func (n *node) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = n.env
	return cmd
}

// appctl runs the real ovn-appctl against ovn-controller (found through
// $OVN_RUNDIR/ovn-controller.pid, as operators and OVN's tests do).
func (n *node) appctl(args ...string) (string, error) {
	out, err := n.command("ovn-appctl", append([]string{"-t", "ovn-controller"}, args...)...).CombinedOutput()
	return string(out), err
}

func (n *node) mustAppctl(args ...string) string {
	n.t.Helper()
	out, err := n.appctl(args...)
	if err != nil {
		n.t.Fatalf("ovn-appctl %v: %v\n%s", args, err, out)
	}
	return out
}

func (n *node) pidfile() string { return filepath.Join(n.ch.Dir(), "ovn-controller.pid") }

func (n *node) readPid() int {
	n.t.Helper()
	b, err := os.ReadFile(n.pidfile())
	if err != nil {
		n.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		n.t.Fatalf("pidfile %q: %v", b, err)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func waitGone(t *testing.T, pid int) {
	t.Helper()
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) { return !alive(pid), nil }); err != nil {
		t.Fatalf("pid %d still running", pid)
	}
}

// killOnCleanup makes sure a daemon the test started does not outlive it.
func killOnCleanup(t *testing.T, pid int) {
	t.Cleanup(func() {
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// lockHolder returns the pid holding the fcntl write lock on path (0 when
// unlocked), as ovs-appctl's pidfile check sees it.
func lockHolder(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		t.Fatal(err)
	}
	if lk.Type == syscall.F_UNLCK {
		return 0
	}
	return int(lk.Pid)
}

func (n *node) addPort(lport string) {
	n.t.Helper()
	n.central.MustNbctl("--may-exist", "ls-add", "sw0")
	n.central.MustNbctl("lsp-add", "sw0", lport, "--", "lsp-set-addresses", lport, "00:00:00:00:00:01 10.0.0.1")
	if _, err := n.ch.Vsctl("add-port", "br-int", lport, "--", "set", "interface", lport, "type=dummy",
		"external_ids:iface-id="+lport); err != nil {
		n.t.Fatal(err)
	}
	if err := n.central.WaitPortUp(lport, "hv1"); err != nil {
		n.t.Fatal(err)
	}
}

// TestSystemdForkingStartAndAppctl starts chassisd as a Type=forking unit
// does (--detach --pidfile) and drives it with the real ovn-appctl.
func TestSystemdForkingStartAndAppctl(t *testing.T) {
	n := newNode(t)
	logFile := filepath.Join(n.ch.Dir(), "ovn-controller.log")
	start := time.Now()
	cmd := n.command(n.bin, "--detach", "--pidfile", "--no-chdir", "--log-file="+logFile,
		"-vconsole:off", "-vfile:info", "-vsyslog:off", n.ch.DBRemote())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chassisd --detach: %v\n%s", err, out)
	}
	pid := n.readPid()
	killOnCleanup(t, pid)
	t.Logf("parent exited after %v; daemon pid %d", time.Since(start), pid)
	if pid == cmd.Process.Pid || !alive(pid) {
		t.Fatalf("pidfile names %d (parent %d), alive=%v", pid, cmd.Process.Pid, alive(pid))
	}
	if got := lockHolder(t, n.pidfile()); got != pid {
		t.Errorf("pidfile lock held by %d, want %d", got, pid)
	}
	ctl := filepath.Join(n.ch.Dir(), fmt.Sprintf("ovn-controller.%d.ctl", pid))
	st, err := os.Stat(ctl)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o007 != 0 {
		t.Errorf("control socket mode %o is open to others", st.Mode().Perm())
	}
	// A second daemon refuses the live pidfile.
	if out, err := n.command(n.bin, "--pidfile", n.ch.DBRemote()).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "already running as pid "+strconv.Itoa(pid)) {
		t.Errorf("second start: %v\n%s", err, out)
	}

	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		out, err := n.appctl("connection-status")
		return err == nil && out == "connected\n", nil
	}); err != nil {
		t.Fatalf("connection-status never connected")
	}
	n.addPort("p1")

	if out := n.mustAppctl("version"); !strings.HasPrefix(out, "ovn-controller 23.03.1\nOpen vSwitch Library 3.1.0\nchassisd ") {
		t.Errorf("version:\n%s", out)
	}
	cov := n.mustAppctl("coverage/show")
	if !strings.HasPrefix(cov, "Event coverage, avg rate over last: 5 seconds") || !regexp.MustCompile(`(?m)^lflow_run .* total: [1-9]`).MatchString(cov) {
		t.Errorf("coverage/show:\n%s", cov)
	}
	runs := func() int {
		v, err := strconv.Atoi(strings.TrimSpace(n.mustAppctl("coverage/read-counter", "lflow_run")))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := runs()
	n.mustAppctl("recompute")
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) { return runs() > before, nil }); err != nil {
		t.Errorf("recompute did not run a full translation (lflow_run stayed %d)", before)
	}
	n.mustAppctl("inc-engine/recompute")
	if zones := n.mustAppctl("ct-zone-list"); !regexp.MustCompile(`(?m)^p1 \d+$`).MatchString(zones) {
		t.Errorf("ct-zone-list:\n%s", zones)
	}
	if b := n.mustAppctl("debug/dump-local-bindings"); !strings.Contains(b, "name: [p1], OVS interface name : [p1], num binding lports : [1]\nprimary lport : [p1]\n") {
		t.Errorf("debug/dump-local-bindings:\n%s", b)
	}
	if s := n.mustAppctl("stopwatch/show", "flow-generation"); !strings.Contains(s, "Statistics for 'flow-generation'\n  Total samples: ") {
		t.Errorf("stopwatch/show:\n%s", s)
	}
	if s := n.mustAppctl("vlog/list"); !regexp.MustCompile(`(?m)^binding +OFF +OFF +INFO$`).MatchString(s) {
		t.Errorf("vlog/list:\n%s", s)
	}
	n.mustAppctl("vlog/set", "ofctrl:file:dbg")
	if out, err := n.appctl("coverage/read-counter", "no_such_counter"); err == nil || !strings.Contains(out, "No such counter") {
		t.Errorf("unknown counter: %v %s", err, out)
	}

	// logrotate's postrotate: move the file away, vlog/reopen.
	if err := os.Rename(logFile, logFile+".1"); err != nil {
		t.Fatal(err)
	}
	n.mustAppctl("vlog/reopen")
	n.mustAppctl("recompute")
	if err := sandbox.Eventually(5*time.Second, func() (bool, error) {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "|main|INFO|User triggered force recompute."), nil
	}); err != nil {
		b, _ := os.ReadFile(logFile)
		t.Errorf("reopened log file lacks the new lines:\n%s", b)
	}
	old, _ := os.ReadFile(logFile + ".1")
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|\d{5}\|vlog\|INFO\|closing log file$`).Match(old) {
		t.Errorf("rotated log does not end with vlog's closing line:\n%s", old)
	}

	// chassisd ctl speaks the same protocol.
	if out, err := n.command(n.bin, "ctl", "connection-status").CombinedOutput(); err != nil || string(out) != "connected\n" {
		t.Errorf("chassisd ctl connection-status: %v %q", err, out)
	}

	// exit (without --restart) removes the chassis, the socket and the
	// pidfile, and the process ends.
	n.mustAppctl("exit")
	waitGone(t, pid)
	for _, f := range []string{ctl, n.pidfile()} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind (%v)", f, err)
		}
	}
	if out := n.central.MustSbctl("--bare", "--columns=name", "list", "Chassis"); strings.TrimSpace(out) != "" {
		t.Errorf("chassis still registered after exit: %q", out)
	}
}

// TestExitWithSouthboundDown: exit succeeds and cleans up although the
// chassis cannot be removed from an unreachable Southbound database.
func TestExitWithSouthboundDown(t *testing.T) {
	n := newNode(t)
	cmd := n.command(n.bin, "--pidfile", "-vconsole:off", n.ch.DBRemote())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killOnCleanup(t, cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		out, _ := n.appctl("connection-status")
		return out == "connected\n", nil
	}); err != nil {
		t.Fatal("never connected")
	}
	if err := n.central.StopSB(); err != nil {
		t.Fatal(err)
	}
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		out, _ := n.appctl("connection-status")
		return out == "not connected\n", nil
	}); err != nil {
		t.Fatal("connection-status never said not connected")
	}
	ctl := filepath.Join(n.ch.Dir(), fmt.Sprintf("ovn-controller.%d.ctl", cmd.Process.Pid))
	if out, err := n.appctl("exit"); err != nil {
		t.Fatalf("exit: %v %s", err, out)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit status: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not exit")
	}
	if _, err := os.Stat(ctl); !os.IsNotExist(err) {
		t.Errorf("control socket left behind: %v", err)
	}
}

// TestFatalSignals: SIGTERM and SIGHUP end chassisd as they end OVS
// daemons (killed by the signal, files removed), leaving the chassis
// registered for a hitless restart.
func TestFatalSignals(t *testing.T) {
	n := newNode(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		cmd := n.command(n.bin, "--pidfile", "-vconsole:off", n.ch.DBRemote())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killOnCleanup(t, cmd.Process.Pid)
		if err := n.central.WaitChassis("hv1"); err != nil {
			t.Fatal(err)
		}
		ctl := filepath.Join(n.ch.Dir(), fmt.Sprintf("ovn-controller.%d.ctl", cmd.Process.Pid))
		if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
			_, err := os.Stat(ctl)
			return err == nil, nil
		}); err != nil {
			t.Fatal("no control socket")
		}
		_ = cmd.Process.Signal(sig)
		err := cmd.Wait()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("%v: process ended with %v, want killed by the signal", sig, err)
		}
		for _, f := range []string{ctl, n.pidfile()} {
			if _, err := os.Stat(f); !os.IsNotExist(err) {
				t.Errorf("%v: %s left behind", sig, f)
			}
		}
		if out := n.central.MustSbctl("--bare", "--columns=name", "list", "Chassis"); strings.TrimSpace(out) != "hv1" {
			t.Errorf("%v: chassis rows %q, want hv1 kept", sig, out)
		}
	}
}

// TestOVNCtlStartStop runs Debian's ovn-ctl start_controller and
// stop_controller with chassisd installed as ovn-controller first on PATH:
// ovn-ctl's own --detach --monitor --pidfile command line, its status check
// and its graceful `ovs-appctl exit`.
func TestOVNCtlStartStop(t *testing.T) {
	const ovnCtl = "/usr/share/ovn/scripts/ovn-ctl"
	n := newNode(t)
	sandbox.Require(t, nil, ovnCtl)
	bindir := t.TempDir()
	if err := os.Symlink(n.bin, filepath.Join(bindir, "ovn-controller")); err != nil {
		t.Fatal(err)
	}
	n.env = append(n.env, "PATH="+bindir+":"+os.Getenv("PATH"))
	run := func(args ...string) string {
		t.Helper()
		out, err := n.command(ovnCtl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ovn-ctl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("start_controller")
	pid := n.readPid()
	killOnCleanup(t, pid)
	if got := lockHolder(t, n.pidfile()); got != pid {
		t.Errorf("pidfile lock held by %d, want %d", got, pid)
	}
	// With --monitor the daemon's parent is the monitor, not init.
	ppid := parentPid(t, pid)
	killOnCleanup(t, ppid)
	if ppid <= 1 {
		t.Errorf("daemon %d has no monitor (parent %d)", pid, ppid)
	}
	if out := run("status_controller"); !strings.Contains(out, fmt.Sprintf("ovn-controller is running with pid %d", pid)) {
		t.Errorf("status_controller: %s", out)
	}
	if err := n.central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(n.ch.Dir(), "ovn-controller.log")); !strings.Contains(string(b), "|main|INFO|chassisd ") {
		t.Errorf("ovn-ctl's --log-file not written:\n%s", b)
	}
	run("stop_controller")
	waitGone(t, pid)
	waitGone(t, ppid)
	if _, err := os.Stat(n.pidfile()); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind: %v", err)
	}
	// stop_controller uses exit, which removes the chassis.
	if out := n.central.MustSbctl("--bare", "--columns=name", "list", "Chassis"); strings.TrimSpace(out) != "" {
		t.Errorf("chassis still registered: %q", out)
	}
}

func parentPid(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// TestMetricsEndpoint: after a port is bound, /metrics lists the
// documented series with sane values and /readyz says ready.
func TestMetricsEndpoint(t *testing.T) {
	n := newNode(t)
	if err := n.ch.Configure("hv1", "192.0.2.1", "geneve", "physnet:br-provider"); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := n.command(n.bin, "--pidfile", "-vconsole:off", "--metrics-address="+addr, n.ch.DBRemote())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killOnCleanup(t, cmd.Process.Pid)
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	if err := n.central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	n.addPort("p1")
	n.central.MustNbctl("--wait=hv", "sync")
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		code, _ := get("/readyz")
		return code == 200, nil
	}); err != nil {
		_, body := get("/readyz")
		t.Errorf("/readyz never ready: %s", body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	_, body := get("/metrics")
	value := func(series string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("/metrics lacks %s", series)
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	for series, ok := range map[string]func(float64) bool{
		"ovn_controller_southbound_database_connected":     func(v float64) bool { return v == 1 },
		"ovn_controller_integration_bridge_openflow_total": func(v float64) bool { return v > 10 },
		"ovn_controller_lflow_run":                         func(v float64) bool { return v >= 1 },
		"ovn_controller_txn_success":                       func(v float64) bool { return v >= 1 },
		"ovn_controller_vconn_sent":                        func(v float64) bool { return v >= 1 },
		"ovn_controller_flow_generation_total_samples":     func(v float64) bool { return v >= 1 },
		"ovn_controller_flow_installation_total_samples":   func(v float64) bool { return v >= 1 },
		"ovn_controller_monitor_all":                       func(v float64) bool { return v == 0 || v == 1 },
		`ovn_controller_encap_ip{ipaddress="192.0.2.1"}`:   func(v float64) bool { return v == 1 },
		`ovn_controller_encap_type{type="geneve"}`:         func(v float64) bool { return v == 1 },
		"chassisd_flow_install_latency_seconds_count":      func(v float64) bool { return v >= 1 },
		`chassisd_flow_computations_total{kind="full"}`:    func(v float64) bool { return v >= 1 },
		"chassisd_nb_cfg_lag":                              func(v float64) bool { return v == 0 },
		"chassisd_openflow_rejections_total":               func(v float64) bool { return v == 0 },
		"ovn_controller_packet_in_drop":                    func(v float64) bool { return v == 0 },
		"ovn_controller_integration_bridge_geneve_ports":   func(v float64) bool { return v == 0 },
		"ovn_controller_remote_probe_interval_seconds":     func(v float64) bool { return v >= 0 },
	} {
		if v := value(series); !ok(v) {
			t.Errorf("%s = %v", series, v)
		}
	}
	// Every series the README documents is served.
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `((?:ovn_controller|chassisd)_[a-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		if m[1] == "chassisd_pinctrl_packets_total" {
			continue // one series per opcode, from the first packet-in on
		}
		if !regexp.MustCompile(`(?m)^`+m[1]+`[{ ]`).MatchString(body) && !strings.Contains(body, "# TYPE "+m[1]+" ") {
			t.Errorf("documented series %s not served", m[1])
		}
	}
}
