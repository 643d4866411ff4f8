#!/bin/sh
# The grid's reporting: Table 2's speech rows (bits per sample checked against the recordings'
# own standard deviation, computed here with numpy), the baseline beside them and the
# run-seconds; the figures' data (each unit's seed runs: mean, min and max per epoch, recomputed
# from their metrics.csv); `rnnlab plot` (a PNG or SVG, its data equal to metrics.csv).
# Ends with "sh_report: N passed, N failed"; exits non-zero if anything failed.
. tests/lib.sh
PY=/usr/bin/python3

mkdir -p "$T/empty"
mini_fsdd "$T/mini" 8 || bad "no FSDD under the data root for the mini speech set"

# --- Table 2's speech rows ------------------------------------------------------------------
"$R" reproduce --out "$T/g" --datasets "$T/mini" --cells tanh,gru --trials 1 --seeds 2 --max-epochs 2 \
    --hidden 4 --jobs 2 --quiet 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "speech reproduce exited $rc: $(cat "$T/err")"
check 'grep -q "^| mini (rnnlab, nats per step) |" "$T/g/table2.md" && grep -q "^| mini (rnnlab, bits per sample) |" "$T/g/table2.md"' \
    "table2.md lacks the speech rows: $(cat "$T/g/table2.md")"
check 'grep -q "^| Ubisoft A (paper; other data) | 6.29 / 6.44 | 2.31 / \*\*3.59\*\* |" "$T/g/table2.md" && grep -q "^| Ubisoft B (paper; other data) | 7.61 / 7.62 | 0.38 / \*\*0.88\*\* |" "$T/g/table2.md"' \
    "table2.md lacks the paper's Ubisoft rows"
check 'grep -q "different, private data set" "$T/g/table2.md" && grep -q "^Run-seconds" "$T/g/table2.md"' \
    "table2.md lacks the note on the paper's data or the run-seconds"
# The training split's std from the WAV files themselves (16-bit PCM / 32768, population std).
"$PY" - "$T/mini" <<'EOF' > "$T/std"
import sys, wave
import numpy as np
mini = sys.argv[1]
rows = [l.rstrip("\n").split("\t") for l in open(mini + "/manifest.tsv")]
col = rows[0].index("split_by_index")
x = []
for r in rows[1:]:
    if r[col] == "train":
        w = wave.open(mini + "/recordings/" + r[0])
        x.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768)
std = np.concatenate(x).std()
print(repr(float(std)))
EOF
"$R" baseline --data "$T/mini" --json > "$T/lpc.json" 2>"$T/err" || bad "baseline failed: $(cat "$T/err")"
# Every number of the speech columns from an independent computation: the training split's
# std from the WAV files (numpy, 16-bit PCM / 32768, population std), each seed run's NLL from
# its summary.json turned into bits per sample, their mean and sample std; the baseline from
# `rnnlab baseline --json` of the same directory; the run-seconds from the summaries.
"$PY" - "$T/mini" "$T/g" "$T/lpc.json" "$(cat "$T/std")" <<'EOF' > "$T/pycheck" 2>&1
import csv, json, math, sys
import numpy as np
mini, g, lpc = sys.argv[1:4]
std = float(sys.argv[4])
bits = lambda nll: (nll / 10 + math.log(std * 32768)) / math.log(2)
base = json.load(open(lpc))["splits"]
fails = 0
def close(a, b, what, tol=2e-6):
    global fails
    if not abs(a - b) <= tol * max(1, abs(b)):
        print("mismatch", what, a, b); fails += 1
table = list(csv.DictReader(open(g + "/table2.csv")))
for row in table:
    unit = row["cell"]
    runs = [json.load(open("%s/mini-%s/seed-%d/summary.json" % (g, unit, k))) for k in (1, 2)]
    for split in ("train", "valid", "test"):
        b = [bits(s[split + "_nll"]) for s in runs]
        close(float(row[split + "_bits_mean"]), np.mean(b), unit + " " + split + " bits mean")
        close(float(row[split + "_bits_std"]), np.std(b, ddof=1), unit + " " + split + " bits std", 1e-5)
        close(float(row["lpc_%s_bits" % split]), base[split]["bits_per_sample"], "baseline " + split)
        close(float(row["lpc_%s_nll" % split]), base[split]["nll"], "baseline nats " + split)
    trials = json.load(open("%s/mini-%s/trial-01/summary.json" % (g, unit)))
    close(float(row["search_seconds"]), trials["seconds"], unit + " search seconds", 1e-3)
    close(float(row["seed_seconds"]), sum(s["seconds"] for s in runs), unit + " seed seconds", 1e-3)
