package e2e

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// The test Nova listens on a veth between the metadata node and its own
// namespace.
const (
	novaNodeIP = "172.31.254.1"
	novaIP     = "172.31.254.2"
	novaPort   = 8775
	mdSecret   = "e2e-metadata-secret"
	mdProject  = "bccf406c045d401b91ba5c7552a124ae"
)

// requireChassisdAgent skips metadata tests unless chassisd is the agent:
// ovn-controller does not do the metadata agent's job.
func requireChassisdAgent(t testing.TB, tp *Topology) {
	t.Helper()
	if tp.Agent.Kind != sandbox.AgentChassisd {
		t.Skipf("metadata is chassisd's job only (CHASSISD_E2E_AGENT=%s)", tp.Agent.Kind)
	}
}

// metadataNode is a chassis whose chassisd is the metadata agent. Its
// agent runs in a mount namespace of its own (held by a sleeping process
// across agent restarts) with a private /run/netns, so that its ovnmeta-
// namespaces keep their real names without meeting those of other nodes
// or other test runs on this machine.
type metadataNode struct {
	*Node
	spec   sandbox.AgentSpec
	holder *exec.Cmd
	nova   *testNova
}

func addMetadataNode(t testing.TB, tp *Topology, name string) *metadataNode {
	t.Helper()
	sandbox.Require(t, []string{"unshare", "nsenter", "timeout"})
	mn := &metadataNode{nova: newTestNova()}
	holder := exec.Command("unshare", "--mount", "--propagation", "slave", "--",
		"sh", "-c", "mkdir -p /run/netns && mount -t tmpfs -o mode=0755 tmpfs /run/netns && exec sleep 3600")
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := holder.Start(); err != nil {
		t.Fatalf("mount namespace holder: %v", err)
	}
	mn.holder = holder
	// Registered first, so it runs after the node and its agent stopped;
	// the namespaces go with the mount namespace.
	t.Cleanup(func() {
		_ = syscall.Kill(-holder.Process.Pid, syscall.SIGKILL)
		_ = holder.Wait()
	})
	if err := sandbox.Eventually(10*time.Second, func() (bool, error) {
		// mountinfo: "id parent dev root mountpoint options ... - fstype ..."
		info, err := os.ReadFile("/proc/" + strconv.Itoa(holder.Process.Pid) + "/mountinfo")
		for _, line := range strings.Split(string(info), "\n") {
			f := strings.Fields(line)
			if len(f) > 4 && f[4] == "/run/netns" && strings.Contains(line, " - tmpfs ") {
				return true, nil
			}
		}
		return false, err
	}); err != nil {
		t.Fatalf("node mount namespace not ready: %v", err)
	}

	dir := t.TempDir()
	ini := filepath.Join(dir, "neutron_ovn_metadata_agent.ini")
	must(t, os.WriteFile(ini, []byte(fmt.Sprintf(`[DEFAULT]
nova_metadata_host = %s
nova_metadata_port = %d
metadata_proxy_shared_secret = %s
metadata_workers = 2

[metadata_haproxy]
timeout_connect = 2
timeout_server = 5
`, novaIP, novaPort, mdSecret)), 0o600))
	wrapper := filepath.Join(dir, "chassisd-metadata")
	must(t, os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\nexec nsenter --mount=/proc/%d/ns/mnt -- %s \"$@\"\n",
		holder.Process.Pid, tp.Agent.Binary)), 0o755))
	mn.spec = sandbox.AgentSpec{Kind: sandbox.AgentChassisd, Binary: wrapper,
		Args: append([]string{"--metadata-config-file", ini}, tp.Agent.Args...)}
	mn.Node = tp.AddNodeWithAgent(name, mn.spec)

	// Nova's namespace, joined to the node by a veth.
	novaNS := sandbox.NewNetns(t, uniq("nova"))
	mustRun(t, novaNS.Exec, "ip", "link", "add", "nova0", "type", "veth", "peer", "name", "nova-node", "netns", mn.Netns())
	mustRun(t, novaNS.Exec, "ip", "addr", "add", novaIP+"/24", "dev", "nova0")
	mustRun(t, novaNS.Exec, "ip", "link", "set", "nova0", "up")
	mustRun(t, mn.Exec, "ip", "addr", "add", novaNodeIP+"/24", "dev", "nova-node")
	mustRun(t, mn.Exec, "ip", "link", "set", "nova-node", "up")
	mn.nova.ns = novaNS
	must(t, mn.nova.start())
	t.Cleanup(mn.nova.stop)
	return mn
}

