#!/usr/bin/env bash
# Installs what chassisd's tests and sandbox need on Debian 12, as root.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
	openvswitch-switch # ovsdb-server, ovs-vswitchd, ovs-vsctl, ovs-ofctl
	ovn-central        # NB/SB schemas, ovn-northd, ovn-nbctl, ovn-sbctl
	ovn-host           # the reference ovn-controller for differential tests
	iproute2 ethtool busybox procps tcpdump
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "install-deps: run as root to install: ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	# The packages' init scripts would start system-wide daemons; tests start
	# their own, so keep the policy from starting services during install.
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	apt-get install -y --no-install-recommends "${missing[@]}"
fi

export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null; then
	echo "install-deps: Go 1.26 or newer is required (https://go.dev/doc/install); put it on PATH or in /usr/local/go" >&2
	exit 1
fi
