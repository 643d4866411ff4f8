#!/bin/sh
# End-to-end checks of `rnnlab train` / `eval` on JSB Chorales with small models:
# - eval reproduces summary.json's test NLL exactly (same batching, same float sums);
# - truncated BPTT with a window longer than every sequence equals full BPTT, bit for bit,
#   and a short window trains to a different but finite model;
# - the same seed gives the same model; another seed another;
# - 2 layers, the PyTorch variants and batch > 1 train and evaluate;
# - resuming a finished run changes nothing; extending it with --max-epochs equals one run.
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
summary
