package metadata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/net/netutil"
)

// Switch is the integration bridge as the job needs it; the agent
// implements it over the local OVS database.
type Switch interface {
	// Plug adds port (the outside veth end) to the integration bridge
	// with external_ids:iface-id=ifaceID, taking it out of any other
	// bridge first. It fails if the integration bridge does not exist.
	Plug(ctx context.Context, port, ifaceID string) error
	// Unplug removes port from whatever bridge has it (no error if none).
	Unplug(ctx context.Context, port string) error
}

// Options configure a Manager.
type Options struct {
	Config *Config
	Switch Switch
	Logger *slog.Logger
	// Registerer gets the job's Prometheus collectors (none if nil).
	Registerer prometheus.Registerer
	// NetnsDir is where the namespaces are named (DefaultNetnsDir).
	NetnsDir string
	// ResyncInterval is how often every served network is checked and
	// repaired even without changes (default 60s, Neutron's process
	// monitor interval).
	ResyncInterval time.Duration
}

// DAD and retry timing.
const (
	dadTimeout    = 30 * time.Second
	maxRetryDelay = 30 * time.Second
	// shutdownGrace lets in-flight requests of a namespace being torn
	// down finish.
	shutdownGrace = 2 * time.Second
	// switchTimeout bounds one Plug or Unplug (an OVSDB transaction).
	switchTimeout = 10 * time.Second
)

// Manager provisions one namespace per network of the latest State and
// serves its proxy, until Run's context ends. Namespaces outlive the
// process: a restart finds and reuses them.
type Manager struct {
	opts    Options
	log     *slog.Logger
	netns   namespaces
	nova    *nova
	metrics *metrics
	logs    *guestLogs
	ipv6    bool

	lookup  atomic.Pointer[LookupFunc]
	updated chan struct{}

	mu      sync.Mutex
	desired *State
	force   bool
	cleaned bool
	served  map[string]*served
}

// served is one network as provisioned.
type served struct {
	net       Network
	addrs     []netip.Prefix
	err       error
	ifindex   int
	proxy     *proxy
	srv4      *http.Server
	srv6      *http.Server
	v6stop    chan struct{} // closed to stop waiting for DAD
	v6waiting bool
}

// NewManager checks the options and registers the metrics.
func NewManager(opts Options) (*Manager, error) {
	if opts.Config == nil {
		return nil, errors.New("metadata: no configuration")
	}
	if opts.Switch == nil {
		return nil, errors.New("metadata: no switch")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.NetnsDir == "" {
		opts.NetnsDir = DefaultNetnsDir
	}
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = time.Minute
	}
	met, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("metadata metrics: %w", err)
	}
	_, v6err := os.Stat("/proc/sys/net/ipv6")
	return &Manager{
		opts:    opts,
		log:     opts.Logger.With("module", "metadata"),
		netns:   namespaces{dir: opts.NetnsDir},
		nova:    newNova(opts.Config),
		metrics: met,
		logs:    newGuestLogs(),
		ipv6:    v6err == nil,
		updated: make(chan struct{}, 1),
		served:  map[string]*served{},
	}, nil
}

// Update hands the manager the networks to serve now. The first call also
// removes the ovnmeta- namespaces of networks not in it (left by an earlier
// run), so it must only be made once the Southbound contents are known.
func (m *Manager) Update(st State) {
	st.Networks = slices.Clone(st.Networks)
	m.lookup.Store(&st.Lookup)
	m.mu.Lock()
	m.desired = &st
	m.mu.Unlock()
	m.kick()
}

// Resync makes the next pass check every served network again (after the
// agent's registration was lost, for instance).
func (m *Manager) Resync() {
	m.mu.Lock()
	m.force = true
	m.mu.Unlock()
	m.kick()
}

func (m *Manager) kick() {
	select {
	case m.updated <- struct{}{}:
	default:
	}
}

func (m *Manager) currentLookup() LookupFunc {
	if f := m.lookup.Load(); f != nil {
		return *f
	}
	return nil
}

