"""rnnlab_torch — rnnlab's models in PyTorch, independent of the C library.

Used by scripts/make_refs.py (reference numbers for tests/test_reference.c) and
scripts/torch_eval.py (load an rnnlab checkpoint into PyTorch). Needs only torch and numpy.

  st_read / st_write   a minimal safetensors reader/writer (struct + json + numpy)
  param_shapes         rnnlab's tensor names and shapes, in the library's order
  forward              logits [T,B,O] of a batch, from a dict {rnnlab name: tensor}
  bernoulli_loss       (loss, nll_sum, n_valid) of a batch

The PAPER variants (Chung et al. 2014, docs paper.md §1) are written op by op below. The
PYTORCH variants are torch.nn.GRU / torch.nn.LSTM themselves, called with the rnnlab tensors
mapped onto their weights (see torch_weights); tanh can run either way (the same equations).
Batches are time-major: x [T,B,I], y [T,B,O], lengths non-increasing; step t of sequence b
is valid iff t < len[b], and padded steps take no part in anything.
"""
import json
import struct

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# ------------------------------------------------------------------------------------------
# safetensors
# ------------------------------------------------------------------------------------------
DTYPES = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4", "U8": "u1"}


def st_read(path):
    """Return ({name: numpy array}, {metadata key: value})."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, d in header.items():
        a, b = d["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=DTYPES[d["dtype"]])
        tensors[name] = arr.reshape(d["shape"]).copy()
    return tensors, meta


def st_write(path, tensors, meta):
    """tensors: {name: numpy array} (float64 -> F64, float32 -> F32, int64 -> I64, ...),
    written in the dict's order; meta: {str: str}. Deterministic bytes."""
    codes = {"float64": "F64", "float32": "F32", "int64": "I64", "int32": "I32", "uint8": "U8"}
    header = {"__metadata__": {k: str(v) for k, v in meta.items()}}
    blobs, off = [], 0
    for name, arr in tensors.items():
        code = codes[arr.dtype.name]
        blob = np.ascontiguousarray(arr, dtype=DTYPES[code]).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# ------------------------------------------------------------------------------------------
# Parameters
# ------------------------------------------------------------------------------------------
GATES = {"tanh": [""], "gru": ["_z", "_r", "_h"], "lstm": ["_i", "_f", "_c", "_o"]}


def directional_fd(name, P, grads, loss, eps, tol):
    """Central finite differences in float64, one random direction per tensor: the analytic
    directional derivative must agree to `tol` relative (floored at 1e-3). loss(P) -> scalar.
    Returns the worst relative error."""
    g = torch.Generator().manual_seed(0)
    worst = 0.0
    with torch.no_grad():
        for n, gr in zip(list(P), grads):
            d = torch.randn(P[n].shape, generator=g)
            P[n] += eps * d
            lp = loss(P)
            P[n] -= 2 * eps * d
            lm = loss(P)
            P[n] += eps * d
            fd, an = ((lp - lm) / (2 * eps)).item(), (gr * d).sum().item()
            rel = abs(fd - an) / max(abs(an), 1e-3)
            assert rel < tol, f"{name} grad.{n}: finite difference {fd:.10g} vs {an:.10g}"
            worst = max(worst, rel)
    return worst


def rmsprop_trajectory(P0, loss, opt_cfg, steps):
    """`steps` updates of torch.optim.RMSprop with clip_grad_norm_ from P0, as the C test
    replays them: losses before each step, norms before clipping, final parameters."""
    P = {n: t.detach().clone().requires_grad_(True) for n, t in P0.items()}
    params = list(P.values())
    opt = torch.optim.RMSprop(params, lr=opt_cfg["lr"], alpha=opt_cfg["decay"], eps=opt_cfg["eps"],
                              momentum=opt_cfg["momentum"], centered=False)
    losses, norms = [], []
    for _ in range(steps):
        opt.zero_grad()
        value = loss(P)
        value.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(params, opt_cfg["clip"]).item())
        losses.append(value.item())
        opt.step()
    return np.array(losses), np.array(norms), {n: t.detach().numpy() for n, t in P.items()}


def write_reference(path, x, y, lens, params, loss, nll_sum, logits, grads, traj, norms, final, meta):
    """Write one reference case (the layout tests/test_reference.c reads) and read it back."""
    t = {"x": x, "y": y, "len": np.array(lens, dtype=np.int64)}
    t.update(params)
    t["loss"] = np.array([loss.item()])
    t["nll_sum"] = np.array([nll_sum.item()])
    t["logits"] = logits.detach().numpy()
    t.update({"grad." + n: g.numpy() for n, g in zip(params, grads)})
    t["traj"], t["traj_gnorm"] = traj, norms
    t.update({"final." + n: v for n, v in final.items()})
    meta = {k: str(v) for k, v in meta.items()}
    st_write(path, t, meta)
    back, m2 = st_read(path)                     # the reader reads what the writer wrote
    assert m2 == meta
    assert all(np.array_equal(back[k], v) for k, v in t.items())
    assert len(open(path, "rb").read()) < 50_000, path


