"""make_gauss_refs.py — write tests/ref/gauss_head.safetensors: PyTorch reference numbers
(float64) for the continuous Gaussian-mixture head (rnnlab.h rnl_gauss_nll), read by
tests/test_reference.c.  Run from the repo root:  /usr/bin/python3 scripts/make_gauss_refs.py

The NLL of each row is torch.distributions' MixtureSameFamily(Categorical(logits),
Independent(Normal(mu, sigma), 1)).log_prob(y), negated; sigma = exp(s) with s the soft floor
and ceiling of rnnlab.h applied to the raw log std; the gradient with respect to the row's
logits [K*(1+2*O)] by autograd through that. Before writing, every NLL is checked against
the hand formula -logsumexp_k(log pi_k + sum_d log N(y_d; mu, sigma)) in numpy, and every
gradient against a central finite difference in float64 (to 1e-6 relative plus the
difference's own rounding, 1e-14 |nll| / eps).

Rows (K=3, O=2, N=64): logits N(0, 1.5²) with the log stds N(−3, 3²) so that about a
tenth lie below the floor log(1e-3) ≈ −6.91 (the soft part), one row with a log std above
the ceiling 20 (no gradient), targets mu of a random component plus N(0, 0.5²) or far away
(|y| up to 40: a confident miss), and a row of one dominant component (mixture logits ±30).
Logits and targets are rounded to float32 first (what the C test feeds the head). Tensors:
logits [N, W], y [N, O], nll [N], grad [N, W]; metadata K, O. Deterministic.
"""
import os

import numpy as np
import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

import rnnlab_torch as rt

torch.set_default_dtype(torch.float64)
FLOOR = float(np.log(1e-3))  # RNL_GAUSS_MIN_LOG_STD
CEIL = 20.0                  # RNL_GAUSS_MAX_LOG_STD
K, O, N = 3, 2, 64


def log_std(ls):
    """rnnlab.h's soft floor and ceiling of the raw log std."""
    below = FLOOR - torch.log1p(FLOOR - torch.clamp(ls, max=FLOOR))
    s = torch.where(ls >= FLOOR, ls, below)
    return torch.where(ls > CEIL, torch.full_like(ls, CEIL), s)


def nll_torch(a, y):
    logit, mu, ls = a[:K], a[K:K + K * O].reshape(K, O), a[K + K * O:].reshape(K, O)
    sig = torch.exp(log_std(ls))
    mix = MixtureSameFamily(Categorical(logits=logit), Independent(Normal(mu, sig), 1))
    return -mix.log_prob(y)


def nll_hand(a, y):
    a, y = np.asarray(a), np.asarray(y)
    logit, mu, ls = a[:K], a[K:K + K * O].reshape(K, O), a[K + K * O:].reshape(K, O)
    s = np.where(ls > CEIL, CEIL, np.where(ls >= FLOOR, ls, FLOOR - np.log1p(FLOOR - np.minimum(ls, FLOOR))))
    lpi = logit - (logit.max() + np.log(np.exp(logit - logit.max()).sum()))
    z = (y[None, :] - mu) / np.exp(s)
    L = lpi + (-0.5 * z * z - s - 0.5 * np.log(2 * np.pi)).sum(axis=1)
    return -(L.max() + np.log(np.exp(L - L.max()).sum()))


def main():
    rng = np.random.default_rng(20261202)
    W = K * (1 + 2 * O)
    A = rng.normal(0, 1.5, (N, W))
    A[:, K + K * O:] = rng.normal(-3, 3, (N, K * O))
    Y = np.empty((N, O))
    for n in range(N):
        k = rng.integers(K)
        Y[n] = A[n, K + k * O:K + (k + 1) * O] + rng.normal(0, 0.5, O)
    Y[5] = [40.0, -35.0]
    A[7, K + K * O + 1] = 25.0
    A[9, :K] = [30.0, -30.0, 0.0]
    # float32 values, as rnnlab's logits and targets are: the C test then sees these exactly
    A, Y = A.astype(np.float32).astype(np.float64), Y.astype(np.float32).astype(np.float64)
    nll, grad = np.empty(N), np.empty((N, W))
    for n in range(N):
        a = torch.tensor(A[n], requires_grad=True)
        v = nll_torch(a, torch.tensor(Y[n]))
        (g,) = torch.autograd.grad(v, a)
        nll[n], grad[n] = v.item(), g.numpy()
        h = nll_hand(A[n], Y[n])
        assert abs(h - nll[n]) <= 1e-12 * max(1.0, abs(h)), (n, h, nll[n])
        for j in range(W):
            e = 1e-6
            ap, am = A[n].copy(), A[n].copy()
            ap[j] += e
            am[j] -= e
            fd = (nll_hand(ap, Y[n]) - nll_hand(am, Y[n])) / (2 * e)
            # rounding of the loss, ~1e-16 |nll| per evaluation, over 2e: large for a far miss
            tol = 1e-6 * max(1.0, abs(fd)) + 1e-14 * abs(nll[n]) / e
            assert abs(fd - grad[n, j]) <= tol, (n, j, fd, grad[n, j], tol)
    below = int((A[:, K + K * O:] < FLOOR).sum())
    assert below >= 10 and grad[7, K + K * O + 1] == 0.0, below
    os.makedirs("tests/ref", exist_ok=True)
    rt.st_write("tests/ref/gauss_head.safetensors",
                {"logits": A, "y": Y, "nll": nll, "grad": grad},
                {"K": str(K), "O": str(O), "generator": "scripts/make_gauss_refs.py"})
    print(f"tests/ref/gauss_head.safetensors: {N} rows, {below} log stds below the floor, "
          f"NLL {nll.min():.3f} .. {nll.max():.3f}")


if __name__ == "__main__":
    main()
