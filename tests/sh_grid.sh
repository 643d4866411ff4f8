#!/bin/sh
# scripts/paper-grid.sh keeps a grid's records beside its tables ($RESULTS/runs: each finished
# run's options, summary, metrics and log, a seed run's model, the pinned tool's commit and
# sha256) and restores a grid on a new machine from them without retraining; a restore whose
# pinned tool differs from the recorded sha256 stops. The rebuild of the recorded commit is not
# exercised here (the test brings its own pinned tool).
# Ends with "sh_grid: N passed, N failed"; exits non-zero if anything failed.
. tests/lib.sh
D=${RNNLAB_DATA:-../shared/data}
cp "$R" "$T/pin" || bad "cannot copy $R"
echo "build/rnnlab of 0123abc, copied for the test" > "$T/pin.version"
sha=$(sha256sum < "$T/pin" | cut -d' ' -f1)
G="--datasets jsb --data-root $D --cells gru --trials 2 --seeds 1 --max-epochs 1 --hidden 4 --quiet"

# shellcheck disable=SC2086
RESULTS="$T/res" PIN="$T/pin" scripts/paper-grid.sh "$T/g1" $G > "$T/out1" 2>&1; rc=$?
check '[ $rc -eq 0 ]' "the grid exited $rc: $(cat "$T/out1")"
check '[ "$(find "$T/res/runs" -name summary.json | wc -l)" -eq 3 ]' "3 finished runs' summaries expected in the records"
check '[ -f "$T/res/runs/reproduce.json" ] && [ -f "$T/res/runs/jsb-gru/search.json" ]' "reproduce.json or search.json not recorded"
check 'cmp -s "$T/g1/jsb-gru/seed-1/model.safetensors" "$T/res/runs/jsb-gru/seed-1/model.safetensors"' "the seed run's model not recorded as it is"
check '[ ! -f "$T/res/runs/jsb-gru/trial-01/model.safetensors" ] && [ -z "$(find "$T/res/runs" -name state.safetensors)" ]' \
    "a trial's model or a resume state was recorded"
check 'grep -qx "commit 0123abc" "$T/res/runs/tool.version" && grep -qx "sha256 $sha" "$T/res/runs/tool.version"' \
    "tool.version: $(cat "$T/res/runs/tool.version")"
check 'cmp -s "$T/g1/table2.md" "$T/res/table2.md"' "table2.md not copied into RESULTS"

# A new machine: OUT does not exist, the records do.
# shellcheck disable=SC2086
RESULTS="$T/res" PIN="$T/pin" scripts/paper-grid.sh "$T/g2" $G > "$T/out2" 2>&1; rc=$?
check '[ $rc -eq 0 ]' "the restored grid exited $rc: $(cat "$T/out2")"
check 'grep -q "restored 3 finished runs" "$T/out2"' "no restore line: $(cat "$T/out2")"
check '[ -z "$(find "$T/g2" -name state.safetensors)" ]' "the restored grid trained again"
check 'cmp -s "$T/g1/table2.csv" "$T/g2/table2.csv"' "the restored grid's table2.csv differs: $(diff "$T/g1/table2.csv" "$T/g2/table2.csv")"

# A pinned tool that is not the grid's: refused before anything is written.
sed 's/^sha256 ./sha256 x/' "$T/res/runs/tool.version" > "$T/tv" && mv "$T/tv" "$T/res/runs/tool.version"
# shellcheck disable=SC2086
RESULTS="$T/res" PIN="$T/pin" scripts/paper-grid.sh "$T/g3" $G > "$T/out3" 2>&1; rc=$?
check '[ $rc -eq 4 ] && grep -q "sha256" "$T/out3" && [ ! -e "$T/g3" ]' "a foreign pinned tool: rc $rc, $(cat "$T/out3")"
summary
