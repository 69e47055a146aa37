#!/usr/bin/env bash
# Load on one metadata namespace, as root on Debian 12: a VM behind
# chassisd's proxy sends a burst of 1,000 simultaneous requests (one new
# connection each), then 1,000 keep-alive clients send 10 requests each, to
# the e2e suite's test Nova. Prints requests/s, p50/p99 latency, errors and
# chassisd's RSS before and after. Not part of CI: run it by hand.
#
#   hack/bench-metadata.sh                 # Nova answering at once, then in 20 ms
#   CHASSISD_BENCH_NOVA_DELAY=50ms CHASSISD_BENCH_CONCURRENCY=500 hack/bench-metadata.sh
set -euo pipefail
cd "$(dirname "$0")/.."
hack/install-deps.sh
export PATH="$PATH:/usr/local/go/bin"

export CHASSISD_E2E=1 CHASSISD_E2E_AGENT=chassisd
for delay in ${CHASSISD_BENCH_NOVA_DELAY:-0s 20ms}; do
	echo "== metadata proxy, Nova delay $delay"
	CHASSISD_BENCH_NOVA_DELAY=$delay go test ./e2e/ -run '^$' -bench BenchmarkMetadataProxy -benchtime=1x -timeout 20m -v |
		grep -E 'metadata_bench_test|Benchmark|ok|FAIL'
done
