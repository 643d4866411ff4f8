"""torch_eval.py — evaluate an rnnlab checkpoint in PyTorch (how a PyTorch user loads rnnlab
weights), as an independent check of `rnnlab eval`:

  /usr/bin/python3 scripts/torch_eval.py --model M.safetensors --data FILE.mat --split test [--json]

Prints the NLL per predicted frame (nats; sum over every predicted frame of every sequence of
the split / number of predicted frames): a sequence of T frames predicts x[1..T-1] from
x[0..T-2]. Computed in float64. Needs torch, numpy and scipy (Debian python3-scipy).
"""
import argparse
import json
import os
import sys

import numpy as np
import scipy.io
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rnnlab_torch as rt  # noqa: E402

SPLITS = {"train": "traindata", "valid": "validdata", "test": "testdata"}


def load_model(path):
    """({rnnlab name: float64 tensor}, (cell, variant, layers, I, H, O)) of a checkpoint."""
    tensors, meta = rt.st_read(path)
    cfg = rt.config_from_meta(meta)
    if meta.get("head", "bernoulli") != "bernoulli":
        sys.exit(f"{path}: head {meta['head']!r}: only the Bernoulli head is supported here")
    P = {}
    for name, shape in rt.param_shapes(*cfg):
        if name not in tensors or tensors[name].shape != shape:
            sys.exit(f"{path}: tensor {name} {shape} missing or of another shape")
        P[name] = torch.tensor(tensors[name], dtype=torch.float64)
    return P, cfg


def load_split(path, split):
    """The split's sequences, each a float64 array [T, 88] of 0/1."""
    cells = scipy.io.loadmat(path)[SPLITS[split]]
    seqs = [np.asarray(c, dtype=np.float64) for c in cells.ravel()]
    for s in seqs:
        if not np.all((s == 0) | (s == 1)):
            sys.exit(f"{path}: {split}: values other than 0 and 1")
    return seqs


@torch.no_grad()
def evaluate(P, cfg, seqs):
    """(nll_sum, frames) over all sequences, batched longest first."""
    cell, variant, layers, I, H, O = cfg
    seqs = sorted((s for s in seqs if len(s) > 1), key=len, reverse=True)
    lens = [len(s) - 1 for s in seqs]
    pad = lambda a: torch.nn.utils.rnn.pad_sequence([torch.tensor(v) for v in a])  # [T,B,88]
    x, y = pad([s[:-1] for s in seqs]), pad([s[1:] for s in seqs])
    if x.shape[2] != I or y.shape[2] != O:
        sys.exit(f"data has {x.shape[2]} units, the model {I} inputs and {O} outputs")
    logits = rt.forward(P, cell, variant, layers, x, lens)
    _, nll_sum, frames = rt.bernoulli_loss(logits, y, lens)
    return nll_sum.item(), frames


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="rnnlab checkpoint (.safetensors)")
    ap.add_argument("--data", required=True, help="piano-roll .mat file")
    ap.add_argument("--split", default="test", choices=list(SPLITS))
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    P, cfg = load_model(a.model)
    nll_sum, frames = evaluate(P, cfg, load_split(a.data, a.split))
    nll = nll_sum / frames if frames else None   # no predicted frame: null
    if a.json:
        print(json.dumps({"nll": nll, "frames": frames, "split": a.split, "data": a.data}))
    else:
        print(f"{a.split} NLL per frame {nll} nats over {frames} frames "
              f"({cfg[0]}/{cfg[1]}, {cfg[2]} layer(s), H={cfg[4]}; PyTorch {torch.__version__})")


if __name__ == "__main__":
    main()
