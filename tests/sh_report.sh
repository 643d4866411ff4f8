#!/bin/sh
# The grid's reporting on speech: Table 2's speech rows (bits per sample checked against the
# recordings' own standard deviation, computed here with numpy), the baseline beside them and
# the run-seconds. Ends with "sh_report: N passed, N failed"; exits non-zero if anything failed.
. tests/lib.sh
PY=/usr/bin/python3

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
"$R" baseline --data "$T/mini" --json > "$T/lpc.json" 2>"$T/err" || bad "baseline failed: $(cat "$T/err")"
# Every number of the speech columns from an independent computation: the training split's
# std from the WAV files (numpy, 16-bit PCM / 32768, population std), each seed run's NLL from
# its summary.json turned into bits per sample, their mean and sample std; the baseline from
# `rnnlab baseline --json` of the same directory; the run-seconds from the summaries.
"$PY" - "$T/mini" "$T/g" "$T/lpc.json" <<'EOF' > "$T/pycheck" 2>&1
import csv, json, math, sys, wave
import numpy as np
mini, g, lpc = sys.argv[1:4]
rows = [l.rstrip("\n").split("\t") for l in open(mini + "/manifest.tsv")]
col = rows[0].index("split_by_index")
x = []
for r in rows[1:]:
    if r[col] == "train":
        w = wave.open(mini + "/recordings/" + r[0])
        x.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768)
std = np.concatenate(x).std()
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

summary
