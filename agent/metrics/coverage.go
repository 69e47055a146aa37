package metrics

import (
	"context"
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Counter is one coverage counter (an OVS COVERAGE_DEFINE).
type Counter struct {
	name  string
	total atomic.Uint64
	fn    func() uint64

	// Rates, updated by the sampler every coverageInterval: the count of
	// each of the last 12 intervals (one minute) and of each of the last
	// 60 minutes.
	last    uint64
	minute  [12]uint64
	hour    [60]uint64
	covered bool
}

// Inc adds one.
func (c *Counter) Inc() { c.total.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.total.Add(n) }

// Value is the counter's total.
func (c *Counter) Value() uint64 {
	if c.fn != nil {
		return c.fn()
	}
	return c.total.Load()
}

// Name is the counter's coverage name.
func (c *Counter) Name() string { return c.name }

const coverageInterval = 5 * time.Second

var coverage = struct {
	mu       sync.Mutex
	counters []*Counter
	byName   map[string]*Counter
	idx      int // sampler ticks so far
}{byName: map[string]*Counter{}}

// NewCounter returns the process-wide counter called name, registering it
// on first use (names are ovn-controller's where the event is the same).
func NewCounter(name string) *Counter {
	coverage.mu.Lock()
	defer coverage.mu.Unlock()
	if c, ok := coverage.byName[name]; ok {
		return c
	}
	c := &Counter{name: name}
	coverage.counters = append(coverage.counters, c)
	coverage.byName[name] = c
	return c
}

// CounterFunc registers a counter whose total is read from fn, for totals
// kept elsewhere (e.g. openflow/conn's message counts).
func CounterFunc(name string, fn func() uint64) *Counter {
	c := NewCounter(name)
	coverage.mu.Lock()
	c.fn = fn
	coverage.mu.Unlock()
	return c
}

// ReadCounter is coverage/read-counter: the total of the named counter.
func ReadCounter(name string) (uint64, bool) {
	coverage.mu.Lock()
	c, ok := coverage.byName[name]
	coverage.mu.Unlock()
	if !ok {
		return 0, false
	}
	return c.Value(), true
}

// RunCoverage samples the counters every five seconds, for the rates
// coverage/show prints, until ctx is done.
func RunCoverage(ctx context.Context) {
	t := time.NewTicker(coverageInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sampleCoverage()
		}
	}
}

func sampleCoverage() {
	coverage.mu.Lock()
	defer coverage.mu.Unlock()
	i := coverage.idx
	m := i % len(Counter{}.minute)
	h := (i / len(Counter{}.minute)) % len(Counter{}.hour)
	for _, c := range coverage.counters {
		v := c.Value()
		delta := v - c.last
		c.last = v
		c.minute[m] = delta
		if m == 0 {
			c.hour[h] = delta
		} else {
			c.hour[h] += delta
		}
	}
	coverage.idx++
}

// ShowCoverage is coverage/show's text: the header with a hash of the
// counters' totals, one line per counter that has been hit (rate over the
// last five seconds, the last minute and the last hour, and the total), in
// registration order, and the number of counters never hit.
func ShowCoverage() string {
	coverage.mu.Lock()
	defer coverage.mu.Unlock()
	type row struct {
		c     *Counter
		total uint64
	}
	rows := make([]row, len(coverage.counters))
	for i, c := range coverage.counters {
		rows[i] = row{c, c.Value()}
	}
	// The hash groups counters by equal totals, as OVS's does, so two
	// snapshots with the same pattern of events hash alike.
	sorted := append([]row(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].total != sorted[j].total {
			return sorted[i].total > sorted[j].total
		}
		return sorted[i].c.name < sorted[j].c.name
	})
	h := crc32.NewIEEE()
	for i, r := range sorted {
		if r.total == 0 {
			break
		}
		if i == 0 || r.total != sorted[i-1].total {
			h.Write([]byte{0})
		}
		h.Write([]byte(r.c.name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Event coverage, avg rate over last: %d seconds, last minute, last hour,  hash=%08x:\n",
		int(coverageInterval/time.Second), h.Sum32())
	never := 0
	prev := (coverage.idx + len(Counter{}.minute) - 1) % len(Counter{}.minute)
	for _, r := range rows {
		if r.total == 0 {
			never++
			continue
		}
		var min, hr uint64
		for _, v := range r.c.minute {
			min += v
		}
		for _, v := range r.c.hour {
			hr += v
		}
		last := uint64(0)
		if coverage.idx > 0 {
			last = r.c.minute[prev]
		}
		fmt.Fprintf(&b, "%-24s %5.1f/sec %9.3f/sec %13.4f/sec   total: %d\n", r.c.name,
			float64(last)/coverageInterval.Seconds(), float64(min)/60, float64(hr)/3600, r.total)
	}
	fmt.Fprintf(&b, "%d events never hit\n", never)
	return b.String()
}

// counters returns every registered counter, for the Prometheus collector.
func counters() []*Counter {
	coverage.mu.Lock()
	defer coverage.mu.Unlock()
	return append([]*Counter(nil), coverage.counters...)
}
