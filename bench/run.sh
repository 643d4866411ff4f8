#!/usr/bin/env bash
# bench/run.sh — rnnlab against PyTorch (Debian python3-torch) and oneDNN (Debian libdnnl-dev,
# RNN primitive, layer only), same model, data shape, batch, sequence length and threads, in
# one invocation; prints the commands, the machine, the versions, a table with the ratios,
# and writes everything to bench/results.json (timestamped).
#
#   bench/run.sh [--seconds S] [--seq-len T] [--out FILE] [--scaling] [--perf] [--no-main]
#                [--speech | --speech-only] [--text | --text-only] [--cpu-time] [--portable]
#
#   --seconds S   minimum timing per phase and per tool (default 1; warm-up comes on top)
#   --seq-len T   steps per sequence (default 64)
#   --scaling     also rnnlab GRU (paper) scaling with H, B, T, threads (oneDNN GRU alongside)
#   --perf        also a perf profile of rnnlab bench at GRU-46 batch 1 (top symbols)
#   --no-main     skip the main comparison table
#   --speech      also the speech rows (below); --speech-only: those alone (= --speech
#                 --no-main; also RNNLAB_BENCH_SECTION=speech in the environment), a few
#                 minutes, written to bench/results-speech.json unless --out is given
#   --text        also the text rows (below); --text-only: those alone (also
#                 RNNLAB_BENCH_SECTION=text), written to bench/results-text.json unless --out
#   --cpu-time    the speech and text rows time each tool by its thread's CPU time (rnnlab bench,
#                 torch_bench.py and onednn_bench --cpu-time; all one thread): on a machine
#                 shared with other jobs the wall clock measures the queue, not the code
#   --repeat R    run every measurement R times (default 1); tables show the fastest of the
#                 R (on a shared machine, the least disturbed), results.json keeps them all
#   --portable    only the portable build against the -march=native one (docs/PERFORMANCE.md,
#                 "Kernel sets"): builds both (make, make portable), then rnnlab bench on
#                 music GRU-46, LSTM-36, tanh-100 at batch 1 and speech GRU-227 at batch 16,
#                 the two builds alternating within each of the R repeats, and prints each
#                 build's median (min-max) and the ratio of the medians; with --cpu-time
#                 each thread's CPU time. Written to bench/results-portable.json unless
#                 --out is given. No PyTorch or oneDNN; about 2 s per run.
#
# Main table: {GRU-46, LSTM-36, tanh-100} × batch {1, 16} × 1 thread, and {GRU-1024, LSTM-1024}
# × batch 16 × threads {1, 2}. For each: rnnlab bench (paper variant; pytorch variant for
# GRU/LSTM), torch_bench.py --impl explicit (paper units) and --impl nn (nn.GRU/LSTM/RNN),
# each at threads 1 and 2 for the 1-thread rows ("best threading": the faster is the
# PyTorch figure) and at the row's thread count for the 2-thread rows, and onednn_bench
# (paper-like cell: vanilla GRU, LSTM with peepholes, tanh RNN) at the row's thread count.
# Speech rows: {LSTM-195, GRU-227, tanh-400} (Table 1's speech sizes) × batch {1, 16} × one
# thread, on `rnnlab bench --task speech` (20 inputs, Linear H→420, the 20-component mixture
# NLL over 10 samples), beside torch_bench.py --task speech --impl explicit and --impl nn
# (torch.set_num_threads(1)) and onednn_bench --input 20 (the paper-like layer alone, as
# above); the table adds GFLOP/s in tools/cmd_bench.c's dense count (oneDNN: its layer's
# 3·2·G·H·(I+H)), the batch-16 / batch-1 ratio and the share of one core's fp32 peak; its
# cells are the median of the --repeat runs (not the fastest).
# Text rows: char-rnn's shape, 2 stacked layers of {LSTM-128, GRU-150, tanh-267} (Table 1's
# text sizes) × batch {1, 50} × T = 50 × one thread, on `rnnlab bench --task text --variant
# pytorch` (65 one-hot symbols, softmax head, state carried, no weight noise) beside
# torch_bench.py --task text --impl nn (nn.LSTM/GRU/RNN(num_layers=2) + Linear + cross-entropy
# + clipping + RMSprop) and oneDNN's two layers alone (onednn_bench --input 65, then --input H;
# lstm --no-peephole, lbrgru: torch's forms), the stack's rate 1/(1/r1 + 1/r2); a "step" is one
# character of one stream; medians of the repeats.
# Needs: make, cc, Debian python3-torch under /usr/bin/python3, libdnnl-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_OPT=1
T=64
OUT=bench/results.json
SCALING=0
PERF=0
MAIN=1
REPEAT=1
SPEECH=0
OUT_GIVEN=0
CPU=
TEXT=0
PORTABLE=0
if [ "${RNNLAB_BENCH_SECTION:-}" = speech ]; then SPEECH=1; MAIN=0; fi
if [ "${RNNLAB_BENCH_SECTION:-}" = text ]; then TEXT=1; MAIN=0; fi
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) SECONDS_OPT="$2"; shift 2 ;;
    --seq-len) T="$2"; shift 2 ;;
    --out) OUT="$2"; OUT_GIVEN=1; shift 2 ;;
    --scaling) SCALING=1; shift ;;
    --perf) PERF=1; shift ;;
    --no-main) MAIN=0; shift ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    --speech) SPEECH=1; shift ;;
    --speech-only) SPEECH=1; MAIN=0; shift ;;
    --text) TEXT=1; shift ;;
    --text-only) TEXT=1; MAIN=0; shift ;;
    --cpu-time) CPU=--cpu-time; shift ;;
    --portable) PORTABLE=1; shift ;;
    -h | --help) sed -n '2,53p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ "$SPEECH" = 1 ] && [ "$TEXT" = 0 ] && [ "$MAIN" = 0 ] && [ "$SCALING" = 0 ] && [ "$OUT_GIVEN" = 0 ]; then
    OUT=bench/results-speech.json