// inNodeMounts runs a command in the node's mount namespace (where its
// ovnmeta- namespaces are named).
func (mn *metadataNode) inNodeMounts(args ...string) (string, error) {
	return sandbox.Run(append([]string{"nsenter", "--mount=/proc/" + strconv.Itoa(mn.holder.Process.Pid) + "/ns/mnt", "--"}, args...)...)
}

func (mn *metadataNode) namespaces() ([]string, error) {
	out, err := mn.inNodeMounts("ls", "/run/netns")
	var names []string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "ovnmeta-") {
			names = append(names, f)
		}
	}
	return names, err
}

func (mn *metadataNode) hasNamespace(network string) (bool, error) {
	names, err := mn.namespaces()
	for _, n := range names {
		if n == "ovnmeta-"+network {
			return true, err
		}
	}
	return false, err
}

// identity returns the namespace's inode and its veth end's ifindex,
// which change only when they are rebuilt.
func (mn *metadataNode) identity(network string) (string, error) {
	ino, err := mn.inNodeMounts("stat", "-L", "-c", "%i", "/run/netns/ovnmeta-"+network)
	if err != nil {
		return "", err
	}
	link, err := mn.inNodeMounts("ip", "-n", "ovnmeta-"+network, "-o", "link", "show", "tap"+network[:10]+"1")
	if err != nil {
		return "", err
	}
	idx, _, _ := strings.Cut(link, ":")
	return ino + "/" + idx, nil
}

// metadataNetwork creates a Neutron network with DHCP (option 121 routing
// 169.254.169.254 to the metadata port) and its metadata localport.
func metadataNetwork(t testing.TB, tp *Topology, id, prefix, mdMAC string) string {
	t.Helper()
	ls := "neutron-" + id
	mdIP := prefix + ".1"
	meta := "md-" + id[:8]
	nb := tp.Central.MustNbctl
	nb("ls-add", ls, "--", "set", "Logical_Switch", ls,
		`external_ids:"neutron:network_name"=md-`+id[:8], `external_ids:"neutron:mtu"=1442`)
	nb("lsp-add", ls, meta,
		"--", "lsp-set-type", meta, "localport",
		"--", "lsp-set-addresses", meta, mdMAC+" "+mdIP,
		"--", "set", "Logical_Switch_Port", meta,
		`external_ids:"neutron:device_owner"="network:distributed"`,
		`external_ids:"neutron:device_id"="ovnmeta-`+id+`"`,
		`external_ids:"neutron:cidrs"="`+mdIP+`/24"`,
		`external_ids:"neutron:mtu"="1442"`)
	opts := nb("dhcp-options-create", prefix+".0/24")
	if opts == "" {
		opts = nb("--bare", "--columns=_uuid", "find", "DHCP_Options", `cidr="`+prefix+`.0/24"`)
	}
	nb("dhcp-options-set-options", opts, "lease_time=43200", "router="+prefix+".254",
		"server_id="+prefix+".254", "server_mac=fa:16:3e:ee:ff:fe", "mtu=1442",
		"classless_static_route={169.254.169.254/32,"+mdIP+", 0.0.0.0/0,"+prefix+".254}")
	return ls
}

// instancePort adds a VM port as Nova/Neutron do: device_id is the
// instance, DHCP options of its subnet, port security unless ip is "".
func instancePort(t testing.TB, tp *Topology, ls, lport, mac, ip, host, instance string, portSecurity bool) {
	t.Helper()
	addr := mac + " " + ip
	args := []string{"lsp-add", ls, lport, "--", "lsp-set-addresses", lport, addr,
		"--", "lsp-set-options", lport, "requested-chassis=" + host,
		"--", "set", "Logical_Switch_Port", lport,
		`external_ids:"neutron:device_id"="` + instance + `"`,
		`external_ids:"neutron:project_id"="` + mdProject + `"`}
	if portSecurity {
		args = append(args, "--", "lsp-set-port-security", lport, addr)
	}
	tp.Central.MustNbctl(args...)
	prefix := ip[:strings.LastIndex(ip, ".")]
	opts := tp.Central.MustNbctl("--bare", "--columns=_uuid", "find", "DHCP_Options", `cidr="`+prefix+`.0/24"`)
	tp.Central.MustNbctl("lsp-set-dhcpv4-options", lport, opts)
}

