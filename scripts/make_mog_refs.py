"""make_mog_refs.py — write tests/ref/mog_<case>.safetensors: PyTorch reference numbers
(float64) for the discretised mixture-of-Gaussians head through a whole model, read by
tests/test_reference.c.  Run from the repo root:  /usr/bin/python3 scripts/make_mog_refs.py

Same file layout as scripts/make_refs.py (inputs x [T,B,I], targets y [T,B,O] on the model's
16-bit grid, len [B], with garbage at padded steps; parameters under their rnnlab names;
loss = nll_sum / n_valid, nll_sum, logits [T,B,K*(1+2*O)], grad.<name>, a 10-step clip +
RMSprop trajectory traj / traj_gnorm / final.<name>), plus the metadata head=mog,
mixtures=K, data_mean and data_std (the grid: step = 1/(32768 data_std); data_std =
100/32768 makes the step 0.01, so that bins are visible at the scale of the outputs).

Cases (I=4 inputs, H=4, O=3 values, K=2 components, T=5, B=2, lengths [5,3]):
  mog_gru_paper, mog_lstm_paper   ordinary parameters
  mog_floor                        GRU; one log-std logit of component 0 lies below the soft
                                   floor (log(step/8) - 1: sigma = step/16, where the floor
                                   still passes a gradient) and one above the ceiling 20 (no
                                   gradient); that component's first mean is kept near 0 and
                                   its targets are the nearest grid points of the mean, its
                                   mixture logit raised, so both components carry weight.
Before writing, each case is checked independently: every valid step's NLL against mpmath
(60 digits, the definition in rnnlab.h evaluated entry by entry), padded steps against
other garbage, and every gradient tensor against a central finite difference in float64.
The output is deterministic.
"""
import os
import zlib

import numpy as np
import torch
import mpmath as mp

import rnnlab_torch as rt

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

OPT = dict(lr=0.01, decay=0.95, momentum=0.9, eps=1e-8, clip=0.2)
STEPS = 10
OUT = "tests/ref"
D = dict(T=5, B=2, len=[5, 3], I=4, H=4, O=3, K=2)
CASES = {
    "mog_gru_paper": ("gru", "paper", False),
    "mog_lstm_paper": ("lstm", "paper", False),
    "mog_floor": ("gru", "paper", True),
}
MEAN, STD = 0.0, 100.0 / 32768.0
STEP, GLO, NBIN = rt.mog_grid16(MEAN, STD)
# out.b indices of the log-std logits below the floor and above the ceiling: component 0,
# values 0 and 2.
K, O = D["K"], D["O"]
LS0 = K + K * O
LO_IDX, HI_IDX = LS0 + 0, LS0 + 2
FLOOR = float(np.log(rt.MOG_MIN_STD_STEPS * (1.0 / (32768.0 * (100.0 / 32768.0)))))


def loss_of(P, cell, variant, x, y, lens):
    logits = rt.forward(P, cell, variant, 1, x, lens)
    loss, nll_sum, _ = rt.mog_loss(logits, y, lens, K, MEAN, STD)
    return loss, nll_sum, logits


def nll_by_mpmath(lg, yv):
    """One step's NLL from its logits [K*(1+2*O)] and targets [O], entry by entry in mpmath
    from rnnlab.h's definition (independent of rt.mog_loss's vectorised tails)."""
    mp.mp.dps = 60
    step, lo, eps = mp.mpf(STEP), mp.mpf(GLO), mp.mpf(rt.MOG_UNIFORM)
    f = mp.log(mp.mpf(rt.MOG_MIN_STD_STEPS) * step)
    a = [mp.mpf(float(v)) for v in lg[:K]]
    amax = max(a)
    lse_a = amax + mp.log(sum(mp.exp(v - amax) for v in a))
    total = mp.mpf(0)
    for k in range(K):
        p = mp.exp(a[k] - lse_a)
        for d in range(O):
            mu = mp.mpf(float(lg[K + k * O + d]))
            ls = mp.mpf(float(lg[K + K * O + k * O + d]))
            sl = mp.mpf(rt.MOG_MAX_LOG_STD) if ls > rt.MOG_MAX_LOG_STD else ls if ls >= f else f - mp.log(1 + f - ls)
            sig = mp.exp(sl)
            i = int(round((float(yv[d]) - GLO) / STEP))
            c = lo + i * step
            up = 1 if i == NBIN - 1 else mp.ncdf((c + step / 2 - mu) / sig)
            dn = 0 if i == 0 else mp.ncdf((c - step / 2 - mu) / sig)
            p *= (1 - eps) * (up - dn) + eps / NBIN
        total += p
    return float(-mp.log(total) + O * mp.log(step))


def loss_by_mpmath(logits, y, lens):
    tot = 0.0
    for b, L in enumerate(lens):
        for t in range(L):
            tot += nll_by_mpmath(logits[t, b].numpy(), y[t, b].numpy())
    return tot / int(sum(lens))


def responsibilities(logits, y, lens):
    """Mean posterior weight of each component over the valid steps."""
    a, mu, s = rt.mog_split(logits, K, O, STEP)
    comp = torch.log_softmax(a, -1) + rt.mog_log_mass(y, mu, s, STEP, GLO, NBIN).sum(-1)
    g = torch.softmax(comp, -1)
    m = rt.valid_mask(y.shape[0], lens)
    return g[m].mean(0)


