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
#
# A grid outlives its machine: every minute the records of each finished run (options.json,
# summary.json, metrics.csv, train.log; a seed run's model.safetensors too, for sampling) and the
# grid's reproduce.json and search.json files are copied into $RESULTS/runs/, with the pinned
# tool's commit and sha256 in $RESULTS/runs/tool.version; commit them as they come. On a new
# machine (OUT without reproduce.json) the same command restores OUT from $RESULTS/runs/ and
# rebuilds the recorded commit as the pinned tool (in a temporary git worktree, same compiler
# flags), so finished runs are read back, not retrained, and unfinished ones start over with the
# grid's own binary. A restore whose rebuilt tool has another sha256 says so and stops, unless
# ALLOW_NEW_BUILD=1.
set -u
cd "$(dirname "$0")/.." || exit 4
OUT=${1:-runs/paper-grid}
[ $# -gt 0 ] && shift
RESULTS=${RESULTS:-docs/results}
mkdir -p runs "$RESULTS" || exit 4
PIN=${PIN:-runs/rnnlab-grid}
REC="$RESULTS/runs"

# restore: OUT is new, the records of an earlier machine are here
if [ ! -f "$OUT/reproduce.json" ] && [ -f "$REC/reproduce.json" ]; then
    commit=$(sed -n 's/^commit //p' "$REC/tool.version")
    want=$(sed -n 's/^sha256 //p' "$REC/tool.version")
    [ -n "$commit" ] && [ -n "$want" ] || { echo "paper-grid: $REC/tool.version names no commit and sha256" >&2; exit 4; }
    if [ ! -x "$PIN" ]; then
        wt=$(mktemp -d) || exit 4
        git worktree add -q --detach "$wt/src" "$commit" || { echo "paper-grid: cannot check out $commit" >&2; exit 4; }
        make -s -C "$wt/src" -j"$(nproc)" build/rnnlab > "$wt/build.log" 2>&1 \
            || { echo "paper-grid: building $commit failed (see $wt/build.log)" >&2; exit 4; }
        mkdir -p "$(dirname "$PIN")" && cp "$wt/src/build/rnnlab" "$PIN.tmp" && mv "$PIN.tmp" "$PIN" || exit 4
        git worktree remove --force "$wt/src" && rm -rf "$wt"
        echo "build/rnnlab of $commit, rebuilt $(date -u '+%Y-%m-%d %H:%M UTC') to resume the grid" > "$PIN.version"
    fi
    got=$(sha256sum < "$PIN" | cut -d' ' -f1)
    if [ "$got" != "$want" ]; then
        echo "paper-grid: the rebuilt tool of $commit has sha256 $got, the grid's was $want" >&2
        [ "${ALLOW_NEW_BUILD:-0}" = 1 ] || { echo "paper-grid: set ALLOW_NEW_BUILD=1 to continue with it anyway" >&2; exit 4; }
    fi
    (cd "$REC" && find . -type f ! -name tool.version) | while read -r f; do
        mkdir -p "$OUT/$(dirname "$f")" && cp -p "$REC/$f" "$OUT/$f" || exit 4
    done || exit 4
    echo "paper-grid: restored $(find "$REC" -name summary.json | wc -l) finished runs from $REC into $OUT"
fi

if [ ! -x "$PIN" ]; then
    [ -x build/rnnlab ] || { echo "paper-grid: build/rnnlab missing: run make first" >&2; exit 4; }
    mkdir -p "$(dirname "$PIN")" && cp build/rnnlab "$PIN.tmp" && mv "$PIN.tmp" "$PIN" || exit 4
    echo "build/rnnlab of $(git describe --always --dirty 2>/dev/null), copied $(date -u '+%Y-%m-%d %H:%M UTC')" \
        > "$PIN.version"
fi

put() {   # put SRC DEST: copy when changed, by rename (atomic)
    cmp -s "$1" "$2" && return 0
    mkdir -p "$(dirname "$2")" && cp -p "$1" "$2.tmp" && mv "$2.tmp" "$2"
}

sync_results() {   # each finished table, figure and run record into $RESULTS
    for f in "$OUT"/table1.md "$OUT"/table2.md "$OUT"/table2.csv "$OUT"/fig-*.png "$OUT"/fig-*.svg; do
        [ -f "$f" ] && put "$f" "$RESULTS/$(basename "$f")"
    done
    [ -f "$OUT/reproduce.json" ] || return 0
    put "$OUT/reproduce.json" "$REC/reproduce.json"
    for f in "$OUT"/*/search.json; do
        [ -f "$f" ] && put "$f" "$REC/${f#"$OUT"/}"
    done
    for s in "$OUT"/*/*/summary.json; do
        [ -f "$s" ] || continue
        d=$(dirname "$s")
        r=$REC/${d#"$OUT"/}
        for f in options.json summary.json metrics.csv train.log; do
            [ -f "$d/$f" ] && put "$d/$f" "$r/$f"
        done
        case $(basename "$d") in seed-*) [ -f "$d/model.safetensors" ] && put "$d/model.safetensors" "$r/model.safetensors" ;; esac
    done
    [ -f "$REC/tool.version" ] || printf 'commit %s\nsha256 %s\n' "$(sed -n 's/^build\/rnnlab of \([^,]*\),.*/\1/p' "$PIN.version")" \
        "$(sha256sum < "$PIN" | cut -d' ' -f1)" > "$REC/tool.version"
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
