package metadata

import (
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	testSecret   = "s3cr3t"
	testNetwork  = "f5e24ee8-2bcb-43a4-91d5-0abad0c58197"
	testInstance = "6f1e5c3a-2b7d-4e8f-9a0b-1c2d3e4f5a6b"
	testProject  = "bccf406c045d401b91ba5c7552a124ae"
)

func testConfig(novaURL string) *Config {
	return &Config{
		NovaURL: novaURL, SharedSecret: testSecret, AgentDownTime: DefaultAgentDownTime,
		Timeouts: Timeouts{Connect: 2 * time.Second, Server: 2 * time.Second, Client: 2 * time.Second,
			HTTPRequest: 2 * time.Second, KeepAlive: 2 * time.Second},
	}
}

// lookupOne finds testInstance for 127.0.0.1 on testNetwork.
func lookupOne(network string, ip netip.Addr, mac net.HardwareAddr) []Instance {
	if network == testNetwork && ip == netip.MustParseAddr("127.0.0.1") && mac == nil {
		return []Instance{{ID: testInstance, ProjectID: testProject}}
	}
	return nil
}

type proxyRig struct {
	proxy   *proxy
	server  *httptest.Server
	metrics *metrics
	reg     *prometheus.Registry
}

// newProxyRig serves a proxy for testNetwork on a loopback port.
func newProxyRig(t testing.TB, cfg *Config, lookup LookupFunc) *proxyRig {
	t.Helper()
	reg := prometheus.NewRegistry()
	met, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	nv := newNova(cfg)
	t.Cleanup(nv.close)
	p := &proxy{
		network: testNetwork, lookup: func() LookupFunc { return lookup }, nova: nv,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: met,
		limiter: newSourceLimiter(cfg.RateLimit), logs: newGuestLogs(),
	}
	srv := httptest.NewUnstartedServer(p)
	srv.Config.MaxHeaderBytes = MaxHeaderBytes
	srv.Start()
	t.Cleanup(srv.Close)
	return &proxyRig{proxy: p, server: srv, metrics: met, reg: reg}
}

// recordingNova is a Nova stand-in that checks the signature as Nova does
// and records what it received.
type recordingNova struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	conns    atomic.Int32
	status   int
}