paper = {"tanh": (6.29, 6.44, 7.61, 7.62), "gru": (2.31, 3.59, 0.38, 0.88)}
for row in table:
    got = tuple(float(row[k]) for k in ("paper_a_train", "paper_a_test", "paper_b_train", "paper_b_test"))
    if got != paper[row["cell"]]: print("paper row", row["cell"], got); fails += 1
print("rows", len(table), "fails", fails)
EOF
check 'grep -q "^rows 2 fails 0$" "$T/pycheck"' "table2.csv's speech columns: $(cat "$T/pycheck")"

# --- the grid's figure: mean and min-max band of the seed runs, speech in bits per sample -----
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1
is_png() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "211PNG" ]; }
if [ $have_gnuplot -eq 1 ]; then
    check 'is_png "$T/g/fig-mini.png" && grep -q "<svg" "$T/g/fig-mini.svg"' "fig-mini.png/.svg missing or not PNG/SVG"
else
    echo "SKIP sh_report: gnuplot not found, images not checked"
fi
# fig-mini.dat: block i = unit i of --cells; per epoch both seed runs reached: the runs' mean
# seconds, and train / valid bits per sample as mean, min, max (from metrics.csv and numpy's std).
"$PY" - "$T/mini" "$T/g" "$(cat "$T/std")" <<'EOF' > "$T/figcheck" 2>&1
import math, sys
import numpy as np
mini, g = sys.argv[1:3]
std = float(sys.argv[3])
bits = lambda nll: (nll / 10 + math.log(std * 32768)) / math.log(2)
blocks = open(g + "/fig-mini.dat").read().split("\n\n\n")
fails = 0
for i, unit in enumerate(("tanh", "gru")):
    got = np.array([[float(v) for v in l.split()] for l in blocks[i].splitlines() if l and not l.startswith("#")])
    m = [np.loadtxt("%s/mini-%s/seed-%d/metrics.csv" % (g, unit, k), delimiter=",", skiprows=1, ndmin=2) for k in (1, 2)]
    n = min(len(a) for a in m)
    want = []
    for e in range(n):
        tr = [bits(a[e, 3]) for a in m]
        va = [bits(a[e, 4]) for a in m]
        want.append([e + 1, np.mean([a[e, 2] for a in m]), np.mean(tr), min(tr), max(tr), np.mean(va), min(va), max(va)])
    want = np.array(want)
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-7, atol=1e-6):
        print(unit, "got", got.tolist(), "want", want.tolist()); fails += 1
print("blocks", len(blocks), "fails", fails)
EOF
check 'grep -q "^blocks 2 fails 0$" "$T/figcheck"' "fig-mini.dat is not the seed runs' mean and min-max: $(cat "$T/figcheck")"

# --- rnnlab plot ------------------------------------------------------------------------------
"$R" train --data jsb --hidden 4 --max-epochs 2 --out "$T/r1" --quiet >/dev/null 2>&1 || bad "jsb run for plot failed"
"$R" train --data jsb --cell tanh --hidden 4 --max-epochs 3 --out "$T/r2" --quiet >/dev/null 2>&1 || bad "jsb run for plot failed"
if [ $have_gnuplot -eq 1 ]; then
    "$R" plot "$T/r1" "$T/r2/" --out "$T/p.png" >"$T/out" 2>"$T/err"; rc=$?
    check '[ $rc -eq 0 ] && is_png "$T/p.png" && [ -s "$T/p.gp" ]' "plot --out p.png: rc $rc, $(cat "$T/err")"
    check 'grep -q "title .$T/r1 valid." "$T/p.gp" && grep -q "title .$T/r2 train." "$T/p.gp"' "plot's key does not name the runs"
    # The data file holds metrics.csv's epochs, seconds, train and validation NLL, run by run.
    "$PY" - "$T/p.dat" "$T/r1/metrics.csv" "$T/r2/metrics.csv" <<'EOF' > "$T/plotcheck" 2>&1
import sys
import numpy as np
blocks = open(sys.argv[1]).read().split("\n\n\n")
fails = 0
for i, path in enumerate(sys.argv[2:]):
    got = np.array([[float(v) for v in l.split()] for l in blocks[i].splitlines() if l and not l.startswith("#")])
    m = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    same = got.shape[0] == m.shape[0] and all(np.array_equal(got[:, a], m[:, b]) for a, b in ((0, 0), (1, 2), (2, 3), (5, 4)))
    if not same:
        print(path, got.tolist(), m.tolist()); fails += 1
