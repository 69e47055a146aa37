package explain

import (
	"fmt"
	"regexp"
	"strings"
)

// Tracer runs ovs-vswitchd's ofproto/trace for the integration bridge with
// these arguments (a flow, then options) and returns its output.
type Tracer func(args ...string) (string, error)

// Enricher adds to the catalog what explains a parsed trace: the logical
// flows, port bindings and other rows its cookies name, the flows chassisd
// installed at its (table, priority) pairs, and Northbound rows.
type Enricher func(cat *Catalog, tr *Trace) error

// maxHashTries bounds the dp_hash values tried to reach a given backend;
// the search also ends after hashTriesWithoutNews tries that showed no
// backend not seen before.
const (
	maxHashTries         = 64
	hashTriesWithoutNews = 16
)

// Run builds the packet, traces it, follows a load balancer's backend
// choice when the datapath would hash, and explains the result.
func Run(cat *Catalog, req *Request, trace Tracer, enrich Enricher) (*Explanation, error) {
	pkt, err := BuildPacket(cat, req)
	if err != nil {
		return nil, err
	}
	var ctArgs []string
	for _, s := range req.CTNext {
		ctArgs = append(ctArgs, "--ct-next", s)
	}
	var runs []TraceRun
	outputs := map[*Trace]TraceRun{}
	run := func(flow string) (*Trace, error) {
		out, err := trace(append([]string{flow}, ctArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("ofproto/trace %s: %w", flow, err)
		}
		t, err := ParseTrace(out)
		if err != nil {
			return nil, err
		}
		runs = append(runs, TraceRun{Flow: flow, Output: out})
		outputs[t] = runs[len(runs)-1]
		return t, nil
	}
	tr, err := run(pkt.Flow)
	if err != nil {
		return nil, err
	}
	var notes []string
	if stoppedAtHash(tr) {
		// ofproto/trace cannot compute the datapath's hash; give it one,
		// trying values until the wanted backend comes out.
		var chosen *Trace
		var seen []string
		stale := 0
		for h := 1; h <= maxHashTries && chosen == nil && stale < hashTriesWithoutNews; h++ {
			t, err := run(WithDPHash(pkt.Flow, h))
			if err != nil {
				return nil, err
			}
			b := followedBackend(t)
			if b == "" {
				break
			}
			if contains(seen, b) {
				stale++
			} else {
				seen, stale = append(seen, b), 0
			}
			if req.Backend == "" || backendMatches(b, req.Backend) {
				chosen = t
				pkt.Flow = WithDPHash(pkt.Flow, h)
				notes = append(notes, fmt.Sprintf("the datapath hashes each connection to one backend; dp_hash=%d makes this trace follow %s", h, b))
			}
		}
		switch {
		case chosen != nil:
			tr = chosen
		case req.Backend != "":
			return nil, fmt.Errorf("--backend %s: no such backend behind this VIP (seen: %s)", req.Backend, strings.Join(seen, ", "))
		}
	}
	if enrich != nil {
		if err := enrich(cat, tr); err != nil {
			return nil, err
		}
	}
	ex := Explain(tr, cat, pkt)
	ex.Notes = append(ex.Notes, notes...)
	if req.WithCatalog {
		// The runs that led to the explained one, then that one.
		for _, r := range runs {
			if r != outputs[tr] {
				ex.Traces = append(ex.Traces, r)
			}
		}
		ex.Args, ex.Traces, ex.Catalog = req.Args, append(ex.Traces, outputs[tr]), cat
	}
	if req.Backend != "" && !stoppedAtHash(tr) && followedBackend(tr) == "" {
		ex.Notes = append(ex.Notes, "--backend ignored: the packet met no load balancer with several backends")
	}
	return ex, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// stoppedAtHash reports whether the trace ended at a select group that
// needs the datapath's hash.
func stoppedAtHash(tr *Trace) bool {
	if len(tr.Passes) == 0 {
		return false
	}
	last := tr.Passes[len(tr.Passes)-1]
	return strings.Contains(last.DatapathActions, "hash(") && strings.Contains(last.DatapathActions, "recirc(")
}

var bucketNATRE = regexp.MustCompile(`^ct\(.*nat\(dst=([^)]*)\)`)

// followedBackend is the load-balancer backend a select-group bucket
// DNATed the packet to in this trace ("10.0.0.5:80"), if any.
func followedBackend(tr *Trace) string {
	for _, p := range tr.Passes {
		for _, st := range p.Steps {
			inBucket := false
			for _, a := range st.Actions {
				if strings.HasPrefix(a.Text, "bucket ") {
					inBucket = true
				}
				if m := bucketNATRE.FindStringSubmatch(a.Text); m != nil && inBucket {
					return m[1]
				}
			}
		}
	}
	return ""
}

// backendMatches compares "10.0.0.5:80" with what the user typed
// ("10.0.0.5" or "10.0.0.5:80", IPv6 in brackets).
func backendMatches(backend, want string) bool {
	if backend == want {
		return true
	}
	host := backend
	if i := strings.LastIndex(backend, ":"); i >= 0 && !strings.HasSuffix(backend, "]") && strings.Count(backend, ":") == 1 {
		host = backend[:i]
	} else if strings.HasPrefix(backend, "[") {
		host = strings.TrimPrefix(backend[:strings.Index(backend, "]")], "[")
	}
	return host == strings.Trim(want, "[]")
}
