// Command chassisd is a chassis agent for OVN: a drop-in replacement for
// ovn-controller. It takes ovn-controller's command line, environment and
// process contract (see `chassisd --help`):
//
//	chassisd [OPTIONS] [OVS-DATABASE]
//	chassisd ctl [-t TARGET] COMMAND [ARG...]   (like ovn-appctl)
//	chassisd configure KEY=VALUE...             (Open_vSwitch external_ids)
//	chassisd debug <command> [flags]            (see `chassisd debug -h`)
//
// OVS-DATABASE defaults to unix:$OVS_RUNDIR/db.sock. All other
// configuration is read from the Open_vSwitch table's external_ids.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/chassisd/chassisd/agent"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/metrics"
	"github.com/chassisd/chassisd/agent/unixctl"
	"github.com/chassisd/chassisd/agent/vlog"
	"github.com/chassisd/chassisd/metadata"
)

// version is set at build time with -ldflags "-X main.version=..."; when
// it is not, the module's build information supplies it.
var version string

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "debug":
			os.Exit(runDebug(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case "ctl":
			os.Exit(runCtl(os.Args[2:], os.Stdout, os.Stderr))
		case "configure":
			os.Exit(runConfigure(os.Args[2:], os.Stderr))
		case "explain":
			os.Exit(runExplain(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	os.Exit(run(os.Args[1:]))
}

// chassisdVersion is chassisd's own version.
func chassisdVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		return "0.0.0-" + rev + modified
	}
	return "0.0.0-devel"
}

// programVersion is what `version` answers: ovn-controller's two lines
// (the release whose contract chassisd implements: ovn-ctl and
// ovn-kubernetes read them) and chassisd's own version.
func programVersion() string {
	return fmt.Sprintf("%s %s\nOpen vSwitch Library %s\nchassisd %s\n", programName,
		metrics.CompatibleOVNVersion, metrics.CompatibleOVSVersion, chassisdVersion())
}

func printVersion() {
	fmt.Printf("%s %s\nOpen vSwitch Library %s\nOpenFlow versions 0x6:0x6\nSB DB Schema %s\nchassisd %s\n",
		programName, metrics.CompatibleOVNVersion, metrics.CompatibleOVSVersion, metrics.SBSchemaVersion, chassisdVersion())
}

// fatalf reports a startup error on stderr and, once logging exists, in
// the log, as VLOG_FATAL does; the process then exits 1.
func fatalf(log *slog.Logger, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if log != nil {
		log.Error(msg)
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", programName, msg)
	return 1
}

func run(args []string) int {
	o, err := parseOptions(args)
	if err != nil {
		return fatalf(nil, "%v", err)
	}
	if o.showHelp {
		printUsage(os.Stdout)
		return 0
	}
	if o.showVersion {
		printVersion()
		return 0
	}
	if err := o.checkUnsupported(); err != nil {
		return fatalf(nil, "%v", err)
	}
	stage := os.Getenv(stageEnv)
	if stage == "" && o.needsChild() {
		return runLauncher(o)
	}
	vl, err := setupLogging(o)
	if err != nil {
		return fatalf(nil, "%v", err)
	}
	defer vl.Close()
	logger := vl.Logger()
	slog.SetDefault(logger)
	if stage == stageMonitor {
		return runMonitor(o, logger.With("module", "daemon_unix"))
	}
	return runDaemon(o, vl, logger)
}

// setupLogging applies the logging options in command-line order, as OVS
// does while parsing them.
func setupLogging(o *options) (*vlog.Log, error) {
	vl := vlog.New(vlog.Options{Program: programName, JSON: o.logFormat == "json"})
	method := o.syslogMethod
	if method == "" {
		method = "libc"
	}
	if err := vl.SetSyslogMethod(method); err != nil {
		return nil, err
	}
	if o.syslogTarget != "" {
		if err := vl.SetSyslogTarget(o.syslogTarget); err != nil {
			return nil, err
		}
	}
	for _, st := range o.logSteps {
		switch {
		case st.verbose != nil:
			if err := vl.SetVerbosity(*st.verbose); err != nil {
				return nil, err
			}
		case st.logFile != nil:
			name := *st.logFile
			if name == "" {
				name = filepath.Join(ovsLogDir(), programName+".log")
			}
			// A log file that cannot be opened is a warning, not fatal.
			_ = vl.SetLogFile(name)
		}
	}
	return vl, nil
}

// runDaemon is the agent process: pidfile, control socket, metrics, then
// the agent until `exit` or a fatal signal.
func runDaemon(o *options, vl *vlog.Log, logger *slog.Logger) int {
	log := logger.With("module", "main")
	var pf *pidfile
	if o.pidfile != "" {
		var err error
		if pf, err = createPidfile(o.pidfile, o.overwritePidfile); err != nil {
			return fatalf(log, "%v", err)
		}
	}
	defer pf.remove()

	if o.enableDummyVIFPlug {
		log.Info("--enable-dummy-vif-plug: chassisd has no VIF plug providers; ports asking for one are left to their owner")
	}
	// The files are read for each connection (agent/db.SSL): only the
	// command line's syntax is checked here.
	ssl := db.SSLFiles{PrivateKey: o.privateKey, Certificate: o.certificate, CACert: firstNonEmpty(o.caCert, o.bootstrapCACert),
		BootstrapCA: o.caCert == "" && o.bootstrapCACert != "", Protocols: o.sslProtocols}
	if _, _, err := db.ParseSSLProtocols(o.sslProtocols); err != nil {
		return fatalf(log, "%v", err)
	}
	chassisName := o.chassis
	if chassisName == "" {
		chassisName = systemIDOverride()
	}
	meta := agent.MetadataOptions{Registerer: metrics.Registerer()}
	if len(o.metadataConfigs) > 0 {
		var err error
		if meta.Config, err = metadata.LoadConfig(o.metadataConfigs...); err != nil {
			return fatalf(log, "%v", err)
		}
	}
	a, err := agent.New(agent.Options{OVSRemote: o.ovsRemote, ChassisName: chassisName, SSL: ssl,
		Logger: logger, OVSRunDir: ovsRunDir(), Metadata: meta})
	if err != nil {
		return fatalf(log, "%v", err)
	}

	ctlPath := o.unixctl
	switch {
	case ctlPath == "":
		ctlPath = filepath.Join(ovnRunDir(), fmt.Sprintf("%s.%d.ctl", programName, os.Getpid()))
	case !filepath.IsAbs(ctlPath):
		ctlPath = filepath.Join(ovnRunDir(), ctlPath)
	}
	for _, stale := range unixctl.RemoveStale(filepath.Dir(ctlPath), programName) {
		log.Info("removed stale control socket " + stale)
	}
	ctl := unixctl.New(ctlPath, logger)
	ctl.OnRequest, ctl.OnReply = metrics.UnixctlReceived.Inc, metrics.UnixctlReplied.Inc
	if err := ctl.Listen(); err != nil {
		return fatalf(log, "%v", err)
	}
	defer ctl.Close()

	exitReq := make(chan bool, 1) // true: exit --restart
	registerProcessCommands(ctl, vl, exitReq)
	a.RegisterCommands(ctl)
	registerExplain(ctl, a)
	a.RegisterMetadataCommands(ctl)

	metrics.SetBuildVersion(chassisdVersion())
	metrics.SetSource(a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go metrics.RunCoverage(ctx)
	if o.metricsAddress != "" {
		l, err := metrics.Listen(o.metricsAddress)
		if err != nil {
			return fatalf(log, "%v", err)
		}
		go func() {
			if err := metrics.Serve(ctx, l, a, log); err != nil {
				log.Error("metrics server stopped", "err", err)
			}
		}()
	}

	// Everything that can fail at startup has been checked: let the
	// parent go (daemonize_complete) and leave the terminal.
	notifyReady()
	if o.detach {
		detachStdio()
		if !o.noChdir {
			_ = os.Chdir("/")
		}
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGALRM)
	ctlCtx, stopCtl := context.WithCancel(context.Background())
	ctlDone := make(chan struct{})
	go func() {
		defer close(ctlDone)
		if err := ctl.Serve(ctlCtx); err != nil {
			log.Warn("control socket stopped", "err", err)
		}
	}()
	agentCtx, stopAgent := context.WithCancel(ctx)
	defer stopAgent()
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(agentCtx) }()
	log.Info("chassisd "+chassisdVersion()+" starting", "ovs-db", o.ovsRemote, "unixctl", ctlPath)

	var (
		sig     os.Signal
		exiting bool
		rc      int
	)
	select {
	case restart := <-exitReq:
		exiting = true
		if !restart {
			a.RequestCleanup()
		}
	case sig = <-sigs:
		logger.With("module", "fatal_signal").Warn(fmt.Sprintf("terminating with signal %d (%s)",
			sig.(syscall.Signal), signalName(sig.(syscall.Signal))))
	case err := <-runErr:
		runErr <- err
		if err != nil {
			log.Error("agent stopped", "err", err)
			rc = 1
		}
	}
	stopAgent()
	select {
	case err := <-runErr:
		// After `exit`, a cleanup that could not reach the Southbound
		// database is logged by the agent; ovn-controller's exit still
		// succeeds then.
		if err != nil && !exiting && sig == nil {
			rc = 1
		}
	case <-time.After(15 * time.Second):
		log.Warn("agent did not stop within 15s, exiting anyway")
	}
	stopCtl()
	<-ctlDone
	ctl.Close()
	pf.remove()
	if sig != nil {
		// Die by the signal, as OVS daemons re-raise fatal signals.
		vl.Close()
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
		time.Sleep(time.Second)
		return 128 + int(sig.(syscall.Signal))
	}
	return rc
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// systemIDOverride reads the system-id-override file ovn-controller honours.
func systemIDOverride() string {
	dir := os.Getenv("OVN_SYSCONFDIR")
	if dir == "" {
		dir = "/etc/ovn"
	}
	b, err := os.ReadFile(filepath.Join(dir, "system-id-override"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
