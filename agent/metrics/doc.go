// Package metrics owns chassisd's instrumentation: OVS-style coverage
// counters and stopwatches (served over unixctl as coverage/show,
// coverage/read-counter and stopwatch/show, with ovn-controller's names),
// the Prometheus registry, and the HTTP listener for /metrics, /healthz
// and /readyz.
//
// Counters and stopwatches are process-wide, like OVS's COVERAGE_DEFINE:
// packages declare them as package variables (NewCounter, NewStopwatch)
// and bump them; packages that must not import agent/ (openflow/...)
// expose their own totals, registered here with CounterFunc.
//
// Other packages add Prometheus series by registering collectors on
// Registerer() — the metadata agent does so for its request counters. The
// registry is served on --metrics-address; nothing listens by default.
// Every series is documented in the README ("Operating chassisd").
//
// It does not import agent: the agent feeds the ovn_controller_* gauges
// through the Source interface.
package metrics
