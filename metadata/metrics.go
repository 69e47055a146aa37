package metadata

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the job's Prometheus collectors.
type metrics struct {
	requests     *prometheus.CounterVec
	nova         *prometheus.HistogramVec
	namespaces   prometheus.Gauge
	provisionErr prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "chassisd", Subsystem: "metadata", Name: "requests_total",
			Help: "Metadata requests from VMs, by the HTTP status answered (499: the VM went away first).",
		}, []string{"code"}),
		nova: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "chassisd", Subsystem: "metadata", Name: "nova_request_duration_seconds",
			Help:    "Time from forwarding a request to Nova's metadata API to its response headers.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"result"}),
		namespaces: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "chassisd", Subsystem: "metadata", Name: "namespaces",
			Help: "ovnmeta- namespaces provisioned and served.",
		}),
		provisionErr: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "chassisd", Subsystem: "metadata", Name: "provision_errors_total",
			Help: "Failed attempts to provision or tear down a metadata namespace.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.nova, m.namespaces, m.provisionErr} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) request(code int) { m.requests.WithLabelValues(strconv.Itoa(code)).Inc() }

func (m *metrics) novaLatency(d time.Duration, err error) {
	result := "response"
	if err != nil {
		result = "error"
	}
	m.nova.WithLabelValues(result).Observe(d.Seconds())
}
