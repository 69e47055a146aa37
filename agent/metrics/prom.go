package metrics

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Snapshot is what the agent reports for the ovn_controller_* gauges.
type Snapshot struct {
	SBConnected           bool
	Remote                string // ovn-remote
	RemoteProbeInterval   time.Duration
	OpenFlowProbeInterval time.Duration
	MonitorAll            bool
	EncapIPs              []string
	EncapTypes            []string
	BridgeMappings        string // ovn-bridge-mappings, as configured
	// IntegrationBridgeFlows is the number of flows installed on br-int.
	IntegrationBridgeFlows int
	// DesiredFlows is the number of flows chassisd wants on br-int.
	DesiredFlows int
	PatchPorts   int
	GenevePorts  int
	// NbCfg is SB_Global.nb_cfg; NbCfgInstalled the newest nb_cfg whose
	// flows are installed (what Chassis_Private.nb_cfg reports).
	NbCfg, NbCfgInstalled int64
	// OpenFlowRejections counts flows, groups and meters the switch refused.
	OpenFlowRejections uint64
	// DriftRepairs counts installed entries found changed and repaired.
	DriftRepairs uint64
}

// Source gives the agent's current state; MetricsSnapshot must return
// promptly (it runs on every scrape).
type Source interface {
	MetricsSnapshot(ctx context.Context) (Snapshot, error)
}

var (
	registry = prometheus.NewRegistry()

	sourceMu sync.RWMutex
	source   Source

	buildVersion = "unknown"
)

// Namespaces of the series: ovn-kubernetes' names for ovn-controller's,
// and chassisd's own.
const (
	ovnNamespace      = "ovn"
	ovnSubsystem      = "controller"
	chassisdNamespace = "chassisd"
)

// Registerer is where other packages register their collectors (the
// metadata agent's series); everything registered is served on /metrics.
func Registerer() prometheus.Registerer { return registry }

// Gatherer reads the registry (tests, the HTTP handler).
func Gatherer() prometheus.Gatherer { return registry }

// SetSource connects the agent to the ovn_controller_* gauges.
func SetSource(s Source) {
	sourceMu.Lock()
	source = s
	sourceMu.Unlock()
}

// SetBuildVersion records chassisd's version for the build_info series.
func SetBuildVersion(v string) {
	sourceMu.Lock()
	buildVersion = v
	sourceMu.Unlock()
}

// Series chassisd bumps directly.
var (
	// FlowInstallLatency is how long computed flows took to be confirmed
	// on the switch.
	FlowInstallLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: chassisdNamespace, Name: "flow_install_latency_seconds",
		Help:    "Time from computing br-int's desired flows to the switch confirming them.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	// FlowComputations counts flow computations by kind: "full" (every
	// logical flow translated) or "incremental" (only what changed).
	FlowComputations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: chassisdNamespace, Name: "flow_computations_total",
		Help: "Computations of br-int's desired flows, by kind (full recompute or incremental).",
	}, []string{"kind"})
	// PinctrlPackets counts packet-ins handled by pinctrl, by controller
	// action opcode.
	PinctrlPackets = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: chassisdNamespace, Name: "pinctrl_packets_total",
		Help: "Packet-ins handled by pinctrl, by controller action (put_arp, put_dhcp_opts, ...).",
	}, []string{"opcode"})
)

// ObserveFlowInstallation records one computed-to-installed delay (the
// flow-installation stopwatch and the latency histogram).
func ObserveFlowInstallation(d time.Duration) {
	FlowInstallation.Observe(d)
	FlowInstallLatency.Observe(d.Seconds())
}

func init() {
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		FlowInstallLatency, FlowComputations, PinctrlPackets,
		ovnControllerCollector{},
	)
	FlowComputations.WithLabelValues("full")
	FlowComputations.WithLabelValues("incremental")
}

