package metadata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits on what a VM can send.
const (
	// MaxRequestBody bounds a request body (Nova's largest metadata
	// request, a password POST, is under 256 bytes).
	MaxRequestBody = 64 << 10
	// MaxHeaderBytes bounds the request line and headers (haproxy's
	// default buffer is 16 KiB).
	MaxHeaderBytes = 16 << 10
	// MaxConnsPerNamespace is haproxy's maxconn: connections beyond it
	// wait in the listen backlog.
	MaxConnsPerNamespace = 1024
	// novaMaxConns caps the connections to Nova; requests beyond it wait
	// for one to become free.
	novaMaxConns = 128
	// rateLimitSources bounds the sources tracked per namespace
	// (haproxy's stick-table size).
	rateLimitSources = 10000
)

// Nova's answers passed through to the VM; any other status becomes 500.
var passedThrough = map[int]bool{
	http.StatusOK: true, http.StatusBadRequest: true, http.StatusForbidden: true, http.StatusNotFound: true,
	http.StatusConflict: true, http.StatusInternalServerError: true, http.StatusBadGateway: true,
	http.StatusServiceUnavailable: true, http.StatusGatewayTimeout: true,
}

// nova forwards signed requests to Nova's metadata API over pooled
// keep-alive connections.
type nova struct {
	base    string
	secret  string
	client  *http.Client
	timeout time.Duration // whole exchange up to the response headers
}

func newNova(cfg *Config) *nova {
	dialer := &net.Dialer{Timeout: cfg.Timeouts.Connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSClientConfig:       cfg.TLS,
		TLSHandshakeTimeout:   cfg.Timeouts.Connect,
		ResponseHeaderTimeout: cfg.Timeouts.Server,
		MaxIdleConns:          novaMaxConns,
		MaxIdleConnsPerHost:   novaMaxConns,
		MaxConnsPerHost:       novaMaxConns,
		IdleConnTimeout:       90 * time.Second,
		// Pass Nova's body as it is: no Accept-Encoding of our own.
		DisableCompression: true,
	}
	return &nova{
		base:   cfg.NovaURL,
		secret: cfg.SharedSecret,
		client: &http.Client{
			Transport: tr,
			// Redirects are Nova's answer to the VM, not ours to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: cfg.Timeouts.Connect + cfg.Timeouts.Server,
	}
}

func (n *nova) close() { n.client.CloseIdleConnections() }

// proxy answers the requests of one namespace.
type proxy struct {
	network string
	lookup  func() LookupFunc
	nova    *nova
	log     *slog.Logger
	metrics *metrics
	limiter *sourceLimiter // nil: no rate limiting
	logs    *guestLogs
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code := p.serve(w, r)
	p.metrics.request(code)
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) int {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return localError(w, http.StatusBadRequest, "Bad Request", "The client address could not be read.")
	}
	client := ap.Addr().Unmap().WithZone("")
	if r.Method == http.MethodConnect || !strings.HasPrefix(r.URL.RequestURI(), "/") {
		return localError(w, http.StatusBadRequest, "Bad Request", "Only origin-form requests are served.")
	}
	if p.limiter != nil && !p.limiter.allow(client, time.Now()) {
		return localError(w, http.StatusTooManyRequests, "Too Many Requests", "Too many metadata requests from this address.")
	}
	var mac net.HardwareAddr
	if client.Is6() && client.IsLinkLocalUnicast() {
		var ok bool
		if mac, ok = MACFromLinkLocal(client); !ok {
			p.logs.notFound.Do(func() {
				p.log.Warn("metadata request from a link-local address without a MAC-derived interface id", "network", p.network, "client", client)
			})
			return notFound(w, p.network)
		}
	}
	var instances []Instance
	if lookup := p.lookup(); lookup != nil {
		instances = lookup(p.network, client, mac)
	}
	switch len(instances) {
	case 1:
	case 0:
		p.logs.notFound.Do(func() {
			p.log.Warn("no port found in network for metadata request", "network", p.network, "client", client)
		})
		return notFound(w, p.network)
	default:
		p.logs.ambiguous.Do(func() {
			p.log.Error("more than one port in network has the requester's address; run neutron-ovn-db-sync-util",
				"network", p.network, "client", client, "ports", len(instances))
		})
		return notFound(w, p.network)
	}
	inst := instances[0]

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return localError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", "The request body is too large.")
		}
		return localError(w, http.StatusBadRequest, "Bad Request", "The request body could not be read.")
	}
	return p.forward(w, r, client, inst, body)
}

