package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"
)

func TestVswitchdSocket(t *testing.T) {
	dir := t.TempDir()
	if _, err := vswitchdSocket("", dir); err == nil || !strings.Contains(err.Error(), "--ovs-unixctl") {
		t.Errorf("nothing there: %v", err)
	}
	if got, _ := vswitchdSocket("/x/y.ctl", dir); got != "/x/y.ctl" {
		t.Errorf("given: %s", got)
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ovs-vswitchd.77.ctl", "")
	if got, err := vswitchdSocket("", dir); err != nil || got != filepath.Join(dir, "ovs-vswitchd.77.ctl") {
		t.Errorf("the only ovs-vswitchd.<pid>.ctl: %s %v", got, err)
	}
	write("ovs-vswitchd.ctl", "") // --unixctl=<rundir>/ovs-vswitchd.ctl
	if got, _ := vswitchdSocket("", dir); got != filepath.Join(dir, "ovs-vswitchd.ctl") {
		t.Errorf("fixed name: %s", got)
	}
	write("ovs-vswitchd.88.ctl", "")
	write("ovs-vswitchd.pid", "88\n")
	if got, _ := vswitchdSocket("", dir); got != filepath.Join(dir, "ovs-vswitchd.88.ctl") {
		t.Errorf("pidfile: %s", got)
	}
}

func TestOVSText(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{"allow-related", "allow-related"},
		{float64(1002), "1002"},
		{true, "true"},
		{ovsdb.UUID{GoUUID: "7e3c"}, "7e3c"},
		{ovsdb.OvsSet{GoSet: []any{"10.0.0.1/24", "fd00::1/64"}}, "10.0.0.1/24 fd00::1/64"},
		{ovsdb.OvsMap{GoMap: map[any]any{"b": "2", "a": "1"}}, "a=1,b=2"},
		{nil, ""},
	} {
		if got := ovsText(c.v); got != c.want {
			t.Errorf("ovsText(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}
