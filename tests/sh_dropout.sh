#!/bin/sh
# --dropout end to end (the gradient is checked in dtest_gradcheck.c, the masks and the pass in
# test_dropout.c):
# - the same seed gives the same model; --dropout 0 is the run without the option; 0.5 another;
# - evaluation does not drop: eval reproduces summary.json's test NLL, and so does PyTorch
#   (scripts/torch_eval.py, which knows nothing of dropout) when /usr/bin/python3 has torch;
# - 1 epoch resumed to 2 equals 2 epochs (the masks come from the run's generator, whose
#   state the resume file holds); --dropout is fixed on resume; a run stored before the
#   option existed resumes as dropout 0;
# - batch > 1 with --bptt on music, 2 layers, and text's streams train with it, reproducibly;
# - options.json and summary.json store it; --help shows it.
. tests/lib.sh
A="--data jsb --hidden 8 --layers 2 --max-epochs 2 --quiet"
test_nll() { sed -n 's/.*"test_nll": \([^,]*\),.*/\1/p' "$1/summary.json"; }

"$R" train $A --out "$T/d0" >/dev/null || bad "train without --dropout failed"
"$R" train $A --dropout 0 --out "$T/z" >/dev/null || bad "train --dropout 0 failed"
cmp -s "$T/d0/model.safetensors" "$T/z/model.safetensors" && ok || bad "--dropout 0 differs from no --dropout"
"$R" train $A --dropout 0.5 --out "$T/a" >/dev/null || bad "train --dropout 0.5 failed"
"$R" train $A --dropout 0.5 --out "$T/a2" >/dev/null || bad "train --dropout 0.5 (again) failed"
cmp -s "$T/a/model.safetensors" "$T/a2/model.safetensors" && ok || bad "same seed and dropout, different model"
cmp -s "$T/a/model.safetensors" "$T/d0/model.safetensors" && bad "--dropout 0.5 gave the model without dropout" || ok
"$R" train $A --dropout 0.5 --seed 2 --out "$T/s2" >/dev/null
cmp -s "$T/a/model.safetensors" "$T/s2/model.safetensors" && bad "another seed, same model" || ok

# Evaluation: no dropout (the same NLL twice, and summary.json's).
e=$("$R" eval --model "$T/a/model.safetensors" --data jsb --split test --json)
nll=$(printf '%s' "$e" | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')
check '[ -n "$nll" ] && [ "$nll" = "$(test_nll "$T/a")" ]' "eval $nll vs summary $(test_nll "$T/a")"
e2=$("$R" eval --model "$T/a/model.safetensors" --data jsb --split test --json)
check '[ "$e" = "$e2" ]' "eval twice: $e / $e2"
if /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
    py=$(/usr/bin/python3 scripts/torch_eval.py --model "$T/a/model.safetensors" --data jsb --split test --json 2>&1 |
         sed -n 's/.*"nll": \([^,]*\),.*/\1/p')
    check 'awk -v a="$py" -v b="$nll" "BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d <= 1e-4 * b) }"' \
        "PyTorch's NLL of the dropout model $py vs rnnlab eval $nll"
else
    echo "sh_dropout: /usr/bin/python3 has no torch: the PyTorch evaluation is not compared"
fi

# Resume: 1 epoch, then resumed to 2, is the 2-epoch run; --dropout cannot change.
"$R" train --data jsb --hidden 8 --layers 2 --max-epochs 1 --dropout 0.5 --quiet --out "$T/r" >/dev/null
"$R" train --resume "$T/r" --max-epochs 2 --quiet >/dev/null && cmp -s "$T/r/model.safetensors" "$T/a/model.safetensors" \
    && ok || bad "1 epoch with dropout resumed to 2 differs from 2 epochs"
err=$("$R" train --resume "$T/r" --dropout 0.2 2>&1 >/dev/null); rc=$?
check '[ "$rc" -eq 2 ] && printf "%s" "$err" | grep -q -- "--dropout cannot change"' "resume --dropout: exit $rc: $err"

# A run stored before --dropout existed (options.json without the key, as a search trial
# starts from) resumes as dropout 0: the model of the same run trained at once.
mkdir -p "$T/old"
sed 's/"dropout": 0, //' "$T/d0/options.json" > "$T/old/options.json"
check '! grep -q dropout "$T/old/options.json"' "the old-style options.json still names dropout"
"$R" train --resume "$T/old" --quiet >/dev/null 2>&1 && cmp -s "$T/old/model.safetensors" "$T/d0/model.safetensors" \
    && ok || bad "a run stored without dropout does not resume to the run without dropout"

# Stored through the option table.
check 'grep -q "\"dropout\": 0.5" "$T/a/options.json"' "options.json lacks dropout 0.5: $(cat "$T/a/options.json")"
check 'grep -q "\"dropout\": 0.5" "$T/a/summary.json"' "summary.json lacks dropout 0.5"
check '"$R" train --help | grep -q -- "--dropout"' "train --help does not show --dropout"

# Batch > 1 with truncated BPTT, and text's streams (2 layers, batch 4, windows of 20).
B="--data jsb --cell gru --hidden 8 --layers 2 --batch 4 --bptt 30 --max-epochs 1 --dropout 0.3 --quiet"
"$R" train $B --out "$T/b" >/dev/null && "$R" train $B --out "$T/b2" >/dev/null && \
    cmp -s "$T/b/model.safetensors" "$T/b2/model.safetensors" && ok || bad "batch 4, bptt 30, dropout: not reproducible"
head -c 20000 "${RNNLAB_DATA:-../shared/data}/text/tinyshakespeare.txt" > "$T/small.txt"
X="--data $T/small.txt --hidden 16 --batch 4 --bptt 20 --max-epochs 2 --dropout 0.4 --quiet"
"$R" train $X --out "$T/t" >/dev/null && "$R" train $X --out "$T/t2" >/dev/null && \
    cmp -s "$T/t/model.safetensors" "$T/t2/model.safetensors" && ok || bad "text with dropout: not reproducible"
"$R" train --data "$T/small.txt" --hidden 16 --batch 4 --bptt 20 --max-epochs 2 --quiet --out "$T/t0" >/dev/null
cmp -s "$T/t/model.safetensors" "$T/t0/model.safetensors" && bad "text: dropout 0.4 changed nothing" || ok
v=$(test_nll "$T/t")
check 'awk -v v="$v" "BEGIN { exit !(v > 0 && v < 10) }"' "text with dropout: test NLL $v"
summary
