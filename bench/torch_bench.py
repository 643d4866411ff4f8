#!/usr/bin/python3
"""torch_bench.py — the PyTorch side of rnnlab's speed comparison (bench/run.sh).

Times, in fp32 on the CPU, the same whole-model training update that `rnnlab bench` times:
    weight noise (σ 0.075, a fresh draw added to every recurrent-layer W and U — not biases,
    peepholes or the output layer — kept in a copy, restored after the backward pass, as the
    protocol does) → forward of the recurrent layer → Linear H→88 → BCEWithLogits summed over
    the 88 notes and averaged over the T·B frames → backward → clip_grad_norm_(1) →
    RMSprop(lr 1e-4, alpha 0.95, momentum 0.9, eps 1e-8)
and inference (forward + loss under no_grad), on synthetic piano rolls of rnnlab bench's
shape: B sequences of T steps, 88 inputs/outputs, each note on with probability 4/88.

--task speech is `rnnlab bench --task speech`'s model: 20 inputs per step, Linear H→420 and
the mixture of K = 20 diagonal Gaussians over the next 10 samples, discretised on the 16-bit
grid as rnl_mog_nll computes it (scripts/rnnlab_torch.py's mog_split and mog_log_mass: the
soft std floor, each component's mass over the target's bin, the uniform part), NLL summed
over the steps and averaged over the T·B steps, on an AR(1) signal (coefficient 0.9, unit
variance, rounded to the grid of a model with FSDD's data_std) framed as FSDD's steps
(x_t = s[10t .. 10t+20), y_t = s[10t+20 .. 10t+30)); --hidden defaults to Table 1's speech
sizes (tanh 400, GRU 227, LSTM 195).

--task text is `rnnlab bench --task text`'s model (char-rnn's): V = 65 one-hot symbols drawn
uniformly, --layers (default 2) stacked torch.nn.LSTM / GRU / RNN(tanh) of --hidden units
(default Table 1's text sizes: LSTM 128, GRU 150, tanh 267), Linear H→V, cross-entropy
averaged over the T·B predictions, the state carried from update to update (detached, as
truncated BPTT over streams), clip_grad_norm_(5), RMSprop(lr 2e-3, alpha 0.95, eps 1e-8, no
momentum), no weight noise — i.e. `rnnlab train --data tinyshakespeare --variant pytorch`.
Only --impl nn (PyTorch's own multi-layer units); batch 50 and T = 50 are char-rnn's.

Implementations (--impl):
  explicit   the paper's units (Chung et al. 2014) written with explicit torch ops, with the
             usual speed-ups a careful PyTorch user makes: all gates' W in one matrix and the
             input projection X·Wᵀ of all T steps done in one GEMM before the time loop;
             per step one GEMM h·U_{z,r}ᵀ and one (r⊙h)·U_hᵀ (GRU), one h·Uᵀ (LSTM, tanh).
             GRU: reset before U_h; LSTM: diagonal peepholes (i, f on c_{t-1}, o on c_t).
  reference  the step functions of scripts/rnnlab_torch.py verbatim (one W and one U GEMM
             per gate per step) — the unoptimised explicit form, for reference.
  nn         torch.nn.GRU / nn.LSTM / nn.RNN(tanh) — PyTorch's own variants (GRU: reset after
             U_h; LSTM: no peepholes), i.e. rnnlab --variant pytorch.

"Best threading": every count in --threads (default 1,2) is timed in turn
(torch.set_num_threads), one JSON line each, then a line with "best": true repeating the
fastest training rate and which thread count gave it. A "step" is one time step of one
sequence: steps/s = T·B·updates / seconds.

Usage: /usr/bin/python3 bench/torch_bench.py [--task music|speech|text] --cell gru --impl explicit
           [--hidden 46] [--layers L] --batch 1 [--seq-len 64] [--threads 1,2] [--seconds 2] [--no-infer]
           [--cpu-time]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import rnnlab_torch  # noqa: E402  (the paper's step functions, for --impl reference; blas_threads)

NOISE = 0.075
G = {"tanh": 1, "gru": 3, "lstm": 4}
TABLE1 = {"music": {"tanh": 100, "gru": 46, "lstm": 36}, "speech": {"tanh": 400, "gru": 227, "lstm": 195},
          "text": {"tanh": 267, "gru": 150, "lstm": 128}}   # src/run/options.c, docs/TEXT.md
K, SPEECH_IN, SPEECH_OUT, HOP = 20, 20, 10, 10       # src/data/speech.h
SPEECH_STD = 0.061095503296800135                    # tools/cmd_bench.c BENCH_SPEECH_STD
STEP, LO, NBINS = rnnlab_torch.mog_grid16(0.0, SPEECH_STD)


def uniform(*shape):
    return torch.empty(*shape).uniform_(-0.1, 0.1)


def ortho_blocks(H, g):
    return torch.cat([torch.linalg.qr(torch.randn(H, H))[0] for _ in range(g)])


class Explicit(torch.nn.Module):
    """The paper's unit with all gates fused; gate rows: GRU [z; r; h], LSTM [i; f; c; o]."""

    def __init__(self, cell, I, H):
        super().__init__()
        self.cell, self.H, g = cell, H, G[cell]
        self.W = torch.nn.Parameter(uniform(g * H, I))
        self.U = torch.nn.Parameter(ortho_blocks(H, g))
        self.b = torch.nn.Parameter(torch.zeros(g * H))
        if cell == "lstm":
            self.v = torch.nn.Parameter(torch.zeros(3, H))   # peepholes i, f, o
        self.noisy = [self.W, self.U]

    def forward(self, x):
        T, B, _ = x.shape
        H = self.H
        pre = torch.addmm(self.b, x.reshape(T * B, -1), self.W.t()).view(T, B, -1)
        h = x.new_zeros(B, H)
        hs = []
        if self.cell == "gru":
            Uzr, Uh = self.U.split([2 * H, H])
            Uzr, Uh = Uzr.t(), Uh.t()
            pzr, ph = pre.split([2 * H, H], 2)
            for pzr_t, ph_t in zip(pzr.unbind(0), ph.unbind(0)):
                z, r = torch.sigmoid(torch.addmm(pzr_t, h, Uzr)).chunk(2, 1)
                hh = torch.tanh(torch.addmm(ph_t, r * h, Uh))
                h = h + z * (hh - h)                     # (1 − z) h + z h~
                hs.append(h)
        elif self.cell == "lstm":
            c = x.new_zeros(B, H)
            Ut, (vi, vf, vo) = self.U.t(), self.v.unbind(0)
            for p in pre.unbind(0):
                ai, af, ac, ao = torch.addmm(p, h, Ut).chunk(4, 1)
                i = torch.sigmoid(ai + vi * c)
                f = torch.sigmoid(af + vf * c)
                c = f * c + i * torch.tanh(ac)
                o = torch.sigmoid(ao + vo * c)
                h = o * torch.tanh(c)
                hs.append(h)
        else:
            Ut = self.U.t()
            for p in pre.unbind(0):
                h = torch.tanh(torch.addmm(p, h, Ut))
                hs.append(h)
        return torch.stack(hs)


