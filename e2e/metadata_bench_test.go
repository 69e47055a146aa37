package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment of the metadata load (hack/bench-metadata.sh sets them).
const (
	// mdLoadEnv makes TestMetadataLoadHelper the load generator: the
	// benchmark runs this test binary again inside the VM's namespace.
	mdLoadEnv = "CHASSISD_MDLOAD"
	// BenchNovaDelayEnv is Nova's time per request (a Go duration, e.g.
	// "20ms"; 0 by default).
	BenchNovaDelayEnv = "CHASSISD_BENCH_NOVA_DELAY"
	// BenchConcurrencyEnv and BenchRequestsEnv shape the load (1000
	// concurrent clients, 10 requests each).
	BenchConcurrencyEnv = "CHASSISD_BENCH_CONCURRENCY"
	BenchRequestsEnv    = "CHASSISD_BENCH_REQUESTS"
)

// loadResult is what the load generator reports.
type loadResult struct {
	Phase    string  `json:"phase"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	FirstErr string  `json:"first_error,omitempty"`
	Seconds  float64 `json:"seconds"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	Maxms    float64 `json:"max_ms"`
}

// BenchmarkMetadataProxy drives one namespace's proxy from one VM: a burst
// of CONCURRENCY simultaneous new connections with one request each, then
// CONCURRENCY clients making REQUESTS keep-alive requests each, against
// the test Nova. It reports requests/s, p50/p99 latency, errors and
// chassisd's resident memory before and after. Run it with
// hack/bench-metadata.sh (not a CI test).
func BenchmarkMetadataProxy(b *testing.B) {
	tp := NewTopology(b)
	requireChassisdAgent(b, tp)
	hv1 := addMetadataNode(b, tp, "hv1")
	if d := os.Getenv(BenchNovaDelayEnv); d != "" {
		delay, err := time.ParseDuration(d)
		if err != nil {
			b.Fatalf("%s: %v", BenchNovaDelayEnv, err)
		}
		hv1.nova.delay = delay
	}
	netA := "a1a1a1a1-0000-4000-8000-0000000000be"
	lsA := metadataNetwork(b, tp, netA, "192.168.101", "fa:16:3e:71:9e:ad")
	inst := "11111111-aaaa-4aaa-8aaa-0000000000be"
	hv1.nova.addInstance(inst, mdProject)
	instancePort(b, tp, lsA, "vm-bench", "fa:16:3e:be:00:01", "192.168.101.11", "hv1", inst, true)
	must(b, tp.Central.WaitSync())
	vm := hv1.AddVM("mdbench", "vm-bench", "fa:16:3e:be:00:01", "", 1442, "")
	dhcpWithRoutes(b, vm)
	vm.fetchEventually(b, "/openstack/latest/meta_data.json")

	pid := hv1.AgentPid()
	rssBefore := rssKiB(b, pid)
	b.ResetTimer()
	var results []loadResult
	for i := 0; i < b.N; i++ {
		cmd := exec.Command("ip", "netns", "exec", vm.NS.Name, os.Args[0], "-test.run=^TestMetadataLoadHelper$", "-test.v")
		cmd.Env = append(os.Environ(), mdLoadEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("load generator: %v\n%s", err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if j, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "MDLOAD "); ok {
				var r loadResult
				if err := json.Unmarshal([]byte(j), &r); err != nil {
					b.Fatal(err)
				}
				results = append(results, r)
			}
		}
	}
	b.StopTimer()
	rssAfter := rssKiB(b, pid)
	hwm := statusKiB(b, pid, "VmHWM:")
	errors := 0
	for _, r := range results {
		errors += r.Errors
		b.Logf("%-9s %6d requests in %6.2fs: %8.0f req/s, p50 %6.2f ms, p99 %7.2f ms, max %7.2f ms, %d errors %s",
			r.Phase, r.Requests, r.Seconds, float64(r.Requests)/r.Seconds, r.P50ms, r.P99ms, r.Maxms, r.Errors, r.FirstErr)
		b.ReportMetric(float64(r.Requests)/r.Seconds, r.Phase+"_req/s")
		b.ReportMetric(r.P50ms, r.Phase+"_p50_ms")
		b.ReportMetric(r.P99ms, r.Phase+"_p99_ms")
	}
	b.Logf("chassisd RSS %d KiB before, %d KiB after (peak %d KiB); Nova delay %v", rssBefore, rssAfter, hwm, hv1.nova.delay)
	b.ReportMetric(float64(rssBefore)/1024, "rss_before_MiB")
	b.ReportMetric(float64(rssAfter)/1024, "rss_after_MiB")
	b.ReportMetric(float64(hwm)/1024, "rss_peak_MiB")
	b.ReportMetric(float64(errors), "errors")
	if errors > 0 {
		b.Errorf("%d requests failed", errors)
	}
}

func rssKiB(t testing.TB, pid int) int { return statusKiB(t, pid, "VmRSS:") }

func statusKiB(t testing.TB, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestMetadataLoadHelper is the load generator BenchmarkMetadataProxy runs
// inside the VM's namespace; it does nothing otherwise.
func TestMetadataLoadHelper(t *testing.T) {
	if os.Getenv(mdLoadEnv) != "1" {
		t.Skip("load generator of BenchmarkMetadataProxy")
	}
	conc := envInt(BenchConcurrencyEnv, 1000)
	perClient := envInt(BenchRequestsEnv, 10)
	url := "http://169.254.169.254/openstack/latest/meta_data.json"
	// Burst: every client opens its connection at the same moment.
	fmt.Println("MDLOAD " + mustJSON(runLoad("burst", conc, 1, url, true)))
	// Sustained: keep-alive clients, as cloud-init's session does.
	fmt.Println("MDLOAD " + mustJSON(runLoad("sustained", conc, perClient, url, false)))
}

func runLoad(phase string, clients, perClient int, url string, fresh bool) loadResult {
	var mu sync.Mutex
	var lat []time.Duration
	res := loadResult{Phase: phase}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{
				DisableKeepAlives: fresh, MaxIdleConnsPerHost: 1,
				DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
			}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr, Timeout: 60 * time.Second}
			<-start
			for i := 0; i < perClient; i++ {
				t0 := time.Now()
				resp, err := cl.Get(url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				d := time.Since(t0)
				mu.Lock()
				res.Requests++
				if err != nil {
					res.Errors++
					if res.FirstErr == "" {
						res.FirstErr = err.Error()
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	res.Seconds = time.Since(t0).Seconds()
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		res.P50ms, res.P99ms, res.Maxms = ms(lat[n*50/100]), ms(lat[min(n-1, n*99/100)]), ms(lat[n-1])
	}
	return res
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
