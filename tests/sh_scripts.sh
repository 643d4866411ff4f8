#!/bin/sh
# The Python scripts in scripts/ with /usr/bin/python3 (Debian's torch and numpy): each user
# mistake is one line "torch_eval.py: ..." on stderr, rnnlab's exit code for it (2 usage,
# 3 data, 4 I/O) and no traceback; a data set name is found through the data root as rnnlab
# finds it; and the script's NLL is rnnlab eval's. Without torch or numpy there, nothing runs
# and the test says so (0 checks).
. tests/lib.sh
D=${RNNLAB_DATA:-../shared/data}
PY=/usr/bin/python3
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
    echo "sh_scripts: skipped: $PY cannot import torch and numpy (Debian python3-torch python3-numpy)"
    summary
    exit
fi

# Fixtures: a tiny music model, a speech-headed copy of it, files that are no checkpoint.
"$R" train --data jsb --data-root "$D" --hidden 4 --max-epochs 1 --out "$T/m" --quiet >/dev/null 2>&1 \
    || bad "fixture training failed"
M="$T/m/model.safetensors"
"$PY" - "$M" "$T/mog.safetensors" <<'EOF' || bad "speech-headed fixture failed"
import sys
sys.path.insert(0, "scripts")
import rnnlab_torch as rt
t, meta = rt.st_read(sys.argv[1])
meta["head"] = "mog"
rt.st_write(sys.argv[2], t, meta)
EOF
mkdir -p "$T/empty" "$T/mid"
echo "this is not a checkpoint" > "$T/text.safetensors"
echo "this is not a MAT file" > "$T/text.mat"
"$R" sample --model "$M" --steps 8 --out "$T/mid/x.mid" >/dev/null 2>&1 || bad "MIDI fixture failed"
JSB="$D/music/jsb_chorales.mat"

# expect CODE TEXT ARGS...: torch_eval.py ARGS exits CODE with one line on stderr that starts
# with "torch_eval.py: " and contains TEXT, and no traceback. The cases run side by side (each
# pays for importing torch); each leaves "ok" or its failure in $T/case.N, counted below.
ncase=0
expect() {
    ncase=$((ncase + 1))
    (
        code=$1 text=$2
        shift 2
        err=$(env -u RNNLAB_DATA "$PY" scripts/torch_eval.py "$@" 2>&1 >/dev/null); rc=$?
        n=$(printf '%s\n' "$err" | grep -c .)
        if [ "$rc" -ne "$code" ]; then echo "torch_eval.py $*: exit $rc, expected $code: $err"
        elif [ "$n" -ne 1 ]; then echo "torch_eval.py $*: $n lines on stderr: $err"
        elif printf '%s' "$err" | grep -q Traceback; then echo "torch_eval.py $*: a traceback: $err"
        elif ! printf '%s' "$err" | grep -q '^torch_eval.py: '; then echo "torch_eval.py $*: not prefixed: $err"
        elif ! printf '%s' "$err" | grep -qF -- "$text"; then echo "torch_eval.py $*: '$err' lacks '$text'"
        else echo ok; fi
    ) > "$T/case.$ncase" 2>&1 &
}

expect 4 "nope.safetensors: cannot open" --model "$T/nope.safetensors" --data "$JSB"
expect 3 "not a safetensors checkpoint" --model "$T/text.safetensors" --data "$JSB"
expect 3 "not a safetensors checkpoint" --model "$T/mid/x.mid" --data "$JSB"
expect 3 "only piano-roll (Bernoulli) models" --model "$T/mog.safetensors" --data "$JSB"
expect 2 "unknown data set 'mnist'" --model "$M" --data mnist
expect 3 "data set 'jsb' not found: looked for music/jsb_chorales.mat in --data-root $T/empty" \
    --model "$M" --data jsb --data-root "$T/empty"
expect 4 "nofile.mat: no such file or directory" --model "$M" --data "$T/nofile.mat"
expect 3 "text.mat: not a MAT v5 file" --model "$M" --data "$T/text.mat"
expect 2 "x.mid is a MIDI file" --model "$M" --data "$T/mid/x.mid"
expect 2 "is a directory" --model "$M" --data "$T/mid"
expect 2 "argument --split: invalid choice: 'dev'" --model "$M" --data "$JSB" --split dev
expect 2 "the following arguments are required: --model" --data "$JSB"
(RNNLAB_DATA="$T/empty" "$PY" scripts/torch_eval.py --model "$M" --data jsb 2>"$T/env.err" >/dev/null
 echo $? > "$T/env.rc") &
env -u RNNLAB_DATA "$PY" scripts/torch_eval.py --model "$M" --data jsb --data-root "$D" --json > "$T/py.json" 2>&1 &
wait
i=0
while [ "$i" -lt "$ncase" ]; do
    i=$((i + 1))
    r=$(cat "$T/case.$i")
    if [ "$r" = ok ]; then ok; else bad "$r"; fi
