package metrics

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Stopwatch times one recurring activity, as OVS's stopwatches do
// (ovn-controller's flow-generation, flow-installation, ...), in
// milliseconds.
type Stopwatch struct {
	name string

	mu        sync.Mutex
	n         uint64
	max, min  uint64
	shortTerm float64 // EWMA, alpha 0.5
	longTerm  float64 // EWMA, alpha 0.01
	recent    []uint64
	next      int
}

// recentSamples bounds the window the 95th percentile is taken over.
const recentSamples = 1024

var stopwatches = struct {
	mu     sync.Mutex
	byName map[string]*Stopwatch
}{byName: map[string]*Stopwatch{}}

// NewStopwatch returns the process-wide stopwatch called name.
func NewStopwatch(name string) *Stopwatch {
	stopwatches.mu.Lock()
	defer stopwatches.mu.Unlock()
	if sw, ok := stopwatches.byName[name]; ok {
		return sw
	}
	sw := &Stopwatch{name: name}
	stopwatches.byName[name] = sw
	return sw
}

// Start starts a sample; calling the returned function ends it.
func (sw *Stopwatch) Start() func() {
	t := time.Now()
	return func() { sw.Observe(time.Since(t)) }
}

// Observe adds one sample.
func (sw *Stopwatch) Observe(d time.Duration) {
	ms := uint64(d.Milliseconds())
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.n++
	if sw.n == 1 {
		sw.max, sw.min = ms, ms
		sw.shortTerm, sw.longTerm = float64(ms), float64(ms)
	} else {
		sw.max, sw.min = max(sw.max, ms), min(sw.min, ms)
		sw.shortTerm = float64(ms)*0.5 + sw.shortTerm*0.5
		sw.longTerm = float64(ms)*0.01 + sw.longTerm*0.99
	}
	if len(sw.recent) < recentSamples {
		sw.recent = append(sw.recent, ms)
	} else {
		sw.recent[sw.next] = ms
		sw.next = (sw.next + 1) % recentSamples
	}
}

// StopwatchStats is a stopwatch's summary, in milliseconds.
type StopwatchStats struct {
	Samples             uint64
	Max, Min            uint64
	P95                 float64
	ShortTerm, LongTerm float64
}

// Stats summarises the stopwatch.
func (sw *Stopwatch) Stats() StopwatchStats {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	s := StopwatchStats{Samples: sw.n, Max: sw.max, Min: sw.min, ShortTerm: sw.shortTerm, LongTerm: sw.longTerm}
	if len(sw.recent) > 0 {
		sorted := slices.Clone(sw.recent)
		slices.Sort(sorted)
		s.P95 = float64(sorted[int(0.95*float64(len(sorted)))])
		if n := len(sorted); int(0.95*float64(n)) >= n {
			s.P95 = float64(sorted[n-1])
		}
	}
	return s
}

func (sw *Stopwatch) print(b *strings.Builder) {
	s := sw.Stats()
	fmt.Fprintf(b, "Statistics for '%s'\n", sw.name)
	fmt.Fprintf(b, "  Total samples: %d\n", s.Samples)
	fmt.Fprintf(b, "  Maximum: %d msec\n", s.Max)
	fmt.Fprintf(b, "  Minimum: %d msec\n", s.Min)
	fmt.Fprintf(b, "  95th percentile: %f msec\n", s.P95)
	fmt.Fprintf(b, "  Short term average: %f msec\n", s.ShortTerm)
	fmt.Fprintf(b, "  Long term average: %f msec\n", s.LongTerm)
}

// ShowStopwatch is stopwatch/show: every stopwatch, or the named one.
func ShowStopwatch(name string) (string, error) {
	var b strings.Builder
	for _, sw := range allStopwatches() {
		if name == "" || sw.name == name {
			sw.print(&b)
		}
	}
	if b.Len() == 0 && name != "" {
		return "", fmt.Errorf("No such stopwatch")
	}
	return b.String(), nil
}

// ResetStopwatch is stopwatch/reset: clears every stopwatch or the named one.
func ResetStopwatch(name string) {
	for _, sw := range allStopwatches() {
		if name == "" || sw.name == name {
			sw.mu.Lock()
			sw.n, sw.max, sw.min, sw.shortTerm, sw.longTerm = 0, 0, 0, 0, 0
			sw.recent, sw.next = nil, 0
			sw.mu.Unlock()
		}
	}
}

func allStopwatches() []*Stopwatch {
	stopwatches.mu.Lock()
	defer stopwatches.mu.Unlock()
	out := make([]*Stopwatch, 0, len(stopwatches.byName))
	for _, sw := range stopwatches.byName {
		out = append(out, sw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