fi
if [ "$TEXT" = 1 ] && [ "$SPEECH" = 0 ] && [ "$MAIN" = 0 ] && [ "$SCALING" = 0 ] && [ "$OUT_GIVEN" = 0 ]; then
    OUT=bench/results-text.json
fi
PY=/usr/bin/python3
if [ "$PORTABLE" = 1 ]; then
    [ "$OUT_GIVEN" = 1 ] || OUT=bench/results-portable.json
    echo "== build: make (-march=native) and make portable (x86-64 outside the kernel sets)"
    make -j2 >/dev/null 2>&1 || make -j2 >/dev/null
    make -j2 portable >/dev/null 2>&1 || make -j2 portable >/dev/null
    SNAP=$(mktemp -d)
    trap 'rm -rf "$SNAP"' EXIT
    cp build/rnnlab "$SNAP/native"
    cp build-portable/rnnlab "$SNAP/portable"
    echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "native: $("$SNAP/native" --version); portable: $("$SNAP/portable" --version); git $(git rev-parse --short HEAD)"
    : > "$SNAP/rec"
    for ((i = 1; i <= REPEAT; i++)); do
        for cfg in "--cell gru --hidden 46 --batch 1" "--cell lstm --hidden 36 --batch 1" \
                   "--cell tanh --hidden 100 --batch 1" "--task speech --cell gru --hidden 227 --batch 16"; do
            for b in native portable; do
                echo "\$ build/$b-rnnlab bench $cfg --seq-len $T --threads 1 --seconds $SECONDS_OPT --json $CPU"
                line=$("$SNAP/$b" bench $cfg --seq-len $T --threads 1 --seconds $SECONDS_OPT --json $CPU)
                echo "$line"
                printf '%s\t%s\t%s\t%s\n' "$b" "$cfg" "$(cut -d' ' -f1 /proc/loadavg)" "$line" >> "$SNAP/rec"
            done
        done
    done
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    OUT="$OUT" $PY - "$SNAP/rec" <<'EOF'
import json, os, statistics, sys
runs = []
for l in open(sys.argv[1]):
    b, cfg, load, js = l.rstrip("\n").split("\t")
    r = json.loads(js); r["build"] = b; r["bench_args"] = cfg; r["loadavg_1min_after"] = float(load)
    runs.append(r)
