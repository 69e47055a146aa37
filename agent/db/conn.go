package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovn-org/libovsdb/cache"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/metrics"
)

// ErrNotConnected is returned by operations attempted while the database is
// not connected; callers retry after the next Changed notification.
var ErrNotConnected = errors.New("database not connected")

// Options describe one database connection.
type Options struct {
	// Name is a short label for logs ("sb", "ovs").
	Name string
	// Model is the client database model (sbdb.FullDatabaseModel(), ...).
	Model model.ClientDBModel
	// Tables maps each monitored table to an empty model value. Every
	// column the model declares is monitored explicitly, never the server's
	// full column set (see ColumnsOf).
	Tables map[string]model.Model
	// SSL gives the TLS configuration of each connection to ssl:
	// endpoints (nil: ssl: endpoints fail).
	SSL *SSL
	// ProbeInterval, when positive, sends an echo this often and drops the
	// connection when the server does not answer within the interval.
	ProbeInterval time.Duration
	// ConnectTimeout bounds one connection attempt (default 10s).
	ConnectTimeout time.Duration
	Logger         *slog.Logger
}

// Conn keeps one libovsdb client connected to one of the given endpoints,
// re-creating it from scratch after every disconnection. libovsdb's own
// reconnect is not used: it rebuilds the cache without delete events and
// panics when its backoff gives up. Each successful connection starts a new
// epoch; callers must recompute everything when the epoch changes.
type Conn struct {
	opts Options
	log  *slog.Logger

	mu        sync.RWMutex
	client    client.Client
	epoch     uint64
	endpoints []string
	lastErr   error

	changed     chan struct{}
	reconfigure chan struct{}
	// gens counts cache changes per monitored table, across epochs.
	gens map[string]*atomic.Uint64
}

// New returns a Conn that will connect to endpoints once Run is called.
func New(opts Options, endpoints []string) *Conn {
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	gens := make(map[string]*atomic.Uint64, len(opts.Tables))
	for t := range opts.Tables {
		gens[t] = new(atomic.Uint64)
	}
	return &Conn{
		opts:        opts,
		log:         opts.Logger.With("module", "ovsdb", "db", opts.Name),
		endpoints:   slices.Clone(endpoints),
		changed:     make(chan struct{}, 1),
		reconfigure: make(chan struct{}, 1),
		gens:        gens,
	}
}

// Generation counts the cache changes (rows added, updated or deleted) of a
// monitored table so far; callers compare generations to skip work whose
// inputs did not change. A reconnect counts as a change of every table.
func (c *Conn) Generation(table string) uint64 {
	if g, ok := c.gens[table]; ok {
		return g.Load()
	}
	return 0
}

func (c *Conn) bump(table string) {
	if g, ok := c.gens[table]; ok {
		g.Add(1)
	}
	c.notify()
}

// Changed is signalled (coalesced) after every cache update, connection and
// disconnection.
func (c *Conn) Changed() <-chan struct{} { return c.changed }

func (c *Conn) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Client returns the connected client and its epoch, or nil when the
// database is not connected.
func (c *Conn) Client() (client.Client, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.client, c.epoch
}

// LastError is the error of the last failed connection attempt, if any.
func (c *Conn) LastError() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lastErr
}

// SetEndpoints replaces the endpoint list; a change drops the current
// connection and reconnects to the new endpoints.
func (c *Conn) SetEndpoints(endpoints []string) {
	c.mu.Lock()
	same := slices.Equal(c.endpoints, endpoints)
	if !same {
		c.endpoints = slices.Clone(endpoints)
	}
	c.mu.Unlock()
	if !same {
		select {
		case c.reconfigure <- struct{}{}:
		default:
		}
	}
}

// Run connects and reconnects until ctx is cancelled.
func (c *Conn) Run(ctx context.Context) {
	backoff := 250 * time.Millisecond
	failures := 0
	for ctx.Err() == nil {
		c.mu.RLock()
		endpoints := slices.Clone(c.endpoints)
		c.mu.RUnlock()
		if len(endpoints) == 0 {
			if !c.wait(ctx, time.Hour) {
				return
			}
			continue
		}
		cl, err := c.connect(ctx, endpoints)
		if err != nil {
			failures++
			c.mu.Lock()
			c.lastErr = err
			c.mu.Unlock()
			// Log the first failures and then only every 30th, so a dead
			// server does not flood the log.
			if failures <= 3 || failures%30 == 0 {
				c.log.Warn("connection failed", "endpoints", endpoints, "attempt", failures, "err", err)
			}
			if !c.wait(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, 8*time.Second)
			continue
		}
		failures = 0
		backoff = 250 * time.Millisecond
		c.mu.Lock()
		c.client = cl
		c.epoch++
		c.lastErr = nil
		epoch := c.epoch
		c.mu.Unlock()
		c.log.Info("connected", "endpoint", cl.CurrentEndpoint(), "epoch", epoch)
		c.notify()

		c.serve(ctx, cl)

		c.mu.Lock()
		c.client = nil
		c.mu.Unlock()
		cl.Close()
		c.notify()
		if ctx.Err() == nil {
			c.log.Warn("connection lost", "epoch", epoch)
		}
	}
}

