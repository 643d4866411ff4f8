"""torch_bridge.py — rnnlab checkpoints to and from PyTorch modules, as commands:

  /usr/bin/python3 scripts/torch_bridge.py to-torch --model M.safetensors --out M.pt
  /usr/bin/python3 scripts/torch_bridge.py from-torch --torch M.pt --out M.safetensors [--data jsb]

M.pt is one torch.save file: {cell, input, hidden, layers, width, rnn: the state_dict of a
torch.nn.GRU, LSTM or RNN, out: that of a torch.nn.Linear} (rnnlab.torch_bridge.save_torch /
load_torch). to-torch maps only what torch.nn computes: the pytorch variants (`rnnlab train
--variant pytorch`) and tanh. from-torch writes a pytorch-variant checkpoint through
librnnlab (checksummed, atomically); --data records the data set it is for, which `rnnlab
eval` and `rnnlab sample` read. Uses the rnnlab package of python/ (librnnlab.so: see
python/rnnlab/_lib.py). A mistake is one line on stderr and rnnlab's exit code (2 usage,
3 data, 4 I/O).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import rnnlab  # noqa: E402
from rnnlab import torch_bridge  # noqa: E402

PROG = "torch_bridge.py"


def to_torch(a):
    rnn, out = torch_bridge.to_torch(a.model)
    try:
        torch_bridge.save_torch(a.out, rnn, out)
    except OSError as e:
        raise rnnlab.RnnlabError(4, f"{a.out}: cannot write: {e.strerror}") from None
    return (f"{a.out}: torch.nn.{type(rnn).__name__}({rnn.input_size}, {rnn.hidden_size}, "
            f"num_layers={rnn.num_layers}) + Linear({out.in_features}, {out.out_features})")


def from_torch(a):
    m = torch_bridge.from_torch(*torch_bridge.load_torch(a.torch), data_name=a.data)
    m.save(a.out)
    c = m.config
    return (f"{a.out}: {c['cell']}/{c['variant']}, {c['layers']} layer(s), H={c['hidden']}, "
            f"{c['input']} inputs, {c['output']} outputs")


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("to-torch", help="an rnnlab checkpoint as torch.nn modules")
    t.add_argument("--model", required=True, help="rnnlab checkpoint (.safetensors)")
    t.add_argument("--out", required=True, help="the torch.save file to write")
    t.set_defaults(run=to_torch)
    f = sub.add_parser("from-torch", help="torch.nn modules as an rnnlab checkpoint")
    f.add_argument("--torch", required=True, help="a torch.save file of save_torch")
    f.add_argument("--out", required=True, help="the rnnlab checkpoint to write (.safetensors)")
    f.add_argument("--data", default="", help="the data set the model is for (recorded in the checkpoint)")
    f.set_defaults(run=from_torch)
    a = ap.parse_args()
    try:
        print(a.run(a))
    except rnnlab.RnnlabError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        sys.exit(e.status)


if __name__ == "__main__":
    main()
