#!/bin/sh
# rnnlab search and reproduce: the learning-rate draws, determinism across --jobs, a diverging
# trial, kill -9 and resume, argument checks, MPI (mpirun -np 2 vs --jobs 2) and a tiny grid.
# Ends with "sh_search: N passed, N failed"; exits non-zero if anything failed.
. tests/lib.sh
RNNLAB=$R tmp=$T
ARGS="--data jsb --cell gru --hidden 8 --max-epochs 2 --trials 3 --seed 7 --quiet"

# The trials of a search.json, one per line, without the wall-clock seconds.
trials() { grep '"trial":' "$1" | sed 's/, "seconds": [^,}]*//'; }
field() { sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p" "$1"; }   # $1 = file of one trial line

# --- a tiny search with 2 jobs, then the same with 1 job -----------------------------------
"$RNNLAB" search $ARGS --jobs 2 --out "$tmp/j2" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 0 ]' "search --jobs 2 exited $rc: $(cat "$tmp/err")"
check '[ -f "$tmp/j2/search.json" ] && [ $(grep -c "\"trial\":" "$tmp/j2/search.json") -eq 3 ]' "search.json lacks 3 trials"
check 'grep -q "\"complete\": true" "$tmp/j2/search.json"' "search.json not complete"
check '[ $(grep -c "\"status\": \"ok\"" "$tmp/j2/search.json") -eq 3 ]' "not every trial ok"
check 'grep -q "\"best\": [0-2]$" "$tmp/j2/search.json"' "no best index"
for d in 01 02 03; do
    check '[ -f "$tmp/j2/trial-$d/summary.json" ] && [ -f "$tmp/j2/trial-$d/model.safetensors" ]' "trial-$d has no run"
done
trials "$tmp/j2/search.json" | sed -n 's/.*"lr": \([^,]*\),.*/\1/p' > "$tmp/lrs"
check '[ $(wc -l < "$tmp/lrs") -eq 3 ] && awk "{ if (\$1 < exp(-12) || \$1 > exp(-6)) exit 1 }" "$tmp/lrs"' \
    "learning rates outside exp(-12)..exp(-6): $(tr '\n' ' ' < "$tmp/lrs")"
check '[ $(sort -u "$tmp/lrs" | wc -l) -eq 3 ]' "the 3 learning rates are not distinct"
# The best is the lowest validation NLL.
best=$(sed -n 's/.*"best": \([0-9]*\)$/\1/p' "$tmp/j2/search.json")
trials "$tmp/j2/search.json" | sed -n 's/.*"valid_nll": \([^,]*\),.*/\1/p' > "$tmp/valid"
lowest=$(awk 'NR == 1 || $1 < m { m = $1; i = NR - 1 } END { print i }' "$tmp/valid")
check '[ "$best" = "$lowest" ]' "best is $best, lowest validation NLL is trial index $lowest"

"$RNNLAB" search $ARGS --jobs 1 --out "$tmp/j1" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 0 ]' "search --jobs 1 exited $rc: $(cat "$tmp/err")"
check '[ "$(trials "$tmp/j1/search.json")" = "$(trials "$tmp/j2/search.json")" ]' "--jobs 1 and --jobs 2 give different trials"

# A different seed draws different learning rates; a rerun of a finished search is a no-op.
"$RNNLAB" search $(echo "$ARGS" | sed "s/--seed 7/--seed 8/") --jobs 2 --out "$tmp/s8" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 0 ]' "search --seed 8 exited $rc: $(cat "$tmp/err")"
check '[ "$(trials "$tmp/s8/search.json" | sed -n "1s/.*\"lr\": \([^,]*\),.*/\1/p")" != "$(head -n 1 "$tmp/lrs")" ]' "seed 8 drew seed 7's first lr"
cp "$tmp/j2/search.json" "$tmp/before.json"
"$RNNLAB" search $ARGS --jobs 2 --out "$tmp/j2" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$tmp/before.json" "$tmp/j2/search.json"' "rerunning a finished search changed search.json (rc $rc)"

