#!/bin/sh
# End-to-end checks of `rnnlab train` / `eval` on JSB Chorales with small models:
# - eval reproduces summary.json's test NLL exactly (same batching, same float sums);
# - truncated BPTT with a window longer than every sequence equals full BPTT, bit for bit,
#   and a short window trains to a different but finite model;
# - the same seed gives the same model; another seed another;
# - 2 layers, the PyTorch variants and batch > 1 train and evaluate;
# - resuming a finished run changes nothing; extending it with --max-epochs equals one run;
# - without --lr a named data set trains at the grid's rate for its unit (table2.csv's lr
#   column), a .mat path at 1e-3, and a given --lr wins;
# - --protocol authors stores the released code's options; an option given explicitly wins;
#   such a run extended by --resume equals one run (the velocity is in the resume state);
# - --loss-weight frame and sum train other models than sequence.
. tests/lib.sh
A="--data jsb --hidden 8 --max-epochs 2 --quiet"
test_nll() { sed -n 's/.*"test_nll": \([^,]*\),.*/\1/p' "$1/summary.json"; }

"$R" train $A --cell gru --out "$T/a" >/dev/null || bad "train failed"
e=$("$R" eval --model "$T/a/model.safetensors" --data jsb --split test --json)
[ "$(printf '%s' "$e" | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')" = "$(test_nll "$T/a")" ] && ok || bad "eval $e vs summary $(test_nll "$T/a")"
printf '%s' "$e" | grep -q '"frames": 4648' && ok || bad "eval frames: $e"

"$R" train $A --cell gru --bptt 100000 --out "$T/b" >/dev/null || bad "bptt train failed"
cmp -s "$T/a/model.safetensors" "$T/b/model.safetensors" && ok || bad "a window longer than every sequence differs from full BPTT"
"$R" train $A --cell gru --bptt 16 --out "$T/c" >/dev/null || bad "bptt 16 failed"
cmp -s "$T/a/model.safetensors" "$T/c/model.safetensors" && bad "bptt 16 gave the full-BPTT model" || ok
"$R" eval --model "$T/c/model.safetensors" --data jsb >/dev/null && ok || bad "bptt 16 model does not evaluate"

"$R" train $A --cell gru --out "$T/a2" >/dev/null
cmp -s "$T/a/model.safetensors" "$T/a2/model.safetensors" && ok || bad "same seed, different model"
"$R" train $A --cell gru --seed 2 --out "$T/s2" >/dev/null
cmp -s "$T/a/model.safetensors" "$T/s2/model.safetensors" && bad "another seed, same model" || ok

for cfg in "--cell lstm --layers 2" "--cell gru --variant pytorch" "--cell lstm --variant pytorch" "--cell tanh --batch 8"; do
    d="$T/$(printf '%s' "$cfg" | tr -c 'a-z0-9' '_')"
    if "$R" train $A $cfg --out "$d" >/dev/null 2>&1 && grep -q '"status": "ok"' "$d/summary.json"; then
        v=$(test_nll "$d")
        awk -v v="$v" 'BEGIN { exit !(v > 0 && v < 61) }' && ok || bad "$cfg: test NLL $v"
    else bad "$cfg: training failed"; fi
done

before=$(cksum < "$T/a/model.safetensors")
"$R" train --resume "$T/a" --quiet >/dev/null 2>&1 && ok || bad "resume of a finished run failed"
[ "$(cksum < "$T/a/model.safetensors")" = "$before" ] && ok || bad "resume of a finished run changed the model"
# Extending a finished run with --resume --max-epochs equals training that long at once.
"$R" train --data jsb --hidden 8 --max-epochs 1 --quiet --out "$T/ext" >/dev/null
"$R" train --resume "$T/ext" --max-epochs 2 --quiet >/dev/null && cmp -s "$T/ext/model.safetensors" "$T/a/model.safetensors" \
    && ok || bad "1 epoch extended to 2 differs from 2 epochs"

# The learning rate without --lr: the grid's choice (docs/results/table2.csv) for a named set.
key() { sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p" "$1/options.json"; }
for cell in tanh gru lstm; do
    "$R" train --data jsb --cell $cell --hidden 4 --max-epochs 1 --quiet --out "$T/lr-$cell" >/dev/null 2>&1
    want=$(grep "^jsb,$cell," docs/results/table2.csv | cut -d, -f5)
    got=$(key "$T/lr-$cell" lr)
    check '[ -n "$want" ] && awk -v a="$got" -v b="$want" "BEGIN { exit !(a == b) }"' "jsb $cell without --lr: lr $got, table2.csv $want"
done
"$R" train --data "${RNNLAB_DATA:-../shared/data}/music/jsb_chorales.mat" --hidden 4 --max-epochs 1 --quiet --out "$T/lr-path" >/dev/null 2>&1
check '[ "$(key "$T/lr-path" lr)" = 0.001 ]' "a .mat path without --lr: lr $(key "$T/lr-path" lr), want 0.001"
"$R" train --data jsb --hidden 4 --max-epochs 1 --lr 3e-4 --quiet --out "$T/lr-given" >/dev/null 2>&1
check '[ "$(key "$T/lr-given" lr)" = 0.0003 ]' "a given --lr: $(key "$T/lr-given" lr)"

# --protocol authors: the released code's options, an explicit one winning; resumable.
P="--data jsb --hidden 4 --quiet --protocol authors"
"$R" train $P --max-epochs 2 --out "$T/au" >/dev/null 2>&1 || bad "authors protocol failed"
got=""
for kv in rmsprop:'"authors"' rms_floor:0.01 step_clip:1 clip:0 lr:0.001 lr_decay_epochs:500 loss_weight:'"sum"' \
          batch:1 patience:500 weight_noise:0.075; do
    [ "$(key "$T/au" "${kv%%:*}")" = "${kv#*:}" ] || got="$got ${kv%%:*}=$(key "$T/au" "${kv%%:*}")"
done
check '[ -z "$got" ]' "--protocol authors stored:$got"
"$R" train $P --max-epochs 1 --clip 0.5 --lr 0.002 --out "$T/au-given" >/dev/null 2>&1
check '[ "$(key "$T/au-given" clip)" = 0.5 ] && [ "$(key "$T/au-given" lr)" = 0.002 ] && [ "$(key "$T/au-given" step_clip)" = 1 ]' \
    "--protocol authors --clip 0.5 --lr 0.002: clip $(key "$T/au-given" clip), lr $(key "$T/au-given" lr)"
"$R" train $P --max-epochs 1 --out "$T/au-ext" >/dev/null 2>&1
"$R" train --resume "$T/au-ext" --max-epochs 2 --quiet >/dev/null 2>&1
check 'cmp -s "$T/au/model.safetensors" "$T/au-ext/model.safetensors"' "authors: 1 epoch extended to 2 differs from 2 epochs"

# The loss weightings train different models (frame: a constant divisor; sum: none).
for w in frame sum; do
    "$R" train $A --cell gru --loss-weight $w --out "$T/w-$w" >/dev/null 2>&1 || bad "--loss-weight $w failed"
    check '! cmp -s "$T/a/model.safetensors" "$T/w-$w/model.safetensors" && grep -q "\"status\": \"ok\"" "$T/w-$w/summary.json"' \
        "--loss-weight $w: same model as sequence, or not ok"
done
summary
