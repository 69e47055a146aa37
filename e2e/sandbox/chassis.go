package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// ChassisOptions configures a Chassis.
type ChassisOptions struct {
	// Name names the chassis' subdirectory and its daemons' logs; it is not
	// the system-id (see Configure), though usually the same.
	Name string
	// BaseDir is the parent of the chassis directory (BaseDir/Name); a new
	// temporary directory (removed on Close) when empty.
	BaseDir string
	// Netns, when set, is an existing network namespace that ovs-vswitchd and
	// the agent run in (their sockets stay reachable from everywhere). When
	// empty, the chassis creates a private namespace (deleted on Close),
	// because the userspace datapath's "ovs-netdev" tap device and the bridge
	// devices allow only one ovs-vswitchd per network namespace.
	Netns string
	// RootNetns runs ovs-vswitchd and the agent in the caller's namespace
	// instead (only one such chassis per machine; Netns must be empty).
	RootNetns bool
	// Dummy starts ovs-vswitchd with --enable-dummy so that type=dummy
	// interfaces can be added (ports without traffic).
	Dummy bool
	// SBRemote is written as external_ids:ovn-remote by Configure.
	SBRemote string
}

// Chassis is one hypervisor: ovsdb-server and ovs-vswitchd with the
// userspace datapath, plus an optional agent.
type Chassis struct {
	opts   ChassisOptions
	dir    string
	ownDir bool
	tb     testing.TB

	ovsdb, vswitchd, agent *daemon
	ownNetns               *Netns
	agentKind              AgentKind
}

// NewChassis starts a Chassis for a test: skipped when binaries are missing
// (failed when CI=true), stopped on t.Cleanup, logs dumped on failure.
func NewChassis(t testing.TB, opts ChassisOptions) *Chassis {
	t.Helper()
	Require(t, ChassisBinaries, VswitchSchema)
	RequireRoot(t)
	ch, err := StartChassis(opts)
	if ch != nil {
		cleanupWithLogs(t, ch.dir, ch.ownDir, ch.stop)
	}
	if err != nil {
		t.Fatalf("start chassis %s: %v", opts.Name, err)
	}
	ch.tb = t
	return ch
}

// NewChassis starts a Chassis whose directory is under the central's and
// whose ovn-remote is the central's SB (unless opts sets them).
func (c *Central) NewChassis(t testing.TB, opts ChassisOptions) *Chassis {
	t.Helper()
	if opts.BaseDir == "" {
		opts.BaseDir = c.dir
	}
	if opts.SBRemote == "" {
		opts.SBRemote = c.SBRemote()
	}
	return NewChassis(t, opts)
}

// StartChassis starts a Chassis without a test; call Close when done.
func StartChassis(opts ChassisOptions) (*Chassis, error) {
	if opts.Name == "" {
		opts.Name = "hv1"
	}
	ch := &Chassis{opts: opts}
	if opts.BaseDir == "" {
		dir, err := newBaseDir("ovn-" + opts.Name + "-")
		if err != nil {
			return nil, err
		}
		ch.dir, ch.ownDir = dir, true
	} else {
		ch.dir = filepath.Join(opts.BaseDir, opts.Name)
		if err := os.MkdirAll(ch.dir, 0o755); err != nil {
			return nil, fmt.Errorf("create chassis directory: %w", err)
		}
	}
	if opts.Netns == "" && !opts.RootNetns {
		ns, err := CreateNetns(UniqueName("ovn-" + opts.Name))
		if err != nil {
			return ch, err
		}
		ch.ownNetns, ch.opts.Netns = ns, ns.Name
	}
	if err := ch.start(); err != nil {
		return ch, err
	}
	return ch, nil
}

func (ch *Chassis) env() []string {
	return []string{
		"OVS_RUNDIR=" + ch.dir, "OVS_LOGDIR=" + ch.dir, "OVS_DBDIR=" + ch.dir,
		"OVN_RUNDIR=" + ch.dir, "OVN_LOGDIR=" + ch.dir, "OVN_DBDIR=" + ch.dir,
	}
}

