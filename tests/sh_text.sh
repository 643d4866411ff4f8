#!/bin/sh
# End-to-end checks of text: train, eval, resume and sample on 20,000 bytes of Tiny
# Shakespeare with a small model:
# - a fresh text run takes char-rnn's defaults (options.json) where none was given, and a
#   given option wins over them;
# - eval reproduces summary.json's test NLL exactly and evaluates on the model's own split;
# - extending a run with --resume --max-epochs equals one run, bit for bit;
# - the same seed samples the same bytes, to standard output or --out; another seed others;
#   the prime comes first; the length is prime + --chars; the temperature changes the draws;
# - a search's trials take the text defaults; bench --task text runs char-rnn's shape;
# - without --hidden a text run takes its unit's Table 1 text size (GRU 150);
# - reproduce on a text file: every unit at its text size with the text defaults, Table 1's
#   text rows (sizes and parameter counts, counted here by hand), Table 2's rows in nats and
#   bits per character (recomputed with numpy from the seed runs' summary.json) and the
#   figure's data in bits per character (from their metrics.csv).
. tests/lib.sh
D=${RNNLAB_DATA:-../shared/data}
head -c 20000 "$D/text/tinyshakespeare.txt" > "$T/s.txt"
B="--data $T/s.txt --hidden 16 --quiet"
A="$B --max-epochs 2"
test_nll() { sed -n 's/.*"test_nll": \([^,]*\),.*/\1/p' "$1/summary.json"; }
opt() { grep -o "\"$2\": [^,}]*" "$1/options.json"; }

"$R" train $A --out "$T/a" >/dev/null || bad "text train failed"
for kv in '"cell": "lstm"' '"layers": 2' '"bptt": 50' '"batch": 50' '"lr": 0.002' '"momentum": 0' \
          '"weight_noise": 0' '"split": "90/5/5"' '"hidden": 16'; do
    grep -qF "$kv" "$T/a/options.json" && ok || bad "options.json lacks $kv: $(cat "$T/a/options.json")"
done
grep -q '"head": "softmax"' "$T/a/summary.json" && grep -q '"status": "ok"' "$T/a/summary.json" && ok ||
    bad "summary: $(head -c 400 "$T/a/summary.json")"
e=$("$R" eval --model "$T/a/model.safetensors" --data "$T/s.txt" --split test --json)
[ "$(printf '%s' "$e" | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')" = "$(test_nll "$T/a")" ] && ok ||
    bad "eval $e vs summary $(test_nll "$T/a")"
printf '%s' "$e" | grep -q '"frames": 999,' && ok || bad "test split of 1000 bytes: $e"

# Streams: 18,000 training bytes are 17,999 steps; 50 streams of floor(17999/50) = 359 steps
# are ceil(359/50) = 8 windows, one update each, per epoch.
[ "$(sed -n 2p "$T/a/metrics.csv" | cut -d, -f1,2)" = "1,8" ] && [ "$(sed -n 3p "$T/a/metrics.csv" | cut -d, -f1,2)" = "2,16" ] &&
    ok || bad "updates per epoch: $(cat "$T/a/metrics.csv")"

# A given option wins over the text default; another split is stored and used by eval.
"$R" train $A --cell gru --batch 7 --split 80/10/10 --out "$T/g" >/dev/null || bad "gru train failed"
[ "$(opt "$T/g" cell)" = '"cell": "gru"' ] && [ "$(opt "$T/g" batch)" = '"batch": 7' ] && ok ||
    bad "given options: $(opt "$T/g" cell) $(opt "$T/g" batch)"
e=$("$R" eval --model "$T/g/model.safetensors" --data "$T/s.txt" --split test --json)
printf '%s' "$e" | grep -q '"frames": 1999,' && ok || bad "the model's split 80/10/10: $e"
# 16,000 training bytes, 7 streams of floor(15999/7) = 2285 steps: ceil(2285/50) = 46 windows
[ "$(sed -n 2p "$T/g/metrics.csv" | cut -d, -f1,2)" = "1,46" ] && ok || bad "7 streams: $(sed -n 2p "$T/g/metrics.csv")"
[ "$(printf '%s' "$e" | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')" = "$(test_nll "$T/g")" ] && ok ||
    bad "eval on the model's split $e vs summary $(test_nll "$T/g")"

# Resume: 1 epoch, then extended to 2, equals the 2-epoch run.
"$R" train $B --max-epochs 1 --out "$T/r" >/dev/null 2>&1 || bad "1-epoch run failed"
"$R" train --resume "$T/r" --max-epochs 2 --quiet >/dev/null || bad "resume failed"
cmp -s "$T/a/model.safetensors" "$T/r/model.safetensors" && ok || bad "resumed run differs from one run"
cmp -s "$T/a/metrics.csv" "$T/r/metrics.csv" || [ "$(cut -d, -f1,2,4,5 "$T/a/metrics.csv")" = "$(cut -d, -f1,2,4,5 "$T/r/metrics.csv")" ] && ok ||
    bad "metrics differ: $(cat "$T/a/metrics.csv") vs $(cat "$T/r/metrics.csv")"