# Other arguments on an existing search directory are refused (usage, exit 2).
"$RNNLAB" search $(echo "$ARGS" | sed "s/--max-epochs 2/--max-epochs 3/") --out "$tmp/j2" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "search.json: this search was made with --max-epochs 2, the command asks for 3" "$tmp/err"' \
    "changed --max-epochs accepted on an old search (rc $rc): $(cat $tmp/err)"
# Any stored option changed is refused naming it and both values (the option table decides;
# tests/test_rerun.c goes through every row); --jobs is not stored.
"$RNNLAB" search $ARGS --weight-noise 0 --out "$tmp/j2" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "j2/search.json: this search was made with --weight-noise 0.075, the command asks for 0 (rerun with the original options or choose a new --out)" "$tmp/err"' \
    "changed --weight-noise on an old search: rc $rc, $(cat "$tmp/err")"
"$RNNLAB" search $ARGS --variant pytorch --out "$tmp/j2" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "made with --variant paper, the command asks for pytorch" "$tmp/err"' \
    "changed --variant on an old search: rc $rc, $(cat "$tmp/err")"
"$RNNLAB" search $ARGS --jobs 1 --out "$tmp/j2" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$tmp/before.json" "$tmp/j2/search.json"' "a rerun with only --jobs changed: rc $rc, $(cat "$tmp/err")"
# Every train option a search does not set is a search option; an option of another unit
# fails before any trial starts.
"$RNNLAB" search --help > "$tmp/help"
check 'grep -q "^  --clip " "$tmp/help" && grep -q "^  --eps " "$tmp/help" && grep -q "^  --split-scheme " "$tmp/help" && ! grep -q "^  --lr " "$tmp/help" && ! grep -q "^  --threads " "$tmp/help"' \
    "search --help does not list the train options a search takes: $(tr '\n' ' ' < "$tmp/help")"
"$RNNLAB" search $ARGS --forget-bias 1 --out "$tmp/fb" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q -- "--forget-bias 1 does not apply to --cell gru" "$tmp/err" && [ ! -d "$tmp/fb/trial-01" ]' \
    "--forget-bias with a GRU search: rc $rc, $(cat "$tmp/err")"
# A directory in use: the message names the holder.
mkdir -p "$tmp/held" && printf 'pid=4242 command=search\n' > "$tmp/held/rnnlab.lock"
flock "$tmp/held/rnnlab.lock" sleep 5 & holder=$!
sleep 0.3
"$RNNLAB" search $ARGS --out "$tmp/held" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "held is in use by rnnlab search (process 4242)" "$tmp/err"' "a held search directory: rc $rc, $(cat "$tmp/err")"
kill $holder 2>/dev/null; wait $holder 2>/dev/null
"$RNNLAB" search $ARGS --lr-log-range 1:x --out "$tmp/bad" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "lr-log-range" "$tmp/err"' "bad --lr-log-range: rc $rc"
"$RNNLAB" search $ARGS --lr-log-range 3:4 --out "$tmp/bad" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "2.3" "$tmp/err"' "--lr-log-range beyond train's lr limit: rc $rc"
"$RNNLAB" search --data jsb --cell gru 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "out" "$tmp/err"' "search without --out: rc $rc"