func (n *recordingNova) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n.mu.Lock()
	n.requests = append(n.requests, r)
	n.bodies = append(n.bodies, string(body))
	status := n.status
	n.mu.Unlock()
	id, sig, tenant := r.Header.Get("X-Instance-ID"), r.Header.Get("X-Instance-ID-Signature"), r.Header.Get("X-Tenant-ID")
	switch {
	case id == "" || sig == "" || tenant == "":
		http.Error(w, "missing header", http.StatusBadRequest)
	case sig != Signature(testSecret, id):
		http.Error(w, "bad signature", http.StatusForbidden)
	case status != 0:
		w.WriteHeader(status)
	default:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"uuid": %q, "project_id": %q, "path": %q}`, id, tenant, r.URL.RequestURI())
	}
}

func (n *recordingNova) last() (*http.Request, string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.requests) == 0 {
		return nil, ""
	}
	return n.requests[len(n.requests)-1], n.bodies[len(n.bodies)-1]
}

func startNova(t testing.TB, h *recordingNova) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			h.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestProxyForwardsOnlySignedIdentity(t *testing.T) {
	nv := &recordingNova{}
	nova := startNova(t, nv)
	rig := newProxyRig(t, testConfig(nova.URL), lookupOne)

	req, _ := http.NewRequest("POST", rig.server.URL+"/openstack/latest/password?x=1&y=%2F", strings.NewReader("hunter2"))
	// Nothing the VM claims may reach Nova.
	req.Header.Set("X-Instance-ID", "someone-else")
	req.Header.Set("X-Instance-ID-Signature", "forged")
	req.Header.Set("X-Tenant-ID", "other-project")
	req.Header.Set("X-OVN-Network-ID", "other-network")
	req.Header.Set("X-Forwarded-For", "10.9.9.9")
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	got, gotBody := nv.last()
	if got.Method != "POST" || got.URL.RequestURI() != "/openstack/latest/password?x=1&y=%2F" || gotBody != "hunter2" {
		t.Errorf("Nova got %s %s body %q", got.Method, got.URL.RequestURI(), gotBody)
	}
	want := map[string]string{
		"X-Forwarded-For": "127.0.0.1", "X-Instance-Id": testInstance, "X-Tenant-Id": testProject,
		"X-Instance-Id-Signature": Signature(testSecret, testInstance),
	}
	for k, v := range want {
		if got.Header.Get(k) != v || len(got.Header.Values(k)) != 1 {
			t.Errorf("Nova got %s = %q, want %q", k, got.Header.Values(k), v)
		}
	}
	var names []string
	for k := range got.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	allowed := []string{"Content-Length", "User-Agent", "X-Forwarded-For", "X-Instance-Id", "X-Instance-Id-Signature", "X-Tenant-Id"}
	if !slices.Equal(names, allowed) {
		t.Errorf("Nova got headers %v, want exactly %v", names, allowed)
	}
	if !strings.Contains(string(body), testInstance) || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("response %q (%s) is not Nova's", body, resp.Header.Get("Content-Type"))
	}
	if v := testutil.ToFloat64(rig.metrics.requests.WithLabelValues("200")); v != 1 {
		t.Errorf("requests_total{code=200} = %v", v)
	}
	if n := testutil.CollectAndCount(rig.metrics.nova); n != 1 {
		t.Errorf("nova latency series = %d", n)
	}
}

func TestProxyStatusMapping(t *testing.T) {
	nv := &recordingNova{}
	nova := startNova(t, nv)
	rig := newProxyRig(t, testConfig(nova.URL), lookupOne)
	for novaStatus, want := range map[int]int{
		200: 200, 400: 400, 403: 403, 404: 404, 409: 409, 500: 500, 502: 502, 503: 503, 504: 504,
		201: 500, 204: 500, 302: 500, 401: 500, 418: 500,
	} {
		nv.mu.Lock()
		nv.status = novaStatus
		nv.mu.Unlock()
		resp, err := http.Get(rig.server.URL + "/latest/meta-data/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Nova %d: VM got %d, want %d", novaStatus, resp.StatusCode, want)
		}
	}
	// Keep-alive to Nova: those requests shared one connection.
	if c := nv.conns.Load(); c != 1 {
		t.Errorf("%d connections to Nova for sequential requests, want 1 (pooled)", c)
	}
}

func TestProxyLocalAnswers(t *testing.T) {
	nv := &recordingNova{}
	nova := startNova(t, nv)

	t.Run("unknown source", func(t *testing.T) {
		rig := newProxyRig(t, testConfig(nova.URL), func(string, netip.Addr, net.HardwareAddr) []Instance { return nil })
		resp := get(t, rig.server.URL+"/")
		if resp.StatusCode != 404 || !strings.Contains(resp.body, "not found on network "+testNetwork) {
			t.Errorf("got %d %q", resp.StatusCode, resp.body)
		}
	})
	t.Run("ambiguous source", func(t *testing.T) {
		two := func(string, netip.Addr, net.HardwareAddr) []Instance { return []Instance{{ID: "a"}, {ID: "b"}} }
		rig := newProxyRig(t, testConfig(nova.URL), two)
		if resp := get(t, rig.server.URL+"/"); resp.StatusCode != 404 {
			t.Errorf("got %d", resp.StatusCode)
		}
	})
	t.Run("nova down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		rig := newProxyRig(t, testConfig("http://"+addr), lookupOne)
		start := time.Now()
		resp := get(t, rig.server.URL+"/openstack")
		if resp.StatusCode != 503 {
			t.Errorf("got %d %q, want 503", resp.StatusCode, resp.body)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("503 took %v", d)
		}
	})
	t.Run("nova hangs", func(t *testing.T) {
		release := make(chan struct{})
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer hang.Close()
		defer close(release)
		cfg := testConfig(hang.URL)
		cfg.Timeouts.Server = 300 * time.Millisecond
		rig := newProxyRig(t, cfg, lookupOne)
		if resp := get(t, rig.server.URL+"/openstack"); resp.StatusCode != 503 {
			t.Errorf("got %d, want 503 once timeout_server passes", resp.StatusCode)
		}
	})
	t.Run("body too large", func(t *testing.T) {
		rig := newProxyRig(t, testConfig(nova.URL), lookupOne)
		resp, err := http.Post(rig.server.URL+"/openstack/latest/password", "text/plain", strings.NewReader(strings.Repeat("x", MaxRequestBody+1)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("got %d", resp.StatusCode)
		}
	})
	t.Run("headers too large", func(t *testing.T) {
		rig := newProxyRig(t, testConfig(nova.URL), lookupOne)
		req, _ := http.NewRequest("GET", rig.server.URL+"/", nil)
		req.Header.Set("X-Big", strings.Repeat("y", 2*MaxHeaderBytes))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("got %d", resp.StatusCode)
		}
	})
}

type response struct {
	StatusCode int
	body       string
}

func get(t *testing.T, url string) response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b)}
}

func TestProxyLinkLocalClientMatchedByMAC(t *testing.T) {
	nv := &recordingNova{}
	nova := startNova(t, nv)
	mac, _ := net.ParseMAC("fa:16:3e:12:34:56")
	var gotIP netip.Addr
	var gotMAC net.HardwareAddr
	rig := newProxyRig(t, testConfig(nova.URL), func(_ string, ip netip.Addr, m net.HardwareAddr) []Instance {
		gotIP, gotMAC = ip, m
		return []Instance{{ID: testInstance, ProjectID: testProject}}
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/openstack", nil)
	req.RemoteAddr = "[" + LinkLocalFromMAC(mac).String() + "%tapf5e24ee8-21]:40000"
	rig.proxy.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if gotMAC.String() != mac.String() {
		t.Errorf("lookup by MAC %s (ip %s), want %s", gotMAC, gotIP, mac)
	}
	r, _ := nv.last()
	if xff := r.Header.Get("X-Forwarded-For"); xff != "fe80::f816:3eff:fe12:3456" {
		t.Errorf("X-Forwarded-For %q (no zone)", xff)
	}

	// An IPv4-mapped source is looked up as IPv4.
	req = httptest.NewRequest("GET", "/openstack", nil)
	req.RemoteAddr = "[::ffff:10.0.0.5]:40000"
	rig.proxy.ServeHTTP(httptest.NewRecorder(), req)
	if gotIP != netip.MustParseAddr("10.0.0.5") || gotMAC != nil {
		t.Errorf("mapped source looked up as %s / %s", gotIP, gotMAC)
	}
}

func TestProxyRateLimit(t *testing.T) {
	nv := &recordingNova{}
	nova := startNova(t, nv)
	cfg := testConfig(nova.URL)
	cfg.RateLimit = RateLimit{Enabled: true, IPv4: true, BaseWindow: 10 * time.Second, BaseLimit: 10, BurstWindow: 10 * time.Second, BurstLimit: 10}
	rig := newProxyRig(t, cfg, lookupOne)
	for i := 1; i <= 11; i++ {
		resp := get(t, rig.server.URL+"/")
		want := 200
		if i == 11 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	if v := testutil.ToFloat64(rig.metrics.requests.WithLabelValues("429")); v != 1 {
		t.Errorf("requests_total{code=429} = %v", v)
	}
	// The other family is not limited.
	cfg.RateLimit.IPv4, cfg.RateLimit.IPv6 = false, true
	if l := newSourceLimiter(cfg.RateLimit); !l.allow(netip.MustParseAddr("10.0.0.1"), time.Now()) {
		t.Errorf("IPv4 limited with ip_versions = 6")
	}
	if newSourceLimiter(RateLimit{Enabled: false, IPv4: true}) != nil {
		t.Errorf("disabled rate limiting built a limiter")
	}
}

func TestProxyHTTPS(t *testing.T) {
	nv := &recordingNova{}
	nova := httptest.NewUnstartedServer(nv)
	certPEM, keyPEM := selfSigned(t, "127.0.0.1")
	cert, err := tlsKeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	nova.TLS = cert
	nova.StartTLS()
	defer nova.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	must(t, os.WriteFile(ca, certPEM, 0o600))
	port := nova.Listener.Addr().(*net.TCPAddr).Port
	f := writeFile(t, "a.ini", fmt.Sprintf("[DEFAULT]\nmetadata_proxy_shared_secret = %s\nnova_metadata_protocol = https\nnova_metadata_port = %d\nauth_ca_cert = %s\n", testSecret, port, ca))
	cfg, err := LoadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	rig := newProxyRig(t, cfg, lookupOne)
	if resp := get(t, rig.server.URL+"/openstack"); resp.StatusCode != 200 {
		t.Errorf("https: %d %s", resp.StatusCode, resp.body)
	}
	// Without the CA the certificate is not trusted: 503.
	cfg.TLS.RootCAs = nil
	rig = newProxyRig(t, cfg, lookupOne)
	if resp := get(t, rig.server.URL+"/openstack"); resp.StatusCode != 503 {
		t.Errorf("untrusted Nova: %d", resp.StatusCode)
	}
}

func tlsKeyPair(certPEM, keyPEM []byte) (*tls.Config, error) {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{c}}, nil
}
