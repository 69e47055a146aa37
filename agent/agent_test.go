package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chassisd/chassisd/agent"
	"github.com/chassisd/chassisd/agent/chassis"
	"github.com/chassisd/chassisd/e2e/sandbox"
)

// syncBuffer is a log sink tests can read while the agent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runAgent runs an in-process chassisd against ch until the test ends.
func runAgent(t *testing.T, ch *sandbox.Chassis) (*syncBuffer, func()) {
	t.Helper()
	logs, _, stop := startAgent(t, ch)
	return logs, stop
}

func startAgent(t *testing.T, ch *sandbox.Chassis) (*syncBuffer, *agent.Agent, func()) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := agent.New(agent.Options{
		OVSRemote: ch.DBRemote(), Logger: logger, RetryInterval: 200 * time.Millisecond,
		OVSRunDir: filepath.Dir(strings.TrimPrefix(ch.Mgmt("br-int"), "unix:")),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("agent exited with %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("agent did not stop within 15s")
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("chassisd log:\n%s", tail(logs.String(), 80))
		}
	})
	return logs, a, stop
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	if err := sandbox.Eventually(timeout, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

type sbChassis struct {
	Name           string
	Hostname       string
	OtherConfig    map[string]string
	Encaps         []string // "type ip csum=..."
	TransportZones []string
	PrivateChassis bool // Chassis_Private row exists and points at it
}

// readChassis reads a Chassis and its Encaps and Chassis_Private with ovn-sbctl.
func readChassis(t *testing.T, c *sandbox.Central, name string) (sbChassis, bool) {
	t.Helper()
	rows := sbFind(t, c, "Chassis", "name="+name)
	if len(rows) == 0 {
		return sbChassis{}, false
	}
	r := rows[0]
	out := sbChassis{Name: name, Hostname: r["hostname"].(string), OtherConfig: sandbox.StringMap(r["other_config"])}
	for _, e := range sandbox.Strings(r["encaps"]) {
		// The row may be garbage-collected between the two reads when
		// the encaps change; the caller polls again.
		enc, err := sbQueryErr(c, "list", "Encap", e)
		if err == nil && len(enc) == 1 {
			out.Encaps = append(out.Encaps, fmt.Sprintf("%s %s %v", enc[0]["type"], enc[0]["ip"], sandbox.StringMap(enc[0]["options"])))
		}
	}
	slices.Sort(out.Encaps)
	out.TransportZones = sandbox.Strings(r["transport_zones"])
	for _, p := range sbFind(t, c, "Chassis_Private", "name="+name) {
		out.PrivateChassis = slices.Equal(sandbox.Strings(p["chassis"]), sandbox.Strings(r["_uuid"]))
	}
	return out, true
}

// sbFind runs `ovn-sbctl --format=json find` and returns rows as maps.
func sbFind(t *testing.T, c *sandbox.Central, table string, conds ...string) []map[string]any {
	t.Helper()
	return sbQuery(t, c, append([]string{"find", table}, conds...)...)
}

func sbQuery(t *testing.T, c *sandbox.Central, args ...string) []map[string]any {
	t.Helper()
	rows, err := sbQueryErr(c, args...)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func sbQueryErr(c *sandbox.Central, args ...string) ([]map[string]any, error) {
	out, err := c.Sbctl(append([]string{"--format=json"}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("ovn-sbctl %v: %w", args, err)
	}
	return sandbox.ParseJSONList(out)
}

// TestChassisRowsMatchOVNController registers one chassis with the real
// ovn-controller and one with chassisd, with the same configuration, and
// compares what each wrote to the Southbound database.
func TestChassisRowsMatchOVNController(t *testing.T) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ref := central.NewChassis(t, sandbox.ChassisOptions{Name: "ref"})
	ref.MustConfigure("hvref", "172.16.0.10", "geneve", "physnet1:br-provider")
	ref.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev", "external_ids:hostname=samehost",
		"external_ids:ovn-cms-options=enable-chassis-as-gw")
	ref.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})

	ours := central.NewChassis(t, sandbox.ChassisOptions{Name: "ours"})
	ours.MustConfigure("hvours", "172.16.0.11", "geneve", "physnet1:br-provider")
	ours.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev", "external_ids:hostname=samehost",
		"external_ids:ovn-cms-options=enable-chassis-as-gw")
	runAgent(t, ours)

	var want, got sbChassis
	eventually(t, 20*time.Second, "both chassis registered", func() (bool, error) {
		var ok1, ok2 bool
		want, ok1 = readChassis(t, central, "hvref")
		got, ok2 = readChassis(t, central, "hvours")
		return ok1 && ok2 && want.PrivateChassis && got.PrivateChassis, nil
	})

	// Feature flags chassisd does not implement yet are the only accepted
	// difference; the list shrinks as chassis.Features grows.
	for k, v := range want.OtherConfig {
		if v == "true" && !slices.Contains(chassis.Features, k) && isFeatureFlag(k) {
			delete(want.OtherConfig, k)
		}
	}
	if !maps.Equal(want.OtherConfig, got.OtherConfig) {
		t.Errorf("other_config differs\novn-controller: %v\nchassisd:       %v", want.OtherConfig, got.OtherConfig)
	}
	if want.Hostname != got.Hostname {
		t.Errorf("hostname: ovn-controller %q, chassisd %q", want.Hostname, got.Hostname)
	}
	norm := func(encaps []string, ip string) []string {
		var out []string
		for _, e := range encaps {
			out = append(out, strings.Replace(e, ip, "IP", 1))
		}
		return out
	}
	if w, g := norm(want.Encaps, "172.16.0.10"), norm(got.Encaps, "172.16.0.11"); !slices.Equal(w, g) {
		t.Errorf("encaps: ovn-controller %v, chassisd %v", w, g)
	}
	if !slices.Equal(want.TransportZones, got.TransportZones) {
		t.Errorf("transport_zones: ovn-controller %v, chassisd %v", want.TransportZones, got.TransportZones)
	}

	// br-int as ovn-controller leaves it.
	for _, col := range []string{"fail_mode", "datapath_type", "other_config:disable-in-band"} {
		w := ref.MustVsctl("get", "Bridge", "br-int", col)
		g := ours.MustVsctl("get", "Bridge", "br-int", col)
		if w != g {
			t.Errorf("br-int %s: ovn-controller %s, chassisd %s", col, w, g)
		}
	}
	if hw := ours.MustVsctl("get", "Bridge", "br-int", "other_config:hwaddr"); hw == "" {
		t.Error("br-int has no fixed hwaddr")
	}
}

