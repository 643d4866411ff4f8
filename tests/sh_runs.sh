#!/bin/sh
# A run directory has one owner and one history (issue: nothing lost, nothing mixed):
#   - a second train into a directory in use is refused, naming the holder (the lock);
#   - a killed holder's lock is no lock: the run resumes;
#   - SIGINT and SIGTERM stop a run after its current update, exit 128 + the signal, say how
#     to continue, and the resumed run ends with the same model as an uninterrupted one;
#   - --force replaces a finished run, leaving none of its files (a new options.json, no
#     summary of the old run until the new one writes its own).
. tests/lib.sh
B="--data jsb --cell lstm --hidden 16 --quiet"
A="$B --max-epochs 4"
"$R" train $A --out "$T/ref" >/dev/null 2>&1 || bad "reference run failed"

# The lock: a second process into a directory in use.
"$R" train $B --max-epochs 200 --out "$T/busy" >/dev/null 2>&1 & pid=$!
i=0; while [ ! -f "$T/busy/state.safetensors" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
err=$("$R" train --resume "$T/busy" 2>&1 >/dev/null); rc=$?
check '[ $rc -eq 2 ] && printf "%s" "$err" | grep -q "is in use by rnnlab train (process $pid)"' \
    "a second train into a busy directory: exit $rc, '$err'"
err=$("$R" train $A --out "$T/busy" 2>&1 >/dev/null); rc=$?
check '[ $rc -eq 2 ] && printf "%s" "$err" | grep -q "is in use by"' "a fresh train into a busy directory: exit $rc, '$err'"
# A holder killed with SIGKILL leaves no lock behind.
kill -9 $pid; wait $pid 2>/dev/null
"$R" train --resume "$T/busy" --max-epochs 1 --quiet >/dev/null 2>&1; rc=$?
check '[ $rc -eq 0 ]' "resume after the holder was killed: exit $rc"

# SIGINT / SIGTERM: stop, say how to continue, resume to the same model.
for sig in INT TERM; do
    d="$T/stop-$sig"
    "$R" train $A --out "$d" >/dev/null 2>"$T/err-$sig" & pid=$!
    i=0; while ! grep -q '^2,' "$d/metrics.csv" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
    kill -$sig $pid; wait $pid; rc=$?
    want=130; [ $sig = TERM ] && want=143
    if [ $rc -eq 0 ]; then
        ok # the run finished before the signal came: nothing to check but the model below
    else
        check '[ $rc -eq $want ] && grep -q "continue with rnnlab train --resume $d" "$T/err-$sig"' \
            "SIG$sig: exit $rc (want $want), stderr '$(cat "$T/err-$sig")'"
        "$R" train --resume "$d" --quiet >/dev/null 2>&1 || bad "resume after SIG$sig failed"
    fi
    check 'cmp -s "$T/ref/model.safetensors" "$d/model.safetensors"' "SIG$sig then resume: the model differs from the uninterrupted run's"
done

# --force: the old run's files go first.
"$R" train --data jsb --cell gru --hidden 4 --max-epochs 1 --quiet --out "$T/f" >/dev/null 2>&1
err=$("$R" train --data jsb --cell lstm --hidden 4 --max-epochs 1 --quiet --out "$T/f" 2>&1 >/dev/null); rc=$?
check '[ $rc -eq 2 ] && printf "%s" "$err" | grep -q "holds a finished run"' "an existing run was not refused: $rc '$err'"
check 'grep -q "\"cell\": \"gru\"" "$T/f/summary.json"' "the refused run changed the old summary"
"$R" train --data jsb --cell lstm --hidden 4 --max-epochs 1 --quiet --force --out "$T/f" >/dev/null 2>&1; rc=$?
check '[ $rc -eq 0 ] && grep -q "\"cell\": \"lstm\"" "$T/f/summary.json" && grep -q "\"cell\": \"lstm\"" "$T/f/options.json"' \
    "--force did not replace the run (exit $rc)"
# A speech model carries its split scheme and normalisation: eval scores it on the split it was
# trained on by default (the summary's test NLL), and says so when told to use another.
"$R" train --data fsdd --cell gru --hidden 4 --max-epochs 1 --split-scheme speaker --quiet --out "$T/sp" >/dev/null 2>&1 \
    || bad "speech fixture failed"
want=$(sed -n 's/.*"test_nll": \([^,]*\),.*/\1/p' "$T/sp/summary.json")
got=$("$R" eval --model "$T/sp/model.safetensors" --data fsdd --json 2>/dev/null | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')
check '[ -n "$want" ] && [ "$want" = "$got" ]' "eval of a speaker-split model: $got, its summary says $want"
err=$("$R" eval --model "$T/sp/model.safetensors" --data fsdd --split-scheme index 2>&1 >/dev/null); rc=$?
check '[ $rc -eq 0 ] && printf "%s" "$err" | grep -q "trained on the speaker split; evaluating on the index split with the model.s normalisation"' \
    "eval on another split scheme: exit $rc, '$err'"

# One set of options everywhere: train --help, summary.json's config, options.json and the
# resume state's opt.* keys name the same stored options (--help adds the session ones).
if command -v python3 >/dev/null; then
    "$R" train --help > "$T/help.txt"
    out=$(python3 - "$T/ref" "$T/help.txt" <<'PY'
import json, struct, sys
run, helpf = sys.argv[1], sys.argv[2]
cfg = set(json.load(open(run + "/summary.json"))["config"])
opts = set(json.load(open(run + "/options.json"))["options"])
b = open(run + "/state.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
meta = json.loads(b[8:8 + n])["__metadata__"]
state = {k[4:] for k in meta if k.startswith("opt.")}
helps = {l.split()[0][2:].replace("-", "_") for l in open(helpf) if l.startswith("  --")}
session = {"out", "quiet", "force", "resume", "help"}
if not (cfg == opts == state == helps - session) or len(cfg) < 20:
    print("differ:", sorted(cfg ^ opts), sorted(opts ^ state), sorted(state ^ (helps - session)))
PY
)
    check '[ -z "$out" ]' "the option sets differ: $out"
fi
# bench --task speech: Table 1's speech size, the 420-wide mixture head, and the dense FLOP
# count by hand: LSTM-195, 2·4·195·(20 + 195) + 2·420·195 = 499200 per forward step.
out=$("$R" bench --task speech --cell lstm --batch 2 --seq-len 8 --seconds 0.01 --json)
check 'echo "$out" | grep -q "\"task\": \"speech\", \"cell\": \"lstm\", \"variant\": \"paper\", \"hidden\": 195,"' "bench --task speech: not LSTM-195: $out"
check 'echo "$out" | grep -q "\"input\": 20, \"output\": 10, \"head_width\": 420,"' "bench --task speech: not 20 in, 10 out, width 420: $out"
check 'echo "$out" | grep -q "\"flop_per_step_forward\": 499200}"' "bench --task speech: FLOP count is not 499200: $out"
out=$("$R" bench --cell tanh --batch 1 --seq-len 8 --seconds 0.01 --json)
check 'echo "$out" | grep -q "\"task\": \"music\", \"cell\": \"tanh\", \"variant\": \"paper\", \"hidden\": 100,"' "bench: the music default is not Table 1's tanh-100: $out"
summary