print("blocks", len(blocks), "fails", fails)
EOF
    check 'grep -q "^blocks 2 fails 0$" "$T/plotcheck"' "plot's data differs from metrics.csv: $(cat "$T/plotcheck")"
    "$R" plot "$T/r1" --out "$T/q.svg" --x seconds >"$T/out" 2>"$T/err"; rc=$?
    check '[ $rc -eq 0 ] && grep -q "<svg" "$T/q.svg" && grep -q "using 2:6 " "$T/q.gp" && grep -q "wall-clock seconds" "$T/q.gp"' \
        "plot --x seconds --out q.svg: rc $rc, $(cat "$T/err")"
    # Positive NLLs (music) get a log y axis; a negative one (speech can have them) a linear one.
    mkdir -p "$T/neg" && printf 'epoch,updates,seconds,train_nll,valid_nll,lr\n1,10,0.5,1.5,-0.25,0.001\n2,20,1.0,-1.0,-2.0,0.001\n' > "$T/neg/metrics.csv"
    check 'grep -q "^set logscale y" "$T/p.gp" && "$R" plot "$T/neg" --out "$T/s.png" >/dev/null 2>&1 && grep -q "^unset logscale y" "$T/s.gp" && grep -q "^2 1 -1 -1 -1 -2 -2 -2$" "$T/s.dat"' \
        "plot's y axis: log for positive NLLs, linear otherwise"
else
    echo "SKIP sh_report: gnuplot not found, plot not checked"
fi

# --- scripts/speech_listen.sh: a sample of each unit's best model, spectrograms -------------
if command -v sox >/dev/null 2>&1; then
    RNNLAB=$R sh scripts/speech_listen.sh "$T/g" "$T/listen" >"$T/out" 2>"$T/err"; rc=$?
    check '[ $rc -eq 0 ]' "speech_listen exited $rc: $(cat "$T/err")"
    for u in tanh gru; do
        check 'is_png "$T/listen/mini-$u-sample.png"' "no spectrogram of the $u sample"
    done
    check 'is_png "$T/listen/mini-data.png" && [ ! -e "$T/listen/mini-data.wav" ]' "no data spectrogram, or the data's WAV kept"
    # Each unit's model is its run of lowest validation NLL (trials and seed runs); each WAV is
    # 2 s of 16-bit mono at 8000 Hz and the same file `rnnlab sample` writes for that model.
    "$PY" - "$T/g" "$T/listen" "$T/out" <<'EOF' > "$T/listencheck" 2>&1
import glob, json, os, sys, wave
g, dest, out = sys.argv[1:4]
said = dict(l.split(": ", 1) for l in open(out) if l.startswith("mini-"))
fails = 0
for unit in ("tanh", "gru"):
    runs = [(json.load(open(s))["valid_nll"], os.path.dirname(s)) for s in glob.glob("%s/mini-%s/*/summary.json" % (g, unit))]
    best = min(runs)[1]
    if not said["mini-" + unit].startswith(best + "/model.safetensors "):
        print(unit, "chose", said["mini-" + unit], "best", best); fails += 1
    w = wave.open("%s/mini-%s-sample.wav" % (dest, unit))
    if (w.getnframes(), w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 8000, 1, 2):
        print(unit, "wav", w.getparams()); fails += 1
    print(best)
print("fails", fails)
EOF
    check 'grep -q "^fails 0$" "$T/listencheck"' "speech_listen chose or wrote wrongly: $(cat "$T/listencheck")"
    best=$(sed -n 2p "$T/listencheck")
    "$R" sample --model "$best/model.safetensors" --seconds 2 --seed 1 --out "$T/again.wav" >/dev/null 2>&1
    check 'cmp -s "$T/again.wav" "$T/listen/mini-gru-sample.wav"' "mini-gru-sample.wav is not rnnlab sample's file of $best"
    sh scripts/speech_listen.sh "$T/nogrid" "$T/listen" >/dev/null 2>"$T/err"; rc=$?
    check '[ $rc -eq 2 ] && grep -q "is not a grid directory" "$T/err"' "speech_listen of a missing grid: rc $rc"
    RNNLAB=$R sh scripts/speech_listen.sh "$T/empty" "$T/listen" >/dev/null 2>"$T/err"; rc=$?
    check '[ $rc -eq 3 ] && grep -q "no finished speech run" "$T/err"' "speech_listen of a grid without speech: rc $rc, $(cat "$T/err")"
else
    echo "SKIP sh_report: sox not found, speech_listen.sh not checked"
fi

summary
