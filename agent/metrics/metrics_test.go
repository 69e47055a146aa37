package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCoverageShowAndReadCounter(t *testing.T) {
	c := NewCounter("test_event")
	c.Add(3)
	sampleCoverage()
	out := ShowCoverage()
	if !regexp.MustCompile(`^Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=[0-9a-f]{8}:\n`).MatchString(out) {
		t.Errorf("header:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^test_event +0\.6/sec +0\.050/sec +0\.0008/sec   total: 3$`).MatchString(out) {
		t.Errorf("counter line missing:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\d+ events never hit$`).MatchString(out) {
		t.Errorf("never-hit line missing:\n%s", out)
	}
	if v, ok := ReadCounter("test_event"); !ok || v != 3 {
		t.Errorf("read-counter: %d %v", v, ok)
	}
	if _, ok := ReadCounter("no_such_counter"); ok {
		t.Error("unknown counter read")
	}
	if v, ok := ReadCounter("lflow_conj_free_unexpected"); !ok || v != 0 {
		t.Errorf("lflow_conj_free_unexpected: %d %v", v, ok)
	}
}

func TestStopwatchShow(t *testing.T) {
	sw := NewStopwatch("test-sw")
	for _, ms := range []int{10, 30, 20} {
		sw.Observe(time.Duration(ms) * time.Millisecond)
	}
	out, err := ShowStopwatch("test-sw")
	if err != nil {
		t.Fatal(err)
	}
	want := "Statistics for 'test-sw'\n  Total samples: 3\n  Maximum: 30 msec\n  Minimum: 10 msec\n" +
		"  95th percentile: 30.000000 msec\n  Short term average: 20.000000 msec\n  Long term average: 10.298000 msec\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := ShowStopwatch("nope"); err == nil || err.Error() != "No such stopwatch" {
		t.Errorf("unknown stopwatch: %v", err)
	}
}

type fakeSource struct{}

func (fakeSource) MetricsSnapshot(context.Context) (Snapshot, error) {
	return Snapshot{SBConnected: true, Remote: "tcp:127.0.0.1:6642", EncapIPs: []string{"192.0.2.1"},
		EncapTypes: []string{"geneve"}, IntegrationBridgeFlows: 42, GenevePorts: 2, NbCfg: 5, NbCfgInstalled: 3}, nil
}

type fakeHealth struct{ ready error }

func (fakeHealth) Alive(context.Context) error   { return nil }
func (h fakeHealth) Ready(context.Context) error { return h.ready }

func TestHTTPEndpoints(t *testing.T) {
	SetSource(fakeSource{})
	defer SetSource(nil)
	LflowRun.Inc()
	srv := httptest.NewServer(Handler(fakeHealth{ready: context.DeadlineExceeded}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics %d", code)
	}
	for _, want := range []string{
		"ovn_controller_southbound_database_connected 1",
		`ovn_controller_encap_ip{ipaddress="192.0.2.1"} 1`,
		"ovn_controller_integration_bridge_openflow_total 42",
		"ovn_controller_integration_bridge_geneve_ports 2",
		"ovn_controller_flow_generation_total_samples",
		"ovn_controller_packet_in_drop 0",
		"chassisd_nb_cfg_lag 2",
		`chassisd_flow_computations_total{kind="full"}`,
		`ovn_controller_build_info{ovs_lib_version="3.1.0",version="23.03.1"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^ovn_controller_lflow_run [1-9]`).MatchString(body) {
		t.Error("lflow_run not counted")
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "deadline") {
		t.Errorf("/readyz %d %q", code, body)
	}
}
