"""torch_bridge — rnnlab models to and from PyTorch modules (needs torch).

    rnn, out = to_torch(rnnlab.Model.load("model.safetensors"))   # nn.GRU/LSTM/RNN + nn.Linear
    model = from_torch(rnn, out, data_name="jsb")                  # back: an rnnlab.Model
    model.save("from_torch.safetensors")                           # then `rnnlab eval` it

Only the units PyTorch computes map: the PYTORCH variants (`--variant pytorch`: torch.nn.GRU,
torch.nn.LSTM without peepholes) and tanh (the same in both variants). The paper's GRU
(reset before U) and LSTM (peepholes) have no torch.nn module; scripts/torch_eval.py runs
them op by op. The modules take time-major input [T, B, I] (batch_first=False), and
out(rnn(x)[0]) is the model's logits [T, B, width].

Weight layout (rnnlab names, include/rnnlab.h; PyTorch's gate orders):
    GRU  (r, z, n): weight_ih = [W_r; W_z; W_h], weight_hh = [U_r; U_z; U_h],
                    bias_ih = [b_r; b_z; b_h], bias_hh = [0; 0; c_h]
                    (back: b_r, b_z = bias_ih + bias_hh of those gates, c_h = bias_hh_n)
    LSTM (i, f, g, o): [W_i; W_f; W_c; W_o], [U_...], bias_ih = [b_i; b_f; b_c; b_o],
                    bias_hh = 0 (back: b = bias_ih + bias_hh)
    tanh (nn.RNN):  W, U, bias_ih = b, bias_hh = 0 (back: b = bias_ih + bias_hh)
    out.W, out.b:   nn.Linear's weight and bias
"""
import numpy as np
import torch

from . import Model, RnnlabError

