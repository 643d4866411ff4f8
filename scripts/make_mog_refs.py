"""make_mog_refs.py — write tests/ref/mog_<case>.safetensors: PyTorch reference numbers
(float64) for the mixture-of-Gaussians head through a whole model, read by
tests/test_reference.c.  Run from the repo root:  /usr/bin/python3 scripts/make_mog_refs.py

Same file layout as scripts/make_refs.py (inputs x [T,B,I], real-valued targets y [T,B,O],
len [B], with garbage at padded steps; parameters under their rnnlab names; loss = nll_sum /
n_valid, nll_sum, logits [T,B,K*(1+2*O)], grad.<name>, a 10-step clip + RMSprop trajectory
traj / traj_gnorm / final.<name>), plus the metadata head=mog and mixtures=K.

Cases (I=4 inputs, H=4, O=3 values, K=2 components, T=5, B=2, lengths [5,3]):
  mog_gru_paper, mog_lstm_paper   ordinary parameters
  mog_clamp                        GRU; two log-std logits lie far beyond the clamp of
                                   rnl_mog_nll, one below ln 1e-3 (bias -30) and one above 20
                                   (bias +25), both in component 0; its first mean is kept
                                   near 0 (float32 resolves y - mu to ~1e-7 |mu|), the targets
                                   of that value sit ~2e-3 from it and its mixture logit is
                                   raised, so that both components carry weight and both
                                   clamped values change the loss.
Before writing, each case is checked independently: the loss against
torch.distributions (MixtureSameFamily of Independent Normals, log-stds clamped the same
way), padded steps against other garbage, and every gradient tensor against a central finite
difference in float64. The output is deterministic.
"""
import os
import zlib

import numpy as np
import torch
import torch.distributions as td

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
    "mog_clamp": ("gru", "paper", True),
}
# out.b indices of the clamped log-std logits: component 0, values 0 and 2.
K, O = D["K"], D["O"]
LS0 = K + K * O
LO_IDX, HI_IDX = LS0 + 0, LS0 + 2


def loss_of(P, cell, variant, x, y, lens):
    logits = rt.forward(P, cell, variant, 1, x, lens)
    loss, nll_sum, _ = rt.mog_loss(logits, y, lens, K)
    return loss, nll_sum, logits


def loss_by_distributions(logits, y, lens):
    """The same NLL through torch.distributions (independent of rt.mog_loss's formula)."""
    a, mu, s = rt.mog_split(logits, K, O)
    mix = td.MixtureSameFamily(td.Categorical(logits=a), td.Independent(td.Normal(mu, torch.exp(s)), 1))
    m = rt.valid_mask(y.shape[0], lens)
    lp = mix.log_prob(torch.where(m[:, :, None], y, torch.zeros_like(y)))
    return -torch.where(m, lp, torch.zeros_like(lp)).sum() / int(sum(lens))


def responsibilities(logits, y, lens):
    """Mean posterior weight of each component over the valid steps."""
    a, mu, s = rt.mog_split(logits, K, O)
    u = (y[:, :, None, :] - mu) * torch.exp(-s)
    comp = torch.log_softmax(a, -1) + (-0.5 * u * u - s - 0.5 * np.log(2 * np.pi)).sum(-1)
    g = torch.softmax(comp, -1)
    m = rt.valid_mask(y.shape[0], lens)
    return g[m].mean(0)


def check_case(name, P, cell, variant, x, y, lens, loss, grads, fd_tol):
    names = list(P)
    logits = rt.forward(P, cell, variant, 1, x, lens)
    l2 = loss_by_distributions(logits, y, lens)
    assert abs(l2.item() - loss.item()) <= 1e-12 * abs(loss.item()), f"{name}: vs torch.distributions"
    m = rt.valid_mask(x.shape[0], lens)[:, :, None]
    P2 = {n: t.detach().clone().requires_grad_(True) for n, t in P.items()}
    l3 = loss_of(P2, cell, variant, torch.where(m, x, -x.abs() * 1e3), torch.where(m, y, -3.0), lens)[0]
    g3 = torch.autograd.grad(l3, list(P2.values()))
    assert l3.item() == loss.item(), f"{name}: loss with other padding"
    for n, a, b in zip(names, grads, g3):
        assert torch.equal(a, b), f"{name}: grad.{n} with other padding"
    return rt.directional_fd(name, P, grads, lambda Q: loss_of(Q, cell, variant, x, y, lens)[0], 1e-6, fd_tol)