# --- a diverging trial ---------------------------------------------------------------------
# RMSProp, clipping and a float-safe loss keep even lr = 10 (train's limit) finite, so the
# divergence is made: trial-02 of a finished search gets its resume state rolled back one
# epoch with every parameter set to +-3.4e38; resumed, its loss overflows (train exits 5).
# Its checksum entry is blanked (as many spaces), so the edited file loads unchecked, as one
# written by another program would; with the entry it would be refused as damaged.
cp -r "$tmp/j2" "$tmp/div"
poison() {   # $1 = run directory
    f="$1/state.safetensors"
    rm -f "$1/summary.json"
    hlen=$(od -An -t u8 -N 8 "$f" | tr -d ' ')
    off=$(grep -obUa '"params":{[^}]*}' "$f" | sed -n 's/.*"data_offsets":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/p')
    set -- $off
    pairs=$(( ($2 - $1) / 8 ))
    LC_ALL=C awk -v n=$pairs 'BEGIN { for (i = 0; i < n; i++) printf "\377\377\177\177\377\377\177\377" }' \
        | dd of="$f" bs=1 seek=$((8 + hlen + $1)) conv=notrunc 2>/dev/null
    e=$(grep -obUa '"epoch":"2"' "$f" | cut -d: -f1)
    printf '1' | dd of="$f" bs=1 seek=$((e + 9)) conv=notrunc 2>/dev/null
    d=$(grep -obUa '"done":"1"' "$f" | cut -d: -f1)
    printf '0' | dd of="$f" bs=1 seek=$((d + 8)) conv=notrunc 2>/dev/null
    c=$(grep -obUa ',"rnnlab_checksum":"crc32c:[0-9a-f]*"' "$f" | cut -d: -f1)
    printf '%36s' '' | dd of="$f" bs=1 seek="$c" conv=notrunc 2>/dev/null
}
poison "$tmp/div/trial-02"
check 'grep -qa "\"epoch\":\"1\"" "$tmp/div/trial-02/state.safetensors"' "could not prepare the diverging state"
"$RNNLAB" search $ARGS --jobs 2 --out "$tmp/div" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 0 ]' "a search with a diverging trial exited $rc: $(cat "$tmp/err")"
trials "$tmp/div/search.json" | sed -n 2p > "$tmp/t2"
check 'grep -q "\"status\": \"failed\"" "$tmp/t2" && grep -q "not finite" "$tmp/t2"' "trial-02 not marked failed: $(cat "$tmp/t2")"
check '[ "$(field "$tmp/t2" test_nll)" = null ]' "a failed trial has a test NLL"
check '[ $(grep -c "\"status\": \"ok\"" "$tmp/div/search.json") -eq 2 ] && grep -q "\"complete\": true" "$tmp/div/search.json"' \
    "the other trials of the diverging search are not ok"
check 'grep -q "\"status\": \"diverged\"" "$tmp/div/trial-02/summary.json"' "trial-02's summary is not 'diverged'"
# Every trial diverged: the search ends with exit 5 (numeric) and says so.
cp -r "$tmp/j2" "$tmp/alldiv"
for d in 01 02 03; do poison "$tmp/alldiv/trial-$d"; done
"$RNNLAB" search $ARGS --jobs 2 --out "$tmp/alldiv" 2>"$tmp/err"; rc=$?
check '[ $rc -eq 5 ] && grep -q "all 3 trials diverged" "$tmp/err"' "all-diverged search: rc $rc, $(cat "$tmp/err")"

# --- kill -9 of a running search, then resume ------------------------------------------------
KARGS="--data jsb --cell tanh --hidden 12 --max-epochs 6 --trials 4 --seed 3 --jobs 2 --quiet"
t0=$(date +%s.%N)
"$RNNLAB" search $KARGS --out "$tmp/kref" 2>"$tmp/err" || bad "reference search failed: $(cat "$tmp/err")"
span=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
# Runs from scratch, each killed at pseudo-random moments within 0.6 of an uninterrupted
# search's time and resumed until it completes (at most 6 kills a run), then compared with
# the uninterrupted search; until 12 kills have landed.
kills=0; attempt=0; run=0
while [ $kills -lt 12 ] && [ $run -lt 10 ]; do
    run=$((run + 1)); rm -rf "$tmp/kill"; k=0
    while :; do
        attempt=$((attempt + 1))
        delay=$(awk -v s=$attempt -v span="$span" 'BEGIN { srand(s * 7919); printf "%.3f", 0.05 + rand() * 0.6 * span }')
        "$RNNLAB" search $KARGS --out "$tmp/kill" 2>/dev/null & pid=$!
        sleep "$delay"
        if [ $k -lt 6 ] && kill -9 $pid 2>/dev/null; then
            kills=$((kills + 1)); k=$((k + 1))
            wait $pid 2>/dev/null
            sleep 0.2   # the trials die with their parent (PR_SET_PDEATHSIG)
            check '! grep -las "$tmp/kill/trial" /proc/[0-9]*/cmdline >/dev/null' "training processes outlived the killed search"
        else
            wait $pid; rc=$?
            check '[ $rc -eq 0 ]' "resumed search exited $rc"
            break
        fi
    done
    check '[ "$(trials "$tmp/kill/search.json")" = "$(trials "$tmp/kref/search.json")" ]' "killed and resumed search (run $run) differs from the uninterrupted one"
    check 'grep -q "\"complete\": true" "$tmp/kill/search.json"' "resumed search (run $run) not complete"