# Sampling.
M="$T/a/model.safetensors"
"$R" sample --model "$M" --chars 300 --prime "ROMEO:" --seed 5 > "$T/s1" || bad "sample failed"
"$R" sample --model "$M" --chars 300 --prime "ROMEO:" --seed 5 > "$T/s2"
"$R" sample --model "$M" --chars 300 --prime "ROMEO:" --seed 5 --out "$T/s3" >/dev/null || bad "sample --out failed"
"$R" sample --model "$M" --chars 300 --prime "ROMEO:" --seed 6 > "$T/s4"
cmp -s "$T/s1" "$T/s2" && cmp -s "$T/s1" "$T/s3" && ok || bad "the same seed gave other bytes"
cmp -s "$T/s1" "$T/s4" && bad "another seed gave the same bytes" || ok
[ "$(wc -c < "$T/s1")" -eq 306 ] && [ "$(head -c 6 "$T/s1")" = "ROMEO:" ] && ok ||
    bad "sample: $(wc -c < "$T/s1") bytes, starting '$(head -c 6 "$T/s1")'"
"$R" sample --model "$M" --chars 300 --prime "ROMEO:" --seed 5 --temperature 0.5 > "$T/c1"
cmp -s "$T/s1" "$T/c1" && bad "another temperature gave the same bytes" || ok

# A search's trials start as resumed runs: they take the text defaults all the same.
"$R" search --data "$T/s.txt" --hidden 8 --max-epochs 1 --trials 2 --jobs 1 --out "$T/srch" >/dev/null 2>&1 || bad "text search failed"
for t in trial-01 trial-02; do
    [ "$(opt "$T/srch/$t" bptt)" = '"bptt": 50' ] && [ "$(opt "$T/srch/$t" layers)" = '"layers": 2' ] &&
        grep -q '"status": "ok"' "$T/srch/$t/summary.json" && ok || bad "search $t: $(cat "$T/srch/$t/options.json")"
done

# bench --task text: char-rnn's shape by default, characters per second.
j=$("$R" bench --task text --hidden 8 --seconds 0.05 --json)
printf '%s' "$j" | grep -q '"task": "text", "cell": "lstm"' && printf '%s' "$j" | grep -q '"layers": 2, "batch": 50, "seq_len": 50, "input": 65' &&
    printf '%s' "$j" | grep -qE '"train_steps_per_s": [1-9]' && ok || bad "bench --task text: $j"
# Table 1's text size without --hidden (GRU 150, equal budget with char-rnn's LSTM 2 x 128).
head -c 3000 "$T/s.txt" > "$T/t.txt"
"$R" train --data "$T/t.txt" --cell gru --max-epochs 1 --out "$T/g150" --quiet >/dev/null 2>&1 || bad "gru without --hidden failed"
[ "$(opt "$T/g150" hidden)" = '"hidden": 150' ] && [ "$(opt "$T/g150" layers)" = '"layers": 2' ] && ok ||
    bad "gru without --hidden: $(opt "$T/g150" hidden), $(opt "$T/g150" layers)"

# reproduce on a text file of 3,000 bytes: 1 trial and 2 seed runs of 1 epoch per unit.
"$R" reproduce --out "$T/grid" --datasets "$T/t.txt" --trials 1 --seeds 2 --max-epochs 1 --jobs 2 --quiet >/dev/null 2>"$T/err"
rc=$?
check '[ $rc -eq 0 ]' "text reproduce exited $rc: $(cat "$T/err")"
for u in tanh:267 gru:150 lstm:128; do
    for r in trial-01 seed-1 seed-2; do
        d="$T/grid/t-${u%:*}/$r"
        [ "$(opt "$d" cell)" = "\"cell\": \"${u%:*}\"" ] && [ "$(opt "$d" hidden)" = "\"hidden\": ${u#*:}" ] &&
            [ "$(opt "$d" bptt)" = '"bptt": 50' ] && [ "$(opt "$d" momentum)" = '"momentum": 0' ] && ok ||
            bad "reproduce $d: $(cat "$d/options.json")"
    done