// isFeatureFlag reports whether an other_config key is one of OVN's
// feature flags (include/ovn/features.h) rather than configuration.
func isFeatureFlag(k string) bool {
	switch k {
	case "port-up-notif", "ct-no-masked-label", "mac-binding-timestamp", "ovn-ct-lb-related",
		"fdb-timestamp", "ls-dpg-column", "ct-commit-nat-v2":
		return true
	}
	return false
}

// TestBindingLifecycle covers claims, releases, requested-chassis, encap
// changes, bad configuration and a Southbound restart on one agent.
func TestBindingLifecycle(t *testing.T) {
	sbPort := freePort(t)
	central := sandbox.NewCentral(t, sandbox.CentralOptions{ListenIP: "127.0.0.1", SBPort: sbPort})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "172.16.0.1", "geneve")
	ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev")
	logs, stop := runAgent(t, ch)

	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	central.MustNbctl("ls-add", "net1",
		"--", "lsp-add", "net1", "vm1", "--", "lsp-set-addresses", "vm1", "fa:16:3e:00:00:01 192.168.101.11",
		"--", "lsp-add", "net1", "vm2", "--", "lsp-set-addresses", "vm2", "fa:16:3e:00:00:02 192.168.101.12",
		"--", "lsp-add", "net1", "meta", "--", "lsp-set-type", "meta", "localport",
		"--", "lsp-set-options", "vm2", "requested-chassis=hv2")
	if err := central.WaitSync(); err != nil {
		t.Fatal(err)
	}

	t.Run("claim within a second", func(t *testing.T) {
		start := time.Now()
		ch.MustVsctl("add-port", "br-int", "tap1", "--", "set", "Interface", "tap1", "type=dummy", "external_ids:iface-id=vm1")
		eventually(t, 10*time.Second, "vm1 up on hv1", func() (bool, error) {
			return portUpOn(t, central, "vm1", "hv1"), nil
		})
		elapsed := time.Since(start)
		t.Logf("vm1 claimed and up %v after its interface appeared", elapsed)
		if elapsed > 2*time.Second {
			t.Errorf("claim took %v, want about a second at most", elapsed)
		}
		if v := ch.MustVsctl("get", "Interface", "tap1", "external_ids:ovn-installed"); v != `"true"` {
			t.Errorf("ovn-installed = %s", v)
		}
	})

	t.Run("requested-chassis honoured", func(t *testing.T) {
		ch.MustVsctl("add-port", "br-int", "tap2", "--", "set", "Interface", "tap2", "type=dummy", "external_ids:iface-id=vm2")
		ch.MustVsctl("add-port", "br-int", "tapm", "--", "set", "Interface", "tapm", "type=dummy", "external_ids:iface-id=meta")
		time.Sleep(1500 * time.Millisecond)
		for _, lp := range []string{"vm2", "meta"} {
			if c := boundChassis(t, central, lp); c != "" {
				t.Errorf("%s bound to %s; it must not be claimed here", lp, c)
			}
		}
		central.MustNbctl("lsp-set-options", "vm2", "requested-chassis=hv1")
		eventually(t, 10*time.Second, "vm2 claimed once requested here", func() (bool, error) {
			return portUpOn(t, central, "vm2", "hv1"), nil
		})
	})

	t.Run("release when the interface goes", func(t *testing.T) {
		ch.MustVsctl("del-port", "br-int", "tap1")
		eventually(t, 10*time.Second, "vm1 released", func() (bool, error) {
			return boundChassis(t, central, "vm1") == "", nil
		})
		if up := central.MustSbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port=vm1"); up != "false" {
			t.Errorf("vm1 up = %q after release", up)
		}
	})

	t.Run("encap ip change", func(t *testing.T) {
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-encap-ip=172.16.0.99")
		eventually(t, 10*time.Second, "encap follows ovn-encap-ip", func() (bool, error) {
			c, _ := readChassis(t, central, "hv1")
			return len(c.Encaps) == 1 && strings.Contains(c.Encaps[0], "172.16.0.99"), nil
		})
	})

	t.Run("bad configuration is logged, agent keeps working", func(t *testing.T) {
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-encap-type=bogus,geneve",
			"external_ids:ovn-bridge-mappings=physnet-without-bridge")
		eventually(t, 10*time.Second, "warnings logged", func() (bool, error) {
			l := logs.String()
			return strings.Contains(l, `unsupported encapsulation \"bogus\"`) && strings.Contains(l, "physnet-without-bridge"), nil
		})
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-encap-type=nothing-valid")
		eventually(t, 10*time.Second, "error logged", func() (bool, error) {
			return strings.Contains(logs.String(), "keeping the previous one"), nil
		})
		ch.MustVsctl("add-port", "br-int", "tap1", "--", "set", "Interface", "tap1", "type=dummy", "external_ids:iface-id=vm1")
		eventually(t, 10*time.Second, "vm1 claimed with the last good configuration", func() (bool, error) {
			return portUpOn(t, central, "vm1", "hv1"), nil
		})
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-encap-type=geneve", "external_ids:ovn-bridge-mappings=\"\"")
	})

	t.Run("southbound restart", func(t *testing.T) {
		if err := central.RestartSB(); err != nil {
			t.Fatal(err)
		}
		ch.MustVsctl("del-port", "br-int", "tap2")
		eventually(t, 20*time.Second, "vm2 released after the SB restart", func() (bool, error) {
			return boundChassis(t, central, "vm2") == "", nil
		})
		if !strings.Contains(logs.String(), "epoch=2") {
			t.Errorf("no second Southbound epoch in the log")
		}
	})

	t.Run("local OVSDB restart", func(t *testing.T) {
		if err := ch.RestartOVSDB(); err != nil {
			t.Fatal(err)
		}
		ch.MustVsctl("add-port", "br-int", "tap3", "--", "set", "Interface", "tap3", "type=dummy", "external_ids:iface-id=vm2")
		eventually(t, 20*time.Second, "vm2 claimed after the OVSDB restart", func() (bool, error) {
			return portUpOn(t, central, "vm2", "hv1"), nil
		})
	})

	t.Run("ovn-remote change reconnects", func(t *testing.T) {
		tcp := fmt.Sprintf("tcp:127.0.0.1:%d", sbPort)
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-remote=\""+tcp+"\"")
		eventually(t, 20*time.Second, "connected over TCP", func() (bool, error) {
			return strings.Contains(logs.String(), "endpoint="+tcp), nil
		})
		ch.MustVsctl("del-port", "br-int", "tap3")
		eventually(t, 20*time.Second, "vm2 released over the new connection", func() (bool, error) {
			return boundChassis(t, central, "vm2") == "", nil
		})
	})

	t.Run("hitless exit keeps the chassis", func(t *testing.T) {
		stop()
		if _, ok := readChassis(t, central, "hv1"); !ok {
			t.Error("chassis removed on a plain exit")
		}
		if c := boundChassis(t, central, "vm1"); c == "" {
			t.Error("vm1 released on a plain exit")
		}
	})
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func boundChassis(t *testing.T, c *sandbox.Central, lport string) string {
	t.Helper()
	uuid, err := c.Sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port="+lport)
	if err != nil || uuid == "" {
		return ""
	}
	name, _ := c.Sbctl("--bare", "--columns=name", "list", "Chassis", uuid)
	return name
}

