#!/bin/sh
# End-to-end checks of text: train, eval, resume and sample on 20,000 bytes of Tiny
# Shakespeare with a small model:
# - a fresh text run takes char-rnn's defaults (options.json) where none was given, and a
#   given option wins over them;
# - eval reproduces summary.json's test NLL exactly and evaluates on the model's own split;
# - extending a run with --resume --max-epochs equals one run, bit for bit;
# - the same seed samples the same bytes, to standard output or --out; another seed others;
#   the prime comes first; the length is prime + --chars; the temperature changes the draws;
# - a search's trials take the text defaults; bench --task text runs char-rnn's shape.
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
summary