// dhcpWithRoutes runs udhcpc in the VM with a script that configures the
// lease's address and classless static routes, as cloud-init's DHCP does.
func dhcpWithRoutes(t testing.TB, vm *VM) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "lease.sh")
	must(t, os.WriteFile(script, []byte(`#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	set -- $staticroutes
	while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
	echo "bound ip=$ip routes=$staticroutes"
	;;
esac
`), 0o755))
	var out string
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		out, err = vm.NS.Exec("busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "4", "-T", "2",
			"-O", "staticroutes", "-s", script)
		if strings.Contains(out, "bound ip=") {
			break
		}
	}
	if !strings.Contains(out, "bound ip=") || !strings.Contains(out, "169.254.169.254/32") {
		t.Fatalf("%s: no DHCP lease with the metadata route: %v\n%s", vm.Name, err, out)
	}
	vm.IP = strings.Fields(strings.TrimPrefix(out[strings.Index(out, "bound ip="):], "bound ip="))[0]
}

// fetch GETs a metadata path from the VM with busybox wget (bounded by
// timeout: busybox 1.35's own -T crashes).
func (vm *VM) fetch(path string) (string, error) {
	return vm.NS.Exec("timeout", "10", "busybox", "wget", "-q", "-O", "-", "http://169.254.169.254"+path)
}

func (vm *VM) fetchEventually(t testing.TB, path string) string {
	t.Helper()
	var out string
	var last error
	if err := sandbox.Eventually(settle, func() (bool, error) {
		out, last = vm.fetch(path)
		return last == nil, nil
	}); err != nil {
		t.Fatalf("%s: GET %s: %v (last: %v)", vm.Name, path, err, last)
	}
	return out
}

// fetchStatus returns the HTTP status busybox wget reports for a failed
// GET ("server returned error: HTTP/1.1 404 Not Found"), or 200.
func (vm *VM) fetchStatus(path string) int {
	out, err := vm.NS.Exec("timeout", "10", "busybox", "wget", "-O", "/dev/null", "http://169.254.169.254"+path)
	if err == nil {
		return 200
	}
	if i := strings.Index(out+err.Error(), "HTTP/1.1 "); i >= 0 {
		s := (out + err.Error())[i+len("HTTP/1.1 "):]
		if code, err := strconv.Atoi(s[:3]); err == nil {
			return code
		}
	}
	return 0
}

