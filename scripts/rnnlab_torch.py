"""rnnlab_torch — rnnlab's models in PyTorch, independent of the C library.

Used by scripts/make_refs.py (reference numbers for tests/test_reference.c) and
scripts/torch_eval.py (load an rnnlab checkpoint into PyTorch). Needs only torch and numpy.

  InputError           a user's file or name that cannot be used: one line and an exit code
  st_read / st_write   a minimal safetensors reader/writer (struct + json + numpy)
  mat_read             a minimal MAT v5 reader (cell arrays of numeric matrices; struct + zlib)
  resolve_data         a data set name or path, found as rnnlab finds it (the data root order)
  param_shapes         rnnlab's tensor names and shapes, in the library's order
  forward              logits [T,B,O] of a batch, from a dict {rnnlab name: tensor}
  bernoulli_loss       (loss, nll_sum, n_valid) of a batch

The PAPER variants (Chung et al. 2014, docs paper.md §1) are written op by op below. The
PYTORCH variants are torch.nn.GRU / torch.nn.LSTM themselves, called with the rnnlab tensors
mapped onto their weights (see torch_weights); tanh can run either way (the same equations).
Batches are time-major: x [T,B,I], y [T,B,O], lengths non-increasing; step t of sequence b
is valid iff t < len[b], and padded steps take no part in anything.
"""
import ctypes
import json
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# ------------------------------------------------------------------------------------------
# User mistakes
# ------------------------------------------------------------------------------------------
class InputError(Exception):
    """A file or name given by the user that cannot be used. str(e) is one line naming it and
    what to do; e.code is the exit code rnnlab gives the same mistake (docs/ERRORS.md):
    2 usage, 3 data (malformed or missing input), 4 I/O (cannot open or read)."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def blas_threads(n):
    """Hold the OpenBLAS that Debian's torch links (libopenblasp, pthreads) to n threads:
    torch.set_num_threads does not reach it, and on a loaded machine its idle workers' spinning
    cost the main thread most of its share (measured 2026-12-02 under load 6: nn.LSTM 2x128 at
    batch 50 trained 1.2k chars/s wall without this, 10.6k with OPENBLAS_NUM_THREADS=1).
    Returns whether an OpenBLAS was found among the loaded libraries."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libopenblas" in line:
                ctypes.CDLL(line.split()[-1]).openblas_set_num_threads(int(n))
                return True
    return False