done
/usr/bin/python3 - "$T/grid" "$T/t.txt" <<'PY' > "$T/pycheck" 2>&1
import csv, json, math, sys
import numpy as np
g, txt = sys.argv[1:3]
data = open(txt, "rb").read()
V = len(set(data[: int(len(data) * 0.9)]))  # the training split's distinct bytes
# Recurrent parameters of 2 layers on V inputs, as Table 1 counts them (peepholes 3H).
count = {"lstm": lambda H: 4 * (V * H + H * H + H) + 3 * H + 4 * (2 * H * H + H) + 3 * H,
         "gru": lambda H: 3 * (V * H + H * H + H) + 3 * (2 * H * H + H),
         "tanh": lambda H: (V * H + H * H + H) + (2 * H * H + H)}
size = {"tanh": 267, "gru": 150, "lstm": 128}
title = {"tanh": "tanh", "gru": "GRU", "lstm": "LSTM"}
fails = 0
def close(a, b, what, tol=2e-6):
    global fails
    if not abs(a - b) <= tol * max(1, abs(b)):
        print("mismatch", what, a, b); fails += 1
t1 = open(g + "/table1.md").read()
t2 = open(g + "/table2.md").read()
rows = list(csv.DictReader(open(g + "/table2.csv")))
md = {"nats per character": [], "bits per character": []}
for row in rows:
    u = row["cell"]
    runs = [json.load(open("%s/t-%s/seed-%d/summary.json" % (g, u, k))) for k in (1, 2)]
    H = size[u]
    if runs[0]["hidden"] != H or runs[0]["params_recurrent"] != count[u](H):
        print("summary", u, runs[0]["hidden"], runs[0]["params_recurrent"], count[u](H)); fails += 1
    want = "| text | %s | %d | %d | %d |" % (title[u], H, count[u](H), runs[0]["params_total"])
    if want not in t1: print("table1 lacks", want); fails += 1
    if int(row["hidden"]) != H or int(row["params_recurrent"]) != count[u](H): print("csv size", row); fails += 1
    cells = {}
    for split in ("train", "valid", "test"):
        x = np.array([s[split + "_nll"] for s in runs])
        close(float(row[split + "_mean"]), x.mean(), u + " " + split + " nats mean")
        close(float(row[split + "_std"]), x.std(ddof=1), u + " " + split + " nats std", 1e-4)
        b = x / math.log(2)
        close(float(row[split + "_bpc_mean"]), b.mean(), u + " " + split + " bpc mean")
        close(float(row[split + "_bpc_std"]), b.std(ddof=1), u + " " + split + " bpc std", 1e-4)
        cells[split] = (x, b)
    for unit, k in (("nats per character", 0), ("bits per character", 1)):
        tr, te = cells["train"][k], cells["test"][k]
        md[unit].append("%.2f ± %.2f / %.2f ± %.2f" % (tr.mean(), tr.std(ddof=1), te.mean(), te.std(ddof=1)))
for unit, cols in md.items():
    line = [l for l in t2.splitlines() if l.startswith("| t (rnnlab, %s) |" % unit)]
    got = [c.strip().replace("**", "") for c in line[0].split("|")[2:-1]] if line else None
    if got != cols: print("table2.md", unit, got, cols); fails += 1
# The figure's data: per epoch the seed runs' train and valid bits per character, mean, min, max.
blocks = open(g + "/fig-t.dat").read().split("\n\n\n")
for i, u in enumerate(("tanh", "gru", "lstm")):
    got = np.array([[float(v) for v in l.split()] for l in blocks[i].splitlines() if l and not l.startswith("#")])
    m = [np.loadtxt("%s/t-%s/seed-%d/metrics.csv" % (g, u, k), delimiter=",", skiprows=1, ndmin=2) for k in (1, 2)]
    tr = [a[0, 3] / math.log(2) for a in m]
    va = [a[0, 4] / math.log(2) for a in m]
    want = np.array([[1, np.mean([a[0, 2] for a in m]), np.mean(tr), min(tr), max(tr), np.mean(va), min(va), max(va)]])
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-7, atol=1e-6):
        print("figure", u, got.tolist(), want.tolist()); fails += 1
print("rows", len(rows), "fails", fails)
PY
check 'grep -q "^rows 3 fails 0$" "$T/pycheck"' "text reproduce's tables and figure: $(cat "$T/pycheck")"
check 'grep -q "bits per character" "$T/grid/fig-t.gp"' "the text figure is not in bits per character"
# `rnnlab sample --help` without a model shows every head's options (it listed speech and
# music only, so --chars and the .npy sampler were undiscoverable).
"$R" sample --help > "$T/sample-help" 2>&1; rc=$?
check '[ $rc -eq 0 ] && grep -q -- "--chars" "$T/sample-help" && grep -q "FILE.npy" "$T/sample-help" && grep -q "FILE.mid" "$T/sample-help" && grep -q "FILE.wav" "$T/sample-help"' \
    "sample --help (rc $rc) lacks a head's options: $(head -c 400 "$T/sample-help")"
summary