// Run provisions and serves until ctx ends; it then closes the listeners
// but leaves the namespaces for the next run.
func (m *Manager) Run(ctx context.Context) error {
	for _, msg := range m.opts.Config.Ignored {
		m.log.Info(msg)
	}
	m.log.Info("metadata proxy enabled", "nova", m.opts.Config.NovaURL, "config", strings.Join(m.opts.Config.Files, ","))
	defer m.stopAll()
	defer m.nova.close()
	timer := time.NewTimer(m.opts.ResyncInterval)
	defer timer.Stop()
	failures := 0
	for {
		force := false
		select {
		case <-ctx.Done():
			return nil
		case <-m.updated:
		case <-timer.C:
			force = true
		}
		if m.reconcile(ctx, force) {
			failures = 0
			timer.Reset(m.opts.ResyncInterval)
		} else {
			failures++
			timer.Reset(min(time.Duration(1<<min(failures-1, 5))*time.Second, maxRetryDelay))
		}
	}
}

// reconcile converges on the desired state; it reports whether every
// network is served as wanted.
func (m *Manager) reconcile(ctx context.Context, force bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.desired == nil {
		return true
	}
	force = force || m.force
	m.force = false
	want := map[string]*Network{}
	for i := range m.desired.Networks {
		n := &m.desired.Networks[i]
		want[n.ID] = n
	}
	ok := true
	if !m.cleaned {
		names, err := m.netns.list()
		if err != nil {
			m.log.Warn("stale namespace cleanup", "err", err)
			ok = false
		} else {
			m.cleaned = true
		}
		for _, name := range names {
			id, _ := NetworkOfNamespace(name)
			if want[id] == nil {
				m.log.Info("removing stale metadata namespace", "namespace", name)
				if err := m.teardown(ctx, id); err != nil {
					m.log.Warn("stale namespace cleanup", "namespace", name, "err", err)
					m.metrics.provisionErr.Inc()
				}
			}
		}
	}
	for _, id := range sortedKeys(m.served) {
		if want[id] == nil {
			m.log.Info("no VIF of the network left here; removing its metadata namespace", "network", id)
			if err := m.teardown(ctx, id); err != nil {
				m.log.Warn("metadata namespace teardown", "network", id, "err", err)
				m.metrics.provisionErr.Inc()
				ok = false
			}
		}
	}
	for _, id := range sortedKeys(want) {
		n := want[id]
		s := m.served[id]
		if s != nil && s.err == nil && s.net.equal(n) && !force {
			continue
		}
		if s == nil {
			s = &served{}
			m.served[id] = s
		}
		if err := m.provision(ctx, n, s); err != nil {
			if s.err == nil || s.err.Error() != err.Error() {
				m.log.Warn("metadata namespace not provisioned; will retry", "network", id, "err", err)
			}
			s.err = err
			m.metrics.provisionErr.Inc()
			ok = false
			continue
		}
		if s.err != nil {
			m.log.Info("metadata namespace provisioned after earlier failures", "network", id)
		}
		s.err = nil
	}
	m.metrics.namespaces.Set(float64(len(m.served)))
	return ok
}