func portUpOn(t *testing.T, c *sandbox.Central, lport, chassis string) bool {
	t.Helper()
	up, _ := c.Sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port="+lport)
	return up == "true" && boundChassis(t, c, lport) == chassis
}

// TestCleanExit checks the exit mode of `ovn-appctl exit` without
// --restart: the chassis leaves the Southbound database and its ports are
// released.
func TestCleanExit(t *testing.T) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "172.16.0.1", "geneve")
	ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev")
	_, a, stop := startAgent(t, ch)
	central.MustNbctl("ls-add", "net1", "--", "lsp-add", "net1", "vm1")
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	ch.MustVsctl("add-port", "br-int", "tap1", "--", "set", "Interface", "tap1", "type=dummy", "external_ids:iface-id=vm1")
	eventually(t, 10*time.Second, "vm1 up", func() (bool, error) { return portUpOn(t, central, "vm1", "hv1"), nil })

	a.RequestCleanup()
	stop()
	if _, ok := readChassis(t, central, "hv1"); ok {
		t.Error("Chassis still registered after a clean exit")
	}
	if rows := sbFind(t, central, "Chassis_Private", "name=hv1"); len(rows) != 0 {
		t.Error("Chassis_Private still present after a clean exit")
	}
	if up := central.MustSbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port=vm1"); up != "false" {
		t.Errorf("vm1 up=%q after a clean exit", up)
	}
	if c := central.MustSbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=vm1"); c != "" {
		t.Errorf("vm1 still bound to %s after a clean exit", c)
	}
	if v, _ := ch.Vsctl("get", "Open_vSwitch", ".", "other_config:ovn-chassis-idx-hv1"); v != "" {
		t.Errorf("ovn-chassis-idx-hv1 left behind: %s", v)
	}
}

