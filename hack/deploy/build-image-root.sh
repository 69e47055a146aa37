#!/usr/bin/env bash
# Builds the file tree of chassisd's container image (what the Dockerfile's
# last stage holds) with the local Go toolchain, for machines without a
# container engine, and checks it: a static binary, the ovn-controller
# name, and the entry points the DaemonSet calls (--version, ctl, configure).
#
#   hack/deploy/build-image-root.sh [OUT_DIR]    (default: a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
out=${1:-$(mktemp -d)}
version=$(git describe --always --dirty 2>/dev/null || echo dev)
mkdir -p "$out/usr/bin"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out/usr/bin/chassisd" ./cmd/chassisd
ln -sf chassisd "$out/usr/bin/ovn-controller"

fail() { echo "build-image-root: $*" >&2; exit 1; }
bin="$out/usr/bin/chassisd"
file_out=$(file -b "$bin" 2>/dev/null || true)
if [[ -n $file_out && $file_out != *"statically linked"* ]]; then
	fail "chassisd is not static: $file_out"
fi
grep -q '^ENTRYPOINT \["/usr/bin/chassisd"\]' Dockerfile || fail "Dockerfile's entry point is not /usr/bin/chassisd"
"$bin" --version | grep -q "^chassisd $version\$" || fail "--version does not report $version"
"$out/usr/bin/ovn-controller" --version | grep -q '^ovn-controller 23.03.1$' || fail "ovn-controller --version"
"$bin" -h >/dev/null || fail "-h does not exit 0"
# ctl against nothing fails cleanly (exit 1, a message), as the liveness probe relies on.
if "$bin" ctl -t /nonexistent.ctl version 2>/dev/null; then fail "ctl to a missing socket succeeded"; fi
if "$bin" configure --db unix:/nonexistent.sock a=b 2>/dev/null; then fail "configure without a database succeeded"; fi
# The manifest's commands exist in the binary.
for sub in ctl configure; do
	help=$("$bin" "$sub" -h 2>&1) || fail "$sub -h failed"
	grep -q "$sub" <<<"$help" || fail "subcommand $sub missing"
done
echo "image root in $out ($(du -sh "$out" | cut -f1)), chassisd $version"