// coverageSeries maps ovn-kubernetes' ovn_controller_<name> counters to the
// coverage counters they are read from (summed).
var coverageSeries = []struct {
	name, help string
	from       []string
}{
	{"lflow_run", "Number of times the Logical_Flow table was translated into OpenFlow flows in full.", []string{"lflow_run"}},
	{"rconn_sent", "OpenFlow messages sent to the switch.", []string{"rconn_sent"}},
	{"rconn_queued", "OpenFlow messages queued because they could not be sent at once.", []string{"rconn_queued"}},
	{"rconn_discarded", "OpenFlow messages dropped because the connection was reset.", []string{"rconn_discarded"}},
	{"rconn_overflow", "OpenFlow messages dropped because the send queue overflowed.", []string{"rconn_overflow"}},
	{"vconn_open", "Attempts to connect to an OpenFlow switch.", []string{"vconn_open"}},
	{"vconn_sent", "OpenFlow messages sent.", []string{"vconn_sent"}},
	{"vconn_received", "OpenFlow messages received.", []string{"vconn_received"}},
	{"stream_open", "Attempts to connect to a database server.", []string{"stream_open"}},
	{"txn_success", "OVSDB transactions that committed a change.", []string{"txn_success"}},
	{"txn_error", "OVSDB transactions that failed.", []string{"txn_error"}},
	{"txn_uncommitted", "OVSDB transactions not committed.", []string{"txn_uncommitted"}},
	{"txn_unchanged", "OVSDB transactions with nothing to change.", []string{"txn_unchanged"}},
	{"txn_incomplete", "OVSDB transactions that did not complete and were retried.", []string{"txn_incomplete"}},
	{"txn_aborted", "OVSDB transactions aborted.", []string{"txn_aborted"}},
	{"txn_try_again", "OVSDB transactions that failed on a race and were retried.", []string{"txn_try_again"}},
	{"netlink_sent", "Netlink messages sent to the kernel.", []string{"netlink_sent"}},
	{"netlink_received", "Netlink messages received from the kernel.", []string{"netlink_received"}},
	{"netlink_recv_jumbo", "Netlink messages larger than the receive buffer.", []string{"netlink_recv_jumbo"}},
	{"netlink_overflow", "Netlink messages lost to a receive buffer overflow.", []string{"netlink_overflow"}},
	{"packet_in", "Packet-ins handled by pinctrl.", []string{"flow_extract"}},
	{"packet_in_drop", "Packet-ins dropped by pinctrl for lack of resources.", []string{
		"pinctrl_drop_put_mac_binding", "pinctrl_drop_buffered_packets_map",
		"pinctrl_drop_controller_event", "pinctrl_drop_put_vport_binding"}},
}

var stopwatchSeries = []string{
	"bfd-run", "flow-installation", "if-status-mgr-run", "if-status-mgr-update", "flow-generation",
	"pinctrl-run", "ofctrl-seqno-run", "patch-run", "ct-zone-commit",
}

func ovnName(name string) string {
	return prometheus.BuildFQName(ovnNamespace, ovnSubsystem, strings.ReplaceAll(name, "-", "_"))
}

// ovnControllerCollector produces the ovn_controller_* series from the
// coverage counters, the stopwatches and the agent's Snapshot.
type ovnControllerCollector struct{}

// Describe sends nothing: the collector is unchecked, as its label values
// (encap IPs, remotes) follow the configuration.
func (ovnControllerCollector) Describe(chan<- *prometheus.Desc) {}

