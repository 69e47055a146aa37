package metadata

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzConfig: any INI text either loads or is rejected with an error.
func FuzzConfig(f *testing.F) {
	f.Add("[DEFAULT]\nmetadata_proxy_shared_secret = s\n", "")
	f.Add("[DEFAULT]\nnova_metadata_protocol = https\nnova_metadata_insecure = yes\nmetadata_proxy_shared_secret = $$x\\$y\n", "[DEFAULT]\nnova_metadata_port=1\n")
	f.Add("[DEFAULT]\nstate_path=${a}\na=$state_path\nmetadata_proxy_shared_secret=$a\n", "[metadata_rate_limiting]\nip_versions=4,6,\nrate_limit_enabled=on\n")
	f.Add("  continued\n[x]\nk: v\n  more\n[DEFAULT\n", "%(a)s = %(b)s\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		r := rawConfig{}
		if err := r.parse([]byte(a), "a.ini"); err != nil {
			return
		}
		if err := r.parse([]byte(b), "b.ini"); err != nil {
			return
		}
		cfg, err := r.config()
		if err != nil {
			return
		}
		if cfg.SharedSecret == "" || !strings.HasPrefix(cfg.NovaURL, "http") {
			t.Fatalf("accepted a configuration without secret or URL: %+v", cfg)
		}
		if cfg.RateLimit.BaseWindow <= 0 || cfg.Timeouts.Connect <= 0 {
			t.Fatalf("accepted non-positive durations: %+v", cfg)
		}
	})
}

// novaStub answers every forwarded request without a socket.
type novaStub struct{}

func (novaStub) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	body := "ok " + r.URL.RequestURI()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/plain"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

// FuzzProxyRequest: whatever a VM sends (request line, headers, body,
// source address), the proxy answers without panicking, and only with a
// status Neutron's proxy could give.
func FuzzProxyRequest(f *testing.F) {
	f.Add([]byte("GET /openstack/latest/meta_data.json HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n"), "192.168.101.11:40000")
	f.Add([]byte("POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Instance-ID: forged\r\n\r\nhello"), "[fe80::f816:3eff:fe12:3456%eth0]:1")
	f.Add([]byte("GET http://169.254.169.254/latest?a=%zz HTTP/1.1\r\nHost: y\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), "[::ffff:192.168.101.11]:2")
	f.Add([]byte("CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: z\r\n\r\n"), "192.168.101.12:3")
	f.Add([]byte("OPTIONS * HTTP/1.1\r\nHost: z\r\n\r\n"), "garbage")
	mac, _ := net.ParseMAC("fa:16:3e:12:34:56")
	lookup := func(network string, ip netip.Addr, m net.HardwareAddr) []Instance {
		if (m != nil && m.String() == mac.String()) || ip == netip.MustParseAddr("192.168.101.11") {
			return []Instance{{ID: testInstance, ProjectID: testProject}}
		}
		if ip == netip.MustParseAddr("192.168.101.12") {
			return []Instance{{ID: "a"}, {ID: "b"}}
		}
		return nil
	}
	cfg := testConfig("http://nova.invalid:8775")
	cfg.RateLimit = RateLimit{Enabled: true, IPv4: true, IPv6: true, BaseWindow: time.Second, BaseLimit: 1000, BurstWindow: time.Second, BurstLimit: 1000}
	met, err := newMetrics(nil)
	if err != nil {
		f.Fatal(err)
	}
	nv := newNova(cfg)
	nv.client.Transport = novaStub{}
	p := &proxy{
		network: testNetwork, lookup: func() LookupFunc { return lookup }, nova: nv,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: met,
		limiter: newSourceLimiter(cfg.RateLimit), logs: newGuestLogs(),
	}
	allowed := map[int]bool{200: true, 400: true, 404: true, 413: true, 429: true, 500: true, 503: true}
	f.Fuzz(func(t *testing.T, raw []byte, remote string) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // the server would have answered 400 itself
		}
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if !allowed[rec.Code] {
			t.Fatalf("status %d for %q from %q", rec.Code, raw, remote)
		}
	})
}