// wait sleeps for d or until ctx is done or the endpoints change; it
// reports whether the loop should go on.
func (c *Conn) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-c.reconfigure:
		return true
	case <-t.C:
		return true
	}
}

// serve blocks while cl stays connected.
func (c *Conn) serve(ctx context.Context, cl client.Client) {
	// DisconnectNotify is not buffered and may fire before we listen, so
	// poll Connected as well.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var probe <-chan time.Time
	if c.opts.ProbeInterval > 0 {
		pt := time.NewTicker(c.opts.ProbeInterval)
		defer pt.Stop()
		probe = pt.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.reconfigure:
			c.log.Info("endpoints changed, reconnecting")
			return
		case <-cl.DisconnectNotify():
			return
		case <-tick.C:
			if !cl.Connected() {
				return
			}
		case <-probe:
			pctx, cancel := context.WithTimeout(ctx, c.opts.ProbeInterval)
			err := cl.Echo(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				c.log.Warn("inactivity probe failed, dropping connection", "err", err)
				return
			}
		}
	}
}

func (c *Conn) connect(ctx context.Context, endpoints []string) (client.Client, error) {
	opts := []client.Option{client.WithLeaderOnly(false), client.WithLogger(libovsdbLogger(c.opts.Logger))}
	for _, ep := range endpoints {
		opts = append(opts, client.WithEndpoint(ep))
	}
	if usesSSL(endpoints) {
		if c.opts.SSL == nil {
			return nil, errors.New("ssl: remote but SSL is not configured")
		}
		cfg, err := c.opts.SSL.Config()
		if err != nil {
			return nil, err
		}
		opts = append(opts, client.WithTLSConfig(cfg))
	}
	cl, err := client.NewOVSDBClient(c.opts.Model, opts...)
	if err != nil {
		return nil, fmt.Errorf("create %s client: %w", c.opts.Name, err)
	}
	cctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	metrics.StreamOpen.Inc()
	if err := cl.Connect(cctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("connect to %s: %w", c.opts.Name, err)
	}
	for _, g := range c.gens {
		g.Add(1) // a new cache: everything may have changed
	}
	cl.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(table string, _ model.Model) { c.bump(table) },
		UpdateFunc: func(table string, _, _ model.Model) { c.bump(table) },
		DeleteFunc: func(table string, _ model.Model) { c.bump(table) },
	})
	mon := cl.NewMonitor()
	for table, m := range c.opts.Tables {
		mon.Tables = append(mon.Tables, client.TableMonitor{Table: table, Fields: ColumnsOf(m)})
	}
	if _, err := cl.Monitor(cctx, mon); err != nil {
		cl.Close()
		return nil, fmt.Errorf("monitor %s: %w", c.opts.Name, err)
	}
	return cl, nil
}

func usesSSL(endpoints []string) bool {
	for _, ep := range endpoints {
		if strings.HasPrefix(ep, "ssl:") {
			return true
		}
	}
	return false
}

// ColumnsOf lists the columns a model struct declares (its `ovsdb` tags),
// without _uuid. Monitoring exactly these keeps a newer server's extra
// columns out of the cache.
func ColumnsOf(m model.Model) []string {
	t := reflect.TypeOf(m)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var cols []string
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("ovsdb")
		if tag == "" || tag == "_uuid" {
			continue
		}
		cols = append(cols, tag)
	}
	return cols
}

// Transact runs ops on the connected client and checks every result.
func (c *Conn) Transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	cl, _ := c.Client()
	if cl == nil {
		return nil, ErrNotConnected
	}
	return Transact(ctx, cl, ops...)
}

// Transact runs ops on cl and turns OVSDB operation errors into a Go error.
func Transact(ctx context.Context, cl client.Client, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	if len(ops) == 0 {
		metrics.TxnUnchanged.Inc()
		return nil, nil
	}
	res, err := cl.Transact(ctx, ops...)
	if err != nil {
		metrics.TxnIncomplete.Inc()
		return nil, fmt.Errorf("transact: %w", err)
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		metrics.TxnError.Inc()
		var details []string
		for i, r := range res {
			if r.Error == "" {
				continue
			}
			what := "commit"
			if i < len(ops) {
				what = fmt.Sprintf("%s %s", ops[i].Op, ops[i].Table)
			}
			details = append(details, fmt.Sprintf("%s: %s (%s)", what, r.Error, r.Details))
		}
		return res, fmt.Errorf("transaction failed: %w: %s", err, strings.Join(details, "; "))
	}
	metrics.TxnSuccess.Inc()
	return res, nil
}
