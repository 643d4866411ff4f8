#!/bin/sh
# Every class of bad input in tests/errors.tsv: the command must exit with the listed code
# and print one line on stderr containing the listed text (a row with exit 0 checks the text
# all the same). docs/ERRORS.md is generated from the same table (scripts/gen-errors-doc.sh),
# so every entry there is exercised here, and its catalogue must be what the table gives now
# (a changed message, exit code or row fails until the doc is regenerated). Also
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
# Text: a byte the training split lacks (offset 38, in the test split), an empty file, a
# tiny text model (one epoch on 20,000 bytes of Tiny Shakespeare).
printf 'abababababababababababababababababababQa' > "$T/unseen.txt"
: > "$T/empty.txt"
: > "$T/one.npy"
echo "this is not a ZIP file" > "$T/text.npz"
head -c 20000 "$D/text/tinyshakespeare.txt" > "$T/small.txt"
"$R" train --data "$T/small.txt" --hidden 4 --layers 1 --batch 4 --max-epochs 1 --out "$T/tm" --quiet >/dev/null 2>&1 || bad "text fixture failed"
cp "$T/tm/model.safetensors" "$T/textmodel.safetensors"
# Real-valued .npz: values beyond float32's safe range, and a tiny Gaussian-mixture model.
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(3)
np.savez('$T/huge.npz', train_0=np.full((5, 1), 1e31), valid_0=np.full((5, 1), 0.5), test_0=np.full((5, 1), 0.5))
np.savez('$T/real.npz', train_0=r.normal(size=(20, 2)), valid_0=r.normal(size=(10, 2)), test_0=r.normal(size=(10, 2)))
" || bad "real-valued .npz fixtures failed (numpy)"
"$R" train --data "$T/real.npz" --hidden 4 --max-epochs 1 --out "$T/rm" --quiet >/dev/null 2>&1 || bad "real-valued fixture failed"
cp "$T/rm/model.safetensors" "$T/realmodel.safetensors"
# Not data sets: a folder holding one MIDI file (and the one-file import of it, whose
# validation split is empty), that MIDI file under a .mat name, a WAV file. A data root that
# exists before a failed fetch, which must survive it.
mkdir -p "$T/mid" "$T/r2"
"$R" sample --model "$T/model.safetensors" --steps 32 --out "$T/mid/x.mid" >/dev/null 2>&1 || bad "MIDI fixture failed"
cp "$T/mid/x.mid" "$T/midi.mat"
"$R" data import-midi "$T/mid" --out "$T/one.mat" >/dev/null 2>&1 || bad "one-file import failed"
"$R" sample --model "$T/speech.safetensors" --seconds 0.01 --out "$T/x.wav" >/dev/null 2>&1 || bad "WAV fixture failed"
# Full disk: an earlier complete run in the same directory must survive the failed one.
"$R" train --data jsb --hidden 8 --max-epochs 1 --out "$T/full" --quiet >/dev/null 2>&1
(cd "$T/full" && cksum model.safetensors state.safetensors summary.json) > "$T/full.before"

tab=$(printf '\t')
grep -v '^#' tests/errors.tsv | while IFS="$tab" read -r class what cmd code text; do
    [ -n "$class" ] || continue
    err=$(eval "$cmd" 2>&1 >/dev/null); rc=$?
    lines=$(printf '%s\n' "$err" | grep -c .)
    # The row docs/ERRORS.md must hold for it (as scripts/gen-errors-doc.sh writes it).
    shown=$(printf '%s' "$cmd" | sed 's/|/\\|/g')
    msg=$(printf '%s\n' "$err" | head -n 1 | sed "s#$T#\$T#g; s#$R#rnnlab#g; s/|/\\\\|/g")
    printf '| %s | %s | `%s` | %s | %s |\n' "$class" "$what" "$shown" "$rc" "$msg" >> "$T/rows"
    # Every message is one line; only the bare command prints its usage text.
    if [ "$rc" -ne "$code" ]; then echo "FAIL sh_errors: [$what] exit $rc, expected $code: $err"; echo x >> "$T/fails"
    elif ! printf '%s' "$err" | grep -qF -- "$text"; then echo "FAIL sh_errors: [$what] message '$err' lacks '$text'"; echo x >> "$T/fails"
    elif [ "$cmd" != '$R' ] && [ "$lines" -ne 1 ]; then echo "FAIL sh_errors: [$what] $lines lines on stderr: $err"; echo x >> "$T/fails"
    else echo x >> "$T/oks"; fi
done
passed=$((passed + $(cat "$T/oks" 2>/dev/null | wc -l)))
failed=$((failed + $(cat "$T/fails" 2>/dev/null | wc -l)))

# docs/ERRORS.md is the table's output as it is now, numbers aside: some messages carry sizes
# that vary from run to run (the header length of a resume state holds its timings).
sed -n '/^| class | bad input /,/^$/p' docs/ERRORS.md | grep '^| ' | tail -n +2 | sed 's/[0-9][0-9]*/N/g' > "$T/doc.rows"
sed -i 's/[0-9][0-9]*/N/g' "$T/rows"
if cmp -s "$T/rows" "$T/doc.rows"; then ok
else bad "docs/ERRORS.md is not the output of tests/errors.tsv: run scripts/gen-errors-doc.sh; doc < > now: $(diff "$T/doc.rows" "$T/rows" | grep '^[<>]' | head -n 4)"; fi
# A failed fetch leaves nothing it created: not the data root it made ($T/r, in the table), nor
# a directory inside a root that existed (fsdd: its download directory and speech/).
[ ! -e "$T/r" ] && ok || bad "a failed fetch left $T/r behind"
env https_proxy=http://proxy.invalid:1 "$R" data fetch fsdd --data-root "$T/r2" >/dev/null 2>&1; rc=$?
check '[ "$rc" -eq 4 ] && [ -d "$T/r2" ] && [ -z "$(ls -A "$T/r2")" ]' "a failed fsdd fetch (exit $rc) changed the root that existed: $(ls -A "$T/r2")"

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
