package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// CentralOptions configures a Central.
type CentralOptions struct {
	// Dir is where databases, sockets and logs go; a new temporary directory
	// (removed on Close) when empty.
	Dir string
	// ListenIP, NBPort and SBPort additionally open ptcp:PORT:IP remotes, for
	// agents that should connect over TCP. Ports of 0 mean no TCP remote.
	ListenIP       string
	NBPort, SBPort int
	// NoNorthd leaves ovn-northd out (tests that write SB rows themselves).
	NoNorthd bool
	// SBSSLPort, with SBSSL, opens a pssl:PORT:IP remote on the SB
	// ovsdb-server using SBSSL's key, certificate and CA.
	SBSSLPort int
	SBSSL     SSLFiles
	// SBClusterSize > 1 runs the SB as a RAFT cluster of that many
	// ovsdb-servers (sb1.db ...; their RAFT links on 127.0.0.1 TCP ports);
	// SBRemote then lists the unix sockets of all members.
	SBClusterSize int
	// Netns runs the databases and northd in an existing network
	// namespace (their unix sockets stay reachable from everywhere), so
	// that chassis in other namespaces reach their TCP/SSL remotes over a
	// test's own network.
	Netns string
}

// Central is a running OVN central: NB and SB ovsdb-servers and ovn-northd.
type Central struct {
	opts   CentralOptions
	dir    string
	ownDir bool
	tb     testing.TB

	nb, sb, northd *daemon
	sbMembers      []*daemon
}

// NewCentral starts a Central for a test: skipped when binaries are missing
// (failed when CI=true), stopped on t.Cleanup, logs dumped on failure.
func NewCentral(t testing.TB, opts CentralOptions) *Central {
	t.Helper()
	Require(t, CentralBinaries, NBSchema, SBSchema)
	c, err := StartCentral(opts)
	if c != nil {
		cleanupWithLogs(t, c.dir, c.ownDir, c.stop)
	}
	if err != nil {
		t.Fatalf("start OVN central: %v", err)
	}
	c.tb = t
	return c
}

// StartCentral starts a Central without a test; call Close when done.
func StartCentral(opts CentralOptions) (*Central, error) {
	c := &Central{opts: opts, dir: opts.Dir}
	if c.dir == "" {
		dir, err := newBaseDir("ovn-central-")
		if err != nil {
			return nil, err
		}
		c.dir, c.ownDir = dir, true
	} else if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create central directory: %w", err)
	}
	if err := c.start(); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Central) env() []string {
	return []string{
		"OVS_RUNDIR=" + c.dir, "OVS_LOGDIR=" + c.dir, "OVS_DBDIR=" + c.dir,
		"OVN_RUNDIR=" + c.dir, "OVN_LOGDIR=" + c.dir, "OVN_DBDIR=" + c.dir,
	}
}

func (c *Central) start() error {
	var err error
	c.nb, err = c.startDB("nb", NBSchema, c.opts.NBPort)
	if err != nil {
		return err
	}
	if c.opts.SBClusterSize > 1 {
		err = c.startSBCluster()
	} else {
		c.sb, err = c.startDB("sb", SBSchema, c.opts.SBPort)
	}
	if err != nil {
		return err
	}
	if c.opts.NoNorthd {
		return nil
	}
	ctl := filepath.Join(c.dir, "ovn-northd.ctl")
	c.northd, err = startDaemon("ovn-northd", c.dir, c.opts.Netns, c.env(), []string{
		"ovn-northd", "-vconsole:err",
		"--ovnnb-db=" + c.NBRemote(), "--ovnsb-db=" + c.SBRemote(),
		"--unixctl=" + ctl, "--log-file=" + filepath.Join(c.dir, "ovn-northd.log"),
	})
	if err != nil {
		return err
	}
	if err := waitSocket(c.northd, ctl, DefaultTimeout); err != nil {
		return fmt.Errorf("wait for ovn-northd: %w", err)
	}
	return nil
}

