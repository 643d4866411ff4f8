#!/bin/sh
# Kill `rnnlab train` with SIGKILL at random moments (at least 50 times over several runs),
# resume each time, and check that (1) no output file is ever half-written — every file
# present after a kill is complete and loads — and (2) the final model is byte-identical to
# an uninterrupted run's, with the same per-epoch metrics.
. tests/lib.sh
RNNLAB=$R tmp=$T
ARGS="--data jsb --cell gru --hidden 24 --max-epochs 4 --seed 3 --quiet"

t0=$(date +%s.%N)
"$RNNLAB" train $ARGS --out "$tmp/ref" >/dev/null || bad "reference run failed"
# Kill delays scale with how long an uninterrupted run takes here (sanitizer builds and a
# busy machine are slower), so kills land anywhere from start-up to the last epoch.
span=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')

files_complete() {   # $1 = run directory; every file present must be whole
    d=$1
    if [ -f "$d/model.safetensors" ]; then
        "$RNNLAB" eval --model "$d/model.safetensors" --data jsb --split valid >/dev/null 2>&1 \
            || { bad "truncated model.safetensors after a kill"; return; }
    fi
    if [ -f "$d/metrics.csv" ]; then
        awk -F, 'NF != 6 { exit 1 }' "$d/metrics.csv" || { bad "half-written metrics.csv"; return; }
    fi
    if ls "$d" | grep -q '\.tmp\.'; then :; fi   # leftover temporaries are harmless, never read
    ok
}

kills=0; run=0; seed=1
while [ $kills -lt 50 ] && [ $run -lt 60 ]; do
    run=$((run + 1)); d="$tmp/run$run"; rm -rf "$d"; k=0
    while :; do
        if [ -f "$d/state.safetensors" ] || [ -f "$d/options.json" ]; then
            "$RNNLAB" train --resume "$d" --quiet >/dev/null 2>"$tmp/err" & pid=$!
        else
            "$RNNLAB" train $ARGS --out "$d" >/dev/null 2>"$tmp/err" & pid=$!
        fi
        # A pseudo-random delay in (0, 0.6) of the uninterrupted run's time (awk's rand,
        # seeded per attempt); after 12 kills a run is left to finish, so each run ends.
        seed=$((seed + 1))
        delay=$(awk -v s=$seed -v span="$span" 'BEGIN { srand(s); printf "%.3f", 0.01 + rand() * 0.6 * span }')
        sleep "$delay"
        if [ $k -lt 12 ] && kill -9 "$pid" 2>/dev/null; then
            k=$((k + 1))
            wait "$pid" 2>/dev/null
            kills=$((kills + 1))
            files_complete "$d"
        else
            wait "$pid"; rc=$?
            [ $rc -eq 0 ] || { bad "run $run exited $rc: $(cat "$tmp/err")"; break; }
            break
        fi
    done
    if cmp -s "$tmp/ref/model.safetensors" "$d/model.safetensors"; then ok; else bad "run $run: final model differs"; fi
    if [ "$(cut -d, -f1,2,4,5,6 "$tmp/ref/metrics.csv")" = "$(cut -d, -f1,2,4,5,6 "$d/metrics.csv")" ]; then ok
    else bad "run $run: metrics differ"; fi
    t1=$(sed -n 's/.*"test_nll": \([^,]*\),.*/\1/p' "$tmp/ref/summary.json")
    t2=$(sed -n 's/.*"test_nll": \([^,]*\),.*/\1/p' "$d/summary.json")
    [ -n "$t1" ] && [ "$t1" = "$t2" ] && ok || bad "run $run: test NLL $t2 vs $t1"
done
[ $kills -ge 50 ] && ok || bad "only $kills kills"
echo "kill/resume: $kills kills over $run runs"
summary