func (ovnControllerCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(name, help string, v float64, labels ...string) {
		var keys, values []string
		for i := 0; i+1 < len(labels); i += 2 {
			keys, values = append(keys, labels[i]), append(values, labels[i+1])
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(ovnName(name), help, keys, nil), prometheus.GaugeValue, v, values...)
	}
	counter := func(fq, help string, v float64) {
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(fq, help, nil, nil), prometheus.CounterValue, v)
	}
	sourceMu.RLock()
	src, version := source, buildVersion
	sourceMu.RUnlock()

	gauge("build_info", "A metric with a constant '1' value labeled by the ovn-controller version chassisd is compatible with and the OVS library version it speaks.",
		1, "version", CompatibleOVNVersion, "ovs_lib_version", CompatibleOVSVersion)
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(prometheus.BuildFQName(chassisdNamespace, "", "build_info"),
		"A metric with a constant '1' value labeled by chassisd's version and Go version.", []string{"version", "goversion"}, nil),
		prometheus.GaugeValue, 1, version, runtime.Version())

	for _, s := range coverageSeries {
		var total uint64
		for _, n := range s.from {
			v, _ := ReadCounter(n)
			total += v
		}
		counter(ovnName(s.name), s.help, float64(total))
	}
	for _, name := range stopwatchSeries {
		st := NewStopwatch(name).Stats()
		base := strings.ReplaceAll(name, "-", "_")
		help := "The " + name + " stopwatch (milliseconds): "
		gauge(base+"_total_samples", help+"number of samples.", float64(st.Samples))
		gauge(base+"_maximum", help+"maximum.", float64(st.Max))
		gauge(base+"_minimum", help+"minimum.", float64(st.Min))
		gauge(base+"_95th_percentile", help+"95th percentile.", st.P95)
		gauge(base+"_short_term_avg", help+"short term average.", st.ShortTerm)
		gauge(base+"_long_term_avg", help+"long term average.", st.LongTerm)
	}

	if src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := src.MetricsSnapshot(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(prometheus.NewDesc(ovnName("southbound_database_connected"), "", nil, nil), err)
		return
	}
	gauge("southbound_database_connected", "Whether the Southbound database is connected (1) or not (0).", b2f(snap.SBConnected))
	gauge("remote_probe_interval_seconds", "The inactivity probe interval of the Southbound connection (ovn-remote-probe-interval).", snap.RemoteProbeInterval.Seconds())
	gauge("openflow_probe_interval_seconds", "The inactivity probe interval of the OpenFlow connection to br-int.", snap.OpenFlowProbeInterval.Seconds())
	gauge("monitor_all", "Whether every Southbound row is monitored (ovn-monitor-all): false(0), true(1).", b2f(snap.MonitorAll))
	for _, ip := range snap.EncapIPs {
		gauge("encap_ip", "A metric with a constant '1' value labeled by an encapsulation IP of this chassis.", 1, "ipaddress", ip)
	}
	for _, t := range snap.EncapTypes {
		gauge("encap_type", "A metric with a constant '1' value labeled by an encapsulation type of this chassis.", 1, "type", t)
	}
	if snap.Remote != "" {
		gauge("sb_connection_method", "A metric with a constant '1' value labeled by the configured ovn-remote.", 1, "connection_method", snap.Remote)
	}
	if snap.BridgeMappings != "" {
		gauge("bridge_mappings", "A metric with a constant '1' value labeled by ovn-bridge-mappings.", 1, "mapping", snap.BridgeMappings)
	}
	gauge("integration_bridge_openflow_total", "The number of OpenFlow flows installed on the integration bridge.", float64(snap.IntegrationBridgeFlows))
	gauge("integration_bridge_patch_ports", "The number of patch ports on the integration bridge.", float64(snap.PatchPorts))
	gauge("integration_bridge_geneve_ports", "The number of geneve ports on the integration bridge.", float64(snap.GenevePorts))

	cgauge := func(name, help string, v float64) {
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(prometheus.BuildFQName(chassisdNamespace, "", name), help, nil, nil), prometheus.GaugeValue, v)
	}
	cgauge("desired_flows", "The number of flows chassisd wants on the integration bridge.", float64(snap.DesiredFlows))
	cgauge("nb_cfg_lag", "SB_Global.nb_cfg minus the newest nb_cfg whose flows are installed (0 when up to date).", float64(max(snap.NbCfg-snap.NbCfgInstalled, 0)))
	counter(prometheus.BuildFQName(chassisdNamespace, "", "openflow_rejections_total"), "Flows, groups and meters the switch rejected.", float64(snap.OpenFlowRejections))
	counter(prometheus.BuildFQName(chassisdNamespace, "", "openflow_drift_repairs_total"), "Installed flows, groups and meters found changed behind chassisd's back and repaired.", float64(snap.DriftRepairs))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The ovn-controller and OVS library versions whose contract chassisd
// implements; `version` and ovn_controller_build_info report them so that
// tools which gate on them (ovn-ctl, ovn-kubernetes) treat chassisd as
// that ovn-controller.
const (
	CompatibleOVNVersion = "23.03.1"
	CompatibleOVSVersion = "3.1.0"
	SBSchemaVersion      = "20.27.0"
)