func (c *Central) startDB(name, schema string, port int) (*daemon, error) {
	db := filepath.Join(c.dir, name+".db")
	if _, err := run("ovsdb-tool", "create", db, schema); err != nil {
		return nil, fmt.Errorf("create %s database: %w", name, err)
	}
	sock := filepath.Join(c.dir, name+".sock")
	if err := checkSocketPath(sock); err != nil {
		return nil, err
	}
	args := []string{
		"ovsdb-server", "-vconsole:err", "--remote=punix:" + sock,
		"--unixctl=" + filepath.Join(c.dir, name+".ctl"),
		"--log-file=" + filepath.Join(c.dir, name+".log"),
	}
	if port != 0 {
		args = append(args, "--remote=ptcp:"+strconv.Itoa(port)+":"+c.listenIP())
	}
	if name == "sb" && c.opts.SBSSLPort != 0 {
		args = append(args, "--remote=pssl:"+strconv.Itoa(c.opts.SBSSLPort)+":"+c.listenIP())
		args = append(args, c.opts.SBSSL.Args()...)
	}
	args = append(args, db)
	d, err := startDaemon(name+"-ovsdb-server", c.dir, c.opts.Netns, c.env(), args)
	if err != nil {
		return nil, err
	}
	if err := waitSocket(d, sock, DefaultTimeout); err != nil {
		return d, fmt.Errorf("wait for %s ovsdb-server: %w", name, err)
	}
	return d, nil
}

func (c *Central) listenIP() string {
	if c.opts.ListenIP == "" {
		return "127.0.0.1"
	}
	return c.opts.ListenIP
}

// Dir is the central's directory; chassis may use it as their BaseDir.
func (c *Central) Dir() string { return c.dir }

// NBRemote is the unix: remote of the Northbound DB.
func (c *Central) NBRemote() string { return "unix:" + filepath.Join(c.dir, "nb.sock") }

// SBRemote is the unix: remote of the Southbound DB (reachable from any
// network namespace, since unix sockets live in the file system); for a
// clustered SB, the comma-separated remotes of every member.
func (c *Central) SBRemote() string {
	if c.opts.SBClusterSize > 1 {
		var r []string
		for i := range c.opts.SBClusterSize {
			r = append(r, "unix:"+c.sbMemberSock(i))
		}
		return strings.Join(r, ",")
	}
	return "unix:" + filepath.Join(c.dir, "sb.sock")
}

func (c *Central) sbMemberSock(i int) string {
	return filepath.Join(c.dir, fmt.Sprintf("sb%d.sock", i+1))
}

// SBMemberRemote is the unix: remote of member i (0-based) of a clustered SB.
func (c *Central) SBMemberRemote(i int) string { return "unix:" + c.sbMemberSock(i) }

// startSBCluster creates and starts a RAFT cluster of SBClusterSize
// members: the first creates the cluster, the others join it.
func (c *Central) startSBCluster() error {
	n := c.opts.SBClusterSize
	addrs := make([]string, n)
	for i := range addrs {
		port, err := FreePort()
		if err != nil {
			return err
		}
		addrs[i] = fmt.Sprintf("tcp:127.0.0.1:%d", port)
	}
	for i := range n {
		db := filepath.Join(c.dir, fmt.Sprintf("sb%d.db", i+1))
		var err error
		if i == 0 {
			_, err = run("ovsdb-tool", "create-cluster", db, SBSchema, addrs[0])
		} else {
			_, err = run("ovsdb-tool", "join-cluster", db, "OVN_Southbound", addrs[i], addrs[0])
		}
		if err != nil {
			return fmt.Errorf("SB cluster member %d: %w", i+1, err)
		}
	}
	c.sbMembers = make([]*daemon, n)
	for i := range n {
		if err := c.StartSBMember(i); err != nil {
			return err
		}
	}
	return c.waitSB(DefaultTimeout, func() (bool, error) {
		_, err := c.SBLeader()
		return err == nil, nil
	}, "SB cluster leader")
}

// StartSBMember starts member i of a clustered SB (again, after
// KillSBMember) and waits for its socket.
func (c *Central) StartSBMember(i int) error {
	name := fmt.Sprintf("sb%d", i+1)
	d, err := startDaemon(name+"-ovsdb-server", c.dir, c.opts.Netns, c.env(), []string{
		"ovsdb-server", "-vconsole:err", "--remote=punix:" + c.sbMemberSock(i),
		"--unixctl=" + filepath.Join(c.dir, name+".ctl"),
		"--log-file=" + filepath.Join(c.dir, name+".log"),
		filepath.Join(c.dir, name+".db"),
	})
	if err != nil {
		return err
	}
	c.sbMembers[i] = d
	if err := waitSocket(d, c.sbMemberSock(i), DefaultTimeout); err != nil {
		return fmt.Errorf("wait for SB member %d: %w", i+1, err)
	}
	return nil
}

