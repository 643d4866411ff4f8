"""make_authors_refs.py — write tests/ref/authors_<case>.safetensors: the authors' released
optimiser (jych/librnn RMSPropMomentum with momentum_clipping 1, RNNCost without gradient
clipping, the NLL summed over keys and frames) as PyTorch float64 trajectories, for
tests/test_authors.c (`rnnlab train --protocol authors`).  Run from the repository root:

  /usr/bin/python3 scripts/make_authors_refs.py            # (re)write the files
  /usr/bin/python3 scripts/make_authors_refs.py --check    # compare with the committed files

The optimiser is written here from its equations (/work/shared/docs/paper.md §3 [code]), per
parameter, with g the gradient of the summed NLL, k = 0, 1, ...:
    r <- 0.95 r + 0.05 g^2
    v <- 0.9 v - lr_k * g / max(sqrt(r), 0.01)                (no epsilon)
    theta <- theta + v * min(1, 1 / ||v||)                    (||v|| over every parameter; v
                                                               itself is stored unscaled)
No weight noise (the test compares deterministic trajectories). The learning rate falls
linearly step by step (lr_k = lr0 * (1 - k / 10), lr0 per case), so a form that keeps lr outside the
velocity (torch.optim.RMSprop's) gives another trajectory. Every case is built so that the
step cap acts in some updates and not in others, and the floor is active for some elements
and not others (asserted).

Each file: the inputs x [T,B,I], y [T,B,O], len [B]; the initial parameters under rnnlab's
names; lr [STEPS]; step_norm [STEPS] = ||v|| after each update (before the cap);
after.<k>.<name> = the parameters after update k (k = 1..STEPS). Metadata: ref_version,
cell, variant, layers, input, hidden, output, T, B, steps, decay, momentum, rms_floor,
step_clip, torch_version. The output is deterministic.
"""
import os
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rnnlab_torch as rt  # noqa: E402

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

DECAY, MOMENTUM, FLOOR, STEP_CLIP = 0.95, 0.9, 0.01, 1.0
STEPS = 6
OUT = "tests/ref"

D = dict(T=8, B=2, len=[8, 5], I=5, H=4, O=5)
# name: (cell, variant, layers, dims, lr0)
CASES = {
    "authors_gru_paper": ("gru", "paper", 1, D, 0.015),
    "authors_lstm_paper": ("lstm", "paper", 1, D, 0.015),
    "authors_tanh_paper": ("tanh", "paper", 1, D, 0.025),
}


def summed_nll(P, cfg, x, y, lens):
    """The released cost: the Bernoulli NLL summed over keys and frames (no division)."""
    cell, variant, layers = cfg
    logits = rt.forward(P, cell, variant, layers, x, lens)
    return rt.bernoulli_loss(logits, y, lens)[1]


def authors_trajectory(P0, loss, lr0):
    """STEPS updates of the released RMSPropMomentum from zero state: (lr [STEPS], ||v|| [STEPS],
    [{name: parameters after update k}], fraction of elements floored per update)."""
    P = {n: t.detach().clone() for n, t in P0.items()}
    r = {n: torch.zeros_like(t) for n, t in P.items()}
    v = {n: torch.zeros_like(t) for n, t in P.items()}
    lrs, norms, after, floored = [], [], [], []
    for k in range(STEPS):
        lr = lr0 * (1 - k / 10)
        Q = {n: t.clone().requires_grad_(True) for n, t in P.items()}
        g = dict(zip(Q, torch.autograd.grad(loss(Q), list(Q.values()))))
        nfl, ntot = 0, 0
        for n in P:
            r[n] = DECAY * r[n] + (1 - DECAY) * g[n] ** 2
            rms = torch.clamp(torch.sqrt(r[n]), min=FLOOR)
            nfl += int((torch.sqrt(r[n]) < FLOOR).sum())
            ntot += r[n].numel()
            v[n] = MOMENTUM * v[n] - lr * g[n] / rms
        norm = torch.sqrt(sum((v[n] ** 2).sum() for n in P)).item()
        scale = min(1.0, STEP_CLIP / norm)
        for n in P:
            P[n] = P[n] + v[n] * scale
        lrs.append(lr)
        norms.append(norm)
        floored.append(nfl / ntot)
        after.append({n: t.numpy().copy() for n, t in P.items()})
    return np.array(lrs), np.array(norms), after, floored


def make_case(name, cell, variant, layers, d, lr0):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    shapes = rt.param_shapes(cell, variant, layers, d["I"], d["H"], d["O"])
    params = {n: rng.normal(size=s) * 0.5 for n, s in shapes}
    T, B, lens = d["T"], d["B"], d["len"]
    valid = (np.arange(T)[:, None] < np.array(lens)[None, :])[:, :, None]
    x = np.where(valid, rng.normal(size=(T, B, d["I"])), 1e3)
    y = np.where(valid, rng.integers(0, 2, size=(T, B, d["O"])).astype(np.float64), 7.0)
    cfg = (cell, variant, layers)
    xt, yt = torch.tensor(x), torch.tensor(y)
    P0 = {n: torch.tensor(v) for n, v in params.items()}
    lrs, norms, after, floored = authors_trajectory(P0, lambda P: summed_nll(P, cfg, xt, yt, lens), lr0)
    capped = int((norms > STEP_CLIP).sum())
    print(f"{name:20s} ||v|| {norms.min():.3f}..{norms.max():.3f}, capped {capped}/{STEPS}, "
          f"floored {min(floored):.2f}..{max(floored):.2f} of the elements")
    assert 0 < capped < STEPS, f"{name}: the step cap must act in some updates, not all"
    assert np.all(np.abs(norms / STEP_CLIP - 1) > 0.01), f"{name}: a step norm is near the cap"
    assert 0 < max(floored) and min(floored) < 1, f"{name}: the floor must act on some elements"
    t = {"x": x, "y": y, "len": np.array(lens, dtype=np.int64), "lr": lrs, "step_norm": norms}
    t.update(params)
    for k, a in enumerate(after):
        t.update({f"after.{k + 1}.{n}": p for n, p in a.items()})
    meta = dict(ref_version="1", cell=cell, variant=variant, layers=layers, input=d["I"],
                hidden=d["H"], output=d["O"], T=T, B=B, steps=STEPS, decay=DECAY,
                momentum=MOMENTUM, rms_floor=FLOOR, step_clip=STEP_CLIP,
                torch_version=torch.__version__)
    return t, {k: str(v) for k, v in meta.items()}


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        print("make_authors_refs.py: usage: make_authors_refs.py [--check]", file=sys.stderr)
        sys.exit(2)
    bad = 0
    for name, case in CASES.items():
        t, meta = make_case(name, *case)
        path = os.path.join(OUT, name + ".safetensors")
        if not check:
            os.makedirs(OUT, exist_ok=True)
            rt.st_write(path, t, meta)
            continue
        have, hmeta = rt.st_read(path)
        same = set(have) == set(t) and all(np.allclose(have[k], v, rtol=1e-12, atol=1e-14)
                                           for k, v in t.items())
        if not same or {k: v for k, v in hmeta.items() if k != "torch_version"} != \
                {k: v for k, v in meta.items() if k != "torch_version"}:
            print(f"make_authors_refs.py: {path} differs from what the equations give now",
                  file=sys.stderr)
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