func (ch *Chassis) start() error {
	db := filepath.Join(ch.dir, "conf.db")
	if _, err := run("ovsdb-tool", "create", db, VswitchSchema); err != nil {
		return fmt.Errorf("create Open_vSwitch database: %w", err)
	}
	// The longest socket we create is <dir>/<bridge>.mgmt.
	if err := checkSocketPath(filepath.Join(ch.dir, "br-provider.mgmt")); err != nil {
		return err
	}
	var err error
	ch.ovsdb, err = startDaemon("ovsdb-server", ch.dir, "", ch.env(), []string{
		"ovsdb-server", "-vconsole:err", "--remote=punix:" + ch.DBSock(),
		"--unixctl=" + filepath.Join(ch.dir, "ovsdb-server.ctl"),
		"--log-file=" + filepath.Join(ch.dir, "ovsdb-server.log"),
		db,
	})
	if err != nil {
		return err
	}
	if err := waitSocket(ch.ovsdb, ch.DBSock(), DefaultTimeout); err != nil {
		return fmt.Errorf("wait for ovsdb-server: %w", err)
	}
	if _, err := ch.Vsctl("--no-wait", "init"); err != nil {
		return fmt.Errorf("initialise Open_vSwitch table: %w", err)
	}
	args := []string{
		"ovs-vswitchd", "-vconsole:err",
		"--unixctl=" + ch.vswitchdCtl(),
		"--log-file=" + filepath.Join(ch.dir, "ovs-vswitchd.log"),
	}
	if ch.opts.Dummy {
		args = append(args, "--enable-dummy")
	}
	args = append(args, ch.DBRemote())
	ch.vswitchd, err = startDaemon("ovs-vswitchd", ch.dir, ch.opts.Netns, ch.env(), args)
	if err != nil {
		return err
	}
	if err := waitSocket(ch.vswitchd, ch.vswitchdCtl(), DefaultTimeout); err != nil {
		return fmt.Errorf("wait for ovs-vswitchd: %w", err)
	}
	// A plain vsctl call waits for ovs-vswitchd to catch up with the DB.
	if _, err := ch.Vsctl("show"); err != nil {
		return fmt.Errorf("ovs-vswitchd not answering: %w", err)
	}
	return nil
}

func (ch *Chassis) vswitchdCtl() string { return filepath.Join(ch.dir, "ovs-vswitchd.ctl") }

// Name is the chassis' name as given in the options.
func (ch *Chassis) Name() string { return ch.opts.Name }

// Dir is the chassis' directory (sockets, databases, logs).
func (ch *Chassis) Dir() string { return ch.dir }

// Netns is the network namespace the chassis runs in ("" for the root one).
// Exec runs commands there.
func (ch *Chassis) Netns() string { return ch.opts.Netns }

// Exec runs a command in the chassis' network namespace and returns its
// trimmed stdout.
func (ch *Chassis) Exec(args ...string) (string, error) {
	if ch.opts.Netns == "" {
		return Run(args...)
	}
	return Run(append([]string{"ip", "netns", "exec", ch.opts.Netns}, args...)...)
}

// DBSock is the path of the local Open_vSwitch database socket.
func (ch *Chassis) DBSock() string { return filepath.Join(ch.dir, "db.sock") }

// DBRemote is "unix:" + DBSock(), the argument ovn-controller/chassisd take.
func (ch *Chassis) DBRemote() string { return "unix:" + ch.DBSock() }

// Mgmt is the OpenFlow management target of a bridge, unix:<dir>/<br>.mgmt.
func (ch *Chassis) Mgmt(bridge string) string {
	return "unix:" + filepath.Join(ch.dir, bridge+".mgmt")
}

// WaitBridge waits until ovs-vswitchd serves OpenFlow on bridge's
// management socket (e.g. after the agent created br-int).
func (ch *Chassis) WaitBridge(bridge string) error {
	path := strings.TrimPrefix(ch.Mgmt(bridge), "unix:")
	if err := waitSocket(ch.vswitchd, path, DefaultTimeout); err != nil {
		return fmt.Errorf("wait for bridge %s on %s: %w", bridge, ch.opts.Name, err)
	}
	return nil
}

// Vsctl runs ovs-vsctl against the chassis' database.
func (ch *Chassis) Vsctl(args ...string) (string, error) {
	return run(append([]string{"ovs-vsctl", "--db=" + ch.DBRemote(), "--timeout=20"}, args...)...)
}