def param_shapes(cell, variant, layers, I, H, O):
    """[(name, shape)] in rnnlab's order (include/rnnlab.h)."""
    out = []
    for l in range(layers):
        p, n_in, g = f"rnn.{l}.", I if l == 0 else H, GATES[cell]
        out += [(p + "W" + s, (H, n_in)) for s in g]
        out += [(p + "U" + s, (H, H)) for s in g]
        out += [(p + "b" + s, (H,)) for s in g]
        if cell == "gru" and variant == "pytorch":
            out.append((p + "c_h", (H,)))
        if cell == "lstm" and variant == "paper":
            out += [(p + "v" + s, (H,)) for s in ["_i", "_f", "_o"]]
    return out + [("out.W", (O, H)), ("out.b", (O,))]


def config_from_meta(meta):
    """(cell, variant, layers, I, H, O) from safetensors metadata."""
    return (meta["cell"], meta["variant"], int(meta["layers"]), int(meta["input"]),
            int(meta["hidden"]), int(meta["output"]))


# ------------------------------------------------------------------------------------------
# The paper's units, op by op. Each step maps (x_t, state) -> state; state = (h,) or (h, c).
# ------------------------------------------------------------------------------------------
def lin(P, p, g, x, h):
    """W_g x + U_g h + b_g for the gate suffix g of layer prefix p."""
    return x @ P[p + "W" + g].T + h @ P[p + "U" + g].T + P[p + "b" + g]


def tanh_step(P, p, x, s):
    (h,) = s
    return (torch.tanh(lin(P, p, "", x, h)),)


def gru_paper_step(P, p, x, s):
    (h,) = s
    z = torch.sigmoid(lin(P, p, "_z", x, h))
    r = torch.sigmoid(lin(P, p, "_r", x, h))
    hh = torch.tanh(lin(P, p, "_h", x, r * h))   # reset BEFORE the recurrent matrix
    return ((1 - z) * h + z * hh,)


def lstm_paper_step(P, p, x, s):
    h, c = s
    i = torch.sigmoid(lin(P, p, "_i", x, h) + P[p + "v_i"] * c)   # previous cell
    f = torch.sigmoid(lin(P, p, "_f", x, h) + P[p + "v_f"] * c)
    c = f * c + i * torch.tanh(lin(P, p, "_c", x, h))
    o = torch.sigmoid(lin(P, p, "_o", x, h) + P[p + "v_o"] * c)   # current cell
    return (o * torch.tanh(c), c)


STEPS = {"tanh": tanh_step, "gru": gru_paper_step, "lstm": lstm_paper_step}


def explicit_layer(cell, P, p, x, lens, step=None):
    """Run one layer over x [T,B,n] with step (default: the paper's unit). Step t updates only
    the sequences with len > t (lengths are sorted: the first n_t rows), so padded steps never
    touch the state. Returns h [T,B,H], zeros at padded steps."""
    (T, B, _), H = x.shape, P[p + "U" + GATES[cell][0]].shape[0]
    step = step or STEPS[cell]
    s = tuple(x.new_zeros(B, H) for _ in range(2 if cell == "lstm" else 1))
    hs = []
    for t in range(T):
        n = sum(1 for L in lens if L > t)
        new = step(P, p, x[t, :n], tuple(v[:n] for v in s))
        s = tuple(torch.cat([a, b[n:]]) for a, b in zip(new, s))
        hs.append(torch.cat([new[0], x.new_zeros(B - n, H)]))
    return torch.stack(hs)


# ------------------------------------------------------------------------------------------
# PyTorch's own modules with rnnlab weights
# ------------------------------------------------------------------------------------------
def torch_weights(P, cell, layers):
    """{nn.RNN/GRU/LSTM parameter name: tensor} built from rnnlab tensors (differentiable).
    GRU (gate order r,z,n): weight_ih=[W_r;W_z;W_h], weight_hh=[U_r;U_z;U_h],
        bias_ih=[b_r;b_z;b_h], bias_hh=[0;0;c_h]   (b_r, b_z are b_i*+b_h* of PyTorch)
    LSTM (order i,f,g,o): [W_i;W_f;W_c;W_o], bias_ih=[b_i;b_f;b_c;b_o], bias_hh=0
    tanh (nn.RNN): W, U, bias_ih=b, bias_hh=0."""
    order = {"tanh": [""], "gru": ["_r", "_z", "_h"], "lstm": ["_i", "_f", "_c", "_o"]}[cell]
    w = {}
    for l in range(layers):
        p = f"rnn.{l}."
        b = P[p + "b" + order[0]]
        w[f"weight_ih_l{l}"] = torch.cat([P[p + "W" + g] for g in order])
        w[f"weight_hh_l{l}"] = torch.cat([P[p + "U" + g] for g in order])
        w[f"bias_ih_l{l}"] = torch.cat([P[p + "b" + g] for g in order])
        bhh = [b.new_zeros(b.shape) for _ in order]
        if cell == "gru":
            bhh[2] = P[p + "c_h"]
        w[f"bias_hh_l{l}"] = torch.cat(bhh)
    return w


