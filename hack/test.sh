#!/usr/bin/env bash
# Runs every test of chassisd on a Debian 12 machine, as root: installs the
# Debian packages the tests need, then vet, gofmt and the Go test suite
# (unit, vectors, integration against real OVS/OVN, e2e in namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
hack/install-deps.sh
export PATH="$PATH:/usr/local/go/bin"

echo "== go vet"
go vet -tags integration ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n $unformatted ]]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
echo "== image contents (no container engine here)"
hack/deploy/build-image-root.sh "$(mktemp -d)"
echo "== fuzz (seconds per target; hack/fuzz.sh runs them for 10 min by hand)"
FUZZTIME=${FUZZTIME:-4s} JOBS=2 hack/fuzz.sh

echo "== go test"
# The multi-node suite in network namespaces runs too (with the reference
# ovn-controller unless CHASSISD_E2E_AGENT=chassisd).
export CHASSISD_E2E=1
# The fault suite keeps the Southbound down this long (60 s by hand:
# hack/faults.sh).
export CHASSISD_FAULT_SB_OUTAGE=10s
# -p 2: the integration packages each start ovsdb-servers and
# ovs-vswitchd; the CI machine has two cores.
# The heaviest fault tests measure the reference only by hand
# (hack/faults.sh); chassisd runs them below.
go test -count=1 -p 2 -timeout 45m -tags integration \
	-skip 'TestFaults$|TestClusteredSouthbound$|TestControllerFlood$|TestDuplicateSystemID$' "$@" ./...

echo "== e2e with chassisd as the agent"
# The e2e tests above ran with the reference ovn-controller. Run them again
# with chassisd, except those that need what chassisd does not do yet: BFD
# for gateway failover.
CHASSISD_E2E_AGENT=chassisd go test -count=1 -timeout 30m \
	-skip 'TestGatewayFailover' ./e2e/