// TestMetadataProxy is the metadata agent's job end to end: a VM gets its
// lease with the metadata route, then its own instance's document from a
// test Nova that checks the signature; a second network's VM gets only its
// own; an address not bound gets 404; Nova down gives 503; a restart keeps
// the namespaces; the namespace follows the first and last VIF.
func TestMetadataProxy(t *testing.T) {
	tp := NewTopology(t)
	requireChassisdAgent(t, tp)
	hv1 := addMetadataNode(t, tp, "hv1")
	netA := "a1a1a1a1-0000-4000-8000-00000000000a"
	netB := "b2b2b2b2-0000-4000-8000-00000000000b"
	lsA := metadataNetwork(t, tp, netA, "192.168.101", "fa:16:3e:71:9e:ad")
	lsB := metadataNetwork(t, tp, netB, "192.168.102", "fa:16:3e:71:9e:bd")
	instA, instB := "11111111-aaaa-4aaa-8aaa-000000000001", "22222222-bbbb-4bbb-8bbb-000000000002"
	hv1.nova.addInstance(instA, mdProject)
	hv1.nova.addInstance(instB, mdProject)
	instancePort(t, tp, lsA, "vm-a1", "fa:16:3e:a1:00:01", "192.168.101.11", "hv1", instA, true)
	instancePort(t, tp, lsB, "vm-b1", "fa:16:3e:b1:00:01", "192.168.102.11", "hv1", instB, true)
	must(t, tp.Central.WaitSync())

	if ok, err := hv1.hasNamespace(netA); err != nil || ok {
		t.Fatalf("namespace for network A before any VIF: %v %v", ok, err)
	}
	// A port of that name left in another bridge (as after ML2/OVS) is
	// moved to br-int.
	must(t, hv1.AddBridge("br-old"))
	must(t, hv1.AddPort("br-old", "tap"+netA[:10]+"0", "", nil))
	a1 := hv1.AddVM("mda1", "vm-a1", "fa:16:3e:a1:00:01", "", 1442, "")
	dhcpWithRoutes(t, a1)
	doc := a1.fetchEventually(t, "/openstack/latest/meta_data.json")
	if !strings.Contains(doc, `"uuid": "`+instA+`"`) {
		t.Fatalf("VM A1 got %q, want its own instance %s", doc, instA)
	}
	req := hv1.nova.lastRequest()
	if req.Header.Get("X-Forwarded-For") != "192.168.101.11" || req.Header.Get("X-Tenant-ID") != mdProject ||
		req.URL.Path != "/openstack/latest/meta_data.json" {
		t.Errorf("Nova got %s with %v", req.URL, req.Header)
	}
	// The test Nova really checks: unsigned or badly signed requests fail.
	if code := hv1.nova.directStatus(instA, ""); code != http.StatusBadRequest {
		t.Errorf("test Nova answered %d to an unsigned request", code)
	}
	if code := hv1.nova.directStatus(instA, "00"+novaSignature(instA)[2:]); code != http.StatusForbidden {
		t.Errorf("test Nova answered %d to a bad signature", code)
	}
	if ok, err := hv1.hasNamespace(netA); err != nil || !ok {
		t.Errorf("no namespace ovnmeta-%s with a VIF bound (%v)", netA, err)
	}
	if id, err := hv1.Vsctl("get", "Interface", "tap"+netA[:10]+"0", "external_ids:iface-id"); err != nil || strings.Trim(id, `"`) != "md-"+netA[:8] {
		t.Errorf("veth in br-int with iface-id %q (%v)", id, err)
	}
	if ports, err := hv1.Vsctl("list-ports", "br-old"); err != nil || ports != "" {
		t.Errorf("br-old still has %q (%v)", ports, err)
	}
	if show, err := hv1.AgentAppctl("metadata/show"); err != nil || !strings.Contains(show, "ovnmeta-"+netA) || !strings.Contains(show, "192.168.101.1/24") {
		t.Errorf("metadata/show: %v\n%s", err, show)
	}

	t.Run("second network gets its own instance", func(t *testing.T) {
		b1 := hv1.AddVM("mdb1", "vm-b1", "fa:16:3e:b1:00:01", "", 1442, "")
		dhcpWithRoutes(t, b1)
		doc := b1.fetchEventually(t, "/openstack/latest/meta_data.json")
		if !strings.Contains(doc, instB) || strings.Contains(doc, instA) {
			t.Errorf("VM B1 got %q, want only %s", doc, instB)
		}
	})

	t.Run("address not bound gets 404", func(t *testing.T) {
		// A port without port security whose VM uses an address that no
		// port has.
		// Nova knows the port's instance: a 404 can only be the proxy's.
		hv1.nova.addInstance("33333333-0000-4000-8000-000000000003", mdProject)
		instancePort(t, tp, lsA, "vm-a3", "fa:16:3e:a1:00:03", "192.168.101.13", "hv1", "33333333-0000-4000-8000-000000000003", false)
		must(t, tp.Central.WaitSync())
		a3 := hv1.AddVM("mda3", "vm-a3", "fa:16:3e:a1:00:03", "192.168.101.99/24", 1442, "")
		mustRun(t, a3.NS.Exec, "ip", "route", "add", "169.254.169.254/32", "via", "192.168.101.1")
		var code int
		if err := sandbox.Eventually(settle, func() (bool, error) {
			code = a3.fetchStatus("/openstack/latest/meta_data.json")
			return code != 0, nil
		}); err != nil || code != http.StatusNotFound {
			t.Errorf("unbound address got %d, want 404 (%v)", code, err)
		}
		tp.Central.MustNbctl("lsp-del", "vm-a3")
	})

	t.Run("restart keeps the namespaces", func(t *testing.T) {
		before, err := hv1.identity(netA)
		must(t, err)
		must(t, hv1.StopAgent())
		// The namespace outlives the agent.
		if ok, err := hv1.hasNamespace(netA); err != nil || !ok {
			t.Fatalf("namespace gone with the agent (%v)", err)
		}
		must(t, hv1.StartAgent(hv1.spec))
		doc := a1.fetchEventually(t, "/openstack/latest/meta_data.json")
		if !strings.Contains(doc, instA) {
			t.Errorf("after restart: %q", doc)
		}
		after, err := hv1.identity(netA)
		must(t, err)
		if before != after {
			t.Errorf("restart rebuilt the namespace or veth: %s -> %s", before, after)
		}
	})

	t.Run("Nova down gives 503, back gives 200", func(t *testing.T) {
		hv1.nova.stop()
		if code := a1.fetchStatus("/openstack/latest/meta_data.json"); code != http.StatusServiceUnavailable {
			t.Errorf("Nova down: %d, want 503", code)
		}
		must(t, hv1.nova.start())
		if code := a1.fetchStatus("/openstack/latest/meta_data.json"); code != 200 {
			t.Errorf("Nova back: %d, want 200", code)
		}
	})

	t.Run("namespace goes with the last VIF", func(t *testing.T) {
		tp.Central.MustNbctl("lsp-del", "vm-a1")
		must(t, tp.Central.WaitSync())
		if err := sandbox.Eventually(settle, func() (bool, error) {
			ok, err := hv1.hasNamespace(netA)
			return !ok, err
		}); err != nil {
			t.Errorf("ovnmeta-%s still there after its last VIF left: %v", netA, err)
		}
		if ok, err := hv1.hasNamespace(netB); err != nil || !ok {
			t.Errorf("network B's namespace went too (%v)", err)
		}
		if out, _ := hv1.Vsctl("--if-exists", "get", "Interface", "tap"+netA[:10]+"0", "name"); out != "" {
			t.Errorf("tap%s0 still in OVS", netA[:10])
		}
	})
}