ORDER = {"tanh": [""], "gru": ["_r", "_z", "_h"], "lstm": ["_i", "_f", "_c", "_o"]}
MODULES = {"tanh": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def _cell_of(rnn):
    for cell, cls in MODULES.items():
        if type(rnn) is cls:
            return cell
    raise RnnlabError(2, f"a {type(rnn).__name__} is not torch.nn.RNN, GRU or LSTM")


def to_torch(model, dtype=torch.float64):
    """(nn.GRU/LSTM/RNN, nn.Linear) computing the model (an rnnlab.Model or a checkpoint
    path), in dtype. RnnlabError (usage) for a paper GRU or LSTM."""
    m = Model.load(model) if not isinstance(model, Model) else model
    c, P = m.config, m.tensors()
    cell = c["cell"]
    if cell != "tanh" and c["variant"] != "pytorch":
        raise RnnlabError(2, f"a paper-variant {cell} has no torch.nn module (reset before U, or peepholes): "
                             "train with variant pytorch, or evaluate it with scripts/torch_eval.py")
    rnn = MODULES[cell](c["input"], c["hidden"], num_layers=c["layers"], dtype=dtype)
    out = torch.nn.Linear(c["hidden"], c["width"], dtype=dtype)
    order = ORDER[cell]
    with torch.no_grad():
        for l in range(c["layers"]):
            p = f"rnn.{l}."
            cat = lambda k: torch.tensor(np.concatenate([P[p + k + g] for g in order]), dtype=dtype)
            getattr(rnn, f"weight_ih_l{l}").copy_(cat("W"))
            getattr(rnn, f"weight_hh_l{l}").copy_(cat("U"))
            getattr(rnn, f"bias_ih_l{l}").copy_(cat("b"))
            bhh = getattr(rnn, f"bias_hh_l{l}")
            bhh.zero_()
            if cell == "gru":
                H = c["hidden"]
                bhh[2 * H:] = torch.tensor(P[p + "c_h"], dtype=dtype)
        out.weight.copy_(torch.tensor(P["out.W"], dtype=dtype))
        out.bias.copy_(torch.tensor(P["out.b"], dtype=dtype))
    return rnn, out


def from_torch(rnn, out, data_name="", head="bernoulli", mixtures=0):
    """An rnnlab.Model (variant pytorch) computing rnn (nn.GRU/LSTM/RNN, one direction, no
    projection, tanh nonlinearity) followed by out (nn.Linear). data_name is recorded in the
    checkpoint (`rnnlab eval` and sampling use it). RnnlabError (usage) for a module rnnlab
    cannot represent."""
    cell = _cell_of(rnn)
    if rnn.bidirectional or getattr(rnn, "proj_size", 0) or getattr(rnn, "nonlinearity", "tanh") != "tanh":
        raise RnnlabError(2, "rnnlab runs one direction, no projection, tanh: this module is not one of those")
    if out.in_features != rnn.hidden_size:
        raise RnnlabError(2, f"the Linear takes {out.in_features} inputs, the {cell} gives {rnn.hidden_size}")
    H, order = rnn.hidden_size, ORDER[cell]
    O = out.out_features if head == "bernoulli" else (out.out_features // mixtures - 1) // 2
    m = Model.create(cell, "pytorch", rnn.input_size, H, O, rnn.num_layers, head, mixtures)
    if m.config["width"] != out.out_features:
        raise RnnlabError(2, f"the Linear gives {out.out_features} outputs, a {head} head of that size "
                             f"takes {m.config['width']}")
    sd = {k: v.detach().double().cpu().numpy() for k, v in rnn.state_dict().items()}
    P = {}
    for l in range(rnn.num_layers):
        p, G = f"rnn.{l}.", len(order)
        zero = np.zeros(G * H)
        w_ih, w_hh = sd[f"weight_ih_l{l}"], sd[f"weight_hh_l{l}"]
        b_ih, b_hh = sd.get(f"bias_ih_l{l}", zero), sd.get(f"bias_hh_l{l}", zero)
        for k, g in enumerate(order):
            rows = slice(k * H, (k + 1) * H)
            P[p + "W" + g], P[p + "U" + g] = w_ih[rows], w_hh[rows]
            # GRU's candidate: PyTorch's bias_hh_n sits inside r * (U_h h + c_h), so it stays apart.
            P[p + "b" + g] = b_ih[rows] if cell == "gru" and g == "_h" else b_ih[rows] + b_hh[rows]
        if cell == "gru":
            P[p + "c_h"] = b_hh[2 * H:]
    P["out.W"] = out.weight.detach().double().cpu().numpy()
    P["out.b"] = out.bias.detach().double().cpu().numpy() if out.bias is not None else np.zeros(out.out_features)
    m.set_tensors(P)
    m.set_metadata(data_name=data_name)
    return m


def save_torch(path, rnn, out):
    """The modules and their shape as one torch.save file ({cell, input, hidden, layers,
    width, rnn: state_dict, out: state_dict}); load_torch reads it back."""
    torch.save({"cell": _cell_of(rnn), "input": rnn.input_size, "hidden": rnn.hidden_size,
                "layers": rnn.num_layers, "width": out.out_features,
                "rnn": rnn.state_dict(), "out": out.state_dict()}, path)


def load_torch(path, dtype=torch.float64):
    """(rnn, out) from a save_torch file."""
    try:
        d = torch.load(path)
    except OSError as e:
        raise RnnlabError(4, f"{path}: cannot open: {e.strerror}") from None
    except Exception as e:   # noqa: BLE001 -- whatever unpickling raises, the file is not one
        raise RnnlabError(3, f"{path}: not a torch.save file ({type(e).__name__})") from None
    try:
        rnn = MODULES[d["cell"]](d["input"], d["hidden"], num_layers=d["layers"], dtype=dtype)
        out = torch.nn.Linear(d["hidden"], d["width"], dtype=dtype)
        rnn.load_state_dict(d["rnn"])
        out.load_state_dict(d["out"])
    except (KeyError, TypeError, AttributeError, RuntimeError) as e:
        raise RnnlabError(3, f"{path}: not a file of save_torch ({e})") from None
    return rnn, out


def torch_nll(rnn, out, sequences):
    """(nll_sum, steps) of the modules on piano-roll sequences ([T, 88] 0/1 arrays: x = frames
    0..T-2, y = frames 1..T-1), computed by PyTorch alone in the modules' dtype."""
    total, steps = 0.0, 0
    dtype = out.weight.dtype
    with torch.no_grad():
        for s in sequences:
            if len(s) < 2:
                continue
            s = torch.as_tensor(np.asarray(s), dtype=dtype)
            logits = out(rnn(s[:-1, None, :])[0])[:, 0, :]
            total += torch.nn.functional.binary_cross_entropy_with_logits(logits, s[1:], reduction="sum").item()
            steps += len(s) - 1
    return total, steps
