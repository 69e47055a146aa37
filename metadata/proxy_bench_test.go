package metadata

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkProxy is the proxy's own cost per request over loopback
// (keep-alive on both sides, Nova answering at once): the part of a
// metadata request's latency that chassisd adds. hack/bench-metadata.sh
// measures the whole path through OVS's userspace datapath.
func BenchmarkProxy(b *testing.B) {
	nova := startNova(b, &recordingNova{})
	rig := newProxyRig(b, testConfig(nova.URL), lookupOne)
	url := rig.server.URL + "/openstack/latest/meta_data.json"
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		for pb.Next() {
			resp, err := cl.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