print("| config | phase | native median (min-max) | portable median (min-max) | portable / native |")
print("|---|---|---|---|---|")
table = []
for cfg in dict.fromkeys(r["bench_args"] for r in runs):
    for phase in ("train", "infer"):
        k = phase + "_steps_per_s"
        v = {b: [r[k] for r in runs if r["bench_args"] == cfg and r["build"] == b] for b in ("native", "portable")}
        m = {b: statistics.median(v[b]) for b in v}
        ratio = m["portable"] / m["native"]
        table.append({"config": cfg, "phase": phase, "native": v["native"], "portable": v["portable"], "ratio_of_medians": ratio})
        f = lambda b: "%.0f (%.0f-%.0f)" % (m[b], min(v[b]), max(v[b]))
        print("| %s | %s | %s | %s | %.3f |" % (cfg, phase, f("native"), f("portable"), ratio))
json.dump({"runs": runs, "table": table}, open(os.environ["OUT"], "w"), indent=1)
print("written:", os.environ["OUT"])
EOF
    exit 0
fi
RNNLAB=build/rnnlab
ONEDNN=build/bench/onednn_bench
PEAKBIN=build/bench/peak
REC=$(mktemp)
trap 'rm -rf "$REC" "$REC".* "${SNAP:-}"' EXIT

echo "== build"
# Others may rebuild build/rnnlab while this runs: build, then time a private copy of it
# (it links librnnlab statically); the commands below name it build/rnnlab.
make -j2 >/dev/null 2>&1 || make -j2 >/dev/null
make -C bench >/dev/null
SNAP=$(mktemp -d)
cp build/rnnlab "$SNAP/rnnlab"
RNNLAB="$SNAP/rnnlab"
[ -x "$RNNLAB" ] && [ -x "$ONEDNN" ] && [ -x "$PEAKBIN" ]

# run GROUP CMD...: print the command, run it, keep each JSON line it prints with the
# command and a group label attached.
run() {
    local group="$1"; shift
    local shown="$*"
    shown=${shown//$RNNLAB/build/rnnlab}
    local i
    for ((i = 1; i <= REPEAT; i++)); do
        echo "\$ $shown"
        "$@" >"$REC.out"
        cat "$REC.out"
        GROUP="$group" CMD="$shown" LOAD="$(cut -d' ' -f1 /proc/loadavg)" $PY -c '
import json, os, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line); r["group"] = os.environ["GROUP"]; r["cmd"] = os.environ["CMD"]
        r["loadavg_1min_after"] = float(os.environ["LOAD"])
        print(json.dumps(r))' "$REC.out" >>"$REC"
    done
}

START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "== machine"
MODEL=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
NCPU=$(nproc)
echo "cpu: $MODEL, $NCPU cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
RNNLAB_VERSION=$($RNNLAB --version)
GIT=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain -- src include tools Makefile 2>/dev/null)" ] || GIT="$GIT+uncommitted-changes-in-src/tools"
TORCH_VERSION=$($PY -c 'import torch; print(torch.__version__)')
echo "$RNNLAB_VERSION (git $GIT), torch $TORCH_VERSION, oneDNN: see dnnl_version in each onednn line"

