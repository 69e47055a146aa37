#!/usr/bin/env bash
# Runs every fuzz target of chassisd (each `func FuzzXxx` in a _test.go
# file) for a fixed time, and fails if any finds a crash.
#
#   hack/fuzz.sh                 # 10 minutes per target (a release check)
#   FUZZTIME=5s hack/fuzz.sh     # CI: seconds per target
#   JOBS=2 FUZZ_WORKERS=1 FUZZTIME=10m hack/fuzz.sh 'pinctrl'   # only targets whose package matches
#
# FUZZTIME   go test -fuzztime per target (default 10m)
# JOBS       targets fuzzed at once (default 1)
# FUZZ_WORKERS  -parallel of each target (default: GOMAXPROCS / JOBS, at least 1)
# LOGDIR     where each target's output goes (default: a temp dir, kept)
#
# A crash leaves its input in the package's testdata/fuzz/<Target>/ (go
# test does that): fix the bug and commit the input, so it becomes a seed
# that every `go test` run replays. The corpus the fuzzer grows is kept in
# Go's cache, so later runs start from it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

FUZZTIME=${FUZZTIME:-10m}
JOBS=${JOBS:-1}
cpus=$(nproc)
FUZZ_WORKERS=${FUZZ_WORKERS:-$(((cpus / JOBS) > 0 ? cpus / JOBS : 1))}
LOGDIR=${LOGDIR:-$(mktemp -d /tmp/chassisd-fuzz.XXXXXX)}
filter=${1:-.}
mkdir -p "$LOGDIR"

# "<package dir> <target>" for every fuzz target.
mapfile -t targets < <(grep -rl --include='*_test.go' '^func Fuzz' . |
	xargs grep -Ho '^func Fuzz[A-Za-z0-9_]*' |
	sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz.*)$|\1 \2|' | sort -u | grep -E -- "$filter" || true)
if ((${#targets[@]} == 0)); then
	echo "no fuzz target matches '$filter'" >&2
	exit 1
fi
echo "== fuzzing ${#targets[@]} targets for $FUZZTIME each ($JOBS at a time, $FUZZ_WORKERS workers each); logs in $LOGDIR"

# Build each package's test binary once, up front, so the timed runs are
# not spent compiling.
printf '%s\n' "${targets[@]}" | awk '{print "./" $1}' | sort -u | xargs go test -count=1 -run '^$' >/dev/null

run_one() {
	local dir=$1 target=$2 log
	log="$LOGDIR/$(echo "$dir" | tr / _)_$target.log"
	local start=$SECONDS ok=0
	for attempt in 1 2; do
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZ_WORKERS" "./$dir" >"$log" 2>&1; then
			ok=1
			break
		fi
		# go test -fuzz sometimes fails with a bare "context deadline
		# exceeded" when the time runs out on a busy machine: no input
		# failed, so run the target again rather than report a crash.
		if grep -q 'Failing input written\|panic:' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
			break
		fi
	done
	if ((ok)); then
		local execs
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
		printf 'ok    %-28s %-22s %5ds %12s execs\n' "$dir" "$target" $((SECONDS - start)) "${execs:-?}"
	else
		printf 'FAIL  %-28s %-22s %5ds (see %s)\n' "$dir" "$target" $((SECONDS - start)) "$log"
		grep -E -- '--- FAIL|panic:|Failing input written|fuzz_test.go:[0-9]+' "$log" | head -5 | sed 's/^/      /'
		return 1
	fi
}
export -f run_one
export FUZZTIME FUZZ_WORKERS LOGDIR

failed=0
printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -L 1 bash -c 'run_one "$0" "$1"' || failed=1
if ((failed)); then
	echo "== fuzzing found crashes: inputs are in testdata/fuzz/ of the packages above" >&2
	exit 1
fi
echo "== ${#targets[@]} fuzz targets, 0 crashes"