func (p *proxy) forward(w http.ResponseWriter, r *http.Request, client netip.Addr, inst Instance, body []byte) int {
	ctx, cancel := context.WithTimeout(r.Context(), p.nova.timeout)
	defer cancel()
	// Path and query go to Nova as the VM wrote them.
	target := p.nova.base + r.URL.RequestURI()
	var reqBody io.Reader
	if len(body) > 0 {
		reqBody = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, target, reqBody)
	if err != nil {
		return localError(w, http.StatusBadRequest, "Bad Request", "The request could not be forwarded.")
	}
	// Only these headers reach Nova: nothing the VM sent is trusted.
	req.Header = http.Header{
		"X-Forwarded-For":         {client.String()},
		"X-Instance-Id":           {inst.ID},
		"X-Tenant-Id":             {inst.ProjectID},
		"X-Instance-Id-Signature": {Signature(p.nova.secret, inst.ID)},
		"User-Agent":              {"chassisd-metadata-proxy"},
	}
	start := time.Now()
	resp, err := p.nova.client.Do(req)
	p.metrics.novaLatency(time.Since(start), err)
	if err != nil {
		if r.Context().Err() != nil {
			return 499 // the VM went away; nothing to answer
		}
		p.logs.novaDown.Do(func() {
			p.log.Warn("Nova metadata API unreachable", "url", p.nova.base, "err", err)
		})
		return localError(w, http.StatusServiceUnavailable, "Service Unavailable", "Remote metadata server experienced an internal server error.")
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	if code == http.StatusForbidden {
		p.logs.forbidden.Do(func() {
			p.log.Warn("Nova refused the signature; the shared secrets probably do not match",
				"network", p.network, "instance", inst.ID)
		})
	}
	if !passedThrough[code] {
		p.logs.unexpected.Do(func() {
			p.log.Warn("unexpected status from Nova metadata API", "status", code, "path", r.URL.Path)
		})
		return localError(w, http.StatusInternalServerError, "Internal Server Error", "An unknown error has occurred.")
	}
	h := w.Header()
	for k, vs := range resp.Header {
		if hopByHop[k] {
			continue
		}
		h[k] = vs
	}
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	w.WriteHeader(code)
	if _, err := io.Copy(w, resp.Body); err != nil {
		p.logs.copy.Do(func() {
			p.log.Debug("metadata response not fully relayed", "network", p.network, "client", client, "err", err)
		})
	}
	return code
}

// hopByHop are the headers that belong to one connection (RFC 9110 §7.6.1).
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true, // recomputed
}

func notFound(w http.ResponseWriter, network string) int {
	return localError(w, http.StatusNotFound, "Not Found", "Instance was not found on network "+network+".")
}

// localError writes an answer of the proxy's own, in the HTML shape
// Neutron's proxy uses.
func localError(w http.ResponseWriter, code int, title, text string) int {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<html>\n <head>\n  <title>%d %s</title>\n </head>\n <body>\n  <h1>%d %s</h1>\n  %s<br /><br />\n </body>\n</html>\n",
		code, title, code, title, text)
	return code
}

// guestLogs rate-limits the log lines a VM can trigger.
type guestLogs struct {
	notFound, ambiguous, novaDown, forbidden, unexpected, copy *rate.Sometimes
}

func newGuestLogs() *guestLogs {
	s := func() *rate.Sometimes { return &rate.Sometimes{First: 5, Interval: 10 * time.Second} }
	return &guestLogs{notFound: s(), ambiguous: s(), novaDown: s(), forbidden: s(), unexpected: s(), copy: s()}
}

// sourceLimiter is [metadata_rate_limiting] for one namespace: a base and
// a burst token bucket per source address.
type sourceLimiter struct {
	cfg RateLimit

	mu      sync.Mutex
	sources map[netip.Addr]*sourceRate
}

type sourceRate struct {
	base, burst *rate.Limiter
	last        time.Time
}

func newSourceLimiter(cfg RateLimit) *sourceLimiter {
	if !cfg.Enabled || (!cfg.IPv4 && !cfg.IPv6) {
		return nil
	}
	return &sourceLimiter{cfg: cfg, sources: map[netip.Addr]*sourceRate{}}
}

func (l *sourceLimiter) allow(src netip.Addr, now time.Time) bool {
	if (src.Is4() && !l.cfg.IPv4) || (src.Is6() && !l.cfg.IPv6) {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sources[src]
	if s == nil {
		if len(l.sources) >= rateLimitSources {
			l.expire(now)
			if len(l.sources) >= rateLimitSources {
				return true // table full: fail open, as a full stick-table does
			}
		}
		s = &sourceRate{
			base:  rate.NewLimiter(rate.Limit(float64(l.cfg.BaseLimit)/l.cfg.BaseWindow.Seconds()), l.cfg.BaseLimit),
			burst: rate.NewLimiter(rate.Limit(float64(l.cfg.BurstLimit)/l.cfg.BurstWindow.Seconds()), l.cfg.BurstLimit),
		}
		l.sources[src] = s
	}
	s.last = now
	// Both buckets are charged, as haproxy tracks both counters.
	base := s.base.AllowN(now, 1)
	burst := s.burst.AllowN(now, 1)
	return base && burst
}

// expire forgets sources idle longer than the longest window.
func (l *sourceLimiter) expire(now time.Time) {
	window := max(l.cfg.BaseWindow, l.cfg.BurstWindow)
	for a, s := range l.sources {
		if now.Sub(s.last) > window {
			delete(l.sources, a)
		}
	}
}
