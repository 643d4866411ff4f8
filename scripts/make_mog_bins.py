"""make_mog_bins.py — write tests/ref/mog_bins.tsv: the discretised mixture head of one
component over one value (K = 1, O = 1) on the 16-bit grid of a model with data_mean 0 and
data_std 1 (step = 1/32768, bin i centred on -1 + i*step, i = 0 .. 65535), computed with
mpmath at 60 digits from the definition in rnnlab.h (rnl_mog_nll):

    s  = ls                      (f <= ls <= 20),   f = log(0.125 * step)
         f - log(1 + f - ls)     (ls < f),          20 above
    M  = Phi((c + step/2 - mu)/sigma) - Phi((c - step/2 - mu)/sigma),  sigma = exp(s)
         (Phi(-inf) = 0 at bin 0, Phi(+inf) = 1 at bin 65535)
    M' = (1 - 1e-4) M + 1e-4 / 65536
    nll = -log M' + log(step)

and its derivatives d nll / d mu and d nll / d ls by mpmath.diff. The cases cover every
branch of the C code's bin mass (narrow bins at and away from the mean, bins straddling the
mean, both tails near and far, both open edges, a sigma below the floor, above the ceiling)
without looking at which branch it takes.  Run from the repo root:
    /usr/bin/python3 scripts/make_mog_bins.py
The logits mu and ls are float32 values (rnnlab's logits are float). Columns: bin (the
target's bin index), mu, ls, nll, dnll_dmu, dnll_dls (%.17g).
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 60
N = 65536
STEP = mp.mpf(1) / 32768
LO = mp.mpf(-1)
EPS = mp.mpf("1e-4")
F = mp.log(mp.mpf("0.125") * STEP)
HI = mp.mpf(20)


def log_std(ls):
    if ls > HI:
        return HI
    if ls >= F:
        return ls
    return F - mp.log(1 + F - ls)


def nll(i, mu, ls):
    c = LO + i * STEP
    sig = mp.exp(log_std(ls))
    up = 1 if i == N - 1 else mp.ncdf((c + STEP / 2 - mu) / sig)
    dn = 0 if i == 0 else mp.ncdf((c - STEP / 2 - mu) / sig)
    M = up - dn
    return -mp.log((1 - EPS) * M + EPS / N) + mp.log(STEP)


def main():
    f = float(F)
    cases = []
    # (bin, mu as an offset from the bin's centre in steps, ls)
    for i, off, ls in [
        (40000, 0.0, f + 3.0),        # at the mean, sigma 2.5 steps
        (40000, 0.3, f + 1.0),        # narrow-ish, sigma ~0.34 steps
        (40000, 0.0, f + 0.2),        # sigma near the floor: the mass is ~1
        (40000, 0.5, f + 0.2),        # the mean on a bin edge
        (40000, 2.0, f + 0.5),        # one tail, near
        (40000, -7.0, f + 1.5),       # the other tail
        (40000, 3.0, f + 2.0),        # the tail at about 3 sigma
        (40000, -5.0, f + 2.0),       # ... 5 sigma: M ~ 1e-7
        (40000, 6.5, f + 2.0),        # ... 7 sigma: M ~ 1e-12, the uniform part as large
        (40000, 60.0, f + 2.0),       # far tail: log M ~ -2e3, the uniform part is all
        (40000, -3000.0, f + 2.0),    # very far
        (40000, 0.2, -1.0),           # wide: sigma 0.37 = 12,000 steps
        (40000, 1e4, -1.0),           # wide, mean a third of sigma away
        (40000, 0.1, f - 5.0),        # below the floor (the soft part)
        (40000, 3.0, f - 40.0),       # far below the floor, target 3 steps away
        (40000, 0.0, 25.0),           # above the ceiling (sigma e^20)
        (0, 0.0, f + 3.0),            # the lowest bin, open below
        (0, -50.0, f + 2.0),          # ... the mean far below it: mass ~1
        (0, 80.0, f + 2.0),           # ... the mean far above it
        (0, 3.0, f + 2.0),            # ... 3 steps above: the lower tail
        (0, -2.0, f + 2.0),           # ... 2 steps below: M = 1 - a tail
        (N - 1, 0.0, f + 3.0),        # the highest bin, open above
        (N - 1, 80.0, f + 2.0),
        (N - 1, -80.0, f + 2.0),
        (N - 1, -4.0, f + 2.0),
        (N - 1, 1.5, f + 2.0),
        (12345, 0.49, f + 4.0),       # sigma ~7 steps
        (12345, 30.0, f + 4.5),       # ~3 sigma in the tail, moderate
        (32768, 0.0, f + 10.0),       # sigma ~2,750 steps at the zero sample
    ]:
        # the logits are float32 in rnnlab: the reference is computed at the float32 values
        mu = float(np.float32(float(LO + (i + mp.mpf(off)) * STEP)))
        cases.append((i, mu, float(np.float32(ls))))
    with open("tests/ref/mog_bins.tsv", "w") as out:
        out.write("# bin\tmu\tls\tnll\tdnll_dmu\tdnll_dls  (scripts/make_mog_bins.py, mpmath %d digits)\n" % mp.mp.dps)
        for i, mu, ls in cases:
            m, l = mp.mpf(mu), mp.mpf(ls)
            v = nll(i, m, l)
            dmu = mp.diff(lambda t: nll(i, t, l), m)
            dls = mp.diff(lambda t: nll(i, m, t), l)
            out.write("%d\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\n" % (i, mu, ls, float(v), float(dmu), float(dls)))


if __name__ == "__main__":
    main()