def torch_module(cell, layers, I, H, dtype=torch.float64):
    cls = {"tanh": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    return cls(I, H, num_layers=layers, dtype=dtype)


def torch_layers(P, cell, layers, x, lens):
    """All recurrent layers by nn.RNN/GRU/LSTM over a packed sequence: h [T,B,H].
    The module's parameters are replaced by tensors computed from P, so gradients flow back
    to P. (nn.RNNBase runs on its _flat_weights list, which its __setattr__ keeps current;
    torch 1.13's stateless.functional_call does not update it, hence the plain setattr.)"""
    I, H = x.shape[2], P["rnn.0.U" + GATES[cell][0]].shape[0]
    mod = torch_module(cell, layers, I, H, x.dtype)
    for name, w in torch_weights(P, cell, layers).items():
        del mod._parameters[name]
        setattr(mod, name, w)
    packed = pack_padded_sequence(x, torch.as_tensor(lens, dtype=torch.int64))
    out, _ = mod(packed)
    return pad_packed_sequence(out, total_length=x.shape[0])[0]


# ------------------------------------------------------------------------------------------
# Model and loss
# ------------------------------------------------------------------------------------------
def valid_mask(T, lens):
    """[T,B] bool: step t of sequence b is valid iff t < len[b]."""
    return torch.arange(T)[:, None] < torch.as_tensor(lens)[None, :]


def forward(P, cell, variant, layers, x, lens, use_torch=None):
    """Logits [T,B,O] (zeros at padded steps). use_torch: run nn.RNN/GRU/LSTM (default: for
    the pytorch variants, which must; the paper variants cannot, except tanh)."""
    if use_torch is None:
        use_torch = variant == "pytorch"
    if use_torch:
        assert variant == "pytorch" or cell == "tanh"
        h = torch_layers(P, cell, layers, x, lens)
    else:
        assert variant == "paper" or cell == "tanh"
        h = x
        for l in range(layers):
            h = explicit_layer(cell, P, f"rnn.{l}.", h, lens)
    a = h @ P["out.W"].T + P["out.b"]
    return torch.where(valid_mask(x.shape[0], lens)[:, :, None], a, torch.zeros_like(a))


def bernoulli_loss(logits, y, lens):
    """Per step NLL = sum_k softplus(a_k) - y_k a_k over valid steps.
    Returns (loss = nll_sum / n_valid, nll_sum, n_valid)."""
    m = valid_mask(y.shape[0], lens)
    yv = torch.where(m[:, :, None], y, torch.zeros_like(y))   # garbage targets never enter
    nll = F.binary_cross_entropy_with_logits(logits, yv, reduction="none")  # = softplus(a)-y*a
    nll_sum = torch.where(m[:, :, None], nll, torch.zeros_like(nll)).sum()
    n_valid = int(sum(lens))
    return nll_sum / n_valid, nll_sum, n_valid


# ------------------------------------------------------------------------------------------
# Mixture-of-Gaussians head (the speech task)
# ------------------------------------------------------------------------------------------
MOG_MIN_STD = 1e-3        # RNL_MOG_MIN_STD
MOG_MAX_LOG_STD = 20.0    # RNL_MOG_MAX_LOG_STD


def mog_split(logits, K, O):
    """(mixture logits [..,K], means [..,K,O], clamped log-stds [..,K,O]) from logits of width
    K*(1+2*O) laid out as rnl_mog_nll reads them: [K logits | K*O means, component-major |
    K*O log-stds, same order]; log-stds clamped to [ln MOG_MIN_STD, MOG_MAX_LOG_STD]."""
    lead = logits.shape[:-1]
    mu = logits[..., K:K + K * O].reshape(*lead, K, O)
    ls = logits[..., K + K * O:].reshape(*lead, K, O)
    return logits[..., :K], mu, torch.clamp(ls, np.log(MOG_MIN_STD), MOG_MAX_LOG_STD)


def mog_loss(logits, y, lens, K):
    """Per step NLL = -log sum_k pi_k prod_d N(y_d; mu_kd, exp(s_kd)^2) over valid steps, with
    pi = softmax(mixture logits). logits [T,B,K*(1+2*O)], y [T,B,O].
    Returns (loss = nll_sum / n_valid, nll_sum, n_valid)."""
    m = valid_mask(y.shape[0], lens)
    yv = torch.where(m[:, :, None], y, torch.zeros_like(y))   # garbage targets never enter
    a, mu, s = mog_split(logits, K, y.shape[2])
    u = (yv[:, :, None, :] - mu) * torch.exp(-s)
    comp = torch.log_softmax(a, -1) + (-0.5 * u * u - s - 0.5 * np.log(2 * np.pi)).sum(-1)
    nll = -torch.logsumexp(comp, -1)
    nll_sum = torch.where(m, nll, torch.zeros_like(nll)).sum()
    n_valid = int(sum(lens))
    return nll_sum / n_valid, nll_sum, n_valid