def read_bytes(path, what):
    """The whole file; InputError 4 naming it (as `what`) if it cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot open the {what}: {e.strerror}", 4) from None


# ------------------------------------------------------------------------------------------
# safetensors
# ------------------------------------------------------------------------------------------
DTYPES = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4", "U8": "u1"}


def st_read(path):
    """Return ({name: numpy array}, {metadata key: value}). A file that is not safetensors (or
    uses a dtype outside DTYPES) raises InputError 3, one that cannot be read InputError 4."""
    raw = read_bytes(path, "checkpoint")

    def bad(why):
        return InputError(f"{path}: not a safetensors checkpoint ({why})", 3)

    if len(raw) < 8:
        raise bad(f"{len(raw)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise bad(f"a header of {n} bytes in a file of {len(raw)}")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad("the header is not JSON") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, d in header.items():
        try:
            a, b = d["data_offsets"]
            if not 0 <= a <= b <= len(data):
                raise ValueError("offsets outside the data")
            arr = np.frombuffer(data[a:b], dtype=DTYPES[d["dtype"]])
            tensors[name] = arr.reshape(d["shape"]).copy()
        except (KeyError, TypeError, ValueError) as e:
            raise bad(f"tensor {name!r}: {e}") from None
    if not isinstance(meta, dict):
        raise bad("__metadata__ is not a JSON object")
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


def config_from_meta(meta, path="checkpoint"):
    """(cell, variant, layers, I, H, O) from safetensors metadata; InputError 3 naming path
    when a key is missing or not a number (not a model rnnlab wrote)."""
    try:
        cfg = (meta["cell"], meta["variant"], int(meta["layers"]), int(meta["input"]),
               int(meta["hidden"]), int(meta["output"]))
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{path}: no rnnlab model configuration in its metadata ({e}): "
                         "is it a model.safetensors written by rnnlab train?", 3) from None
    if cfg[0] not in GATES or cfg[1] not in ("paper", "pytorch") or min(cfg[2:]) < 1:
        raise InputError(f"{path}: metadata cell={cfg[0]!r} variant={cfg[1]!r} layers={cfg[2]} "
                         "is not a model rnnlab knows", 3)
    return cfg


# ------------------------------------------------------------------------------------------
# MAT v5 files (the piano-roll data sets): MATLAB's "MAT-File Format" document, level 5.
# A file is a 128-byte header (text, subsystem offset, version, endian indicator "MI") and
# data elements, each an 8-byte tag (type, byte count; or the small format: count in the
# upper 16 bits, up to 4 bytes of data in the tag) and its data padded to 8 bytes.
# miCOMPRESSED holds one zlib-compressed element; miMATRIX holds array flags, dimensions, a
# name and, for a cell array, one miMATRIX per cell (column-major), for a numeric class its
# real part (and the imaginary part of a complex one, which is refused here).
# ------------------------------------------------------------------------------------------
MI_MATRIX, MI_COMPRESSED = 14, 15
MI_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8",
            12: "i8", 13: "u8"}
MX_CELL, MX_NUMERIC = 1, range(6, 16)   # classes: cell; double, single, int8 .. uint64


class _MatError(Exception):
    pass


def _mat_elements(buf, end, bo):
    """Yield (type, bytes) of the data elements in buf[:] up to `end`."""
    pos = 0
    while pos < end:
        if pos + 8 > end:
            raise _MatError(f"a tag cut off at byte {pos}")
        typ, nb = struct.unpack(bo + "II", buf[pos:pos + 8])
        if typ >> 16:                                     # small data element format
            typ, nb, start, pos = typ & 0xFFFF, typ >> 16, pos + 4, pos + 8
            if nb > 4:
                raise _MatError(f"a small element of {nb} bytes")
        else:
            start = pos + 8
            pos = start + nb + (0 if typ == MI_COMPRESSED else -nb % 8)
        if start + nb > end:
            raise _MatError(f"an element of {nb} bytes runs past the end")
        yield typ, buf[start:start + nb]


def _mat_numbers(typ, data, bo):
    if typ not in MI_TYPES:
        raise _MatError(f"numeric data of element type {typ}")
    return np.frombuffer(data, dtype=np.dtype(MI_TYPES[typ]).newbyteorder(bo))


def _mat_array(data, bo):
    """(name, value) of one miMATRIX: a numpy array (numeric), a list (cell), or None for a
    class this reader does not decode (struct, char, sparse, object)."""
    if not data:
        return "", np.zeros((0, 0))
    elements = _mat_elements(data, len(data), bo)
    try:
        flags = _mat_numbers(*next(elements), bo)
        cls, complex_ = int(flags[0]) & 0xFF, bool(int(flags[0]) & 0x800)
        if cls != MX_CELL and cls not in MX_NUMERIC:
            return "", None                       # its layout is another; its name unread
        dims = [int(v) for v in _mat_numbers(*next(elements), bo)]
        name = next(elements)[1].decode("latin-1")
    except (StopIteration, IndexError):
        raise _MatError("an array without flags, dimensions and name") from None
    parts = list(elements)
    count = int(np.prod(dims)) if dims else 0
    if cls == MX_CELL:
        cells = [_mat_array(d, bo)[1] for t, d in parts if t == MI_MATRIX]
        if len(cells) != count:
            raise _MatError(f"cell array {name!r} of {count} cells holds {len(cells)}")
        return name, cells
    if cls in MX_NUMERIC:
        if complex_:
            raise _MatError(f"{name!r} is complex")
        if not parts:
            raise _MatError(f"{name!r} has no data")
        real = _mat_numbers(*parts[0], bo)
        if real.size != count:
            raise _MatError(f"{name!r}: {real.size} values for dimensions {dims}")
        return name, real.astype(np.float64).reshape(dims, order="F")


def mat_read(path):
    """{variable name: numpy float64 array (numeric), list of values (cell), or None (a class
    not decoded)} of a MAT v5 file. InputError 3 for a file that is not one, 4 if unreadable."""
    raw = read_bytes(path, "data file")
    if len(raw) < 128 or raw[126:128] not in (b"IM", b"MI"):
        why = "a v4 or text file?" if not raw.startswith(b"MATLAB 7.3") else "v7.3 is HDF5"
        raise InputError(f"{path}: not a MAT v5 file ({why}): give a piano-roll .mat data set", 3)
    bo = "<" if raw[126:128] == b"IM" else ">"
    out = {}
    try:
        body = raw[128:]
        for typ, data in _mat_elements(body, len(body), bo):
            if typ == MI_COMPRESSED:
                inner = zlib.decompress(data)
                typ, data = next(_mat_elements(inner, len(inner), bo))
            if typ == MI_MATRIX:
                name, value = _mat_array(data, bo)
                out[name] = value
    except (_MatError, zlib.error, struct.error, ValueError, StopIteration) as e:
        raise InputError(f"{path}: a malformed MAT v5 file ({e})", 3) from None
    return out


# ------------------------------------------------------------------------------------------
# Data sets by name, as rnnlab finds them (src/data/dataroot.h)
# ------------------------------------------------------------------------------------------
DATA_SETS = {"jsb": "music/jsb_chorales.mat", "nottingham": "music/nottingham.mat",
             "musedata": "music/musedata.mat", "piano": "music/piano_midi.mat",
             "fsdd": "speech/fsdd"}


def resolve_data(name, root=None):
    """The path of a data set: a name (DATA_SETS) under the data root -- `root` if given, else
    $RNNLAB_DATA if set and non-empty, else ./data and then ../shared/data -- or a path (a '/'
    or a .mat/.mid/.midi/.wav name, or an existing file that is no set's name), which must
    exist. InputError: 2 for an unknown name, 3 for a set not found, 4 for a missing path."""
    ext = os.path.splitext(name)[1].lower()
    if "/" in name or ext in (".mat", ".mid", ".midi", ".wav") or \
            (name not in DATA_SETS and os.path.exists(name)):
        if not os.path.exists(name):
            raise InputError(f"{name}: no such file or directory", 4)
        return name
    if name not in DATA_SETS:
        raise InputError(f"unknown data set '{name}' (names: {', '.join(DATA_SETS)}; or give a "
                         "path to a .mat file)", 2)
    env = os.environ.get("RNNLAB_DATA", "")
    roots = [root] if root else [env] if env else ["data", "../shared/data"]
    where = f"--data-root {root}" if root else f"$RNNLAB_DATA ({env})" if env else \
        "./data and ../shared/data"
    rel = DATA_SETS[name]
    for r in roots:
        p = os.path.join(r, rel)
        if os.path.isfile(p) or os.path.isfile(os.path.join(p, "manifest.tsv")):
            return p
    raise InputError(f"data set '{name}' not found: looked for {rel} in {where}; run "
                     f"'rnnlab data fetch {name}' or give --data-root", 3)


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
MOG_MIN_STD_STEPS = 0.125  # RNL_MOG_MIN_STD_STEPS: the soft floor of sigma, in grid steps
MOG_MAX_LOG_STD = 20.0     # RNL_MOG_MAX_LOG_STD
MOG_UNIFORM = 1e-4         # RNL_MOG_UNIFORM: the weight of the uniform part of each value


def mog_grid16(mean, std):
    """(step, lo, n) of the 16-bit grid in standardised units (rnl_mog_grid16)."""
    return 1.0 / (32768.0 * std), (-1.0 - mean) / std, 65536


def mog_log_std(ls, step):
    """The log-std the head uses for raw log-std logits ls: ls on [f, 20] with
    f = log(MOG_MIN_STD_STEPS * step), f - log(1 + f - ls) below (a soft floor), 20 above."""
    f = float(np.log(MOG_MIN_STD_STEPS * step))
    soft = f - torch.log1p(torch.clamp(f - ls, min=0.0))
    return torch.where(ls > MOG_MAX_LOG_STD, torch.full_like(ls, MOG_MAX_LOG_STD), torch.where(ls >= f, ls, soft))


def mog_split(logits, K, O, step):
    """(mixture logits [..,K], means [..,K,O], log-stds [..,K,O] through mog_log_std) from
    logits of width K*(1+2*O) laid out as rnl_mog_nll reads them: [K logits | K*O means,
    component-major | K*O log-stds, same order]."""
    lead = logits.shape[:-1]
    mu = logits[..., K:K + K * O].reshape(*lead, K, O)
    ls = logits[..., K + K * O:].reshape(*lead, K, O)
    return logits[..., :K], mu, mog_log_std(ls, step)


def _log_diff_ndtr(hi, lo):
    """log(Phi(hi) - Phi(lo)) for hi > lo, from the tail the interval lies in (float64)."""
    upper = lo > 0   # both edges above the mean: Phi(hi) - Phi(lo) = Phi(-lo) - Phi(-hi)
    a = torch.where(upper, -lo, hi)
    b = torch.where(upper, -hi, lo)
    la, lb = torch.special.log_ndtr(a), torch.special.log_ndtr(b)
    return la + torch.log(-torch.expm1(lb - la))


def mog_log_mass(y, mu, s, step, lo, n):
    """log M' of each value: the Gaussian's mass over the target's bin, mixed with the
    uniform: M' = (1 - MOG_UNIFORM) M + MOG_UNIFORM / n. y [..,O] broadcast to mu [..,K,O]."""
    i = torch.clamp(torch.round((y - lo) / step), 0, n - 1)[..., None, :]
    c = lo + i * step
    isig = torch.exp(-s)
    b = (c + 0.5 * step - mu) * isig
    a = (c - 0.5 * step - mu) * isig
    open_lo, open_hi = (i == 0).expand_as(mu), (i == n - 1).expand_as(mu)
    # finite stand-ins at the open edges keep the untaken branches' gradients finite
    inner = _log_diff_ndtr(torch.where(open_hi, a + 1, b), torch.where(open_lo, b - 1, a))
    # A bin far narrower than sigma: the difference of two nearly equal Phi would cancel, so
    # integrate phi's Taylor series about the midpoint m over [m - h, m + h] instead:
    # M = 2h phi(m) (1 + He2(m) h^2/6 + He4(m) h^4/120), He2 = m^2 - 1, He4 = m^4 - 6m^2 + 3.
    h, mid = 0.5 * (b - a), 0.5 * (a + b)
    m2 = mid * mid
    series = 1 + (m2 - 1) * h * h / 6 + ((m2 - 6) * m2 + 3) * h ** 4 / 120
    narrow = torch.log(2 * h) - 0.5 * m2 - 0.5 * np.log(2 * np.pi) + torch.log(series)
    inner = torch.where(h < 1e-3, narrow, inner)
    lm = torch.where(open_lo, torch.special.log_ndtr(b), torch.where(open_hi, torch.special.log_ndtr(-a), inner))
    return torch.logaddexp(lm + np.log1p(-MOG_UNIFORM), torch.full_like(lm, np.log(MOG_UNIFORM / n)))


def mog_loss(logits, y, lens, K, mean=0.0, std=1.0):
    """Per step NLL = -log sum_k pi_k prod_d M'_kd + O log(step) over valid steps (the
    discretised mixture of rnnlab.h, rnl_mog_nll), pi = softmax(mixture logits), on the
    16-bit grid of a model with data_mean/data_std. logits [T,B,K*(1+2*O)], y [T,B,O].
    Returns (loss = nll_sum / n_valid, nll_sum, n_valid)."""
    step, lo, n = mog_grid16(mean, std)
    m = valid_mask(y.shape[0], lens)
    yv = torch.where(m[:, :, None], y, torch.zeros_like(y))   # garbage targets never enter
    O = y.shape[2]
    a, mu, s = mog_split(logits, K, O, step)
    comp = torch.log_softmax(a, -1) + mog_log_mass(yv, mu, s, step, lo, n).sum(-1)
    nll = -torch.logsumexp(comp, -1) + O * np.log(step)
    nll_sum = torch.where(m, nll, torch.zeros_like(nll)).sum()
    n_valid = int(sum(lens))
    return nll_sum / n_valid, nll_sum, n_valid