// Ofctl runs ovs-ofctl -O OpenFlow15 with the bridge's management socket
// inserted after the command: Ofctl("br-int", "dump-flows", "--no-stats").
func (ch *Chassis) Ofctl(bridge string, args ...string) (string, error) {
	argv, err := ofctlArgv(ch.Mgmt(bridge), args)
	if err != nil {
		return "", fmt.Errorf("ovs-ofctl on %s: %w", bridge, err)
	}
	return run(argv...)
}

func ofctlArgv(target string, args []string) ([]string, error) {
	argv := []string{"ovs-ofctl", "-O", "OpenFlow15"}
	inserted := false
	for _, a := range args {
		argv = append(argv, a)
		if !inserted && !strings.HasPrefix(a, "-") {
			argv = append(argv, target)
			inserted = true
		}
	}
	if !inserted {
		return nil, fmt.Errorf("no command given in %q", args)
	}
	return argv, nil
}

// DumpFlows returns the bridge's flows as `dump-flows --no-stats` prints
// them, one per element, trimmed; filters (e.g. "table=0") narrow the dump.
func (ch *Chassis) DumpFlows(bridge string, filters ...string) ([]string, error) {
	out, err := ch.Ofctl(bridge, append([]string{"dump-flows", "--no-stats"}, filters...)...)
	if err != nil {
		return nil, err
	}
	var flows []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.Contains(line, "_FLOW reply") {
			continue
		}
		flows = append(flows, line)
	}
	return flows, nil
}

// Appctl runs ovs-appctl against the chassis' ovs-vswitchd.
func (ch *Chassis) Appctl(args ...string) (string, error) {
	return run(append([]string{"ovs-appctl", "-t", ch.vswitchdCtl()}, args...)...)
}

// Configure writes the Open_vSwitch external_ids a deployment would set for
// an OVN chassis: system-id, hostname, ovn-remote (from the options),
// ovn-encap-type, ovn-encap-ip, ovn-bridge-datapath-type=netdev and, when
// given, ovn-bridge-mappings ("physnet:br-provider" entries).
func (ch *Chassis) Configure(systemID, encapIP, encapType string, bridgeMappings ...string) error {
	ids := map[string]string{
		"system-id":                systemID,
		"hostname":                 systemID,
		"ovn-encap-type":           encapType,
		"ovn-encap-ip":             encapIP,
		"ovn-bridge-datapath-type": "netdev",
	}
	if ch.opts.SBRemote != "" {
		ids["ovn-remote"] = ch.opts.SBRemote
	}
	if len(bridgeMappings) > 0 {
		ids["ovn-bridge-mappings"] = strings.Join(bridgeMappings, ",")
	}
	return ch.SetExternalIDs(ids)
}

// SetExternalIDs sets Open_vSwitch external_ids keys (an empty value removes
// the key).
func (ch *Chassis) SetExternalIDs(ids map[string]string) error {
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := []string{"--", "set", "Open_vSwitch", "."}
	var removals []string
	for _, k := range keys {
		if ids[k] == "" {
			removals = append(removals, "--", "remove", "Open_vSwitch", ".", "external_ids", k)
			continue
		}
		args = append(args, fmt.Sprintf("external_ids:%s=%q", k, ids[k]))
	}
	if len(args) == 4 {
		args = nil
	}
	args = append(args, removals...)
	if len(args) == 0 {
		return nil
	}
	if _, err := ch.Vsctl(args...); err != nil {
		return fmt.Errorf("set external_ids on chassis %s: %w", ch.opts.Name, err)
	}
	return nil
}

// AddBridge creates a userspace (netdev) bridge if it does not exist.
func (ch *Chassis) AddBridge(name string) error {
	if _, err := ch.Vsctl("--may-exist", "add-br", name, "--", "set", "Bridge", name, "datapath_type=netdev"); err != nil {
		return fmt.Errorf("add bridge %s on %s: %w", name, ch.opts.Name, err)
	}
	return nil
}

