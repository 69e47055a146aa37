package db_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/model"

	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/e2e/sandbox"
)

// startServer runs an ovsdb-server on a copy of the SB schema changed by
// edit, and returns its unix remote.
func startServer(t *testing.T, edit func(tables map[string]any)) string {
	t.Helper()
	sandbox.Require(t, []string{"ovsdb-server", "ovsdb-tool", "ovsdb-client"})
	raw, err := os.ReadFile("sbdb/ovn-sb.ovsschema")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	edit(schema["tables"].(map[string]any))
	out, _ := json.Marshal(schema)
	dir := t.TempDir()
	schemaPath, dbPath, sock := filepath.Join(dir, "s.ovsschema"), filepath.Join(dir, "s.db"), filepath.Join(dir, "s.sock")
	if err := os.WriteFile(schemaPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command("ovsdb-tool", "create", dbPath, schemaPath).CombinedOutput(); err != nil {
		t.Fatalf("ovsdb-tool create: %v\n%s", err, msg)
	}
	cmd := exec.Command("ovsdb-server", "--remote=punix:"+sock, "--unixctl="+filepath.Join(dir, "ctl"), "--no-chdir", dbPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	if err := sandbox.Eventually(10*time.Second, func() (bool, error) {
		_, err := os.Stat(sock)
		return err == nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	return "unix:" + sock
}

func transact(t *testing.T, remote, ops string) {
	t.Helper()
	msg, err := exec.Command("ovsdb-client", "transact", remote, `["OVN_Southbound",`+ops+`]`).CombinedOutput()
	if err != nil || strings.Contains(string(msg), `"error"`) {
		t.Fatalf("ovsdb-client transact %s: %v\n%s", ops, err, msg)
	}
}

func newConn(t *testing.T, remote string) (*db.Conn, context.CancelFunc) {
	t.Helper()
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	c := db.New(db.Options{Name: "sb", Model: m, Tables: map[string]model.Model{sbdb.ChassisTable: &sbdb.Chassis{}}}, []string{remote})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	stop := func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return c, stop
}

func hostnames(t *testing.T, c *db.Conn) map[string]string {
	cl, _ := c.Client()
	if cl == nil {
		return nil
	}
	var rows []sbdb.Chassis
	if err := cl.List(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Name] = r.Hostname
	}
	return out
}

// A newer server (one column more than the model) must not lose updates.
func TestServerAheadOfModel(t *testing.T) {
	remote := startServer(t, func(tables map[string]any) {
		cols := tables["Chassis"].(map[string]any)["columns"].(map[string]any)
		cols["future_column"] = map[string]any{"type": "string"}
	})
	c, _ := newConn(t, remote)
	transact(t, remote, `{"op":"insert","table":"Encap","uuid-name":"e","row":{"type":"geneve","ip":"192.0.2.1","chassis_name":"hv1"}},`+
		`{"op":"insert","table":"Chassis","row":{"name":"hv1","hostname":"a","future_column":"x","encaps":["named-uuid","e"]}}`)
	steps := []struct{ op, want string }{
		{`{"op":"update","table":"Chassis","where":[["name","==","hv1"]],"row":{"hostname":"b","future_column":"y"}}`, "b"},
		{`{"op":"update","table":"Chassis","where":[["name","==","hv1"]],"row":{"future_column":"z"}}`, "b"},
		{`{"op":"update","table":"Chassis","where":[["name","==","hv1"]],"row":{"hostname":"c"}}`, "c"},
	}
	waitHost := func(want string) {
		t.Helper()
		if err := sandbox.Eventually(10*time.Second, func() (bool, error) {
			return hostnames(t, c)["hv1"] == want, nil
		}); err != nil {
			t.Fatalf("hostname never became %q (have %v)", want, hostnames(t, c))
		}
	}
	waitHost("a")
	for _, s := range steps {
		transact(t, remote, s.op)
		waitHost(s.want)
	}
	transact(t, remote, `{"op":"delete","table":"Chassis","where":[["name","==","hv1"]]}`)
	if err := sandbox.Eventually(10*time.Second, func() (bool, error) {
		_, ok := hostnames(t, c)["hv1"]
		return !ok, nil
	}); err != nil {
		t.Fatal("delete never reached the cache")
	}
}

// An older server (one column less than the model) must be refused with an
// error that names the column, and the connection loop must keep running.
func TestModelAheadOfServer(t *testing.T) {
	remote := startServer(t, func(tables map[string]any) {
		cols := tables["Chassis"].(map[string]any)["columns"].(map[string]any)
		delete(cols, "vtep_logical_switches")
	})
	c, stop := newConn(t, remote)
	if err := sandbox.Eventually(10*time.Second, func() (bool, error) {
		return c.LastError() != nil, nil
	}); err != nil {
		t.Fatal("connection to an incompatible server did not fail")
	}
	if cl, _ := c.Client(); cl != nil {
		t.Fatal("connected to a server whose schema lacks a model column")
	}
	if msg := c.LastError().Error(); !strings.Contains(msg, "vtep_logical_switches") {
		t.Errorf("error does not name the missing column: %s", msg)
	}
	stop()
}
