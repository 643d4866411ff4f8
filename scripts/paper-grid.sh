#!/bin/sh
# Run, or resume, the paper's whole grid (4 music data sets x tanh/GRU/LSTM, 10-trial
# learning-rate search + 3 seed runs each) and keep docs/results/ in step with it: the tables
# and figures are copied there every minute while it runs and once at the end.
#
#   nohup scripts/paper-grid.sh > runs/paper-grid.nohup 2>&1 &
#
# usage: scripts/paper-grid.sh [OUT [reproduce options...]]   (OUT defaults to runs/paper-grid)
# The tool runs from a copy (runs/rnnlab-grid) so that rebuilding build/rnnlab meanwhile
# changes nothing. Exit status: that of `rnnlab reproduce` (0 when the grid is complete).
set -u
cd "$(dirname "$0")/.." || exit 4
OUT=${1:-runs/paper-grid}
[ $# -gt 0 ] && shift
mkdir -p runs docs/results || exit 4
[ -x build/rnnlab ] || { echo "paper-grid: build/rnnlab missing: run make first" >&2; exit 4; }
cp build/rnnlab runs/rnnlab-grid.tmp && mv runs/rnnlab-grid.tmp runs/rnnlab-grid || exit 4

sync_results() {   # copy each finished table and figure into docs/results/ (rename: atomic)
    for f in "$OUT"/table1.md "$OUT"/table2.md "$OUT"/table2.csv "$OUT"/fig-*.png "$OUT"/fig-*.svg; do
        [ -f "$f" ] || continue
        b=$(basename "$f")
        cmp -s "$f" "docs/results/$b" && continue
        cp "$f" "docs/results/.$b.tmp" && mv "docs/results/.$b.tmp" "docs/results/$b"
    done
}

echo "paper-grid: started $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
runs/rnnlab-grid reproduce --out "$OUT" --jobs 2 "$@" &
pid=$!
while kill -0 $pid 2>/dev/null; do
    sleep 60
    sync_results
done
wait $pid
rc=$?
sync_results
echo "paper-grid: reproduce exited $rc at $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
exit $rc