class Reference(torch.nn.Module):
    """scripts/rnnlab_torch.py's step functions (one GEMM per gate per matrix per step)."""

    def __init__(self, cell, I, H):
        super().__init__()
        self.cell, self.H = cell, H
        self.P = torch.nn.ParameterDict()
        for name, shape in rnnlab_torch.param_shapes(cell, "paper", 1, I, H, 88)[:-2]:
            init = (uniform(*shape) if "W" in name else
                    torch.linalg.qr(torch.randn(*shape))[0] if "U" in name else torch.zeros(shape))
            self.P[name.replace(".", "_")] = torch.nn.Parameter(init)
        self.noisy = [p for n, p in self.P.items() if n.startswith("rnn_0_W") or n.startswith("rnn_0_U")]

    def forward(self, x):
        P = {k.replace("_", ".", 2): v for k, v in self.P.items()}
        step = rnnlab_torch.STEPS[self.cell]
        B = x.shape[1]
        s = tuple(x.new_zeros(B, self.H) for _ in range(2 if self.cell == "lstm" else 1))
        hs = []
        for t in range(x.shape[0]):
            s = step(P, "rnn.0.", x[t], s)
            hs.append(s[0])
        return torch.stack(hs)


class NN(torch.nn.Module):
    def __init__(self, cell, I, H):
        super().__init__()
        cls = {"tanh": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
        self.rnn = cls(I, H)
        self.noisy = [self.rnn.weight_ih_l0, self.rnn.weight_hh_l0]

    def forward(self, x):
        return self.rnn(x)[0]


def mog_nll(a, y):
    """Sum over steps of −log Σ_k π_k Π_d M'_kd + O log(step) (rnl_mog_nll on the speech
    bench's grid), a [T,B,K(1+2O)], y [T,B,O]."""
    O = y.shape[-1]
    pi, mu, s = rnnlab_torch.mog_split(a, K, O, STEP)
    comp = torch.log_softmax(pi, -1) + rnnlab_torch.mog_log_mass(y, mu, s, STEP, LO, NBINS).sum(-1)
    return (-torch.logsumexp(comp, -1) + O * math.log(STEP)).sum()


class Model(torch.nn.Module):
    def __init__(self, impl, cell, I, H, width, task):
        super().__init__()
        self.rnn = {"explicit": Explicit, "reference": Reference, "nn": NN}[impl](cell, I, H)
        self.out = torch.nn.Linear(H, width)
        self.task = task

    def loss(self, x, y):
        a = self.out(self.rnn(x))
        if self.task == "speech":
            return mog_nll(a, y) / (x.shape[0] * x.shape[1])
        return F.binary_cross_entropy_with_logits(a, y, reduction="sum") / (x.shape[0] * x.shape[1])


class Text(torch.nn.Module):
    """char-rnn: L stacked torch.nn units over one-hot symbols, Linear H→V, cross-entropy."""
    def __init__(self, cell, V, H, L):
        super().__init__()
        cls = {"tanh": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
        self.rnn = cls(V, H, num_layers=L)
        self.out = torch.nn.Linear(H, V)
        self.state = None

    def loss(self, x, y, carry=False):
        a, state = self.rnn(x, self.state)
        if carry:   # the next window starts from this one's last state, outside the graph
            self.state = tuple(t.detach() for t in state) if isinstance(state, tuple) else state.detach()
        return F.cross_entropy(self.out(a).reshape(-1, self.out.out_features), y.reshape(-1))


def text_train_step(m, opt, x, y):
    opt.zero_grad(set_to_none=False)
    loss = m.loss(x, y, True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0)
    opt.step()
    return loss


def speech_data(T, B):
    """x [T,B,20], y [T,B,10] framed from one AR(1) signal per sequence (unit variance)."""
    n = HOP * T + SPEECH_IN
    e = torch.randn(B, n)
    s = torch.empty(B, n)
    v = torch.randn(B)
    for i in range(n):
        v = 0.9 * v + math.sqrt(1 - 0.81) * e[:, i]
        s[:, i] = torch.round(v * (32768 * SPEECH_STD)) / (32768 * SPEECH_STD)
    idx = torch.arange(T)[:, None] * HOP
    x = s[:, idx + torch.arange(SPEECH_IN)].permute(1, 0, 2).contiguous()
    y = s[:, idx + SPEECH_IN + torch.arange(SPEECH_OUT)].permute(1, 0, 2).contiguous()
    return x, y


def train_step(m, opt, x, y):
    saved = [p.detach().clone() for p in m.rnn.noisy]
    with torch.no_grad():
        for p in m.rnn.noisy:
            p.add_(torch.randn_like(p), alpha=NOISE)
    opt.zero_grad(set_to_none=False)
    loss = m.loss(x, y)
    loss.backward()
    with torch.no_grad():
        for p, s in zip(m.rnn.noisy, saved):
            p.copy_(s)
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss


def infer_step(m, x, y):
    with torch.no_grad():
        return m.loss(x, y)


CLOCK = time.perf_counter   # --cpu-time: time.thread_time, this thread's CPU seconds


def timed(fn, seconds):
    t0 = CLOCK()
    k = 0
    while k < 1 or CLOCK() - t0 < min(0.3, seconds / 4):   # warm-up
        fn()
        k += 1
    n, t0 = 0, CLOCK()
    while True:
        fn()
        n += 1
        el = CLOCK() - t0
        if el >= seconds:
            return n, el


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", choices=["music", "speech", "text"], default="music")
    ap.add_argument("--layers", type=int, default=0, help="text only: stacked layers (0: 2)")
    ap.add_argument("--cell", choices=["tanh", "gru", "lstm"], default="gru")
    ap.add_argument("--impl", choices=["explicit", "reference", "nn"], default="explicit")
    ap.add_argument("--hidden", type=int, default=0, help="0: Table 1's size for the task")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--input", type=int, default=0, help="music: notes (0: 88); text: symbols (0: 65)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts to try")
    ap.add_argument("--seconds", type=float, default=2.0, help="minimum timing per phase")
    ap.add_argument("--no-infer", action="store_true", help="time training only")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cpu-time", action="store_true",
                    help="rates per CPU-second of this thread (threads 1 only), steadier on a shared machine")
    a = ap.parse_args()
    global CLOCK
    if a.cpu_time:
        if a.threads != "1":
            sys.exit("torch_bench: --cpu-time needs --threads 1")
        CLOCK = time.thread_time
    torch.manual_seed(a.seed)
    T, B = a.seq_len, a.batch
    H = a.hidden or TABLE1[a.task][a.cell]
    if a.layers and a.task != "text":
        sys.exit("torch_bench: --layers is for --task text")
    L = a.layers or (2 if a.task == "text" else 1)
    if a.task == "speech":
        if a.input:
            sys.exit("torch_bench: --input is for --task music and text")
        I, width = SPEECH_IN, K * (1 + 2 * SPEECH_OUT)
        x, y = speech_data(T, B)
    elif a.task == "text":
        I = width = a.input or 65
        x = F.one_hot(torch.randint(I, (T, B)), I).float()
        y = torch.randint(I, (T, B))
    else:
        I = width = a.input or 88
        x = (torch.rand(T, B, I) < 4.0 / 88).float()
        y = (torch.rand(T, B, I) < 4.0 / 88).float()
    if a.impl == "reference" and a.task == "speech":
        sys.exit("torch_bench: --impl reference is for --task music")
    if a.task == "text":
        if a.impl != "nn":
            sys.exit("torch_bench: --task text has --impl nn only (torch's multi-layer units)")
        m = Text(a.cell, I, H, L)
        opt = torch.optim.RMSprop(m.parameters(), lr=2e-3, alpha=0.95, eps=1e-8)
        step = text_train_step
    else:
        m = Model(a.impl, a.cell, I, H, width, a.task)
        opt = torch.optim.RMSprop(m.parameters(), lr=1e-4, alpha=0.95, eps=1e-8, momentum=0.9)
        step = train_step
    Fw = 2.0 * width * H + sum(2.0 * G[a.cell] * H * ((I if l == 0 else H) + H) for l in range(L))   # tools/cmd_bench.c
    rows = []
    for n in [int(s) for s in a.threads.split(",")]:
        torch.set_num_threads(n)
        blas = rnnlab_torch.blas_threads(n)
        it, el = timed(lambda: step(m, opt, x, y), a.seconds)
        tr = it * T * B / el
        row = {"tool": "torch", "torch_version": torch.__version__, "task": a.task, "impl": a.impl, "cell": a.cell,
               "hidden": H, "layers": L, "batch": B, "seq_len": T, "input": I, "head_width": width, "threads": n,
               "interop_threads": torch.get_num_interop_threads(), "openblas_threads_set": blas,
               "clock": "thread-cpu" if a.cpu_time else "wall",
               "train_steps_per_s": round(tr, 1), "train_gflops": round(tr * 3 * Fw * 1e-9, 3)}
        if not a.no_infer:
            it, el = timed(lambda: infer_step(m, x, y), a.seconds)
            inf = it * T * B / el
            row.update(infer_steps_per_s=round(inf, 1), infer_gflops=round(inf * Fw * 1e-9, 3))
        loss = float(infer_step(m, x, y))
        if not math.isfinite(loss):
            sys.exit("torch_bench: non-finite loss")
        rows.append(row)
        print(json.dumps(row), flush=True)
    best = dict(max(rows, key=lambda r: r["train_steps_per_s"]))
    best["best"] = True
    best["threads_tried"] = a.threads
    if not a.no_infer:
        best["infer_steps_per_s"] = max(r["infer_steps_per_s"] for r in rows)
        best["infer_threads"] = max(rows, key=lambda r: r["infer_steps_per_s"])["threads"]
    print(json.dumps(best), flush=True)


if __name__ == "__main__":
    main()