done
# $RNNLAB_DATA is the root when --data-root is not given.
err=$(cat "$T/env.err"); rc=$(cat "$T/env.rc")
check '[ "$rc" -eq 3 ] && printf "%s" "$err" | grep -qF "in \$RNNLAB_DATA ($T/empty)"' \
    "RNNLAB_DATA as the data root: exit $rc: $err"
# A name resolved through the data root gives rnnlab eval's NLL (float64 vs float32 sums), in
# both conventions: pooled over frames and the mean over sequences of their NLL per frame; the
# training run's summary.json reports the same test numbers.
py=$(cat "$T/py.json")
c=$("$R" eval --model "$M" --data jsb --data-root "$D" --json 2>&1)
check '"$PY" -c "import json, sys; a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2]);
sys.exit(not (a[\"frames\"] == b[\"frames\"] and abs(a[\"nll\"] - b[\"nll\"]) <= 1e-6 * abs(b[\"nll\"])
              and abs(a[\"nll_seq_mean\"] - b[\"nll_seq_mean\"]) <= 1e-6 * abs(b[\"nll_seq_mean\"])
              and abs(a[\"nll\"] - a[\"nll_seq_mean\"]) > 1e-4))" "$py" "$c"' \
    "torch_eval.py on jsb ($py) differs from rnnlab eval ($c), or the two conventions coincide"
check '"$PY" -c "import json, sys; a, s = json.loads(sys.argv[1]), json.load(open(sys.argv[2]));
sys.exit(not (abs(a[\"nll\"] - s[\"test_nll\"]) <= 1e-6 * abs(a[\"nll\"])
              and abs(a[\"nll_seq_mean\"] - s[\"test_nll_seq_mean\"]) <= 1e-6 * abs(a[\"nll_seq_mean\"])
              and all(isinstance(s[k + \"_nll_seq_mean\"], float) for k in (\"train\", \"valid\"))))" "$py" "$T/m/summary.json"' \
    "summary.json's test NLLs differ from torch_eval.py's ($py), or it lacks train/valid_nll_seq_mean"
# The authors' optimiser's reference trajectories (tests/ref/authors_*, replayed by
# test_reference) are what its equations give in PyTorch now.
err=$("$PY" scripts/make_authors_refs.py --check 2>&1 >/dev/null); rc=$?
check '[ $rc -eq 0 ]' "make_authors_refs.py --check: exit $rc: $err"
# --loss-weight frame divides by batch x the training split's mean predicted frames per
# sequence (with --bptt: per window), as the .mat file gives them.
for a in "--batch 2:1" "--batch 1 --bptt 10:10"; do
    "$R" train --data jsb --data-root "$D" --hidden 4 --max-epochs 1 --loss-weight frame ${a%%:*} --quiet \
        --out "$T/lw" --force >/dev/null 2>&1 || bad "--loss-weight frame ${a%%:*} failed"
    r=$("$PY" - "$JSB" "$T/lw/summary.json" "${a%%:*}" "${a#*:}" <<'EOF'
import json, math, sys
sys.path.insert(0, "scripts")
import rnnlab_torch as rt
seqs = rt.mat_read(sys.argv[1])["traindata"]
B, W = int(sys.argv[3].split()[1]), int(sys.argv[4])
frames = [len(s) - 1 for s in seqs if len(s) > 1]
units = sum(math.ceil(f / W) for f in frames) if W > 1 else len(frames)
want = B * sum(frames) / units
got = json.load(open(sys.argv[2]))["loss_scale"]
print("ok" if abs(got - want) <= 1e-12 * want else f"loss_scale {got}, want {want}")
EOF
)
    check '[ "$r" = ok ]' "--loss-weight frame ${a%%:*}: $r"
done
# bench/torch_bench.py's mixture NLL (the speech rows' PyTorch side) is scripts/rnnlab_torch.py's
# mog_loss (checked against rnnlab elsewhere) on random logits, on the speech bench's grid.
out=$("$PY" - <<'EOF'
import sys
sys.path.insert(0, "scripts"); sys.path.insert(0, "bench")
import torch, rnnlab_torch as rt, torch_bench as tb
torch.manual_seed(3)
T, B, O = 5, 3, 10
a = torch.randn(T, B, tb.K * (1 + 2 * O), dtype=torch.float64) * 3
y = torch.round(torch.randn(T, B, O, dtype=torch.float64) / tb.STEP) * tb.STEP
_, ref, _ = rt.mog_loss(a, y, [T] * B, tb.K, 0.0, tb.SPEECH_STD)
got = tb.mog_nll(a, y)
print("ok" if abs(float(got - ref)) <= 1e-9 * abs(float(ref)) else f"torch_bench {float(got)} against {float(ref)}")
EOF
)
check '[ "$out" = ok ]' "torch_bench.py's mixture NLL differs from rnnlab_torch.mog_loss: $out"
summary
