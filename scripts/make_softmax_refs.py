"""make_softmax_refs.py — write tests/ref/softmax_<case>.safetensors: PyTorch reference
numbers (float64) for the categorical (softmax) head through a whole model, read by
tests/test_reference.c.  Run from the repo root:  /usr/bin/python3 scripts/make_softmax_refs.py

Same file layout as scripts/make_refs.py (inputs x [T,B,I], targets y [T,B,O], len [B], with
garbage at padded steps; parameters under their rnnlab names; loss = nll_sum / n_valid,
nll_sum, logits [T,B,O], grad.<name>, a 10-step clip + RMSprop trajectory traj / traj_gnorm /
final.<name>), plus the metadata head=softmax. The targets are one-hot vectors of symbols
(head_softmax.c's encoding) and the loss is F.cross_entropy of the logits against the
symbols' indices, reduction="sum" over the valid steps. The inputs of the *_sparse cases
are the one-hot vectors of the previous symbols, as text feeds them (the library's sparse
input path); softmax_tanh_paper_l2 has N(0,1) inputs (the dense path).

Cases (H=4, T=5, B=2, lengths [5,3]):
  softmax_lstm_paper_sparse     O = I = 6 symbols
  softmax_gru_pytorch_sparse    O = I = 6, torch.nn.GRU
  softmax_tanh_paper_l2         I = 4, O = 6, 2 layers
  softmax_lstm_pytorch_wide_sparse     O = I = 40 (two blocks of 16 lanes and a tail), torch.nn.LSTM,
                                logits scaled to about ±60 (large logits, float32 exp range)
Before writing, each case is checked independently: the loss against a log-sum-exp written
out in numpy (float64, step by step), padded steps against other garbage, and every
gradient tensor against a central finite difference in float64. The output is deterministic.
"""
import os
import zlib

import numpy as np
import torch
import torch.nn.functional as F

import rnnlab_torch as rt

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

OPT = dict(lr=0.01, decay=0.95, momentum=0.9, eps=1e-8, clip=0.35)
STEPS = 10
OUT = "tests/ref"
T, B, LENS, H = 5, 2, [5, 3], 4
# name: (cell, variant, layers, I, O, one-hot inputs, logit scale)
CASES = {
    "softmax_lstm_paper_sparse": ("lstm", "paper", 1, 6, 6, True, 1.0),
    "softmax_gru_pytorch_sparse": ("gru", "pytorch", 1, 6, 6, True, 1.0),
    "softmax_tanh_paper_l2": ("tanh", "paper", 2, 4, 6, False, 1.0),
    "softmax_lstm_pytorch_wide_sparse": ("lstm", "pytorch", 1, 40, 40, True, 30.0),
}


def loss_of(P, cell, variant, layers, x, y, lens):
    logits = rt.forward(P, cell, variant, layers, x, lens)
    m = rt.valid_mask(x.shape[0], lens)
    idx = y.argmax(-1)
    nll_sum = F.cross_entropy(logits[m], idx[m], reduction="sum")
    return nll_sum / int(sum(lens)), nll_sum, logits


def loss_by_numpy(logits, y, lens):
    tot = 0.0
    for b, L in enumerate(lens):
        for t in range(L):
            a, c = logits[t, b], int(np.argmax(y[t, b]))
            mx = a.max()
            tot += mx + np.log(np.exp(a - mx).sum()) - a[c]
    return tot / int(sum(lens))


def make_case(name, cell, variant, layers, I, O, onehot, scale):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    shapes = rt.param_shapes(cell, variant, layers, I, H, O)
    params = {n: rng.normal(size=s) * 0.5 for n, s in shapes}
    params["out.W"] *= scale
    params["out.b"] *= scale
    valid = (np.arange(T)[:, None] < np.array(LENS)[None, :])[:, :, None]
    sym = rng.integers(0, O, size=(T + 1, B))
    y = np.where(valid, np.eye(O)[sym[1:]], 1e3)
    if onehot:
        x = np.where(valid, np.eye(I)[sym[:-1]], 0.0)
    else:
        x = np.where(valid, rng.normal(size=(T, B, I)), 1e3)
    P = {n: torch.tensor(v, requires_grad=True) for n, v in params.items()}
    xt, yt = torch.tensor(x), torch.tensor(y)
    f = lambda Q, xx=xt, yy=yt: loss_of(Q, cell, variant, layers, xx, yy, LENS)
    loss, nll_sum, logits = f(P)
    grads = torch.autograd.grad(loss, list(P.values()))
    l2 = loss_by_numpy(logits.detach().numpy(), y, LENS)
    assert abs(l2 - loss.item()) <= 1e-12 * (1 + abs(loss.item())), f"{name}: {loss.item()} vs numpy {l2}"
    m = rt.valid_mask(T, LENS)[:, :, None]
    P2 = {n: t.detach().clone().requires_grad_(True) for n, t in P.items()}
    other_y = torch.where(m, yt, torch.zeros_like(yt) + 7.0)
    other_x = torch.where(m, xt, torch.zeros_like(xt) - 5.0)
    l3 = f(P2, other_x, other_y)[0]
    assert l3.item() == loss.item(), f"{name}: loss with other padding"
    for n, a, b in zip(P, grads, torch.autograd.grad(l3, list(P2.values()))):
        assert torch.equal(a, b), f"{name}: grad.{n} with other padding"
    fd = rt.directional_fd(name, P, grads, lambda Q: f(Q)[0], 1e-6, 1e-5)
    traj, norms, final = rt.rmsprop_trajectory(P, lambda Q: f(Q)[0], OPT, STEPS)
    clipped = int((norms > OPT["clip"]).sum())
    amax = logits.detach()[rt.valid_mask(T, LENS)].abs().max().item()
    print(f"{name:28s} loss {loss.item():.6f}  max|logit| {amax:.1f}  fd rel err {fd:.1e}  "
          f"grad norms {norms.min():.3f}..{norms.max():.3f}, clipped {clipped}/{STEPS}  "
          f"traj {traj[0]:.4f} -> {traj[-1]:.4f}")
    assert np.all(np.abs(norms / OPT["clip"] - 1) > 0.01), f"{name}: a norm is near clip: {norms}"
    meta = dict(ref_version="1", cell=cell, variant=variant, layers=layers, hidden=H, input=I, output=O,
                head="softmax", T=T, B=B, steps=STEPS, **{k: str(v) for k, v in OPT.items()},
                torch_version=torch.__version__)
    rt.write_reference(os.path.join(OUT, name + ".safetensors"), x, y, LENS, params, loss, nll_sum, logits,
                       grads, traj, norms, final, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, args in CASES.items():
        make_case(name, *args)


if __name__ == "__main__":
    main()
