#!/bin/sh
# Benchmark of openflow/ofctrl against ovs-ofctl on a private ovs-vswitchd:
# install 100k flows onto an empty bridge (chassisd-s) and the same flows as
# text with `ovs-ofctl --bundle add-flows` (ofctl-s) in the same run, their
# ratio (goal <= 1.0), and the latency of a 1% change (change1pct-ms: median
# of five, goal < 50; change1pct-first-ms: the first, right after the big
# commit). Needs Open vSwitch binaries; run as root.
#
# Each run does N rounds (alternating which side goes first); ratio is over
# the totals, ratio-best over the best round of each side (less sensitive
# to a shared machine).
#
# Usage: hack/bench-ofctrl.sh [rounds] [count]   (BENCH_FLOWS overrides 100000)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-4}
count=${2:-1}
exec go test -run '^$' -bench '^BenchmarkInstall100k' -benchtime "${rounds}x" -count "$count" ./openflow/ofctrl/
