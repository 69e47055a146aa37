package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
)

// UniqueName appends a random suffix so that concurrent tests (and other
// sandboxes on the machine) do not collide on namespace names.
func UniqueName(prefix string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Netns is a named network namespace created by the sandbox.
type Netns struct {
	Name string
}

// CreateNetns creates network namespace name (with lo up); delete it with
// Close. A leftover namespace of the same name from an earlier run is
// deleted first.
func CreateNetns(name string) (*Netns, error) {
	if _, err := os.Stat("/run/netns/" + name); err == nil {
		_, _ = Run("ip", "netns", "del", name)
	}
	if _, err := Run("ip", "netns", "add", name); err != nil {
		return nil, fmt.Errorf("create netns %s: %w", name, err)
	}
	ns := &Netns{Name: name}
	if _, err := ns.Exec("ip", "link", "set", "lo", "up"); err != nil {
		_ = ns.Close()
		return nil, err
	}
	return ns, nil
}

// NewNetns creates a network namespace deleted on t.Cleanup; it skips (fails
// when CI=true) without root or the ip tool.
func NewNetns(t testing.TB, name string) *Netns {
	t.Helper()
	Require(t, []string{"ip"})
	RequireRoot(t)
	ns, err := CreateNetns(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ns.Close(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return ns
}

// Exec runs a command inside the namespace and returns its trimmed stdout.
func (ns *Netns) Exec(args ...string) (string, error) {
	return Run(append([]string{"ip", "netns", "exec", ns.Name}, args...)...)
}

// Close deletes the namespace (and with it every device still inside).
func (ns *Netns) Close() error {
	if _, err := Run("ip", "netns", "del", ns.Name); err != nil {
		return fmt.Errorf("delete netns %s: %w", ns.Name, err)
	}
	return nil
}
