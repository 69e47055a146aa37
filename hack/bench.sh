#!/usr/bin/env bash
# Benchmarks chassisd against the real ovn-controller in the same run, as
# root on Debian 12. Not part of CI: run it by hand and quote the numbers.
#
#   hack/bench.sh                 # agent take-over at 400 and 2000 ports, 3 rounds each
#   CHASSISD_BENCH_PORTS=5000 hack/bench.sh takeover
set -euo pipefail
cd "$(dirname "$0")/.."
hack/install-deps.sh
export PATH="$PATH:/usr/local/go/bin"

takeover() {
	for ports in ${CHASSISD_BENCH_PORTS:-400 2000}; do
		echo "== take-over of a chassis with $ports logical ports (medians of 3)"
		CHASSISD_BENCH_PORTS=$ports go test ./agent/ -run '^$' -bench BenchmarkTakeOver -benchtime=3x -timeout 60m
	done
}

compile() {
	echo "== match and action compilation"
	go test ./openflow/expr/ ./openflow/actions/ -run '^$' -bench . -benchmem
}

case ${1:-all} in
takeover) takeover ;;
compile) compile ;;
all)
	compile
	takeover
	;;
*)
	echo "usage: $0 [all|takeover|compile]" >&2
	exit 2
	;;
esac