def check_case(name, P, cell, variant, x, y, lens, loss, grads, fd_eps, fd_tol):
    names = list(P)
    logits = rt.forward(P, cell, variant, 1, x, lens)
    l2 = loss_by_mpmath(logits.detach(), y, lens)
    assert abs(l2 - loss.item()) <= 1e-10 * (1 + abs(loss.item())), f"{name}: {loss.item()} vs mpmath {l2}"
    m = rt.valid_mask(x.shape[0], lens)[:, :, None]
    P2 = {n: t.detach().clone().requires_grad_(True) for n, t in P.items()}
    l3 = loss_of(P2, cell, variant, torch.where(m, x, -x.abs() * 1e3), torch.where(m, y, -300.0), lens)[0]
    g3 = torch.autograd.grad(l3, list(P2.values()))
    assert l3.item() == loss.item(), f"{name}: loss with other padding"
    for n, a, b in zip(names, grads, g3):
        assert torch.equal(a, b), f"{name}: grad.{n} with other padding"
    return rt.directional_fd(name, P, grads, lambda Q: loss_of(Q, cell, variant, x, y, lens)[0], fd_eps, fd_tol)


def trajectory(P0, cell, variant, x, y, lens):
    return rt.rmsprop_trajectory(P0, lambda P: loss_of(P, cell, variant, x, y, lens)[0], OPT, STEPS)


def make_case(name, cell, variant, floor_case):
    d = D
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    W = K * (1 + 2 * O)
    shapes = rt.param_shapes(cell, variant, 1, d["I"], d["H"], W)
    params = {n: rng.normal(size=s) * 0.5 for n, s in shapes}
    T, B, lens = d["T"], d["B"], d["len"]
    valid = (np.arange(T)[:, None] < np.array(lens)[None, :])[:, :, None]
    x = np.where(valid, rng.normal(size=(T, B, d["I"])), 1e3)
    # targets: grid points (float32, as rnnlab stores them) of N(0, 1) draws
    on_grid = lambda v: (GLO + np.round((v - GLO) / STEP) * STEP).astype(np.float32).astype(np.float64)
    y = np.where(valid, on_grid(rng.normal(size=(T, B, O))), 1e3)
    if floor_case:
        params["out.b"][LO_IDX] = FLOOR - 1.0
        params["out.W"][LO_IDX] *= 0.0
        params["out.b"][HI_IDX] = 25.0
        # Component 0's first mean near 0 (|mu| <~ 0.03) and its targets its nearest grid
        # points: sigma = step/16 then leaves masses between ~0.5 and 1, and a gradient.
        params["out.W"][K] *= 0.02
        params["out.b"][K] = 0.0
        P = {n: torch.tensor(v) for n, v in params.items()}
        lg = rt.forward(P, cell, variant, 1, torch.tensor(x), lens).numpy()
        mu00 = lg[:, :, K]                                   # mean of component 0, value 0
        y[:, :, 0] = np.where(valid[:, :, 0], on_grid(mu00), 1e3)
        params["out.b"][0] += 8.0                            # raise component 0's weight
    P = {n: torch.tensor(v, requires_grad=True) for n, v in params.items()}
    xt, yt = torch.tensor(x), torch.tensor(y)
    loss, nll_sum, logits = loss_of(P, cell, variant, xt, yt, lens)
    grads = torch.autograd.grad(loss, list(P.values()))
    resp = responsibilities(logits.detach(), yt, lens)
    # sigma = step/16 in mog_floor: the loss bends on the scale of 6e-4, so a smaller step
    fd = check_case(name, P, cell, variant, xt, yt, lens, loss.detach(), grads, 1e-7 if floor_case else 1e-6,
                    1e-4 if floor_case else 1e-5)
    if floor_case:
        ls = logits.detach()[..., LS0:].reshape(T, B, K, O)[rt.valid_mask(T, lens)]
        assert ls[:, 0, 0].max() < FLOOR - 0.5 and ls[:, 0, 2].min() > rt.MOG_MAX_LOG_STD + 2
        assert resp.min() > 0.05, f"{name}: a component carries no weight ({resp})"
        gb = dict(zip(P, grads))["out.b"]
        assert gb[HI_IDX] == 0, "a log-std above the ceiling gets no gradient"
        assert gb[LO_IDX] != 0, "a log-std below the soft floor keeps a gradient"
    traj, norms, final = trajectory(P, cell, variant, xt, yt, lens)
    clipped = int((norms > OPT["clip"]).sum())
    print(f"{name:15s} loss {loss.item():.6f}  responsibilities {resp.numpy().round(3)}  fd rel err {fd:.1e}  "
          f"grad norms {norms.min():.3f}..{norms.max():.3f}, clipped {clipped}/{STEPS}  "
          f"traj {traj[0]:.4f} -> {traj[-1]:.4f}")
    assert clipped >= STEPS // 2, f"{name}: clipping active in only {clipped} steps"
    assert np.all(np.abs(norms / OPT["clip"] - 1) > 0.01), f"{name}: a norm is near clip"

    meta = dict(ref_version="1", cell=cell, variant=variant, layers=1, hidden=d["H"], input=d["I"],
                output=O, head="mog", mixtures=K, data_mean="%.17g" % MEAN, data_std="%.17g" % STD, T=T, B=B, steps=STEPS,
                **{k: str(v) for k, v in OPT.items()}, torch_version=torch.__version__)
    rt.write_reference(os.path.join(OUT, name + ".safetensors"), x, y, lens, params, loss, nll_sum,
                       logits, grads, traj, norms, final, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (cell, variant, floor_case) in CASES.items():
        make_case(name, cell, variant, floor_case)


if __name__ == "__main__":
    main()
