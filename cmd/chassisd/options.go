package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// options is ovn-controller 23.03's command line (parse_options in
// controller/ovn-controller.c with OVS's daemon, vlog and SSL options),
// plus chassisd's own extensions.
type options struct {
	showHelp    bool
	showVersion bool

	// Daemon options.
	detach           bool
	monitor          bool
	noChdir          bool
	pidfile          string // "" when no --pidfile
	overwritePidfile bool
	user             string
	noSelfConfine    bool

	// Logging, applied in command-line order.
	logSteps     []logStep
	syslogMethod string
	syslogTarget string

	// SSL.
	privateKey, certificate, caCert string
	peerCACert, bootstrapCACert     string
	sslProtocols, sslCiphers        string

	chassis            string
	enableDummyVIFPlug bool

	// chassisd's extensions.
	unixctl        string
	metricsAddress string
	logFormat      string
	// metadataConfigs are Neutron INI files; the metadata agent's job
	// runs only when at least one is given.
	metadataConfigs []string

	ovsRemote string
}

// logStep is one logging option, kept in order because OVS applies them
// as it parses them (a later -v overrides an earlier one).
type logStep struct {
	verbose *string // -v/--verbose[=SPEC]
	logFile *string // --log-file[=FILE]
}

type argKind int

const (
	noArg argKind = iota
	requiredArg
	optionalArg
)

type optionDef struct {
	long  string
	short byte // 0 for none
	kind  argKind
	set   func(o *options, arg string, given bool) error
}

func stringOpt(field func(o *options) *string) func(*options, string, bool) error {
	return func(o *options, arg string, _ bool) error { *field(o) = arg; return nil }
}

func boolOpt(field func(o *options) *bool) func(*options, string, bool) error {
	return func(o *options, _ string, _ bool) error { *field(o) = true; return nil }
}

var optionDefs = []optionDef{
	{"help", 'h', noArg, boolOpt(func(o *options) *bool { return &o.showHelp })},
	{"version", 'V', noArg, boolOpt(func(o *options) *bool { return &o.showVersion })},
	// VLOG_LONG_OPTIONS.
	{"verbose", 'v', optionalArg, func(o *options, arg string, _ bool) error {
		o.logSteps = append(o.logSteps, logStep{verbose: &arg})
		return nil
	}},
	{"log-file", 0, optionalArg, func(o *options, arg string, _ bool) error {
		o.logSteps = append(o.logSteps, logStep{logFile: &arg})
		return nil
	}},
	{"syslog-method", 0, requiredArg, func(o *options, arg string, _ bool) error {
		if o.syslogMethod == "" { // only the first one counts, as in OVS
			o.syslogMethod = arg
		}
		return nil
	}},
	{"syslog-target", 0, requiredArg, stringOpt(func(o *options) *string { return &o.syslogTarget })},
	// OVN_DAEMON_LONG_OPTIONS.
	{"detach", 0, noArg, boolOpt(func(o *options) *bool { return &o.detach })},
	{"no-self-confinement", 0, noArg, boolOpt(func(o *options) *bool { return &o.noSelfConfine })},
	{"no-chdir", 0, noArg, boolOpt(func(o *options) *bool { return &o.noChdir })},
	{"pidfile", 0, optionalArg, func(o *options, arg string, _ bool) error {
		o.pidfile = pidfileName(arg)
		return nil
	}},
	{"overwrite-pidfile", 0, noArg, boolOpt(func(o *options) *bool { return &o.overwritePidfile })},
	{"monitor", 0, noArg, boolOpt(func(o *options) *bool { return &o.monitor })},
	{"user", 0, requiredArg, stringOpt(func(o *options) *string { return &o.user })},
	// STREAM_SSL_LONG_OPTIONS.
	{"private-key", 'p', requiredArg, stringOpt(func(o *options) *string { return &o.privateKey })},
	{"certificate", 'c', requiredArg, stringOpt(func(o *options) *string { return &o.certificate })},
	{"ca-cert", 'C', requiredArg, stringOpt(func(o *options) *string { return &o.caCert })},
	{"ssl-protocols", 0, requiredArg, stringOpt(func(o *options) *string { return &o.sslProtocols })},
	{"ssl-ciphers", 0, requiredArg, stringOpt(func(o *options) *string { return &o.sslCiphers })},
	{"peer-ca-cert", 0, requiredArg, stringOpt(func(o *options) *string { return &o.peerCACert })},
	{"bootstrap-ca-cert", 0, requiredArg, stringOpt(func(o *options) *string { return &o.bootstrapCACert })},
	{"chassis", 'n', requiredArg, stringOpt(func(o *options) *string { return &o.chassis })},
	{"enable-dummy-vif-plug", 0, noArg, boolOpt(func(o *options) *bool { return &o.enableDummyVIFPlug })},
	// chassisd's own.
	{"unixctl", 0, requiredArg, stringOpt(func(o *options) *string { return &o.unixctl })},
	{"metrics-address", 0, requiredArg, stringOpt(func(o *options) *string { return &o.metricsAddress })},
	{"metadata-config-file", 0, requiredArg, func(o *options, arg string, _ bool) error {
		o.metadataConfigs = append(o.metadataConfigs, arg)
		return nil
	}},
	{"metadata-config-dir", 0, requiredArg, func(o *options, arg string, _ bool) error {
		files, err := configDirFiles(arg)
		o.metadataConfigs = append(o.metadataConfigs, files...)
		return err
	}},
	{"log-format", 0, requiredArg, func(o *options, arg string, _ bool) error {
		switch arg {
		case "vlog", "ovs", "text":
			o.logFormat = "vlog"
		case "json":
			o.logFormat = "json"
		default:
			return fmt.Errorf("--log-format=%s: want vlog or json", arg)
		}
		return nil
	}},
	{"log-level", 0, requiredArg, func(o *options, arg string, _ bool) error {
		// Older chassisd flag: the same as -vANY:<level>.
		lv := map[string]string{"debug": "dbg", "info": "info", "warn": "warn", "error": "err"}[strings.ToLower(arg)]
		if lv == "" {
			return fmt.Errorf("--log-level=%s: want debug, info, warn or error", arg)
		}
		o.logSteps = append(o.logSteps, logStep{verbose: &lv})
		return nil
	}},
}

