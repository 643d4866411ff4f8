#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is missing, build, and run the
# main job — train the paper's GRU (46 units) on JSB Chorales with the paper's protocol and
# print its test NLL next to the paper's 8.54.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=$(for p in $(cat scripts/debian-packages.txt); do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
make -j"$(nproc)"
out=${1:-runs/jsb-gru}
rm -rf "$out"
build/rnnlab train --data jsb --cell gru --lr 3e-4 --out "$out"
test_nll=$(sed -n 's/.*"test_nll": \([0-9.]*\).*/\1/p' "$out/summary.json")
echo "GRU-46 on JSB Chorales: test NLL $test_nll nats per frame (paper, Table 2: 8.54)"