done
echo "search kill/resume: $kills kills over $run runs"
check '[ $kills -ge 12 ]' "the search was killed only $kills times while running"

# --- MPI: mpirun -np 2 gives the trials of --jobs 2 ------------------------------------------
if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP sh_search: mpirun not found, the MPI test did not run (apt-get install openmpi-bin libopenmpi-dev)"
elif [ ! -x "$BUILD/rnnlab-mpi" ]; then
    bad "mpirun is installed but $BUILD/rnnlab-mpi was not built (is mpicc missing? apt-get install libopenmpi-dev, then make)"
else
    # LeakSanitizer (make asan-test) would report Open MPI's own allocations at exit; in
    # containers the shared-memory single-copy path (CMA) is often forbidden.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"; export ASAN_OPTIONS
    OMPI_MCA_btl_vader_single_copy_mechanism=none; export OMPI_MCA_btl_vader_single_copy_mechanism
    MPIRUN="timeout 300 mpirun --allow-run-as-root --oversubscribe -np 2"
    $MPIRUN "$BUILD/rnnlab-mpi" search $ARGS --out "$tmp/mpi" >"$tmp/mpiout" 2>&1; rc=$?
    check '[ $rc -eq 0 ]' "mpirun -np 2 search exited $rc: $(tail -n 5 "$tmp/mpiout")"
    check '[ -f "$tmp/mpi/search.json" ] && [ "$(trials "$tmp/mpi/search.json")" = "$(trials "$tmp/j2/search.json")" ]' \
        "mpirun -np 2 trials differ from --jobs 2"
    check '[ "$(grep "\"best\"" "$tmp/mpi/search.json")" = "$(grep "\"best\"" "$tmp/j2/search.json")" ]' "MPI best differs"
    # Rerun: every rank reads its finished trials back, rank 0 gathers the same file.
    $MPIRUN "$BUILD/rnnlab-mpi" search $ARGS --out "$tmp/mpi" >"$tmp/mpiout" 2>&1; rc=$?
    check '[ $rc -eq 0 ] && [ "$(trials "$tmp/mpi/search.json")" = "$(trials "$tmp/j2/search.json")" ]' "MPI rerun differs (rc $rc)"
    # The plain binary refuses to run as several ranks instead of racing on one directory.
    $MPIRUN "$RNNLAB" search $ARGS --out "$tmp/mpiplain" >"$tmp/mpiout" 2>&1; rc=$?
    check '[ $rc -ne 0 ] && grep -q "built without MPI" "$tmp/mpiout"' "plain rnnlab under mpirun did not refuse (rc $rc)"
fi

# --- a tiny reproduce grid ------------------------------------------------------------------
"$RNNLAB" reproduce --out "$tmp/grid" --datasets jsb --cells tanh,gru --trials 2 --seeds 2 --max-epochs 2 \
    --hidden 6 --jobs 2 --quiet 2>"$tmp/err"; rc=$?
