#!/usr/bin/env bash
# A local OVN with chassisd as its chassis, in one directory.
#
#   hack/sandbox.sh up      install deps, build chassisd, start everything, bind two ports, show the state
#   hack/sandbox.sh status  show the chassis, port bindings and br-int
#   hack/sandbox.sh down    stop every daemon and remove the directory
#
# Daemons: NB and SB ovsdb-servers and ovn-northd (the "central"), one
# chassis with its own ovsdb-server and ovs-vswitchd (userspace datapath,
# ports of type dummy), and chassisd serving that chassis. Everything lives
# in $SANDBOX (default: .sandbox in the repository) and listens on unix
# sockets only. Set CHASSIS_AGENT=ovn-controller to run the real
# ovn-controller instead, for comparison.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
SANDBOX=${SANDBOX:-$repo/.sandbox}
AGENT=${CHASSIS_AGENT:-chassisd}
export PATH="$PATH:/usr/local/go/bin"
export OVS_RUNDIR=$SANDBOX OVS_LOGDIR=$SANDBOX OVS_DBDIR=$SANDBOX OVN_RUNDIR=$SANDBOX OVN_LOGDIR=$SANDBOX OVN_DBDIR=$SANDBOX

nbctl() { ovn-nbctl --db="unix:$SANDBOX/nb.sock" "$@"; }
sbctl() { ovn-sbctl --db="unix:$SANDBOX/sb.sock" "$@"; }
vsctl() { ovs-vsctl --db="unix:$SANDBOX/db.sock" "$@"; }

daemon() { # name, then the command line
	local name=$1
	shift
	"$@" --detach --no-chdir --pidfile="$SANDBOX/$name.pid" --log-file="$SANDBOX/$name.log"
}

wait_for() { # description, then a command that succeeds when ready
	local what=$1
	shift
	for _ in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "sandbox: timed out waiting for $what" >&2
	return 1
}

up() {
	"$repo/hack/install-deps.sh"
	[[ -e $SANDBOX/nb.sock ]] && down
	mkdir -p "$SANDBOX"
	echo "== building chassisd"
	(cd "$repo" && go build -o "$SANDBOX/chassisd" ./cmd/chassisd)

	echo "== starting the central (NB, SB, ovn-northd) in $SANDBOX"
	ovsdb-tool create "$SANDBOX/nb.db" /usr/share/ovn/ovn-nb.ovsschema
	ovsdb-tool create "$SANDBOX/sb.db" /usr/share/ovn/ovn-sb.ovsschema
	ovsdb-tool create "$SANDBOX/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	daemon nb ovsdb-server --remote="punix:$SANDBOX/nb.sock" --unixctl="$SANDBOX/nb.ctl" "$SANDBOX/nb.db"
	daemon sb ovsdb-server --remote="punix:$SANDBOX/sb.sock" --unixctl="$SANDBOX/sb.ctl" "$SANDBOX/sb.db"
	daemon northd ovn-northd --unixctl="$SANDBOX/northd.ctl" \
		--ovnnb-db="unix:$SANDBOX/nb.sock" --ovnsb-db="unix:$SANDBOX/sb.sock"

	echo "== starting the chassis (ovsdb-server, ovs-vswitchd --enable-dummy)"
	daemon ovsdb-server ovsdb-server --remote="punix:$SANDBOX/db.sock" --unixctl="$SANDBOX/ovsdb-server.ctl" "$SANDBOX/conf.db"
	vsctl --no-wait init
	daemon ovs-vswitchd ovs-vswitchd --enable-dummy=override --unixctl="$SANDBOX/ovs-vswitchd.ctl" "unix:$SANDBOX/db.sock"
	vsctl set open . external_ids:system-id=hv1 external_ids:hostname=sandbox-hv1 \
		external_ids:ovn-remote="unix:$SANDBOX/sb.sock" \
		external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=127.0.0.1 \
		external_ids:ovn-bridge-datapath-type=netdev

	echo "== starting $AGENT"
	if [[ $AGENT == ovn-controller ]]; then
		daemon ovn-controller ovn-controller "unix:$SANDBOX/db.sock"
	else
		nohup "$SANDBOX/chassisd" --pidfile="$SANDBOX/chassisd.pid" --unixctl="$SANDBOX/chassisd.ctl" \
			--log-file="$SANDBOX/chassisd.log" "unix:$SANDBOX/db.sock" >/dev/null 2>&1 &
	fi
	wait_for "chassis hv1 in the Southbound DB" bash -c "ovn-sbctl --db=unix:$SANDBOX/sb.sock --bare --columns=name list Chassis | grep -qx hv1"

	echo "== a Neutron-like network: net1 (192.168.101.0/24) with two VM ports and a metadata localport"
	nbctl ls-add net1 \
		-- lsp-add net1 vm1 -- lsp-set-addresses vm1 "fa:16:3e:00:00:11 192.168.101.11" \
		-- lsp-add net1 vm2 -- lsp-set-addresses vm2 "fa:16:3e:00:00:12 192.168.101.12" \
		-- lsp-add net1 meta -- lsp-set-type meta localport -- lsp-set-addresses meta "fa:16:3e:00:00:01 192.168.101.1"
	vsctl add-port br-int tap-vm1 -- set Interface tap-vm1 type=dummy external_ids:iface-id=vm1
	vsctl add-port br-int tap-vm2 -- set Interface tap-vm2 type=dummy external_ids:iface-id=vm2
	wait_for "vm1 and vm2 up" bash -c "[[ \$(ovn-nbctl --db=unix:$SANDBOX/nb.sock lsp-get-up vm1) == up && \$(ovn-nbctl --db=unix:$SANDBOX/nb.sock lsp-get-up vm2) == up ]]"
	status
	cat <<EOF

The sandbox keeps running. Try:
  ovn-sbctl --db=unix:$SANDBOX/sb.sock show
  ovs-vsctl --db=unix:$SANDBOX/db.sock show
  ovs-appctl -t $SANDBOX/chassisd.ctl exit     # leave the SB cleanly
  tail -f $SANDBOX/chassisd.log
  $0 down
EOF
}

status() {
	echo "== ovn-sbctl show"
	sbctl show
	echo "== Port_Binding (logical_port, chassis, up)"
	sbctl --columns=logical_port,type,chassis,up list Port_Binding
	echo "== ovn-nbctl lsp-get-up"
	for p in vm1 vm2 meta; do printf '%s: %s\n' "$p" "$(nbctl lsp-get-up $p)"; done
	echo "== br-int interfaces"
	vsctl --columns=name,ofport,external_ids list Interface
}

down() {
	for pidfile in "$SANDBOX"/*.pid; do
		[[ -e $pidfile ]] || continue
		kill "$(cat "$pidfile")" 2>/dev/null || true
	done
	sleep 0.5
	rm -rf "$SANDBOX"
	echo "sandbox stopped"
}

case ${1:-up} in
up) up ;;
status) status ;;
down) down ;;
*)
	echo "usage: $0 [up|status|down]" >&2
	exit 2
	;;
esac