// AddPort adds an existing network device (or, with ifaceType set, e.g.
// "dummy" or "internal", a new one) to bridge; ifaceExternalIDs go to the
// Interface row (e.g. iface-id).
func (ch *Chassis) AddPort(bridge, port, ifaceType string, ifaceExternalIDs map[string]string) error {
	args := []string{"--may-exist", "add-port", bridge, port}
	if ifaceType != "" || len(ifaceExternalIDs) > 0 {
		args = append(args, "--", "set", "Interface", port)
		if ifaceType != "" {
			args = append(args, "type="+ifaceType)
		}
		keys := make([]string, 0, len(ifaceExternalIDs))
		for k := range ifaceExternalIDs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			args = append(args, fmt.Sprintf("external_ids:%s=%q", k, ifaceExternalIDs[k]))
		}
	}
	if _, err := ch.Vsctl(args...); err != nil {
		return fmt.Errorf("add port %s to %s on %s: %w", port, bridge, ch.opts.Name, err)
	}
	return nil
}

// AddVIF adds port to br-int with external_ids:iface-id=lport, as Nova/
// Neutron do for a VM interface; ifaceType is "" for an existing device
// (veth) or "dummy"/"internal".
func (ch *Chassis) AddVIF(port, ifaceType, lport string) error {
	return ch.AddPort("br-int", port, ifaceType, map[string]string{"iface-id": lport})
}

// MustVsctl is Vsctl that fails the test on error.
func (ch *Chassis) MustVsctl(args ...string) string {
	out, err := ch.Vsctl(args...)
	ch.must(err)
	return out
}

// MustOfctl is Ofctl that fails the test on error.
func (ch *Chassis) MustOfctl(bridge string, args ...string) string {
	out, err := ch.Ofctl(bridge, args...)
	ch.must(err)
	return out
}

// MustConfigure is Configure that fails the test on error.
func (ch *Chassis) MustConfigure(systemID, encapIP, encapType string, bridgeMappings ...string) {
	ch.must(ch.Configure(systemID, encapIP, encapType, bridgeMappings...))
}

func (ch *Chassis) must(err error) {
	if err == nil {
		return
	}
	if ch.tb == nil {
		panic(errors.Join(errNoTB, err))
	}
	ch.tb.Helper()
	ch.tb.Fatal(err)
}

// StopVswitchd kills ovs-vswitchd (SIGKILL, as a crash or an upgrade
// would stop it): the userspace datapath forwards nothing until
// StartVswitchd.
func (ch *Chassis) StopVswitchd() error { return ch.vswitchd.kill() }

// StartVswitchd starts ovs-vswitchd again with its command line and waits
// until its control socket answers; it returns when that happened.
func (ch *Chassis) StartVswitchd() (time.Time, error) {
	d, err := startDaemon(ch.vswitchd.name, ch.vswitchd.dir, ch.vswitchd.netns, ch.vswitchd.env, ch.vswitchd.argv)
	if err != nil {
		return time.Time{}, err
	}
	ch.vswitchd = d
	if err := waitSocket(d, ch.vswitchdCtl(), DefaultTimeout); err != nil {
		return time.Time{}, fmt.Errorf("wait for restarted ovs-vswitchd on %s: %w", ch.opts.Name, err)
	}
	return time.Now(), nil
}

// RestartOVSDB restarts the chassis' ovsdb-server (same database file), as
// an OVS upgrade or crash would, and waits until it serves again.
func (ch *Chassis) RestartOVSDB() error {
	d, err := ch.ovsdb.respawn()
	if err != nil {
		return fmt.Errorf("restart ovsdb-server on %s: %w", ch.opts.Name, err)
	}
	ch.ovsdb = d
	if err := waitSocket(d, ch.DBSock(), DefaultTimeout); err != nil {
		return fmt.Errorf("wait for restarted ovsdb-server on %s: %w", ch.opts.Name, err)
	}
	return nil
}

// Close stops the agent, ovs-vswitchd and ovsdb-server and removes the
// directory if the sandbox created it (and CHASSISD_E2E_KEEP is not 1).
func (ch *Chassis) Close() error {
	err := ch.stop()
	if ch.ownDir && !keepDirs() {
		_ = os.RemoveAll(ch.dir)
	}
	return err
}

func (ch *Chassis) stop() error {
	err := errors.Join(ch.agent.stop(), ch.vswitchd.stop(), ch.ovsdb.stop())
	if ch.ownNetns != nil {
		err = errors.Join(err, ch.ownNetns.Close())
		ch.ownNetns = nil
	}
	return err
}

// Logs returns the tails of every log in the chassis' directory.
func (ch *Chassis) Logs() string { return dumpLogs(ch.dir, 60) }