S=$SECONDS_OPT
if [ "$MAIN" = 1 ]; then
    echo "== main comparison (T=$T, --seconds $S)"
    for spec in gru:46 lstm:36 tanh:100; do
        c=${spec%%:*}; h=${spec#*:}
        for b in 1 16; do
            g="$c-$h/b$b/t1"
            run "$g" $RNNLAB bench --cell $c --hidden $h --batch $b --seq-len $T --threads 1 --seconds $S --json
            [ $c != tanh ] && run "$g" $RNNLAB bench --cell $c --variant pytorch --hidden $h --batch $b --seq-len $T --threads 1 --seconds $S --json
            run "$g" $PY bench/torch_bench.py --cell $c --impl explicit --hidden $h --batch $b --seq-len $T --threads 1,2 --seconds $S
            run "$g" $PY bench/torch_bench.py --cell $c --impl nn --hidden $h --batch $b --seq-len $T --threads 1,2 --seconds $S
            run "$g" $ONEDNN --cell $c --hidden $h --batch $b --seq-len $T --threads 1 --seconds $S
            run "$g" $ONEDNN --cell $c --hidden $h --batch $b --seq-len $T --threads 1 --seconds $S --infer
        done
    done
    for c in gru lstm; do
        for n in 1 2; do
            g="$c-1024/b16/t$n"
            run "$g" $RNNLAB bench --cell $c --hidden 1024 --batch 16 --seq-len $T --threads $n --seconds $S --json
            run "$g" $PY bench/torch_bench.py --cell $c --impl explicit --hidden 1024 --batch 16 --seq-len $T --threads $n --seconds $S
            run "$g" $PY bench/torch_bench.py --cell $c --impl nn --hidden 1024 --batch 16 --seq-len $T --threads $n --seconds $S
            run "$g" $ONEDNN --cell $c --hidden 1024 --batch 16 --seq-len $T --threads $n --seconds $S
            run "$g" $ONEDNN --cell $c --hidden 1024 --batch 16 --seq-len $T --threads $n --seconds $S --infer
        done
    done
fi

if [ "$SPEECH" = 1 ]; then
    echo "== speech (T=$T, --seconds $S, one thread${CPU:+, thread CPU time})"
    run "peak" $PEAKBIN --seconds 0.5
    for spec in lstm:195 gru:227 tanh:400; do
        c=${spec%%:*}; h=${spec#*:}
        for b in 1 16; do
            g="speech-$c-$h/b$b/t1"
            run "$g" $RNNLAB bench --task speech --cell $c --hidden $h --batch $b --seq-len $T --threads 1 --seconds $S --json $CPU
            run "$g" $PY bench/torch_bench.py --task speech --cell $c --impl explicit --hidden $h --batch $b --seq-len $T --threads 1 --seconds $S $CPU
            run "$g" $PY bench/torch_bench.py --task speech --cell $c --impl nn --hidden $h --batch $b --seq-len $T --threads 1 --seconds $S $CPU
            run "$g" $ONEDNN --cell $c --hidden $h --batch $b --seq-len $T --input 20 --threads 1 --seconds $S $CPU
        done
    done
fi

if [ "$TEXT" = 1 ]; then
    echo "== text (T=50, --seconds $S, one thread${CPU:+, thread CPU time})"
    for spec in lstm:128:lstm:--no-peephole gru:150:lbrgru: tanh:267:tanh:; do
        IFS=: read -r c h od odflag <<<"$spec"
        for b in 1 50; do
            g="text-$c-2x$h/b$b/t1"
            run "$g" $RNNLAB bench --task text --cell $c --variant pytorch --layers 2 --hidden $h --batch $b --seq-len 50 --threads 1 --seconds $S --json $CPU
            run "$g" $PY bench/torch_bench.py --task text --cell $c --impl nn --layers 2 --hidden $h --batch $b --seq-len 50 --threads 1 --seconds $S $CPU
            run "$g" $ONEDNN --cell $od $odflag --hidden $h --batch $b --seq-len 50 --input 65 --threads 1 --seconds $S $CPU
            run "$g" $ONEDNN --cell $od $odflag --hidden $h --batch $b --seq-len 50 --input $h --threads 1 --seconds $S $CPU
        done
    done
fi

if [ "$SCALING" = 1 ]; then
    echo "== scaling: rnnlab GRU (paper), oneDNN vanilla GRU layer-only alongside"
    for h in 46 128 256 512 1024; do
        run "scale-H" $RNNLAB bench --cell gru --hidden $h --batch 16 --seq-len $T --threads 1 --seconds $S --json
        run "scale-H" $ONEDNN --cell gru --hidden $h --batch 16 --seq-len $T --threads 1 --seconds $S
    done
    for b in 1 4 16 64; do
        run "scale-B" $RNNLAB bench --cell gru --hidden 46 --batch $b --seq-len $T --threads 1 --seconds $S --json
        run "scale-B" $ONEDNN --cell gru --hidden 46 --batch $b --seq-len $T --threads 1 --seconds $S
    done
    for t in 16 64 256; do
        run "scale-T" $RNNLAB bench --cell gru --hidden 46 --batch 16 --seq-len $t --threads 1 --seconds $S --json
        run "scale-T" $ONEDNN --cell gru --hidden 46 --batch 16 --seq-len $t --threads 1 --seconds $S
    done
    for h in 46 256 1024; do
        for n in 1 2; do
            run "scale-threads" $RNNLAB bench --cell gru --hidden $h --batch 16 --seq-len $T --threads $n --seconds $S --json
            run "scale-threads" $ONEDNN --cell gru --hidden $h --batch 16 --seq-len $T --threads $n --seconds $S
        done
    done
fi

PERF_TXT=""
if [ "$PERF" = 1 ]; then
    echo "== perf profile: rnnlab GRU-46 batch 1"
    PCMD="perf record -q -o $REC.perf -F 4999 -- $RNNLAB bench --cell gru --hidden 46 --batch 1 --seq-len $T --threads 1 --seconds $(awk "BEGIN{print $S * 3}") --json"
    echo "\$ ${PCMD//$RNNLAB/build/rnnlab}"
    $PCMD >/dev/null 2>&1 || echo "perf record failed"
    PERF_TXT=$(perf report -i "$REC.perf" --no-children --stdio --sort symbol -g none 2>/dev/null | grep -E '^ +[0-9.]+%' | sed 's/ *- *- *$//' | head -12 || true)
    echo "\$ perf report -i perf.data --no-children --stdio --sort symbol | head"
    echo "$PERF_TXT"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load after: $LOAD_AFTER"

START="$START" MODEL="$MODEL" NCPU="$NCPU" RNNLAB_VERSION="$RNNLAB_VERSION" GIT="$GIT" \
TORCH_VERSION="$TORCH_VERSION" T="$T" S="$S" OUT="$OUT" PERF_TXT="$PERF_TXT" LOAD_AFTER="$LOAD_AFTER" REPEAT="$REPEAT" \
$PY - "$REC" <<'EOF'
import json, os, sys, datetime
E = os.environ
recs = [json.loads(l) for l in open(sys.argv[1])]
def pick(group, **kw):
    out = [r for r in recs if r["group"] == group and all(r.get(k) == v for k, v in kw.items())]
    return out
SPEED = ("train_steps_per_s", "steps_per_s")
def one(group, **kw):
    """the fastest of the repeats (by training rate), with infer_steps_per_s also the max"""
    out = pick(group, **kw)
    if not out: return None
    key = next(k for k in SPEED if k in out[0])
    r = dict(max(out, key=lambda q: q[key]))
    if "infer_steps_per_s" in r:
        r["infer_steps_per_s"] = max(q["infer_steps_per_s"] for q in out)
        if "infer_gflops" in r: r["infer_gflops"] = max(q["infer_gflops"] for q in out)
    return r
def mid(group, **kw):
    """the median repeat by training rate (the lower middle one of an even count): the speech
    rows, taken on a shared machine, report the median"""
    out = pick(group, **kw)
    if not out: return None
    key = next(k for k in SPEED if k in out[0])
    return sorted(out, key=lambda q: q[key])[(len(out) - 1) // 2]
def f(v):
    if v is None: return "–"
    return f"{v/1e6:.2f}M" if v >= 1e6 else f"{v/1e3:.1f}k" if v >= 1e4 else f"{v:.0f}"
def ratio(a, b):
    return f"{a/b:.1f}×" if a and b else "–"
lines = []
groups = [g for g in dict.fromkeys(r["group"] for r in recs) if not g.startswith(("scale", "speech", "peak", "text"))]
if groups:
    lines.append(f"Training steps/s (one time step of one sequence; T={E['T']}; rnnlab = whole model, "
                 "PyTorch = whole model, oneDNN = recurrent layer only)\n")
    lines.append("| config | rnnlab train | rnnlab eval | eval/train | PyTorch explicit (thr) | nn.* (thr) "
                 "| rnnlab / PyTorch best | oneDNN layer | rnnlab / oneDNN | rnnlab pytorch-variant | / nn.* |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    table = []
    for g in groups:
        thr = int(g.rsplit("/t", 1)[1])
        rp = one(g, tool="rnnlab", variant="paper")
        rv = one(g, tool="rnnlab", variant="pytorch")
        te = one(g, tool="torch", impl="explicit", best=True)
        tn = one(g, tool="torch", impl="nn", best=True)
        od = one(g, tool="onednn", mode="train_layer_only")
        oi = one(g, tool="onednn", mode="inference_layer_only")
        tbest = max([r["train_steps_per_s"] for r in (te, tn) if r] or [None])
        row = {"config": g, "threads": thr,
               "rnnlab_train": rp and rp["train_steps_per_s"], "rnnlab_infer": rp and rp["infer_steps_per_s"],
               "torch_explicit_train": te and te["train_steps_per_s"], "torch_explicit_threads": te and te["threads"],
               "torch_nn_train": tn and tn["train_steps_per_s"], "torch_nn_threads": tn and tn["threads"],
               "torch_best_train": tbest,
               "onednn_layer_train": od and od["steps_per_s"], "onednn_layer_infer": oi and oi["steps_per_s"],
               "rnnlab_pytorch_variant_train": rv and rv["train_steps_per_s"]}
        table.append(row)
        lines.append(
            f"| {g} | {f(row['rnnlab_train'])} | {f(row['rnnlab_infer'])} | {ratio(row['rnnlab_infer'], row['rnnlab_train'])} "
            f"| {f(row['torch_explicit_train'])} ({row['torch_explicit_threads']}) | {f(row['torch_nn_train'])} ({row['torch_nn_threads']}) "
            f"| **{ratio(row['rnnlab_train'], tbest)}** | {f(row['onednn_layer_train'])} | **{ratio(row['rnnlab_train'], row['onednn_layer_train'])}** "
            f"| {f(row['rnnlab_pytorch_variant_train'])} | {ratio(row['rnnlab_pytorch_variant_train'], row['torch_nn_train'])} |")
else:
    table = []
ISSUE_PEAK = 117.0   # GFLOP/s: the issue's one-core fp32 peak (the Zen 4 of run F)
pk_runs = pick("peak")
PEAK = max(r["gflops"] for r in pk_runs) if pk_runs else ISSUE_PEAK   # this machine's, measured
sgroups = [g for g in dict.fromkeys(r["group"] for r in recs) if g.startswith("speech")]
speech = []
if sgroups:
    clock = "thread CPU time" if any(r.get("clock") == "thread-cpu" for r in recs) else "wall clock"
    lines.append(f"\nSpeech (T={E['T']}, one thread, {clock}, median of the repeats): training steps/s; GFLOP/s in the dense count "
                 "3·(2·G·H·(I+H) + 2·420·H) per step (oneDNN: its layer's 3·2·G·H·(I+H)); "
                 f"% of the measured one-core peak {PEAK:.1f} GFLOP/s (build/bench/peak) and of the issue's {ISSUE_PEAK:.0f}\n")
    lines.append("| config | rnnlab train | GFLOP/s | % of peak (measured / 117) | b16 / b1 | PyTorch explicit | nn.* "
                 "| rnnlab / PyTorch best | oneDNN layer | GFLOP/s | rnnlab / oneDNN GFLOP/s |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for g in sgroups:
        rp = mid(g, tool="rnnlab")
        te = mid(g, tool="torch", impl="explicit", best=True)
        tn = mid(g, tool="torch", impl="nn", best=True)
        od = mid(g, tool="onednn", mode="train_layer_only")
        tbest = max([r["train_steps_per_s"] for r in (te, tn) if r] or [None])
        b1 = mid(g.replace("/b16/", "/b1/"), tool="rnnlab") if "/b16/" in g else None
        row = {"config": g, "rnnlab_train": rp and rp["train_steps_per_s"], "rnnlab_gflops": rp and rp["train_gflops"],
               "torch_explicit_train": te and te["train_steps_per_s"], "torch_nn_train": tn and tn["train_steps_per_s"],
               "torch_best_train": tbest, "onednn_layer_train": od and od["steps_per_s"],
               "onednn_layer_gflops": od and od["gflops"],
               "b16_over_b1": b1 and rp and rp["train_steps_per_s"] / b1["train_steps_per_s"]}
        speech.append(row)
        pk = (f"{100 * row['rnnlab_gflops'] / PEAK:.0f} % / {100 * row['rnnlab_gflops'] / ISSUE_PEAK:.0f} %"
              if row["rnnlab_gflops"] else "–")
        lines.append(
            f"| {g} | {f(row['rnnlab_train'])} | {row['rnnlab_gflops'] or 0:.1f} | {pk} "
            f"| {ratio(row['b16_over_b1'], 1) if row['b16_over_b1'] else '–'} "
            f"| {f(row['torch_explicit_train'])} | {f(row['torch_nn_train'])} | **{ratio(row['rnnlab_train'], tbest)}** "
            f"| {f(row['onednn_layer_train'])} | {row['onednn_layer_gflops'] or 0:.1f} "
            f"| **{ratio(row['rnnlab_gflops'], row['onednn_layer_gflops'])}** |")
tgroups = [g for g in dict.fromkeys(r["group"] for r in recs) if g.startswith("text")]
text = []
if tgroups:
    clock = "thread CPU time" if any(r.get("clock") == "thread-cpu" for r in recs) else "wall clock"
    lines.append(f"\nText (char-rnn's shape: 2 layers, 65 symbols, T=50; one thread, {clock}, median of the repeats): "
                 "training characters/s; GFLOP/s in the dense count 3·(Σ_l 2·G·H·(I_l+H) + 2·65·H) per character "
                 "(oneDNN: its two layers' 3·Σ_l 2·G·H·(I_l+H), at the stack's rate 1/(1/r1 + 1/r2))\n")
    lines.append("| config | rnnlab train | GFLOP/s | nn.* | rnnlab / PyTorch | oneDNN 2 layers | GFLOP/s "
                 "| rnnlab / oneDNN GFLOP/s |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for g in tgroups:
        rp = mid(g, tool="rnnlab")
        tn = mid(g, tool="torch", impl="nn", best=True)
        h = rp and rp["hidden"]
        o1 = mid(g, tool="onednn", mode="train_layer_only", input=65)
        o2 = mid(g, tool="onednn", mode="train_layer_only", input=h)
        orate = ogf = None
        if o1 and o2:
            orate = 1 / (1 / o1["steps_per_s"] + 1 / o2["steps_per_s"])
            ogf = (o1["gflops"] / o1["steps_per_s"] + o2["gflops"] / o2["steps_per_s"]) * orate
        row = {"config": g, "rnnlab_train": rp and rp["train_steps_per_s"], "rnnlab_gflops": rp and rp["train_gflops"],
               "torch_nn_train": tn and tn["train_steps_per_s"], "onednn_stack_train": orate, "onednn_stack_gflops": ogf}
        text.append(row)
        lines.append(
            f"| {g} | {f(row['rnnlab_train'])} | {row['rnnlab_gflops'] or 0:.1f} | {f(row['torch_nn_train'])} "
            f"| **{ratio(row['rnnlab_train'], row['torch_nn_train'])}** | {f(orate)} | {ogf or 0:.1f} "
            f"| **{ratio(row['rnnlab_gflops'], ogf)}** |")
for sg, key in (("scale-H", "hidden"), ("scale-B", "batch"), ("scale-T", "seq_len"), ("scale-threads", None)):
    rs = pick(sg)
    if not rs: continue
    lines.append(f"\nrnnlab GRU (paper) scaling, {sg[6:]}; oneDNN vanilla GRU layer-only alongside\n")
    lines.append("| H | B | T | threads | rnnlab train | GFLOP/s | rnnlab eval | GFLOP/s | oneDNN layer train | GFLOP/s |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    seen = []
    for r0 in [r for r in rs if r["tool"] == "rnnlab"]:
        k = (r0["hidden"], r0["batch"], r0["seq_len"], r0["threads"])
        if k in seen: continue
        seen.append(k)
        r = one(sg, tool="rnnlab", hidden=k[0], batch=k[1], seq_len=k[2], threads=k[3])
        o = one(sg, tool="onednn", hidden=k[0], batch=k[1], seq_len=k[2], threads=k[3])
        lines.append(f"| {r['hidden']} | {r['batch']} | {r['seq_len']} | {r['threads']} | {f(r['train_steps_per_s'])} | "
                     f"{r['train_gflops']:.1f} | {f(r['infer_steps_per_s'])} | {r['infer_gflops']:.1f} | "
                     f"{f(o and o['steps_per_s'])} | {o['gflops']:.1f} |" if o else "| – |")
dnnl = next((r["dnnl_version"] for r in recs if r["tool"] == "onednn"), "?")
head = [f"machine: {E['MODEL']}, {E['NCPU']} cores; load after: {E['LOAD_AFTER']}",
        f"versions: {E['RNNLAB_VERSION']} (git {E['GIT']}), torch {E['TORCH_VERSION']}, oneDNN {dnnl}",
        f"T={E['T']}, --seconds {E['S']}, --repeat {E['REPEAT']} (music tables: fastest of the repeats; speech and text: median); started {E['START']}"]
print("\n".join(head + [""] + lines))
if E.get("PERF_TXT"):
    print("\nperf (rnnlab GRU-46, batch 1), top symbols:\n" + E["PERF_TXT"])
res = {"timestamp": E["START"], "finished": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
       "machine": {"cpu": E["MODEL"], "cores": int(E["NCPU"]), "load_after": E["LOAD_AFTER"]},
       "versions": {"rnnlab": E["RNNLAB_VERSION"], "git": E["GIT"], "torch": E["TORCH_VERSION"], "onednn": dnnl},
       "seq_len": int(E["T"]), "seconds": float(E["S"]), "repeat": int(E["REPEAT"]), "table": table,
       "speech_table": speech, "text_table": text, "peak_gflops": PEAK, "records": recs,
       "perf": E.get("PERF_TXT", ""), "markdown": "\n".join(head + [""] + lines)}
with open(E["OUT"], "w") as fh:
    json.dump(res, fh, indent=1)
print(f"\nwrote {E['OUT']}")
EOF
