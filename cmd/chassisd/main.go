// Command chassisd is a chassis agent for OVN: a drop-in replacement for
// ovn-controller. Usage:
//
//	chassisd [flags] [OVS_DB]
//	chassisd debug <command> [flags]    (see `chassisd debug -h`)
//
// OVS_DB defaults to unix:/var/run/openvswitch/db.sock, as for
// ovn-controller. All other configuration is read from the Open_vSwitch
// table's external_ids.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/chassisd/chassisd/agent"
	"github.com/chassisd/chassisd/agent/unixctl"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "debug" {
		os.Exit(runDebug(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chassisd:", err)
		os.Exit(1)
	}
}

type flags struct {
	chassis    string
	privateKey string
	cert       string
	caCert     string
	logFormat  string
	logLevel   string
	logFile    string
	pidfile    string
	unixctl    string
	showVer    bool
}

func parseFlags(args []string) (flags, []string, error) {
	var f flags
	fs := flag.NewFlagSet("chassisd", flag.ContinueOnError)
	fs.StringVar(&f.chassis, "n", "", "chassis name (overrides external_ids:system-id)")
	fs.StringVar(&f.chassis, "chassis", "", "same as -n")
	fs.StringVar(&f.privateKey, "private-key", "", "SSL private key file for ssl: Southbound remotes")
	fs.StringVar(&f.cert, "certificate", "", "SSL certificate file")
	fs.StringVar(&f.caCert, "ca-cert", "", "SSL CA certificate file")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.logFile, "log-file", "", "write logs to this file instead of stderr")
	fs.StringVar(&f.pidfile, "pidfile", "", "write the process id to this file")
	fs.StringVar(&f.unixctl, "unixctl", "", "control socket (default $OVN_RUNDIR/ovn-controller.<pid>.ctl)")
	fs.BoolVar(&f.showVer, "version", false, "print the version and exit")
	// Accepted for ovn-ctl compatibility; chassisd never daemonizes.
	fs.Bool("detach", false, "ignored")
	fs.Bool("no-chdir", false, "ignored")
	fs.Bool("monitor", false, "ignored")
	if err := fs.Parse(args); err != nil {
		return f, nil, err
	}
	return f, fs.Args(), nil
}

func run(args []string) error {
	f, rest, err := parseFlags(args)
	if err != nil {
		return err
	}
	if f.showVer {
		fmt.Println("chassisd", version)
		return nil
	}
	if len(rest) > 1 {
		return fmt.Errorf("at most one OVS database remote expected, got %q", rest)
	}
	ovsRemote := agent.DefaultOVSRemote
	if len(rest) == 1 {
		ovsRemote = rest[0]
	}

	logger, closeLog, err := newLogger(f)
	if err != nil {
		return err
	}
	defer closeLog()
	slog.SetDefault(logger)

	tlsCfg, err := loadTLS(f.privateKey, f.cert, f.caCert)
	if err != nil {
		return err
	}
	chassisName := f.chassis
	if chassisName == "" {
		chassisName = systemIDOverride()
	}
	a, err := agent.New(agent.Options{OVSRemote: ovsRemote, ChassisName: chassisName, SBTLS: tlsCfg, Logger: logger})
	if err != nil {
		return err
	}
	if f.pidfile != "" {
		if err := os.WriteFile(f.pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("write pidfile: %w", err)
		}
		defer os.Remove(f.pidfile)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	ctlPath := f.unixctl
	if ctlPath == "" {
		ctlPath = filepath.Join(runDir(), fmt.Sprintf("ovn-controller.%d.ctl", os.Getpid()))
	}
	ctl := unixctl.New(ctlPath, logger)
	ctl.Register("exit", func(args []string) (string, error) {
		// Without --restart the chassis leaves the Southbound database,
		// as with ovn-controller.
		if len(args) == 0 || args[0] != "--restart" {
			a.RequestCleanup()
		}
		cancel()
		return "", nil
	})
	ctl.Register("version", func([]string) (string, error) { return "chassisd " + version + "\n", nil })
	go func() {
		if err := ctl.Serve(ctx); err != nil {
			logger.Warn("control socket unavailable", "err", err)
		}
	}()

	logger.Info("starting", "version", version, "ovs-db", ovsRemote, "unixctl", ctlPath)
	return a.Run(ctx)
}

func newLogger(f flags) (*slog.Logger, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	var w io.Writer = os.Stderr
	closeFn := func() {}
	if f.logFile != "" {
		file, err := os.OpenFile(f.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = file, func() { file.Close() }
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), closeFn, nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), closeFn, nil
	default:
		closeFn()
		return nil, nil, fmt.Errorf("--log-format %q: want text or json", f.logFormat)
	}
}

func loadTLS(keyFile, certFile, caFile string) (*tls.Config, error) {
	if keyFile == "" && certFile == "" && caFile == "" {
		return nil, nil
	}
	if keyFile == "" || certFile == "" || caFile == "" {
		return nil, errors.New("--private-key, --certificate and --ca-cert go together")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load SSL key pair: %w", err)
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate found in %s", caFile)
	}
	// OVN's PKI certificates name the role, not the host, so the peer is
	// verified against the CA only, as OVS's stream-ssl does.
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		RootCAs:            pool,
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyAgainstPool(raw, pool)
		},
	}, nil
}

func verifyAgainstPool(raw [][]byte, pool *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return fmt.Errorf("parse server certificate: %w", err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

func runDir() string {
	if d := os.Getenv("OVN_RUNDIR"); d != "" {
		return d
	}
	return "/var/run/ovn"
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
