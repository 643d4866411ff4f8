#!/bin/sh
# NumPy .npz data sets end to end, on files numpy itself writes (np.savez and
# np.savez_compressed, the snippet of docs/TEXT.md):
# - 0/1 arrays (uint8, bool, float32) train a Bernoulli model; integer token arrays a softmax
#   model; every split, 1-D and T x 1, C and Fortran order;
# - the token reader against the text reader: the same symbols as a one-sequence-per-split
#   .npz and as a text file give the same evaluation NLL of the same model;
# - real-valued arrays (float32, float64, 2 columns) train the continuous Gaussian-mixture
#   head (5 components, or --mixtures K); its evaluation NLL equals PyTorch's
#   (torch.distributions.MixtureSameFamily over the checkpoint's own forward pass in float64,
#   rnnlab_torch.forward); `sample --steps N --out F.npy` writes a (N, 2) float32 array numpy
#   reads, the same bytes for the same seed; --mixtures on 0/1 data is refused;
# - bad files are one line and exit 3: a truncated .npz at several lengths, a flipped byte in
#   a compressed member (CRC or inflate), real values of 1e31, a name that is no sequence.
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
def wave(T):
    t = np.arange(T)[:, None]
    return np.sin(0.3 * t + r.uniform(0, 6, (1, 2))) + 0.1 * r.normal(size=(T, 2))
np.savez('flt.npz', **{f'train_{i}': wave(30).astype(np.float32) for i in range(8)},
         **{f'valid_{i}': wave(20) for i in range(2)}, **{f'test_{i}': wave(25 - i).astype(np.float32) for i in range(3)})
np.savez('huge.npz', train_0=np.full((5, 1), 1e31), valid_0=np.zeros((5, 1)) + 0.5, test_0=np.zeros((5, 1)) + 0.5)
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
# Real values: the Gaussian-mixture head, its NLL against PyTorch, sampling to .npy.
"$R" train --data flt.npz --cell lstm --layers 2 --hidden 8 --max-epochs 3 --out f --quiet >/dev/null || bad "real npz train failed"
grep -q '"head": "gauss"' f/summary.json && grep -q '"input": 2' f/summary.json && ok || bad "real summary: $(cat f/summary.json)"
grep -q '"mixtures":"5"' f/model.safetensors && ok || bad "real model: not 5 mixtures"
"$R" train --data flt.npz --hidden 8 --max-epochs 1 --mixtures 2 --out f2 --quiet >/dev/null && \
    grep -q '"mixtures":"2"' f2/model.safetensors && ok || bad "--mixtures 2 not in the model"
e=$("$R" eval --model f/model.safetensors --data flt.npz --split test --json)
nll=$(printf '%s' "$e" | sed -n 's/.*"nll": \([^,]*\),.*/\1/p')
printf '%s' "$e" | grep -q '"frames": 69,' && ok || bad "real test frames (24 + 23 + 22): $e"
py=$(cd "$OLDPWD" && "$PY" - "$T/f/model.safetensors" "$T/flt.npz" <<'PYEOF'
import sys, numpy as np, torch
sys.path.insert(0, 'scripts')
import rnnlab_torch as rt
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal
torch.set_default_dtype(torch.float64)
T, meta = rt.st_read(sys.argv[1])
P = {k: torch.tensor(v, dtype=torch.float64) for k, v in T.items()}
K, D, L = int(meta['mixtures']), int(meta['output']), int(meta['layers'])
z = np.load(sys.argv[2])
tot, frames, F = 0.0, 0, np.log(1e-3)
for i in range(3):
    s = torch.tensor(z[f'test_{i}'].astype(np.float64))[:, None, :]
    a = rt.forward(P, meta['cell'], meta['variant'], L, s[:-1], [s.shape[0] - 1])[:, 0, :]
    ls = a[:, K + K * D:].reshape(-1, K, D)
    ls = torch.where(ls > 20, torch.full_like(ls, 20.0),
                     torch.where(ls >= F, ls, F - torch.log1p(F - torch.clamp(ls, max=F))))
    mix = MixtureSameFamily(Categorical(logits=a[:, :K]),
                            Independent(Normal(a[:, K:K + K * D].reshape(-1, K, D), torch.exp(ls)), 1))
    tot -= mix.log_prob(s[1:, 0, :]).sum().item()
    frames += s.shape[0] - 1
print(tot / frames)
PYEOF
)
check 'awk -v a="$py" -v b="$nll" "BEGIN { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(a != \"\" && d <= 1e-5 * (s + 1)) }"' \
    "real test NLL: rnnlab $nll, PyTorch $py"
"$R" sample --model f/model.safetensors --steps 40 --seed 5 --out s1.npy >/dev/null && \
    "$R" sample --model f/model.safetensors --steps 40 --seed 5 --out s2.npy >/dev/null && cmp -s s1.npy s2.npy && ok ||
    bad "sample: the same seed, other bytes"
"$R" sample --model f/model.safetensors --steps 40 --seed 6 --out s3.npy >/dev/null
cmp -s s1.npy s3.npy && bad "sample: seeds 5 and 6 gave the same values" || ok
check '"$PY" -c "import numpy as np; a = np.load(\"s1.npy\"); assert a.shape == (40, 2) and a.dtype == np.float32 and np.isfinite(a).all() and a.std() > 0"' \
    "sample: s1.npy is not a (40, 2) float32 array numpy reads"
err=$("$R" sample --model f/model.safetensors --steps 4 --out s.wav 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] && printf '%s' "$err" | grep -q "give --out FILE.npy" && ok || bad "sample --out .wav: exit $rc: $err"
err=$("$R" train --data bern.npz --mixtures 3 --out o 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] && printf '%s' "$err" | grep -q "has no mixtures" && ok || bad "--mixtures on 0/1 data: exit $rc: $err"
err=$("$R" train --data huge.npz --out o 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 3 ] && printf '%s' "$err" | grep -q "magnitude 1e+31" && ok || bad "1e31: exit $rc: $err"
err=$("$R" train --data name.npz --out o 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 3 ] && printf '%s' "$err" | grep -q "member extra.npy is not a sequence" && ok || bad "name: exit $rc: $err"
summary