def trajectory(P0, cell, variant, x, y, lens):
    return rt.rmsprop_trajectory(P0, lambda P: loss_of(P, cell, variant, x, y, lens)[0], OPT, STEPS)


def make_case(name, cell, variant, clamp):
    d = D
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    W = K * (1 + 2 * O)
    shapes = rt.param_shapes(cell, variant, 1, d["I"], d["H"], W)
    params = {n: rng.normal(size=s) * 0.5 for n, s in shapes}
    T, B, lens = d["T"], d["B"], d["len"]
    valid = (np.arange(T)[:, None] < np.array(lens)[None, :])[:, :, None]
    x = np.where(valid, rng.normal(size=(T, B, d["I"])), 1e3)
    y = np.where(valid, rng.normal(size=(T, B, O)), 1e3)
    if clamp:
        params["out.b"][LO_IDX] = -30.0
        params["out.b"][HI_IDX] = 25.0
        # Component 0's first mean near 0 (|mu| <~ 0.03): the targets sit 2e-3 from it at
        # sigma 1e-3, and a float32 library can only resolve y - mu to ~1e-7 |mu|.
        params["out.W"][K] *= 0.02
        params["out.b"][K] = 0.0
        P = {n: torch.tensor(v) for n, v in params.items()}
        lg = rt.forward(P, cell, variant, 1, torch.tensor(x), lens).numpy()
        mu00 = lg[:, :, K]                                   # mean of component 0, value 0
        y[:, :, 0] = np.where(valid[:, :, 0], mu00 + 2e-3 * rng.normal(size=(T, B)), 1e3)
        params["out.b"][0] += 14.0                           # raise component 0's weight
    P = {n: torch.tensor(v, requires_grad=True) for n, v in params.items()}
    xt, yt = torch.tensor(x), torch.tensor(y)
    loss, nll_sum, logits = loss_of(P, cell, variant, xt, yt, lens)
    grads = torch.autograd.grad(loss, list(P.values()))
    resp = responsibilities(logits.detach(), yt, lens)
    fd = check_case(name, P, cell, variant, xt, yt, lens, loss.detach(), grads, 1e-5 if clamp else 1e-6)
    if clamp:
        ls = logits.detach()[..., LS0:].reshape(T, B, K, O)[rt.valid_mask(T, lens)]
        assert ls[:, 0, 0].max() < np.log(rt.MOG_MIN_STD) - 10 and ls[:, 0, 2].min() > rt.MOG_MAX_LOG_STD + 2
        assert resp.min() > 0.05, f"{name}: a component carries no weight ({resp})"
        gb = dict(zip(P, grads))["out.b"]
        assert gb[LO_IDX] == 0 and gb[HI_IDX] == 0, "clamped log-stds must get no gradient"
    traj, norms, final = trajectory(P, cell, variant, xt, yt, lens)
    clipped = int((norms > OPT["clip"]).sum())
    print(f"{name:15s} loss {loss.item():.6f}  responsibilities {resp.numpy().round(3)}  fd rel err {fd:.1e}  "
          f"grad norms {norms.min():.3f}..{norms.max():.3f}, clipped {clipped}/{STEPS}  "
          f"traj {traj[0]:.4f} -> {traj[-1]:.4f}")
    assert clipped >= STEPS // 2, f"{name}: clipping active in only {clipped} steps"
    assert np.all(np.abs(norms / OPT["clip"] - 1) > 0.01), f"{name}: a norm is near clip"

    meta = dict(ref_version="1", cell=cell, variant=variant, layers=1, hidden=d["H"], input=d["I"],
                output=O, head="mog", mixtures=K, T=T, B=B, steps=STEPS,
                **{k: str(v) for k, v in OPT.items()}, torch_version=torch.__version__)
    rt.write_reference(os.path.join(OUT, name + ".safetensors"), x, y, lens, params, loss, nll_sum,
                       logits, grads, traj, norms, final, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (cell, variant, clamp) in CASES.items():
        make_case(name, cell, variant, clamp)


if __name__ == "__main__":
    main()
