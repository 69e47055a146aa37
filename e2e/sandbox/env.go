package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Binaries every sandbox needs.
var (
	CentralBinaries = []string{"ovsdb-tool", "ovsdb-server", "ovn-northd", "ovn-nbctl", "ovn-sbctl"}
	ChassisBinaries = []string{"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl"}
)

// Schema files used to create the databases; overridable for other installs.
var (
	NBSchema      = "/usr/share/ovn/ovn-nb.ovsschema"
	SBSchema      = "/usr/share/ovn/ovn-sb.ovsschema"
	VswitchSchema = "/usr/share/openvswitch/vswitch.ovsschema"
)

// InCI reports whether the environment asks for missing prerequisites to be
// failures rather than skips (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// MissingBinaries returns the names among bins not found in PATH.
func MissingBinaries(bins ...string) []string {
	var missing []string
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	return missing
}

// Require skips the test (fails it when CI=true) unless all binaries are in
// PATH and the given files exist.
func Require(t testing.TB, bins []string, files ...string) {
	t.Helper()
	missing := MissingBinaries(bins...)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		skipOrFail(t, fmt.Sprintf("missing prerequisites: %s", strings.Join(missing, ", ")))
	}
}

// RequireRoot skips the test (fails it when CI=true) unless running as root,
// which tap devices, veths and network namespaces need.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root (network devices and namespaces)")
	}
}

func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}

// newBaseDir creates a short temporary directory (unix socket paths must stay
// under 108 bytes, so t.TempDir's long names are avoided).
func newBaseDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", fmt.Errorf("create sandbox directory: %w", err)
	}
	return dir, nil
}

// keepDirs reports whether sandbox directories should survive the test for
// inspection (CHASSISD_E2E_KEEP=1).
func keepDirs() bool { return os.Getenv("CHASSISD_E2E_KEEP") == "1" }

// cleanupWithLogs registers closeFn on t and dumps the logs under dir when
// the test failed; the directory is removed afterwards unless kept.
func cleanupWithLogs(t testing.TB, dir string, ownDir bool, closeFn func() error) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sandbox logs under %s:\n%s", dir, dumpLogs(dir, 60))
		}
		if err := closeFn(); err != nil {
			t.Errorf("sandbox cleanup: %v", err)
		}
		if ownDir && !keepDirs() {
			_ = os.RemoveAll(dir)
		} else if ownDir {
			t.Logf("sandbox kept at %s", dir)
		}
	})
}

// BuildBinary compiles the Go package pkg (e.g. "github.com/chassisd/chassisd/cmd/chassisd")
// into a temporary directory and returns the binary's path.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	goBin := "go"
	if _, err := exec.LookPath(goBin); err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	if msg, err := exec.Command(goBin, "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, msg)
	}
	return out
}