// usageError is a command-line error: printed as "<program>: <msg>" and
// the process exits 1, as getopt_long and VLOG_FATAL do in OVS daemons.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// parseOptions reads the command line as getopt_long does: long options
// by unique prefix with "=ARG" or a separate ARG when required, short
// options bundled or with attached arguments, options and the one
// positional argument in any order, "--" ending the options.
func parseOptions(args []string) (*options, error) {
	o := &options{logFormat: "vlog"}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			def, err := lookupLong(name)
			if err != nil {
				return nil, err
			}
			switch def.kind {
			case noArg:
				if hasVal {
					return nil, &usageError{fmt.Sprintf("option '--%s' doesn't allow an argument", def.long)}
				}
			case requiredArg:
				if !hasVal {
					if i+1 >= len(args) {
						return nil, &usageError{fmt.Sprintf("option '--%s' requires an argument", def.long)}
					}
					i++
					val = args[i]
				}
			}
			if err := def.set(o, val, hasVal); err != nil {
				return nil, &usageError{err.Error()}
			}
		case strings.HasPrefix(a, "-") && a != "-":
			for j := 1; j < len(a); j++ {
				def := lookupShort(a[j])
				if def == nil {
					return nil, &usageError{fmt.Sprintf("invalid option -- '%c'", a[j])}
				}
				rest := a[j+1:]
				var val string
				switch def.kind {
				case optionalArg:
					val, j = rest, len(a)
				case requiredArg:
					if rest != "" {
						val = rest
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else {
						return nil, &usageError{fmt.Sprintf("option requires an argument -- '%c'", a[j])}
					}
					j = len(a)
				}
				if err := def.set(o, val, val != ""); err != nil {
					return nil, &usageError{err.Error()}
				}
			}
		default:
			positional = append(positional, a)
		}
	}
	switch len(positional) {
	case 0:
		o.ovsRemote = "unix:" + filepath.Join(ovsRunDir(), "db.sock")
	case 1:
		o.ovsRemote = positional[0]
	default:
		return nil, &usageError{"exactly zero or one non-option argument required; use --help for usage"}
	}
	return o, nil
}

func lookupLong(name string) (*optionDef, error) {
	var found []*optionDef
	for i := range optionDefs {
		d := &optionDefs[i]
		if d.long == name {
			return d, nil
		}
		if strings.HasPrefix(d.long, name) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, &usageError{fmt.Sprintf("unrecognized option '--%s'", name)}
	default:
		return nil, &usageError{fmt.Sprintf("option '--%s' is ambiguous", name)}
	}
}

func lookupShort(c byte) *optionDef {
	for i := range optionDefs {
		if optionDefs[i].short == c {
			return &optionDefs[i]
		}
	}
	return nil
}

// checkUnsupported rejects, by name, the options whose meaning chassisd
// does not implement, instead of silently ignoring them.
func (o *options) checkUnsupported() error {
	if o.peerCACert != "" {
		return errors.New("--peer-ca-cert is not supported: chassisd sends no certificate chain beyond --certificate; put the chain in --certificate's file")
	}
	if o.sslCiphers != "" {
		return errors.New("--ssl-ciphers is not supported: chassisd uses Go's TLS cipher suites; restrict the protocols with --ssl-protocols instead")
	}
	return nil
}

