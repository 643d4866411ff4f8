#!/bin/sh
# Every class of bad input in tests/errors.tsv: the command must exit with the listed code
# and print one line on stderr containing the listed text. docs/ERRORS.md is generated from
# the same table (scripts/gen-errors-doc.sh), so every entry there is exercised here. Also
# checks the two promises that need more than an exit code: a full disk leaves the previous
# checkpoint intact, and a diverging run leaves only finite parameters.
. tests/lib.sh
D=${RNNLAB_DATA:-../shared/data}
export R T D

# Fixtures.
mkdir -p "$T/empty" "$T/badstate"
echo "this is not a MAT file" > "$T/text.mat"
head -c 3000 "$D/music/jsb_chorales.mat" > "$T/trunc.mat"
echo "this is not a checkpoint" > "$T/text.safetensors"
"$R" train --data jsb --hidden 4 --max-epochs 1 --out "$T/m" --quiet >/dev/null 2>&1 || bad "fixture training failed"
cp "$T/m/model.safetensors" "$T/model.safetensors"
head -c 500 "$T/model.safetensors" > "$T/trunc.safetensors"
head -c 1000 "$T/m/state.safetensors" > "$T/badstate/state.safetensors"
# A model for other data: a tiny speech (mixture-of-Gaussians) model, one epoch on FSDD.
"$R" train --data fsdd --cell gru --hidden 4 --max-epochs 1 --out "$T/sp" --quiet >/dev/null 2>&1 || bad "speech fixture failed"
cp "$T/sp/model.safetensors" "$T/speech.safetensors"
# Full disk: an earlier complete run in the same directory must survive the failed one.
"$R" train --data jsb --hidden 8 --max-epochs 1 --out "$T/full" --quiet >/dev/null 2>&1
(cd "$T/full" && cksum model.safetensors state.safetensors summary.json) > "$T/full.before"

tab=$(printf '\t')
grep -v '^#' tests/errors.tsv | while IFS="$tab" read -r class what cmd code text; do
    [ -n "$class" ] || continue
    err=$(eval "$cmd" 2>&1 >/dev/null); rc=$?
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$rc" -ne "$code" ]; then echo "FAIL sh_errors: [$what] exit $rc, expected $code: $err"; echo x >> "$T/fails"
    elif ! printf '%s' "$err" | grep -qF -- "$text"; then echo "FAIL sh_errors: [$what] message '$err' lacks '$text'"; echo x >> "$T/fails"
    elif [ "$code" -ne 0 ] && [ "$class" != usage ] && [ "$lines" -ne 1 ]; then echo "FAIL sh_errors: [$what] $lines lines on stderr: $err"; echo x >> "$T/fails"
    else echo x >> "$T/oks"; fi
done
passed=$((passed + $(cat "$T/oks" 2>/dev/null | wc -l)))
failed=$((failed + $(cat "$T/fails" 2>/dev/null | wc -l)))

(cd "$T/full" && cksum model.safetensors state.safetensors summary.json) > "$T/full.after"
if cmp -s "$T/full.before" "$T/full.after"; then ok; else bad "full disk changed the previous checkpoint"; fi
ls "$T/full" | grep -q '\.tmp\.' && bad "full disk left a temporary file" || ok
"$R" eval --model "$T/div/model.safetensors" --data jsb >/dev/null 2>&1 && ok || bad "diverged run's model does not load (non-finite?)"
grep -q '"status": "diverged"' "$T/div/summary.json" && ok || bad "diverged run's summary lacks status diverged"
# A single non-finite gradient is skipped, counted, and the run completes.
RNNLAB_FAULT_NAN_UPDATE=100 RNNLAB_FAULT_NAN_COUNT=3 "$R" train --data jsb --hidden 8 --max-epochs 1 --out "$T/skip" --quiet >/dev/null 2>&1 \
    && grep -q '"skipped_updates": 3,' "$T/skip/summary.json" && grep -q '"status": "ok"' "$T/skip/summary.json" && ok \
    || bad "3 non-finite updates were not skipped and counted"
summary