// KillSBMember kills member i of a clustered SB (SIGKILL).
func (c *Central) KillSBMember(i int) error { return c.sbMembers[i].kill() }

// SBLeader returns the index of the clustered SB's leader.
func (c *Central) SBLeader() (int, error) {
	for i, d := range c.sbMembers {
		if d == nil || d.exited() {
			continue
		}
		out, err := run("ovs-appctl", "-t", filepath.Join(c.dir, fmt.Sprintf("sb%d.ctl", i+1)), "cluster/status", "OVN_Southbound")
		if err == nil && strings.Contains(out, "Role: leader") {
			return i, nil
		}
	}
	return -1, errors.New("no SB cluster member is leader")
}

// SBRemoteTCP is tcp:IP:PORT when SBPort was set, else "".
func (c *Central) SBRemoteTCP() string {
	if c.opts.SBPort == 0 {
		return ""
	}
	return "tcp:" + c.listenIP() + ":" + strconv.Itoa(c.opts.SBPort)
}

// SBRemoteSSL is ssl:IP:PORT when SBSSLPort was set, else "".
func (c *Central) SBRemoteSSL() string {
	if c.opts.SBSSLPort == 0 {
		return ""
	}
	return "ssl:" + c.listenIP() + ":" + strconv.Itoa(c.opts.SBSSLPort)
}

// NBRemoteTCP is tcp:IP:PORT when NBPort was set, else "".
func (c *Central) NBRemoteTCP() string {
	if c.opts.NBPort == 0 {
		return ""
	}
	return "tcp:" + c.listenIP() + ":" + strconv.Itoa(c.opts.NBPort)
}

// Nbctl runs ovn-nbctl against the NB DB and returns its trimmed stdout.
func (c *Central) Nbctl(args ...string) (string, error) {
	return run(append([]string{"ovn-nbctl", "--db=" + c.NBRemote(), "--no-leader-only", "--timeout=20"}, args...)...)
}

// Sbctl runs ovn-sbctl against the SB DB and returns its trimmed stdout.
func (c *Central) Sbctl(args ...string) (string, error) {
	return run(append([]string{"ovn-sbctl", "--db=" + c.SBRemote(), "--no-leader-only", "--timeout=20"}, args...)...)
}

// MustNbctl is Nbctl that fails the test on error.
func (c *Central) MustNbctl(args ...string) string {
	out, err := c.Nbctl(args...)
	c.must(err)
	return out
}

// MustSbctl is Sbctl that fails the test on error.
func (c *Central) MustSbctl(args ...string) string {
	out, err := c.Sbctl(args...)
	c.must(err)
	return out
}

func (c *Central) must(err error) {
	if err == nil {
		return
	}
	if c.tb == nil {
		panic(errors.Join(errNoTB, err))
	}
	c.tb.Helper()
	c.tb.Fatal(err)
}

// NorthdAppctl runs ovs-appctl against ovn-northd.
func (c *Central) NorthdAppctl(args ...string) (string, error) {
	return run(append([]string{"ovs-appctl", "-t", filepath.Join(c.dir, "ovn-northd.ctl")}, args...)...)
}

// WaitSync waits until ovn-northd has propagated every NB change to SB
// (ovn-nbctl --wait=sb sync).
func (c *Central) WaitSync() error {
	_, err := c.Nbctl("--wait=sb", "sync")
	return err
}