check '[ $rc -eq 0 ]' "reproduce exited $rc: $(cat "$tmp/err")"
check '[ -f "$tmp/grid/jsb-tanh/search.json" ] && [ -f "$tmp/grid/jsb-gru/seed-2/summary.json" ]' "grid runs missing"
# (columns 1-19 are every data set's; the speech columns after them are empty for music)
check '[ $(wc -l < "$tmp/grid/table2.csv") -eq 3 ] && ! cut -d, -f1-19 "$tmp/grid/table2.csv" | grep -q ",,,,"' "table2.csv incomplete"
check 'grep -q "JSB Chorales (paper)" "$tmp/grid/table2.md" && grep -q "\*\*" "$tmp/grid/table2.md"' "table2.md lacks the paper row or the bold best"
check 'grep -q "| GRU | 6 | " "$tmp/grid/table1.md"' "table1.md lacks the measured GRU"
# Both conventions: the seed runs' mean over sequences of their NLL per frame, in the CSV's
# test_seq_mean column (the mean of their summaries') and in a second markdown table.
seqm=$(/usr/bin/python3 -c "
import csv, json, sys
row = next(r for r in csv.DictReader(open(sys.argv[1])) if r['cell'] == 'gru')
want = sum(json.load(open(sys.argv[2] + '/seed-%d/summary.json' % k))['test_nll_seq_mean'] for k in (1, 2)) / 2
print('ok' if abs(float(row['test_seq_mean']) - want) < 1e-5 and abs(want - float(row['test_mean'])) > 1e-4 else row)
" "$tmp/grid/table2.csv" "$tmp/grid/jsb-gru" 2>&1)
check '[ "$seqm" = ok ] && grep -q "NLL as the mean over sequences" "$tmp/grid/table2.md"' \
    "table2's mean over sequences: $seqm"
# Seed runs train at the best trial's learning rate.
blr=$(sed -n '2s/^[^,]*,[^,]*,[^,]*,[^,]*,\([^,]*\),.*/\1/p' "$tmp/grid/table2.csv")
check 'grep -q "\"lr\": $blr" "$tmp/grid/jsb-tanh/seed-1/summary.json"' "seed-1 did not train at the best lr $blr"
if command -v gnuplot >/dev/null 2>&1; then
    check '[ -s "$tmp/grid/fig-jsb.png" ] && [ -s "$tmp/grid/fig-jsb.svg" ]' "no figures although gnuplot is installed"
else
    echo "SKIP sh_search: gnuplot not found, figures not checked"
fi
# A rerun with another option is refused by reproduce.json; an identical one reads every run back.
"$RNNLAB" reproduce --out "$tmp/grid" --datasets jsb --cells tanh,gru --trials 2 --seeds 3 --max-epochs 2 \
    --hidden 6 --jobs 2 --quiet 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "grid/reproduce.json: this grid was made with --seeds 2, the command asks for 3" "$tmp/err"' \
    "reproduce rerun with other --seeds: rc $rc, $(cat "$tmp/err")"
"$RNNLAB" reproduce --out "$tmp/grid" --datasets jsb --cells tanh,gru --trials 2 --seeds 2 --max-epochs 2 \
    --hidden 6 --jobs 2 --quiet --clip 0.5 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "made with --clip 1, the command asks for 0.5" "$tmp/err"' "reproduce rerun with --clip: rc $rc, $(cat "$tmp/err")"
cp "$tmp/grid/table2.csv" "$tmp/t2before"
"$RNNLAB" reproduce --out "$tmp/grid" --datasets jsb --cells tanh,gru --trials 2 --seeds 2 --max-epochs 2 \
    --hidden 6 --jobs 1 2>"$tmp/err" >"$tmp/out"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$tmp/t2before" "$tmp/grid/table2.csv" && grep -q "^reproduce: done: " "$tmp/out"' \
    "identical reproduce rerun: rc $rc, $(cat "$tmp/err")"
"$RNNLAB" reproduce --help > "$tmp/help"
check 'grep -q "^  --clip " "$tmp/help" && grep -q "^  --weight-noise " "$tmp/help" && ! grep -q "^  --data " "$tmp/help" && ! grep -q "^  --cell " "$tmp/help"' \
    "reproduce --help does not list the train options a grid takes"

# --datasets FILE.mat: the runs under the file's base name, tables and figure named by it.
jsbmat=
for d in "${RNNLAB_DATA:-}" ./data ../shared/data; do
    [ -n "$d" ] && [ -f "$d/music/jsb_chorales.mat" ] && { jsbmat="$d/music/jsb_chorales.mat"; break; }
done
if [ -z "$jsbmat" ]; then
    bad "jsb_chorales.mat not found for the --datasets FILE.mat test"
else
    cp "$jsbmat" "$tmp/mine.mat"
    GARGS="--datasets $tmp/mine.mat --cells gru --trials 1 --seeds 1 --max-epochs 1 --hidden 4 --jobs 1"
    "$RNNLAB" reproduce --out "$tmp/gmat" $GARGS >"$tmp/out" 2>"$tmp/err"; rc=$?
    check '[ $rc -eq 0 ] && [ -f "$tmp/gmat/mine-gru/trial-01/summary.json" ] && [ -f "$tmp/gmat/mine-gru/seed-1/summary.json" ]' \
        "reproduce --datasets FILE.mat: rc $rc, runs not under mine-gru: $(cat "$tmp/err")"
    check 'grep -q "^mine,gru,4," "$tmp/gmat/table2.csv" && grep -q "| mine (rnnlab) |" "$tmp/gmat/table2.md"' "table2 does not name mine"
    if command -v gnuplot >/dev/null 2>&1; then
        check '[ -s "$tmp/gmat/fig-mine.png" ] && [ -s "$tmp/gmat/fig-mine.svg" ] && grep -q "fig-<data>.png" "$tmp/out"' \
            "no fig-mine.png/.svg: $(cat "$tmp/err")"
    fi
    # A gnuplot that runs and fails is an error naming the script; no "done".
    mkdir -p "$tmp/fakebin" && printf '#!/bin/sh\nexit 1\n' > "$tmp/fakebin/gnuplot" && chmod +x "$tmp/fakebin/gnuplot"
    PATH="$tmp/fakebin:$PATH" "$RNNLAB" reproduce --out "$tmp/gmat" $GARGS --quiet >"$tmp/out" 2>"$tmp/err"; rc=$?
    check '[ $rc -eq 4 ] && grep -q "gmat/fig-mine.gp: gnuplot failed (exit 1), see .*fig-mine.log" "$tmp/err" ' \
        "a failing gnuplot: rc $rc, $(cat "$tmp/err") / $(cat "$tmp/out")"
    check '[ $(grep -c . "$tmp/err") -eq 1 ]' "a failing gnuplot is not one line: $(cat "$tmp/err")"
    PATH="$tmp/fakebin:$PATH" "$RNNLAB" reproduce --out "$tmp/gmat" $GARGS >"$tmp/out" 2>"$tmp/err"; rc=$?
    check '[ $rc -eq 4 ] && ! grep -q "done" "$tmp/out"' "a failing gnuplot still says done (rc $rc): $(cat "$tmp/out")"
    # No gnuplot at all: a warning, the tables, exit 0 (figures need gnuplot, docs/RESULTS.md).
    PATH=/nonexistent "$RNNLAB" reproduce --out "$tmp/gmat" $GARGS >"$tmp/out" 2>"$tmp/err"; rc=$?
    check '[ $rc -eq 0 ] && grep -q "gnuplot not found, figures skipped" "$tmp/err" && grep -q "(no figures: gnuplot missing)" "$tmp/out"' \
        "reproduce without gnuplot: rc $rc, $(cat "$tmp/err")"
    # A table that cannot be written is an error naming it.
    rm -f "$tmp/gmat/table1.md" && mkdir -p "$tmp/gmat/table1.md/x"
    "$RNNLAB" reproduce --out "$tmp/gmat" $GARGS >"$tmp/out" 2>"$tmp/err"; rc=$?
    check '[ $rc -eq 4 ] && grep -q "table1.md" "$tmp/err" && ! grep -q "done" "$tmp/out"' "an unwritable table1.md: rc $rc, $(cat "$tmp/err")"
    # Two paths with one base name would share directories: refused.
    mkdir -p "$tmp/other" && cp "$tmp/mine.mat" "$tmp/other/mine.mat"
    "$RNNLAB" reproduce --out "$tmp/gmat2" --datasets "$tmp/mine.mat,$tmp/other/mine.mat" 2>"$tmp/err"; rc=$?
    check '[ $rc -eq 2 ] && grep -q "would both run in" "$tmp/err"' "two data sets named mine: rc $rc, $(cat "$tmp/err")"
fi
"$RNNLAB" reproduce --out "$tmp/grid" --datasets jsb,nosuch --quiet 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "nosuch" "$tmp/err"' "an unknown data set was accepted (rc $rc)"

summary
