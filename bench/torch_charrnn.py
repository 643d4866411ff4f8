"""torch_charrnn.py — the PyTorch side of the character-level comparison (issue 17): the same
model, split and protocol as `rnnlab train --data tinyshakespeare --variant pytorch`, in
PyTorch 1.13 (nn.LSTM/GRU/RNN + Linear + cross-entropy + RMSprop), so that validation NLL
after the same number of epochs and training characters per second can be compared.

  /usr/bin/python3 bench/torch_charrnn.py --data ../shared/data/text/tinyshakespeare.txt \
      --epochs 5 --seed 1 [--cell lstm --layers 2 --hidden 128 --batch 50 --bptt 50 --lr 2e-3]

The protocol, as docs/TEXT.md states rnnlab's:
- symbols: the distinct bytes of the training split in increasing order; splits contiguous,
  floor(0.9 N) / floor(0.05 N) / the rest;
- training: the training split's L - 1 predicted steps cut into B streams of
  S = floor((L - 1) / B) steps, one update per window of `bptt` steps of all streams (the last
  window of an epoch shorter), the state carried across windows and zeroed at each epoch, no
  shuffling; the loss the mean cross-entropy over the window's B x steps predictions;
- RMSprop as torch.optim.RMSprop (alpha = decay 0.95, eps 1e-8, momentum 0), the gradient's
  global norm clipped at 5, no weight noise, no dropout;
- initialisation as rnnlab's (input weights and the output layer uniform in [-0.1, 0.1],
  each H x H block of the recurrent weights orthogonal, biases 0), drawn here from torch's
  generator (so not the same numbers as rnnlab's: seeds are compared as distributions);
- evaluation: the validation split as one stream from a zero state, the mean NLL per
  predicted byte (nats).
Prints one JSON object per epoch: epoch, valid_nll (nats/char), train_seconds, train_chars,
chars_per_s (training characters per second of wall time, one thread).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import rnnlab_torch  # noqa: E402  (blas_threads)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    n = len(data)
    a, b = n * 90 // 100, n * 5 // 100
    train, valid = data[:a], data[a:a + b]
    vocab = sorted(set(train))
    index = {v: i for i, v in enumerate(vocab)}
    for off, byte in enumerate(valid):
        if byte not in index:
            sys.exit(f"torch_charrnn: byte {byte} at offset {a + off} is not in the training split's vocabulary")
    enc = lambda s: torch.tensor([index[c] for c in s], dtype=torch.long)
    return enc(train), enc(valid), len(vocab)


class Model(nn.Module):
    def __init__(self, cell, V, H, L):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "tanh": nn.RNN}[cell]
        self.rnn = rnn(V, H, num_layers=L)
        self.out = nn.Linear(H, V)
        self.V, self.H, self.cell = V, H, cell
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight_ih"):
                    p.uniform_(-0.1, 0.1)
                elif name.startswith("weight_hh"):
                    for k in range(p.shape[0] // H):
                        nn.init.orthogonal_(p[k * H:(k + 1) * H])
                else:
                    p.zero_()
            self.out.weight.uniform_(-0.1, 0.1)
            self.out.bias.zero_()

    def forward(self, sym, state):
        x = F.one_hot(sym, self.V).float()          # [T, B, V]
        h, state = self.rnn(x, state)
        return self.out(h), state


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


@torch.no_grad()
def evaluate(model, seq, window=1024):
    state, total, n = None, 0.0, 0
    for t in range(0, len(seq) - 1, window):
        x = seq[t:min(t + window, len(seq) - 1)][:, None]
        y = seq[t + 1:t + 1 + len(x)][:, None]
        logits, state = model(x, state)
        total += F.cross_entropy(logits.reshape(-1, model.V), y.reshape(-1), reduction="sum").item()
        n += y.numel()
    return total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--cell", default="lstm", choices=["lstm", "gru", "tanh"])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--bptt", type=int, default=50)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--decay", type=float, default=0.95)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rnnlab_torch.blas_threads(a.threads)
    train, valid, V = load(a.data)
    model = Model(a.cell, V, a.hidden, a.layers)
    opt = torch.optim.RMSprop(model.parameters(), lr=a.lr, alpha=a.decay, eps=1e-8, momentum=0)
    B = a.batch
    S = (len(train) - 1) // B
    # stream b predicts train[b*S + 1 ...] from train[b*S ...]: inputs X [S, B], targets Y [S, B]
    X = torch.stack([train[b * S:(b + 1) * S] for b in range(B)], 1)
    Y = torch.stack([train[b * S + 1:(b + 1) * S + 1] for b in range(B)], 1)
    for epoch in range(1, a.epochs + 1):
        state, t0 = None, time.perf_counter()
        for t in range(0, S, a.bptt):
            x, y = X[t:t + a.bptt], Y[t:t + a.bptt]
            logits, state = model(x, detach(state))
            loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
        secs = time.perf_counter() - t0
        print(json.dumps({"epoch": epoch, "valid_nll": evaluate(model, valid), "train_seconds": round(secs, 3),
                          "train_chars": S * B, "chars_per_s": round(S * B / secs, 1), "cell": a.cell,
                          "layers": a.layers, "hidden": a.hidden, "batch": B, "bptt": a.bptt, "seed": a.seed,
                          "torch": torch.__version__, "threads": a.threads}), flush=True)


if __name__ == "__main__":
    main()
