"""torch_eval.py — evaluate an rnnlab checkpoint in PyTorch (how a PyTorch user loads rnnlab
weights), as an independent check of `rnnlab eval`:

  /usr/bin/python3 scripts/torch_eval.py --model M.safetensors --data NAME|FILE.mat \
      [--data-root DIR] [--split test] [--json]

Prints the NLL per predicted frame (nats; sum over every predicted frame of every sequence of
the split / number of predicted frames): a sequence of T frames predicts x[1..T-1] from
x[0..T-2]. Beside it the other convention, the mean over the split's sequences of each one's
NLL per predicted frame (`nll_seq_mean` in --json). Computed in float64. Needs torch and numpy (the .mat reader is rnnlab_torch's).
A data set name (jsb, nottingham, musedata, piano) is found as rnnlab finds it: --data-root,
else $RNNLAB_DATA, else ./data, then ../shared/data.

A mistake in the command (a missing or unreadable file, an unknown name or split, a file that
is not a checkpoint or a piano-roll data set) is one line "torch_eval.py: ..." on stderr and
rnnlab's exit code for it: 2 usage, 3 data, 4 I/O.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rnnlab_torch as rt  # noqa: E402
from rnnlab_torch import InputError  # noqa: E402

PROG = "torch_eval.py"
SPLITS = {"train": "traindata", "valid": "validdata", "test": "testdata"}


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line and exit 2 (rnnlab's usage code)."""

    def error(self, message):
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def load_model(path):
    """({rnnlab name: float64 tensor}, (cell, variant, layers, I, H, O)) of a checkpoint."""
    tensors, meta = rt.st_read(path)
    cfg = rt.config_from_meta(meta, path)
    if meta.get("head", "bernoulli") != "bernoulli":
        raise InputError(f"{path}: a {meta['head']} (speech) model: only piano-roll (Bernoulli) "
                         "models are evaluated here; use rnnlab eval", 3)
    P = {}
    for name, shape in rt.param_shapes(*cfg):
        if name not in tensors or tensors[name].shape != shape:
            raise InputError(f"{path}: tensor {name} {shape} missing or of another shape", 3)
        P[name] = torch.tensor(tensors[name], dtype=torch.float64)
    return P, cfg


def data_path(name, root):
    """The .mat file of --data: a name or path resolved as rnnlab does, refused if it is a
    speech directory, a MIDI or a WAV file (each told where it belongs)."""
    path = rt.resolve_data(name, root)
    ext = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        raise InputError(f"{path} is a directory (a speech data set or a folder of MIDI files): "
                         "only piano-roll .mat data sets are evaluated here", 2)
    if ext in (".mid", ".midi"):
        raise InputError(f"{path} is a MIDI file: import a folder of them with rnnlab data "
                         "import-midi DIR --out FILE.mat, then --data FILE.mat", 2)
    if ext == ".wav":
        raise InputError(f"{path} is a WAV file: only piano-roll .mat data sets are evaluated "
                         "here", 2)
    return path


def load_split(path, split):
    """The split's sequences, each a float64 array [T, K] of 0/1."""
    var = SPLITS[split]
    cells = rt.mat_read(path).get(var)
    if not isinstance(cells, list):
        raise InputError(f"{path}: no cell array {var} (the {split} split): not a piano-roll "
                         "data set", 3)
    seqs = []
    for i, s in enumerate(cells):
        if s is None or s.ndim != 2 or (seqs and s.shape[1] != seqs[0].shape[1]):
            raise InputError(f"{path}: {var}{{{i + 1}}} is not a [T, keys] matrix like the "
                             "others", 3)
        if not np.all((s == 0) | (s == 1)):
            raise InputError(f"{path}: {var}{{{i + 1}}}: values other than 0 and 1", 3)
        seqs.append(s)
    return seqs


@torch.no_grad()
def evaluate(P, cfg, seqs, path):
    """(nll_sum, frames, seq_mean) over all sequences, batched longest first; seq_mean is the
    mean over sequences of each one's NLL summed over its frames / its frames (None if no
    sequence has a predicted frame)."""
    cell, variant, layers, I, H, O = cfg
    seqs = sorted((s for s in seqs if len(s) > 1), key=len, reverse=True)
    if not seqs:
        return 0.0, 0, None
    if seqs[0].shape[1] != I or seqs[0].shape[1] != O:
        raise InputError(f"{path}: the data has {seqs[0].shape[1]} keys, the model {I} inputs "
                         f"and {O} outputs: it does not fit", 3)
    lens = [len(s) - 1 for s in seqs]
    pad = lambda a: torch.nn.utils.rnn.pad_sequence([torch.tensor(v) for v in a])  # [T,B,K]
    x, y = pad([s[:-1] for s in seqs]), pad([s[1:] for s in seqs])
    logits = rt.forward(P, cell, variant, layers, x, lens)
    _, nll_sum, frames = rt.bernoulli_loss(logits, y, lens)
    per_seq = [rt.bernoulli_loss(logits[:n, b:b + 1], y[:n, b:b + 1], [n])[0].item()
               for b, n in enumerate(lens)]
    return nll_sum.item(), frames, sum(per_seq) / len(per_seq)


def main():
    ap = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="rnnlab checkpoint (.safetensors)")
    ap.add_argument("--data", required=True,
                    help="piano-roll data set: jsb, nottingham, musedata, piano or a .mat path")
    ap.add_argument("--data-root", help="where named data sets live (as rnnlab's --data-root)")
    ap.add_argument("--split", default="test", choices=list(SPLITS))
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    try:
        P, cfg = load_model(a.model)
        path = data_path(a.data, a.data_root)
        nll_sum, frames, seq_mean = evaluate(P, cfg, load_split(path, a.split), path)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        sys.exit(e.code)
    nll = nll_sum / frames if frames else None   # no predicted frame: null
    if a.json:
        print(json.dumps({"nll": nll, "nll_seq_mean": seq_mean, "frames": frames,
                          "split": a.split, "data": a.data}))
    else:
        print(f"{a.split} NLL per frame {nll} nats over {frames} frames (pooled); mean over "
              f"sequences of their NLL per frame {seq_mean} "
              f"({cfg[0]}/{cfg[1]}, {cfg[2]} layer(s), H={cfg[4]}; PyTorch {torch.__version__})")


if __name__ == "__main__":
    main()