// TestTunnelsPatchesZonesMatchOVNController runs ovn-controller and
// chassisd side by side and compares the tunnel ports, the patch ports to a
// provider bridge and the conntrack zone keys each puts on its own OVS.
func TestTunnelsPatchesZonesMatchOVNController(t *testing.T) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	setup := func(name, ip string) *sandbox.Chassis {
		ch := central.NewChassis(t, sandbox.ChassisOptions{Name: name, Dummy: true})
		ch.MustConfigure(name, ip, "geneve", "physnet1:br-provider")
		ch.MustVsctl("set", "open", ".", "external_ids:ovn-bridge-datapath-type=netdev")
		ch.MustVsctl("add-br", "br-provider", "--", "set", "Bridge", "br-provider", "datapath_type=netdev")
		return ch
	}
	ref := setup("hvref", "172.16.0.10")
	ref.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	ours := setup("hvours", "172.16.0.11")
	runAgent(t, ours)
	central.MustSbctl("chassis-add", "hvfake", "geneve", "172.16.0.99")
	central.MustNbctl("ls-add", "prov",
		"--", "lsp-add", "prov", "ln", "--", "lsp-set-type", "ln", "localnet",
		"--", "lsp-set-addresses", "ln", "unknown", "--", "lsp-set-options", "ln", "network_name=physnet1",
		"--", "lsp-add", "prov", "vmref", "--", "lsp-add", "prov", "vmours")
	ref.MustVsctl("add-port", "br-int", "tapref", "--", "set", "Interface", "tapref", "type=dummy", "external_ids:iface-id=vmref")
	ours.MustVsctl("add-port", "br-int", "tapours", "--", "set", "Interface", "tapours", "type=dummy", "external_ids:iface-id=vmours")

	ports := func(ch *sandbox.Chassis, bridge string) []string {
		out := ch.MustVsctl("list-ports", bridge)
		var ps []string
		for _, p := range strings.Fields(out) {
			if !strings.HasPrefix(p, "tap") {
				ps = append(ps, p)
			}
		}
		return ps
	}
	eventually(t, 20*time.Second, "tunnels and patch ports on both chassis", func() (bool, error) {
		return len(ports(ref, "br-int")) == 3 && len(ports(ours, "br-int")) == 3, nil
	})
	norm := func(s string) string {
		for _, r := range []struct{ from, to string }{{"hvours", "SELF"}, {"hvref", "SELF"}, {"172.16.0.11", "SELFIP"}, {"172.16.0.10", "SELFIP"}} {
			s = strings.ReplaceAll(s, r.from, r.to)
		}
		return s
	}
	// The tunnel to the other real chassis is named after it; compare the
	// tunnel to the fake chassis and the patch ports, which must be equal.
	for _, p := range []string{"ovn-hvfake-0", "patch-br-int-to-ln"} {
		for _, col := range []string{"type", "options"} {
			w := ref.MustVsctl("get", "Interface", p, col)
			g := ours.MustVsctl("get", "Interface", p, col)
			if norm(w) != norm(g) {
				t.Errorf("%s %s: ovn-controller %s, chassisd %s", p, col, w, g)
			}
		}
		w := ref.MustVsctl("get", "Port", p, "external_ids")
		g := ours.MustVsctl("get", "Port", p, "external_ids")
		if w != g {
			t.Errorf("%s external_ids: ovn-controller %s, chassisd %s", p, w, g)
		}
	}
	if w, g := ref.MustVsctl("get", "Interface", "ovn-hvours-0", "options:remote_ip"), ours.MustVsctl("get", "Interface", "ovn-hvref-0", "options:remote_ip"); w != `"172.16.0.11"` || g != `"172.16.0.10"` {
		t.Errorf("tunnels between the two chassis: %s / %s", w, g)
	}
	if w, g := ports(ref, "br-provider"), ports(ours, "br-provider"); !slices.Equal(w, g) {
		t.Errorf("br-provider ports: ovn-controller %v, chassisd %v", w, g)
	}

	zoneKeys := func(ch *sandbox.Chassis, vm string) []string {
		raw := map[string]string{}
		for _, kv := range strings.Split(strings.Trim(ch.MustVsctl("get", "Bridge", "br-int", "external_ids"), "{}"), ", ") {
			k, v, _ := strings.Cut(kv, "=")
			raw[strings.Trim(k, `"`)] = v
		}
		var keys []string
		for k := range raw {
			if strings.HasPrefix(k, "ct-zone-") {
				keys = append(keys, strings.Replace(k, vm, "VM", 1))
			}
		}
		slices.Sort(keys)
		return keys
	}
	eventually(t, 10*time.Second, "zones assigned", func() (bool, error) {
		return len(zoneKeys(ours, "vmours")) > 0 && len(zoneKeys(ref, "vmref")) > 0, nil
	})
	w, g := zoneKeys(ref, "vmref"), zoneKeys(ours, "vmours")
	t.Logf("zone keys: %v; br-int ports: %v", g, ports(ours, "br-int"))
	if !slices.Equal(w, g) {
		t.Errorf("ct-zone keys: ovn-controller %v, chassisd %v", w, g)
	}
}