// ovnRunDir is $OVN_RUNDIR, else /var/run/ovn: the control socket and the
// default pidfile go there.
func ovnRunDir() string {
	if d := os.Getenv("OVN_RUNDIR"); d != "" {
		return d
	}
	return "/var/run/ovn"
}

// ovsRunDir is $OVS_RUNDIR, else /var/run/openvswitch: the default OVS
// database socket and br-int.mgmt are there.
func ovsRunDir() string {
	if d := os.Getenv("OVS_RUNDIR"); d != "" {
		return d
	}
	return "/var/run/openvswitch"
}

// ovsLogDir is where --log-file without a name writes, as in OVS.
func ovsLogDir() string {
	if d := os.Getenv("OVS_LOGDIR"); d != "" {
		return d
	}
	return "/var/log/openvswitch"
}

// programName names the pidfile, the control socket and log lines:
// ovn-controller's, whatever the binary is called, so that ovn-appctl -t
// ovn-controller and ovn-ctl find chassisd.
const programName = "ovn-controller"

// pidfileName resolves --pidfile's argument as ovn_set_pidfile does:
// relative to $OVN_RUNDIR, defaulting to ovn-controller.pid there.
func pidfileName(arg string) string {
	if arg == "" {
		return filepath.Join(ovnRunDir(), programName+".pid")
	}
	if filepath.IsAbs(arg) {
		return arg
	}
	return filepath.Join(ovnRunDir(), arg)
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, `%[1]s: OVN controller (chassisd)
usage %[1]s [OPTIONS] [OVS-DATABASE]
where OVS-DATABASE is a socket on which the OVS OVSDB server is listening.

Active OVS-DATABASE connection methods:
  tcp:HOST:PORT           PORT at remote HOST
  ssl:HOST:PORT           SSL PORT at remote HOST
  unix:FILE               Unix domain socket named FILE
PKI configuration (required to use SSL):
  -p, --private-key=FILE  file with private key
  -c, --certificate=FILE  file with certificate for private key
  -C, --ca-cert=FILE      file with peer CA certificate
  --bootstrap-ca-cert=FILE  file with peer CA certificate to read or create
SSL options:
  --ssl-protocols=PROTOS  list of SSL protocols to enable

Daemon options:
  --detach                run in background as daemon
  --monitor               creates a process to monitor this daemon
  --user=username[:group] changes the effective daemon user:group
  --no-chdir              do not chdir to '/'
  --pidfile[=FILE]        create pidfile (default: %[2]s)
  --overwrite-pidfile     with --pidfile, start even if already running

Logging options:
  -vSPEC, --verbose=SPEC   set logging levels
  -v, --verbose            set maximum verbosity level
  --log-file[=FILE]        enable logging to specified FILE
                           (default: %[3]s)
  --syslog-method=(libc|unix:file|udp:ip:port)
                           specify how to send messages to syslog daemon
  --syslog-target=HOST:PORT  also send syslog msgs to HOST:PORT via UDP

Other options:
  -n, --chassis=NAME      custom chassis name
  -h, --help              display this help message
  -V, --version           display version information

chassisd options:
  --unixctl=SOCKET        control socket (default: %[4]s)
  --metrics-address=HOST:PORT  serve /metrics, /healthz and /readyz (default: off)
  --metadata-config-file=FILE  Neutron INI file: be the node's OVN metadata agent
                           (repeatable, later files override; default: off)
  --metadata-config-dir=DIR  the *.conf files of DIR in name order, in this
                           position among the files (oslo.config's --config-dir)
  --log-format=vlog|json  format of console and file lines (default: vlog)

Subcommands:
  chassisd ctl [-t TARGET] COMMAND [ARG...]   talk to a running agent (like ovn-appctl)
  chassisd configure [--db DB] KEY=VALUE...    set Open_vSwitch external_ids (like ovs-vsctl)
  chassisd debug COMMAND                       offline OVN expression/action tools
`, programName, pidfileName(""), filepath.Join(ovsLogDir(), programName+".log"),
		filepath.Join(ovnRunDir(), programName+".<pid>.ctl"))
}

// configDirFiles lists the *.conf files of dir in name order, as
// oslo.config's --config-dir reads them. An empty directory gives none (a
// Kubernetes optional Secret mounts as one); a missing one is an error.
func configDirFiles(dir string) ([]string, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--metadata-config-dir: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil {
		return nil, fmt.Errorf("--metadata-config-dir: %w", err)
	}
	sort.Strings(files)
	return files, nil
}