// provision builds or converges one network and makes sure it is served.
// Called with m.mu held.
func (m *Manager) provision(ctx context.Context, n *Network, s *served) error {
	fresh := s.srv4 == nil && s.err == nil && s.proxy == nil
	p, err := m.plumb(n)
	if err != nil {
		return err
	}
	defer p.close()
	if p.created {
		// Listeners bound in a namespace that has since gone are dead.
		m.stopServers(s)
	}
	addrs, err := p.syncAddresses(n.addresses(m.ipv6))
	if err != nil {
		return fmt.Errorf("%s: %w", p.inside.Attrs().Name, err)
	}
	s.net, s.addrs, s.ifindex = *n, addrs, p.inside.Attrs().Index
	plugCtx, cancel := context.WithTimeout(ctx, switchTimeout)
	err = m.opts.Switch.Plug(plugCtx, p.outside, n.Port.LogicalPort)
	cancel()
	if err != nil {
		return fmt.Errorf("plug %s into the integration bridge: %w", p.outside, err)
	}
	if s.proxy == nil {
		s.proxy = &proxy{
			network: n.ID, lookup: m.currentLookup, nova: m.nova, log: m.log,
			metrics: m.metrics, limiter: newSourceLimiter(m.opts.Config.RateLimit), logs: m.logs,
		}
	}
	if s.srv4 == nil {
		addr := net.JoinHostPort(MetadataIPv4.String(), "80")
		l, err := listenIn(p.ns, "tcp4", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		s.srv4 = m.serve(n.ID, l, s.proxy)
	}
	wantV6 := slices.Contains(addrs, netip.PrefixFrom(MetadataIPv6, 64))
	switch {
	case wantV6 && s.srv6 == nil && !s.v6waiting:
		m.startIPv6(n.ID, s)
	case !wantV6:
		m.stopIPv6(s)
	}
	if fresh || p.created {
		m.log.Info("metadata namespace provisioned", "namespace", NamespaceName(n.ID),
			"port", n.Port.LogicalPort, "addresses", prefixesString(addrs), "created", p.created)
	}
	return nil
}

// startIPv6 waits, in the background, for fe80::a9fe:a9fe to pass
// duplicate address detection, then serves it. Called with m.mu held.
func (m *Manager) startIPv6(network string, s *served) {
	stop := make(chan struct{})
	s.v6stop, s.v6waiting = stop, true
	go func() {
		l, err := m.listenIPv6(network, stop)
		m.mu.Lock()
		defer m.mu.Unlock()
		if s.v6stop != stop {
			if l != nil {
				l.Close()
			}
			return
		}
		s.v6waiting = false
		if err != nil {
			m.log.Warn("metadata over IPv6 not served", "network", network, "err", err)
			return
		}
		s.srv6 = m.serve(network, l, s.proxy)
	}()
}

func (m *Manager) listenIPv6(network string, stop <-chan struct{}) (net.Listener, error) {
	p, err := m.openPlumbing(network)
	if err != nil {
		return nil, err
	}
	defer p.close()
	st, err := p.waitDAD(MetadataIPv6, dadTimeout, stop)
	if err != nil {
		return nil, err
	}
	switch st {
	case dadFailed:
		// Another node answers for it on this segment: IPv4 only, as
		// Neutron does.
		_ = p.deleteAddress(netip.PrefixFrom(MetadataIPv6, 64))
		return nil, fmt.Errorf("duplicate address detection failed for %s; address removed", MetadataIPv6)
	case dadPending:
		select {
		case <-stop:
			return nil, nil
		default:
		}
		return nil, fmt.Errorf("%s still tentative after %s", MetadataIPv6, dadTimeout)
	case dadMissing:
		return nil, fmt.Errorf("%s vanished from %s", MetadataIPv6, p.inside.Attrs().Name)
	}
	addr := net.JoinHostPort(MetadataIPv6.String()+"%"+strconv.Itoa(p.inside.Attrs().Index), "80")
	l, err := listenIn(p.ns, "tcp6", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

// openPlumbing opens an existing network's namespace and inside veth end.
func (m *Manager) openPlumbing(network string) (*plumbing, error) {
	_, inside := VethNames(network)
	ns, err := m.netns.open(NamespaceName(network))
	if err != nil {
		return nil, err
	}
	p := &plumbing{ns: ns}
	if p.nl, err = netlink.NewHandleAt(ns); err != nil {
		p.close()
		return nil, err
	}
	if p.inside, err = p.nl.LinkByName(inside); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (m *Manager) stopIPv6(s *served) {
	m.stopIPv6Waiter(s)
	if s.srv6 != nil {
		closeServer(s.srv6)
		s.srv6 = nil
	}
}

func (m *Manager) stopIPv6Waiter(s *served) {
	if s.v6stop != nil {
		close(s.v6stop)
		s.v6stop, s.v6waiting = nil, false
	}
}

func (m *Manager) stopServers(s *served) {
	m.stopIPv6(s)
	if s.srv4 != nil {
		closeServer(s.srv4)
		s.srv4 = nil
	}
}

// serve answers the proxy's requests on l from this process.
func (m *Manager) serve(network string, l net.Listener, h http.Handler) *http.Server {
	to := m.opts.Config.Timeouts
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: to.HTTPRequest,
		ReadTimeout:       to.HTTPRequest + to.Client,
		WriteTimeout:      to.Connect + to.Server + to.Client,
		IdleTimeout:       to.KeepAlive,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
	}
	addr := l.Addr().String()
	go func() {
		err := srv.Serve(netutil.LimitListener(l, MaxConnsPerNamespace))
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Warn("metadata listener failed; will reopen", "network", network, "address", addr, "err", err)
			m.mu.Lock()
			if s := m.served[network]; s != nil {
				if s.srv4 == srv {
					s.srv4 = nil
				}
				if s.srv6 == srv {
					s.srv6 = nil
				}
				s.err = err
			}
			m.mu.Unlock()
			m.kick()
		}
	}()
	return srv
}

func closeServer(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
}

// teardown stops serving a network and removes its port, veth and
// namespace. Called with m.mu held.
func (m *Manager) teardown(ctx context.Context, network string) error {
	if s := m.served[network]; s != nil {
		m.stopServers(s)
		delete(m.served, network)
	}
	outside, _ := VethNames(network)
	var errs []error
	unplugCtx, cancel := context.WithTimeout(ctx, switchTimeout)
	err := m.opts.Switch.Unplug(unplugCtx, outside)
	cancel()
	if err != nil {
		errs = append(errs, fmt.Errorf("unplug %s: %w", outside, err))
	}
	if err := m.unplumb(network); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		m.log.Info("metadata namespace removed", "namespace", NamespaceName(network))
	}
	return errors.Join(errs...)
}

// stopAll closes every listener (namespaces stay), letting in-flight
// requests finish within one shared grace period.
func (m *Manager) stopAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range m.served {
		m.stopIPv6Waiter(s)
		for _, srv := range []*http.Server{s.srv4, s.srv6} {
			if srv != nil {
				wg.Add(1)
				go func() {
					defer wg.Done()
					closeServer(srv)
				}()
			}
		}
		s.srv4, s.srv6 = nil, nil
	}
	wg.Wait()
}

