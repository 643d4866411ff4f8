#!/bin/sh
# The checksums of the files rnnlab writes, end to end (issue 14, finding 3):
# - one data byte inverted in model.safetensors: `eval` exits 3 with one line naming the file;
# - the same in state.safetensors: `train --resume` exits 3 the same way and writes nothing;
# - a malformed checksum entry is refused (exit 3), naming the file and the key;
# - without the entry (as PyTorch's safetensors writes files) the model loads, unchecked;
# - untouched copies still evaluate and resume (exit 0).
. tests/lib.sh

# flip FILE: invert the byte in the middle of FILE's data region (after the 8-byte header
# length and the header it gives)
flip() {
    size=$(wc -c < "$1")
    hlen=$(od -An -tu8 -N8 "$1" | tr -d ' ')
    pos=$((8 + hlen + (size - 8 - hlen) / 2))
    b=$(od -An -tu1 -j "$pos" -N1 "$1" | tr -d ' ')
    # shellcheck disable=SC2059
    printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$pos" conv=notrunc 2>/dev/null
}
# one_line FILE NEEDLE...: FILE (a command's stderr) is one line holding every NEEDLE
one_line() {
    f=$1; shift
    [ "$(wc -l < "$f")" -eq 1 ] || return 1
    for n in "$@"; do grep -qF -- "$n" "$f" || return 1; done
}

"$R" train --data jsb --hidden 4 --max-epochs 1 --out "$T/run" --quiet >/dev/null 2>"$T/err" \
    && ok || bad "training the tiny model failed: $(cat "$T/err")"
M="$T/run/model.safetensors"
grep -q '"rnnlab_checksum":"crc32c:[0-9a-f]\{8\}"' "$M" && ok || bad "model.safetensors carries no checksum"
grep -q '"rnnlab_checksum":"crc32c:[0-9a-f]\{8\}"' "$T/run/state.safetensors" && ok || bad "state.safetensors carries no checksum"

# A damaged model.
cp "$M" "$T/flipped.safetensors"
flip "$T/flipped.safetensors"
cmp -s "$M" "$T/flipped.safetensors" && bad "flip changed nothing" || ok
"$R" eval --model "$T/flipped.safetensors" --data jsb >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && ok || bad "eval of a flipped model exited $rc, want 3"
one_line "$T/err" "$T/flipped.safetensors: checksum mismatch" "expected crc32c:" \
    && ok || bad "eval of a flipped model said: $(cat "$T/err")"
"$R" eval --model "$M" --data jsb >/dev/null 2>"$T/err" && ok || bad "the untouched model does not evaluate: $(cat "$T/err")"

# A malformed checksum entry (same length, so the header stays valid).
LC_ALL=C sed 's/"crc32c:\([0-9a-f]\{8\}\)"/"crc32x:\1"/' "$M" > "$T/badsum.safetensors"
"$R" eval --model "$T/badsum.safetensors" --data jsb >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && ok || bad "eval of a malformed checksum exited $rc, want 3"
one_line "$T/err" "$T/badsum.safetensors: metadata \"rnnlab_checksum\"" \
    && ok || bad "eval of a malformed checksum said: $(cat "$T/err")"

# No checksum entry (replaced by as many blanks): accepted unchecked, even with changed data.
LC_ALL=C sed 's/,"rnnlab_checksum":"crc32c:[0-9a-f]\{8\}"/                                    /' "$M" > "$T/nosum.safetensors"
grep -q rnnlab_checksum "$T/nosum.safetensors" && bad "the entry was not removed" || ok
flip "$T/nosum.safetensors"
"$R" eval --model "$T/nosum.safetensors" --data jsb >/dev/null 2>"$T/err" \
    && ok || bad "a model without a checksum is refused: $(cat "$T/err")"

# A damaged resume state: refused before anything is written.
cp -R "$T/run" "$T/bad"
flip "$T/bad/state.safetensors"
cp "$T/bad/state.safetensors" "$T/state.before"
"$R" train --resume "$T/bad" --max-epochs 2 --quiet >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && ok || bad "resume from a flipped state exited $rc, want 3"
one_line "$T/err" "$T/bad/state.safetensors: checksum mismatch" \
    && ok || bad "resume from a flipped state said: $(cat "$T/err")"
cmp -s "$T/bad/state.safetensors" "$T/state.before" && cmp -s "$T/bad/model.safetensors" "$M" \
    && ok || bad "the refused resume changed the run's files"

# The untouched run resumes and extends.
"$R" train --resume "$T/run" --max-epochs 2 --quiet >/dev/null 2>"$T/err" \
    && ok || bad "resume of the untouched run failed: $(cat "$T/err")"
"$R" eval --model "$M" --data jsb >/dev/null 2>"$T/err" && ok || bad "the extended model does not evaluate: $(cat "$T/err")"
summary
