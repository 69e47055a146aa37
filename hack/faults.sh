#!/usr/bin/env bash
# Runs the fault-injection suite by hand, strictly (no reply may be lost
# where the goal says none; flows back < 1 s after ovs-vswitchd restarts;
# the Southbound down for 60 s), with chassisd and then with the reference
# ovn-controller, and writes the fault tables to $REPORT.
#
#   hack/faults.sh                       # both agents
#   AGENTS=chassisd hack/faults.sh       # chassisd only
#   REPORT=/tmp/faults.md RUNS='TestFaults' hack/faults.sh
#
# Needs root, OVS/OVN (hack/install-deps.sh) and a quiet machine: the
# probes ping every 50 ms and a busy CPU loses replies on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

AGENTS=${AGENTS:-chassisd ovn-controller}
REPORT=${REPORT:-$(mktemp /tmp/chassisd-faults.XXXXXX.md)}
RUNS=${RUNS:-'TestFaults|TestClusteredSouthbound|TestControllerFlood|TestDuplicateSystemID|TestSouthboundTLS|TestSecurityWithPackets|TestMalformedSouthboundRows'}
export CHASSISD_E2E=1 CHASSISD_FAULT_STRICT=1 CHASSISD_FAULT_REPORT=$REPORT
export CHASSISD_FAULT_SB_OUTAGE=${CHASSISD_FAULT_SB_OUTAGE:-60s}

status=0
for agent in $AGENTS; do
	echo "== $agent"
	CHASSISD_E2E_AGENT=$agent go test -count=1 -timeout 60m -run "^($RUNS)\$" -v ./e2e/ 2>&1 |
		grep -E '^(=== RUN|--- |ok|FAIL|PASS)|_test\.go:[0-9]+: (\||.*(lost|flood|changed|stopped|took|KNOWN))' || status=1
done
echo "== fault tables in $REPORT"
exit $status
