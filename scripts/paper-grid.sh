#!/bin/sh
# Run, or resume, the paper's whole grid (4 music data sets x tanh/GRU/LSTM, 10-trial
# learning-rate search + 3 seed runs each) and keep docs/results/ in step with it: the tables
# and figures are copied there (or into $RESULTS) every minute while it runs and once at the end.
#
#   nohup scripts/paper-grid.sh > runs/paper-grid.nohup 2>&1 &
#
# usage: scripts/paper-grid.sh [OUT [reproduce options...]]   (OUT defaults to runs/paper-grid)
# The speech grid, its tables into docs/results/speech/ (not over the music grid's) and its own
# pinned tool (PIN; the default, runs/rnnlab-grid, is the music grid's):
#   PIN=runs/rnnlab-speech RESULTS=docs/results/speech scripts/paper-grid.sh runs/speech-grid --datasets fsdd
# The last line gives the wall time of this invocation; table2.md's last line the runs' own
# training seconds summed (run-seconds) per data set, over every session.
# The grid runs from a pinned copy of the tool, runs/rnnlab-grid, made from build/rnnlab the
# first time (its git commit in runs/rnnlab-grid.version): rebuilding build/rnnlab meanwhile
# changes nothing, and a resumed run continues with the binary it started with, so every run
# stays bit-reproducible. Delete runs/rnnlab-grid to continue with a newer build (runs already
# finished are kept as they are). Exit status: that of `rnnlab reproduce` (0 when complete).
set -u
cd "$(dirname "$0")/.." || exit 4
OUT=${1:-runs/paper-grid}
[ $# -gt 0 ] && shift
RESULTS=${RESULTS:-docs/results}
mkdir -p runs "$RESULTS" || exit 4
[ -x build/rnnlab ] || { echo "paper-grid: build/rnnlab missing: run make first" >&2; exit 4; }
PIN=${PIN:-runs/rnnlab-grid}
if [ ! -x "$PIN" ]; then
    cp build/rnnlab "$PIN.tmp" && mv "$PIN.tmp" "$PIN" || exit 4
    echo "build/rnnlab of $(git describe --always --dirty 2>/dev/null), copied $(date -u '+%Y-%m-%d %H:%M UTC')" \
        > "$PIN.version"
fi

sync_results() {   # copy each finished table and figure into $RESULTS (rename: atomic)
    for f in "$OUT"/table1.md "$OUT"/table2.md "$OUT"/table2.csv "$OUT"/fig-*.png "$OUT"/fig-*.svg; do
        [ -f "$f" ] || continue
        b=$(basename "$f")
        cmp -s "$f" "$RESULTS/$b" && continue
        cp "$f" "$RESULTS/.$b.tmp" && mv "$RESULTS/.$b.tmp" "$RESULTS/$b"
    done
}

t0=$(date +%s)
echo "paper-grid: started $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), tool: $(cat "$PIN.version" 2>/dev/null)"
"$PIN" reproduce --out "$OUT" --jobs 2 "$@" &
pid=$!
# The copying runs beside it, so that the wall time below is the grid's, not rounded up to
# the next minute.
(while kill -0 $pid 2>/dev/null; do sleep 60; sync_results; done) &
syncer=$!
wait $pid
rc=$?
kill $syncer 2>/dev/null
sync_results
echo "paper-grid: reproduce exited $rc at $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(( $(date +%s) - t0 )) s wall"
exit $rc
