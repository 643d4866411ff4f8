#!/bin/sh
# NumPy .npz data sets end to end, on files numpy itself writes (np.savez and
# np.savez_compressed, the snippet of docs/TEXT.md):
# - 0/1 arrays (uint8, bool, float32) train a Bernoulli model; integer token arrays a softmax
#   model; every split, 1-D and T x 1, C and Fortran order;
# - the token reader against the text reader: the same symbols as a one-sequence-per-split
#   .npz and as a text file give the same evaluation NLL of the same model;
# - bad files are one line and exit 3: a truncated .npz at several lengths, a flipped byte in
#   a compressed member (CRC or inflate), floating-point values, a name that is no sequence.
. tests/lib.sh
PY=/usr/bin/python3
if ! "$PY" -c "import numpy" 2>/dev/null; then
    echo "sh_npz: skipped: $PY cannot import numpy (Debian python3-numpy)"; bad "numpy missing"; summary; exit
fi
cd "$T" || exit 1
"$PY" - <<'PYEOF' || bad "numpy fixtures failed"
import numpy as np
r = np.random.default_rng(1)
tr = [(r.random((20 + i, 5)) < 0.3).astype(np.uint8) for i in range(6)]
va = [(r.random((15, 5)) < 0.3) for i in range(2)]
te = [np.asfortranarray((r.random((12, 5)) < 0.3).astype(np.float32)) for i in range(2)]
np.savez('bern.npz', **{f'train_{i}': s for i, s in enumerate(tr)}, **{f'valid_{i}': s for i, s in enumerate(va)},
         **{f'test_{i}': s for i, s in enumerate(te)})
# tokens 0..6, one sequence per split whose lengths are the text reader's 90/5/5 of 2000
sym = r.integers(0, 7, size=2000)
sym[:7] = np.arange(7)
np.savez_compressed('tok.npz', train_0=sym[:1800], valid_0=sym[1800:1900].astype(np.int16).reshape(100, 1),
                    test_0=sym[1900:].astype(np.uint32))
open('tok.txt', 'wb').write(bytes(48 + int(s) for s in sym))
np.savez('flt.npz', train_0=r.normal(size=(10, 2)), valid_0=r.normal(size=(10, 2)), test_0=r.normal(size=(10, 2)))
np.savez('name.npz', train_0=sym[:10], valid_0=sym[:10], test_0=sym[:10], extra=sym[:3])
PYEOF

"$R" train --data bern.npz --hidden 8 --max-epochs 2 --out b --quiet >/dev/null || bad "Bernoulli npz train failed"
grep -q '"head": "bernoulli"' b/summary.json && grep -q '"input": 5' b/summary.json && ok || bad "bern summary"
e=$("$R" eval --model b/model.safetensors --data bern.npz --split test --json)
printf '%s' "$e" | grep -q '"frames": 22,' && ok || bad "Bernoulli test frames (2 x 11): $e"

"$R" train --data tok.npz --hidden 8 --max-epochs 2 --out t --quiet >/dev/null || bad "token npz train failed"
grep -q '"head": "softmax"' t/summary.json && grep -q '"input": 7' t/summary.json && ok || bad "token summary"
for s in train valid test; do
    a=$("$R" eval --model t/model.safetensors --data tok.npz --split $s --json | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')
    b=$("$R" eval --model t/model.safetensors --data tok.txt --split $s --json | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')
    awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-9 * b) }' && ok ||
        bad "$s: npz NLL $a vs text NLL $b"
done

n=$(wc -c < tok.npz)
for k in 0 30 100 $((n / 2)) $((n - 23)) $((n - 1)); do
    head -c "$k" tok.npz > cut.npz
    err=$("$R" train --data cut.npz --out o 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq 3 ] && [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] && ok || bad "truncated at $k: exit $rc: $err"
done
# a byte in the middle of the first member's deflated data
"$PY" -c "b=bytearray(open('tok.npz','rb').read()); b[80]^=0x55; open('flip.npz','wb').write(b)"
err=$("$R" train --data flip.npz --out o 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 3 ] && printf '%s' "$err" | grep -qE "CRC-32|inflate" && ok || bad "flipped byte: exit $rc: $err"
err=$("$R" train --data flt.npz --out o 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 3 ] && printf '%s' "$err" | grep -q "not supported yet" && ok || bad "floats: exit $rc: $err"
err=$("$R" train --data name.npz --out o 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 3 ] && printf '%s' "$err" | grep -q "member extra.npy is not a sequence" && ok || bad "name: exit $rc: $err"
summary