// Show describes what is served, for `ovn-appctl metadata/show`.
func (m *Manager) Show() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "Nova: %s\n", m.opts.Config.NovaURL)
	if len(m.served) == 0 {
		b.WriteString("no metadata namespaces\n")
		return b.String()
	}
	for _, id := range sortedKeys(m.served) {
		s := m.served[id]
		outside, inside := VethNames(id)
		fmt.Fprintf(&b, "%s\n", NamespaceName(id))
		fmt.Fprintf(&b, "  port: %s mac %s", s.net.Port.LogicalPort, s.net.Port.MAC)
		if s.net.Port.MTU > 0 {
			fmt.Fprintf(&b, " mtu %d", s.net.Port.MTU)
		}
		fmt.Fprintf(&b, "\n  veth: %s (integration bridge) <-> %s\n", outside, inside)
		fmt.Fprintf(&b, "  addresses: %s\n", prefixesString(s.addrs))
		var listening []string
		for _, srv := range []*http.Server{s.srv4, s.srv6} {
			if srv != nil {
				listening = append(listening, serverAddr(srv, s, inside))
			}
		}
		if s.v6waiting {
			listening = append(listening, "[fe80::a9fe:a9fe%"+inside+"]:80 (waiting for DAD)")
		}
		if len(listening) == 0 {
			listening = []string{"none"}
		}
		fmt.Fprintf(&b, "  serving: %s\n", strings.Join(listening, " "))
		fmt.Fprintf(&b, "  local VIF addresses: %d IPv4%s\n", len(s.net.LocalIPv4), map[bool]string{true: ", IPv6", false: ""}[s.net.LocalIPv6])
		if s.err != nil {
			fmt.Fprintf(&b, "  error: %v\n", s.err)
		}
	}
	return b.String()
}

func serverAddr(srv *http.Server, s *served, inside string) string {
	if srv == s.srv6 {
		return "[" + MetadataIPv6.String() + "%" + inside + "]:80"
	}
	return MetadataIPv4.String() + ":80"
}

// listenIn opens a TCP listener inside ns.
func listenIn(ns netns.NsHandle, network, addr string) (net.Listener, error) {
	var l net.Listener
	err := inNamespace(ns, func() error {
		var err error
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}

func prefixesString(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}
