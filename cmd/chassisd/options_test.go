package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOVNCtlCommandLines parses the command lines Debian's ovn-ctl, its
// systemd unit and OVN's testsuite give ovn-controller.
func TestOVNCtlCommandLines(t *testing.T) {
	t.Setenv("OVS_RUNDIR", "/run/ovs-test")
	t.Setenv("OVN_RUNDIR", "/run/ovn-test")
	o, err := parseOptions(strings.Fields("unix:/var/run/openvswitch/db.sock -vconsole:emer -vsyslog:err -vfile:info " +
		"--private-key=/k -c /c -C/ca --user ovn --no-chdir --log-file=/var/log/ovn/ovn-controller.log " +
		"--pidfile=/var/run/ovn/ovn-controller.pid --detach --monitor"))
	if err != nil {
		t.Fatal(err)
	}
	if o.ovsRemote != "unix:/var/run/openvswitch/db.sock" || !o.detach || !o.monitor || !o.noChdir ||
		o.user != "ovn" || o.privateKey != "/k" || o.certificate != "/c" || o.caCert != "/ca" ||
		o.pidfile != "/var/run/ovn/ovn-controller.pid" {
		t.Errorf("parsed %+v", o)
	}
	if len(o.logSteps) != 4 || *o.logSteps[0].verbose != "console:emer" || *o.logSteps[3].logFile != "/var/log/ovn/ovn-controller.log" {
		t.Errorf("log steps %+v", o.logSteps)
	}

	// The testsuite: no database argument, bare --pidfile and --log-file.
	o, err = parseOptions([]string{"--enable-dummy-vif-plug", "-vconsole:off", "--detach", "--no-chdir", "--pidfile", "--log-file", "-n", "hv1", "--verbose=encaps:dbg", "-v"})
	if err != nil {
		t.Fatal(err)
	}
	if o.ovsRemote != "unix:/run/ovs-test/db.sock" || o.pidfile != "/run/ovn-test/ovn-controller.pid" ||
		!o.enableDummyVIFPlug || o.chassis != "hv1" || *o.logSteps[1].logFile != "" || *o.logSteps[3].verbose != "" {
		t.Errorf("parsed %+v", o)
	}
	// Unique prefixes are accepted as getopt_long accepts them.
	if o, err := parseOptions([]string{"--pid=x.pid", "--overwrite"}); err != nil || o.pidfile != "/run/ovn-test/x.pid" || !o.overwritePidfile {
		t.Errorf("prefixes: %+v %v", o, err)
	}
	for args, want := range map[string]string{
		"--bogus":        "unrecognized option '--bogus'",
		"--detach=1":     "option '--detach' doesn't allow an argument",
		"--user":         "option '--user' requires an argument",
		"-x":             "invalid option -- 'x'",
		"a b":            "exactly zero or one non-option argument required; use --help for usage",
		"--no":           "option '--no' is ambiguous",
		"--log-format=x": "--log-format=x: want vlog or json",
	} {
		_, err := parseOptions(strings.Fields(args))
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", args, err, want)
		}
	}
}

func TestUnsupportedOptionsAreNamed(t *testing.T) {
	for _, args := range [][]string{{"--peer-ca-cert=/x"}, {"--ssl-ciphers=HIGH"}} {
		o, err := parseOptions(args)
		if err != nil {
			t.Fatal(err)
		}
		name, _, _ := strings.Cut(args[0], "=")
		if err := o.checkUnsupported(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: %v", args, err)
		}
	}
	// agent/db bootstraps a missing CA file from the server, as OVS does.
	o, err := parseOptions([]string{"--bootstrap-ca-cert=/nonexistent"})
	if err != nil || o.checkUnsupported() != nil {
		t.Errorf("--bootstrap-ca-cert with a missing file: %v, %v", err, o.checkUnsupported())
	}
}

// TestMetadataConfigDir reads a directory's *.conf files in name order at
// the directory's place among the files, as oslo.config's --config-dir does.
func TestMetadataConfigDir(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"20-secret.conf", "10-nova.conf", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	o, err := parseOptions([]string{"--metadata-config-file=/etc/neutron/neutron.conf", "--metadata-config-dir=" + dir,
		"--metadata-config-file=/etc/neutron/last.ini"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/etc/neutron/neutron.conf", filepath.Join(dir, "10-nova.conf"), filepath.Join(dir, "20-secret.conf"), "/etc/neutron/last.ini"}
	if !slices.Equal(o.metadataConfigs, want) {
		t.Errorf("files %q, want %q", o.metadataConfigs, want)
	}
	// An empty directory (an absent optional Secret) leaves the job off.
	if o, err := parseOptions([]string{"--metadata-config-dir=" + t.TempDir()}); err != nil || len(o.metadataConfigs) != 0 {
		t.Errorf("empty directory: %q, %v", o.metadataConfigs, err)
	}
	if _, err := parseOptions([]string{"--metadata-config-dir=" + filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing directory is accepted")
	}
}