// ChassisNames lists the names of the SB Chassis rows.
func (c *Central) ChassisNames() ([]string, error) {
	out, err := c.Sbctl("--bare", "--columns=name", "list", "Chassis")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// WaitChassis waits until a Chassis row named name exists in SB.
func (c *Central) WaitChassis(name string) error {
	return c.waitSB(DefaultTimeout, func() (bool, error) {
		names, err := c.ChassisNames()
		if err != nil {
			return false, err
		}
		for _, n := range names {
			if n == name {
				return true, nil
			}
		}
		return false, nil
	}, "Chassis "+name)
}

// WaitPortUp waits until the SB Port_Binding of lport has up=true and is
// bound to chassis (any chassis when chassis is "").
func (c *Central) WaitPortUp(lport, chassis string) error {
	return c.waitSB(DefaultTimeout, func() (bool, error) {
		up, err := c.Sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port="+lport)
		if err != nil || up != "true" {
			return false, err
		}
		if chassis == "" {
			return true, nil
		}
		uuid, err := c.Sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name="+chassis)
		if err != nil || uuid == "" {
			return false, err
		}
		bound, err := c.Sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port="+lport)
		return bound == uuid, err
	}, "Port_Binding "+lport+" up on "+chassis)
}

func (c *Central) waitSB(timeout time.Duration, cond func() (bool, error), what string) error {
	if err := Eventually(timeout, cond); err != nil {
		return fmt.Errorf("wait for %s: %w", what, err)
	}
	return nil
}

// StopSB stops the SB ovsdb-server (the database file stays), e.g. to test
// that agents reconnect; StartSB brings it back.
func (c *Central) StopSB() error { return c.sb.stop() }

// StartSB starts the SB ovsdb-server again after StopSB, with the same
// command line and database, and waits for its socket.
func (c *Central) StartSB() error {
	if !c.sb.exited() {
		return fmt.Errorf("SB ovsdb-server is still running")
	}
	d, err := startDaemon(c.sb.name, c.sb.dir, c.sb.netns, c.sb.env, c.sb.argv)
	if err != nil {
		return err
	}
	c.sb = d
	if err := waitSocket(d, strings.TrimPrefix(c.SBRemote(), "unix:"), DefaultTimeout); err != nil {
		return fmt.Errorf("wait for restarted SB ovsdb-server: %w", err)
	}
	return nil
}

// WipeSB stops the SB ovsdb-server, replaces its database with an empty
// one and starts it again: ovn-northd repopulates it, agents re-register.
func (c *Central) WipeSB() error {
	if err := c.StopSB(); err != nil {
		return err
	}
	db := filepath.Join(c.dir, "sb.db")
	if err := os.Remove(db); err != nil {
		return fmt.Errorf("remove SB database: %w", err)
	}
	if _, err := run("ovsdb-tool", "create", db, SBSchema); err != nil {
		return fmt.Errorf("create empty SB database: %w", err)
	}
	return c.StartSB()
}

// StartNorthd starts another ovn-northd against the same databases (it
// takes the lock only when the first one goes: active/standby) and returns
// a function that kills it.
func (c *Central) StartNorthd(name string) (stop func() error, err error) {
	ctl := filepath.Join(c.dir, name+".ctl")
	d, err := startDaemon(name, c.dir, "", c.env(), []string{
		"ovn-northd", "-vconsole:err",
		"--ovnnb-db=" + c.NBRemote(), "--ovnsb-db=" + c.SBRemote(),
		"--unixctl=" + ctl, "--log-file=" + filepath.Join(c.dir, name+".log"),
	})
	if err != nil {
		return nil, err
	}
	if err := waitSocket(d, ctl, DefaultTimeout); err != nil {
		return nil, fmt.Errorf("wait for %s: %w", name, err)
	}
	return d.stop, nil
}

// KillNorthd kills the first ovn-northd (SIGKILL, as a crash).
func (c *Central) KillNorthd() error { return c.northd.kill() }

// RestartSB is StopSB followed by StartSB.
func (c *Central) RestartSB() error {
	if err := c.StopSB(); err != nil {
		return err
	}
	return c.StartSB()
}

// Close stops northd and the databases and removes the directory if it was
// created by the sandbox (and CHASSISD_E2E_KEEP is not 1).
func (c *Central) Close() error {
	err := c.stop()
	if c.ownDir && !keepDirs() {
		_ = os.RemoveAll(c.dir)
	}
	return err
}

func (c *Central) stop() error {
	err := errors.Join(c.northd.stop(), c.sb.stop(), c.nb.stop())
	for _, m := range c.sbMembers {
		err = errors.Join(err, m.stop())
	}
	return err
}

// Logs returns the tails of every log under the central's directory.
func (c *Central) Logs() string { return dumpLogs(c.dir, 60) }