// TestMetadataIPv6LinkLocal: a VM with IPv6 reaches the proxy at
// fe80::a9fe:a9fe through the userspace datapath and is identified by the
// MAC in its link-local address.
func TestMetadataIPv6LinkLocal(t *testing.T) {
	tp := NewTopology(t)
	requireChassisdAgent(t, tp)
	hv1 := addMetadataNode(t, tp, "hv1")
	netA := "c3c3c3c3-0000-4000-8000-00000000000c"
	lsA := metadataNetwork(t, tp, netA, "192.168.103", "fa:16:3e:71:9e:cd")
	inst := "44444444-cccc-4ccc-8ccc-000000000004"
	hv1.nova.addInstance(inst, mdProject)
	mac := "fa:16:3e:c3:00:01"
	addr := mac + " 192.168.103.11 fd00:103::11"
	tp.Central.MustNbctl("lsp-add", lsA, "vm-c1", "--", "lsp-set-addresses", "vm-c1", addr,
		"--", "lsp-set-port-security", "vm-c1", addr, "--", "lsp-set-options", "vm-c1", "requested-chassis=hv1",
		"--", "set", "Logical_Switch_Port", "vm-c1",
		`external_ids:"neutron:device_id"="`+inst+`"`, `external_ids:"neutron:project_id"="`+mdProject+`"`)
	must(t, tp.Central.WaitSync())
	vm := hv1.AddVM("mdc1", "vm-c1", mac, "192.168.103.11/24", 1442, "")
	mustRun(t, vm.NS.Exec, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0")

	if err := sandbox.Eventually(settle, func() (bool, error) {
		show, err := hv1.AgentAppctl("metadata/show")
		return strings.Contains(show, "[fe80::a9fe:a9fe%") && !strings.Contains(show, "waiting for DAD"), err
	}); err != nil {
		show, _ := hv1.AgentAppctl("metadata/show")
		t.Fatalf("no IPv6 listener: %v\n%s", err, show)
	}
	vmNS, err := netns.GetFromName(vm.NS.Name)
	must(t, err)
	defer vmNS.Close()
	var doc string
	var last error
	if err := sandbox.Eventually(settle, func() (bool, error) {
		doc, last = httpGetInNetns(vmNS, "[fe80::a9fe:a9fe%eth0]:80", "/openstack/latest/meta_data.json")
		return last == nil, nil
	}); err != nil {
		t.Fatalf("GET over IPv6 link-local: %v (last: %v)", err, last)
	}
	if !strings.Contains(doc, inst) {
		t.Errorf("IPv6 answer %q, want instance %s", doc, inst)
	}
	if xff := hv1.nova.lastRequest().Header.Get("X-Forwarded-For"); !strings.HasPrefix(xff, "fe80::f816:3eff:fec3:1") {
		t.Errorf("X-Forwarded-For %q, want the VM's link-local address", xff)
	}
}

// httpGetInNetns sends one GET from inside ns.
func httpGetInNetns(ns netns.NsHandle, addr, path string) (string, error) {
	var conn net.Conn
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		conn, err = net.DialTimeout("tcp6", addr, 3*time.Second)
		if serr := netns.Set(orig); serr != nil {
			errc <- errors.Join(err, serr) // the thread stays locked and exits
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: [fe80::a9fe:a9fe]\r\nConnection: close\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return string(b), err
}

// testNova is a stand-in for Nova's metadata API with
// service_metadata_proxy = True: it checks the headers and signature as
// nova's MetadataRequestHandler does and serves meta_data.json.
type testNova struct {
	ns *sandbox.Netns

	mu        sync.Mutex
	instances map[string]string // instance -> project
	last      *http.Request
	srv       *http.Server
	// delay is Nova's time per request (benchmarks).
	delay time.Duration
}

func newTestNova() *testNova { return &testNova{instances: map[string]string{}} }

func (n *testNova) addInstance(id, project string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.instances[id] = project
}

func novaSignature(instance string) string {
	m := hmac.New(sha256.New, []byte(mdSecret))
	m.Write([]byte(instance))
	return hex.EncodeToString(m.Sum(nil))
}

func (n *testNova) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	n.last = r
	project, known := n.instances[r.Header.Get("X-Instance-ID")]
	delay := n.delay
	n.mu.Unlock()
	time.Sleep(delay)
	id, sig, tenant := r.Header.Get("X-Instance-ID"), r.Header.Get("X-Instance-ID-Signature"), r.Header.Get("X-Tenant-ID")
	switch {
	case r.URL.Path == "/":
		fmt.Fprintln(w, "latest")
	case id == "" || sig == "" || tenant == "" || len(r.Header.Values("X-Instance-ID")) > 1:
		http.Error(w, "missing or duplicated instance headers", http.StatusBadRequest)
	case !hmac.Equal([]byte(sig), []byte(novaSignature(id))):
		http.Error(w, "signature mismatch", http.StatusForbidden)
	case !known || project != tenant:
		http.Error(w, "instance not found", http.StatusNotFound)
	case r.URL.Path == "/openstack/latest/meta_data.json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"uuid": "%s", "project_id": "%s", "name": "vm-%s"}`, id, project, id[:8])
	default:
		http.NotFound(w, r)
	}
}

func (n *testNova) lastRequest() *http.Request {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.last == nil {
		return &http.Request{Header: http.Header{}, URL: &url.URL{}}
	}
	return n.last
}

// start listens in Nova's namespace and serves from this process.
func (n *testNova) start() error {
	h, err := netns.GetFromName(n.ns.Name)
	if err != nil {
		return err
	}
	defer h.Close()
	var l net.Listener
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(h); err != nil {
			errc <- err
			return
		}
		l, err = net.Listen("tcp4", net.JoinHostPort(novaIP, strconv.Itoa(novaPort)))
		if serr := netns.Set(orig); serr != nil {
			errc <- errors.Join(err, serr)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		return fmt.Errorf("test Nova: %w", err)
	}
	srv := &http.Server{Handler: n}
	n.mu.Lock()
	n.srv = srv
	n.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
	return nil
}

func (n *testNova) stop() {
	n.mu.Lock()
	srv := n.srv
	n.srv = nil
	n.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// directStatus asks Nova for an instance's document with the given
// signature, from inside Nova's namespace, bypassing the proxy.
func (n *testNova) directStatus(instance, signature string) int {
	out, _ := n.ns.Exec("sh", "-c", fmt.Sprintf(
		"printf 'GET /openstack/latest/meta_data.json HTTP/1.0\\r\\nX-Instance-ID: %s\\r\\nX-Tenant-ID: %s\\r\\nX-Instance-ID-Signature: %s\\r\\n\\r\\n' | busybox nc %s %d | head -1",
		instance, mdProject, signature, novaIP, novaPort))
	fields := strings.Fields(out)
	if len(fields) < 2 {
		return 0
	}
	code, _ := strconv.Atoi(fields[1])
	return code
}
