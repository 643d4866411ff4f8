"""rnnlab — tanh RNN, GRU and LSTM sequence models (Chung et al. 2014) from Python.

A thin layer over the C library's public API (include/rnnlab.h) through ctypes, with numpy
arrays in and out. Every failure of the library raises RnnlabError carrying its one-line
message and its status (the tool's exit code: 2 usage, 3 data, 4 I/O, 5 numeric, ...).

    import rnnlab
    run = rnnlab.train(data="jsb", cell="gru", hidden=8, max_epochs=2, out="runs/x",
                       progress=print)
    m = rnnlab.Model.load("runs/x/model.safetensors")
    print(rnnlab.evaluate(m, "jsb", "test")["nll"])
    roll = rnnlab.sample_music(m, steps=32, seed=7)          # uint8 [33, 88]

Shapes are time-major as in the C header: x [T, B, I], y [T, B, O]; a single sequence may be
given as [T, I]. The library computes in float32 (rnl_real); arrays are converted.
The PyTorch bridge is rnnlab.torch_bridge (imported on use: it needs torch).
"""
import ctypes
import json
import os
import wave

import numpy as np

from . import _lib

__all__ = ["RnnlabError", "Model", "Dataset", "train", "resume", "evaluate", "write_music",
           "sample_music", "write_midi", "sample_speech", "train_options", "version", "SPLITS"]

SPLITS = {"train": 0, "valid": 1, "test": 2}
EVENTS = ("start", "progress", "epoch", "note", "done")   # rnl_event_kind, in order
_L = _lib.load()


class RnnlabError(Exception):
    """A failure of the library: str(e) is rnnlab's one-line message, e.status its status
    code (RNL_ERR_*: the tool's exit code) and e.kind its name ("usage", "data", "io", ...)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.kind = _L.rnl_status_string(status).decode()


def _check(st):
    if st:
        raise RnnlabError(st, _L.rnl_last_error().decode(errors="replace"))


def _b(s):
    return None if s is None else os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode()


def _split(split):
    if isinstance(split, str):
        if split not in SPLITS:
            raise RnnlabError(2, f"split: expected train, valid or test, got '{split}'")
        return SPLITS[split]
    return int(split)


def version():
    """The loaded library's version, "MAJOR.MINOR.PATCH"."""
    return _L.rnl_version().decode()


def _f32(a, shape=None):
    a = np.ascontiguousarray(a, dtype=np.float32)
    if shape is not None and a.shape != shape:
        raise ValueError(f"expected an array of shape {shape}, got {a.shape}")
    return a


def _ptr(a, t=_lib.real):
    return a.ctypes.data_as(ctypes.POINTER(t))


# ------------------------------------------------------------------------------------------
# Models and checkpoints
# ------------------------------------------------------------------------------------------
def _enum(parse, value):
    out = ctypes.c_int()
    _check(parse(_b(value), ctypes.byref(out)))
    return out.value


class Model:
    """An rnnlab model (rnl_model): its configuration, its named tensors over one flat float32
    buffer, and stepping and NLLs with numpy. Create one, or load a checkpoint."""

    path = None   # the checkpoint it was loaded from

    def __init__(self, handle):
        self._h = ctypes.c_void_p(handle)
        self._ws = ctypes.c_void_p()
        _check(_L.rnl_workspace_create(ctypes.byref(self._ws)))

    @classmethod
    def create(cls, cell="gru", variant="paper", input=88, hidden=8, output=88, layers=1,
               head="bernoulli", mixtures=0, seed=None, forget_bias=0.0):
        """A new model with zero parameters, or initialised as the authors' code does when seed
        is given (rnl_model_init)."""
        c = _lib.Config(_enum(_L.rnl_cell_parse, cell), _enum(_L.rnl_variant_parse, variant),
                        _enum(_L.rnl_head_parse, head), layers, input, hidden, output, mixtures)
        h = ctypes.c_void_p()
        _check(_L.rnl_model_create(ctypes.byref(c), ctypes.byref(h)))
        m = cls(h.value)
        if seed is not None:
            _check(_L.rnl_model_init(m._h, seed, forget_bias))
        return m

    @classmethod
    def load(cls, path):
        """Read a checkpoint (rnl_model_load: every tensor present, shapes and checksum checked)."""
        h = ctypes.c_void_p()
        _check(_L.rnl_model_load(_b(os.fspath(path)), ctypes.byref(h)))
        m = cls(h.value)
        m.path = os.fspath(path)
        return m

    def save(self, path, **extra):
        """Write a checkpoint atomically; extra: further metadata key=value strings."""
        kv = [_b(s) for k, v in extra.items() for s in (k, v)]
        arr = (ctypes.c_char_p * max(len(kv), 1))(*kv)
        _check(_L.rnl_model_save(self._h, _b(os.fspath(path)), arr, len(kv) // 2))

    def close(self):
        if self._h:
            _L.rnl_workspace_free(self._ws)
            _L.rnl_model_free(self._h)
            self._h = self._ws = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def config(self):
        """{cell, variant, head, layers, input, hidden, output, mixtures, width}."""
        c = _L.rnl_model_config(self._h).contents
        return {"cell": _L.rnl_cell_name(c.cell).decode(), "variant": _L.rnl_variant_name(c.variant).decode(),
                "head": _L.rnl_head_name(c.head).decode(), "layers": c.layers, "input": c.input,
                "hidden": c.hidden, "output": c.output, "mixtures": c.mixtures,
                "width": _L.rnl_head_width(ctypes.byref(c))}

    @property
    def metadata(self):
        """What the checkpoint records of its data: data_name, data_mean, data_std, split_scheme."""
        m = _L.rnl_model_metadata(self._h).contents
        return {"data_name": m.data_name.decode(), "data_mean": m.data_mean, "data_std": m.data_std,
                "split_scheme": m.split_scheme.decode()}

    def set_metadata(self, data_name=None, data_mean=None, data_std=None, split_scheme=None):
        m = _L.rnl_model_metadata(self._h).contents
        if data_name is not None:
            m.data_name = data_name.encode()[:63]
        if data_mean is not None:
            m.data_mean = data_mean
        if data_std is not None:
            m.data_std = data_std
        if split_scheme is not None:
            m.split_scheme = split_scheme.encode()[:15]

    def frame(self):
        """Frames per quarter note of its music (rnl_music_model_frame: 1 for JSB, else 2)."""
        fpq = ctypes.c_int(2)
        if self.path:
            _check(_L.rnl_music_model_frame(_b(self.path), ctypes.byref(fpq)))
        return fpq.value

    @property
    def params(self):
        """The flat parameter buffer as a float32 numpy view (writes change the model)."""
        n = _L.rnl_model_nparams(self._h)
        return np.ctypeslib.as_array(_L.rnl_model_params(self._h), shape=(n,))

    def tensor_names(self):
        return [_L.rnl_model_tensor(self._h, i).contents.name.decode()
                for i in range(_L.rnl_model_ntensors(self._h))]

    def tensors(self):
        """{name: float32 array (a copy)} in the library's order (rnnlab.h's table)."""
        p, out = self.params, {}
        for i in range(_L.rnl_model_ntensors(self._h)):
            t = _L.rnl_model_tensor(self._h, i).contents
            out[t.name.decode()] = p[t.offset:t.offset + t.size].reshape(tuple(t.shape[:t.ndim])).copy()
        return out

    def set_tensors(self, tensors):
        """Copy {name: array} into the parameters; every tensor of the model must be given with
        its shape (ValueError otherwise)."""
        p = self.params
        for i in range(_L.rnl_model_ntensors(self._h)):
            t = _L.rnl_model_tensor(self._h, i).contents
            name, shape = t.name.decode(), tuple(t.shape[:t.ndim])
            if name not in tensors:
                raise ValueError(f"tensor {name} {shape} missing")
            a = np.asarray(tensors[name], dtype=np.float32)
            if a.shape != shape:
                raise ValueError(f"tensor {name}: shape {a.shape}, the model's is {shape}")
            p[t.offset:t.offset + t.size] = a.ravel()
        extra = set(tensors) - set(self.tensor_names())
        if extra:
            raise ValueError(f"tensors the model does not have: {sorted(extra)}")

    # -- running ------------------------------------------------------------------------
    def state(self, B=1):
        """A zero recurrent state for B sequences (State: .h and, for LSTM, .c as numpy views)."""
        return State(self, B)

    def step(self, x, state):
        """One step for B sequences: x [B, I] -> logits [B, width]; state is updated."""
        c = self.config
        x = _f32(x)
        if x.ndim == 1:
            x = x[None, :]
        B = x.shape[0]
        if x.shape != (B, c["input"]) or state.B != B:
            raise ValueError(f"x must be [B={state.B}, I={c['input']}], got {x.shape}")
        out = np.empty((B, c["width"]), dtype=np.float32)
        _check(_L.rnl_step(self._h, self._ws, _ptr(x), B, state._p, _ptr(out)))
        return out

    def forward(self, x, y, lengths=None):
        """NLL of a batch: x [T, B, I], y [T, B, O] (or one sequence [T, I], [T, O]); lengths
        [B] non-increasing (default: all T). Returns (nll_sum in nats, logits [T, B, width])."""
        c = self.config
        x, y = _f32(x), _f32(y)
        if x.ndim == 2:
            x, y = x[:, None, :], y[:, None, :]
        T, B = x.shape[:2]
        if x.shape != (T, B, c["input"]) or y.shape != (T, B, c["output"]):
            raise ValueError(f"x must be [T, B, {c['input']}] and y [T, B, {c['output']}], got {x.shape}, {y.shape}")
        lens = np.full(B, T, dtype=np.int32) if lengths is None else np.ascontiguousarray(lengths, dtype=np.int32)
        if lens.shape != (B,) or np.any(np.diff(lens) > 0) or np.any(lens < 0) or np.any(lens > T):
            raise ValueError("lengths must be [B], non-increasing, each in 0..T")
        T = int(lens[0]) if B else 0
        x, y = np.ascontiguousarray(x[:T]), np.ascontiguousarray(y[:T])
        batch = _lib.Batch(T, B, _ptr(lens, ctypes.c_int), _ptr(x), _ptr(y))
        nll = ctypes.c_double()
        _check(_L.rnl_forward_backward(self._h, self._ws, _L.rnl_model_params(self._h), ctypes.byref(batch),
                                       None, 1.0, None, ctypes.byref(nll)))
        logits = np.ctypeslib.as_array(_L.rnl_workspace_logits(self._ws), shape=(T, B, c["width"])).copy()
        return nll.value, logits

    def nll(self, x, y, lengths=None):
        """NLL summed over the valid steps of a batch (see forward), in nats."""
        return self.forward(x, y, lengths)[0]


class State:
    """A recurrent state (rnl_state) for B sequences of a model: h [layers, B, H] and, for
    LSTM, c [layers, B, H], as numpy views of the library's buffers."""

    def __init__(self, model, B):
        self._p = ctypes.POINTER(_lib.State)()
        _check(_L.rnl_state_create(model._h, B, ctypes.byref(self._p)))
        s = self._p.contents
        self.B, shape = B, (s.layers, s.B, s.H)
        self.h = np.ctypeslib.as_array(s.h, shape=shape)
        self.c = np.ctypeslib.as_array(s.c, shape=shape) if s.c else None

    def zero(self):
        _L.rnl_state_zero(self._p)

    def __del__(self):
        if self._p:
            _L.rnl_state_free(self._p)
            self._p = None


# ------------------------------------------------------------------------------------------
# Data sets
# ------------------------------------------------------------------------------------------
class Dataset:
    """A data set opened as `rnnlab train --data` opens it: a name under the data root (jsb,
    nottingham, musedata, piano, fsdd) or a path (.mat piano rolls, a speech directory).
    for_model: open it as that model was trained on it (speech: its split and normalisation)."""

    def __init__(self, name, root=None, scheme=None, for_model=None):
        self._h = ctypes.c_void_p()
        if for_model is not None:
            note = ctypes.create_string_buffer(512)
            _check(_L.rnl_dataset_open_for_model(for_model._h, _b(name), _b(root), _b(scheme),
                                                 ctypes.byref(self._h), note, len(note)))
            self.note = note.value.decode()
        else:
            _check(_L.rnl_dataset_open(_b(name), _b(root), _b(scheme), ctypes.byref(self._h)))
            self.note = ""
        self.kind = _L.rnl_dataset_kind(self._h).decode()
        self.path = _L.rnl_dataset_path(self._h).decode()
        self.input = _L.rnl_dataset_input(self._h)
        self.output = _L.rnl_dataset_output(self._h)
        mean, std = ctypes.c_double(), ctypes.c_double()
        _L.rnl_dataset_normalisation(self._h, ctypes.byref(mean), ctypes.byref(std))
        self.mean, self.std = mean.value, std.value

    def count(self, split):
        """Sequences in a split ("train", "valid", "test" or 0..2)."""
        return _L.rnl_dataset_count(self._h, _split(split))

    def sequence(self, split, i):
        """Sequence i of a split: (x [steps, I], y [steps, O]) float32."""
        s = _split(split)
        T = _L.rnl_dataset_steps(self._h, s, i)
        x = np.zeros((max(T, 0), self.input), dtype=np.float32)
        y = np.zeros((max(T, 0), self.output), dtype=np.float32)
        _check(_L.rnl_dataset_sequence(self._h, s, i, _ptr(x), _ptr(y)))
        return x, y

    def sequences(self, split):
        return [self.sequence(split, i) for i in range(self.count(split))]

    def bits_per_sample(self, nll_per_step):
        return _L.rnl_dataset_bits_per_sample(self._h, nll_per_step)

    def close(self):
        if self._h:
            _L.rnl_dataset_free(self._h)
            self._h = None

    def __del__(self):
        self.close()


def evaluate(model, data, split="test", root=None, scheme=None):
    """The NLL of a model on a split (rnl_evaluate): {"nll" (nats per predicted step, all
    sequences pooled), "nll_seq_mean" (the mean over sequences of each one's NLL per step),
    "nll_sum", "steps", and for speech "bits_per_sample"}. data: a Dataset or a name/path,
    opened as the model was trained on it."""
    d = data if isinstance(data, Dataset) else Dataset(data, root, scheme, for_model=model)
    s, n, q = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    _check(_L.rnl_evaluate(model._h, d._h, _split(split), ctypes.byref(s), ctypes.byref(n), ctypes.byref(q)))
    out = {"nll": s.value / n.value if n.value else float("nan"), "nll_seq_mean": q.value, "nll_sum": s.value,
           "steps": n.value}
    if d.kind == "speech":
        out["bits_per_sample"] = d.bits_per_sample(out["nll"])
    return out


def write_music(path, train, valid=(), test=()):
    """Piano-roll sequences (each a [T, 88] array of 0/1) as a .mat data set that train()
    and Dataset read like JSB (rnl_music_write)."""
    nseq = (ctypes.c_int * 3)()
    lens = (ctypes.POINTER(ctypes.c_int) * 3)()
    frames = (ctypes.POINTER(ctypes.c_uint8) * 3)()
    keep = []
    for k, seqs in enumerate((train, valid, test)):
        seqs = [np.asarray(s) for s in seqs]
        for s in seqs:
            if s.ndim != 2 or s.shape[1] != 88:
                raise ValueError(f"each sequence must be [T, 88], got {s.shape}")
        ln = np.array([len(s) for s in seqs], dtype=np.int32)
        fr = np.ascontiguousarray(np.concatenate(seqs) if seqs else np.zeros((0, 88)), dtype=np.uint8)
        if seqs and not np.array_equal(fr, np.concatenate(seqs)):
            raise RnnlabError(2, f"{path}: a piano roll holds 0 or 1")
        keep += [ln, fr]
        nseq[k], lens[k], frames[k] = len(seqs), _ptr(ln, ctypes.c_int), _ptr(fr, ctypes.c_uint8)
    _check(_L.rnl_music_write(_b(os.fspath(path)), nseq, lens, frames))


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------
def train_options():
    """{key: help} of every run option (the option table's rows: `rnnlab train --help`)."""
    return {_L.rnl_train_option_key(i).decode(): _L.rnl_train_option_help(i).decode()
            for i in range(_L.rnl_train_option_count())}


class _Config:
    def __init__(self, options):
        self._h = ctypes.c_void_p()
        _check(_L.rnl_train_config_create(ctypes.byref(self._h)))
        for k, v in options.items():
            if isinstance(v, bool):
                v = int(v)
            _check(_L.rnl_train_config_set(self._h, _b(k), _b(os.fspath(v) if isinstance(v, os.PathLike) else v)))

    def __del__(self):
        if self._h:
            _L.rnl_train_config_free(self._h)
            self._h = None


def _event_dict(e):
    kind = EVENTS[e.kind]
    d = {"kind": kind, "epoch": e.epoch}
    fields = {"start": ("resumed", "data_path", "params", "params_recurrent"),
              "progress": ("batch", "batches", "steps_per_s", "seconds_left", "best_valid"),
              "epoch": ("updates", "skipped", "seconds", "train_nll", "valid_nll", "lr", "best_epoch", "improved"),
              "note": ("text",),
              "done": ("updates", "skipped", "seconds", "best_epoch", "best_train", "best_valid", "test_nll")}[kind]
    for f in fields:
        v = getattr(e, f)
        d[f] = v.decode() if isinstance(v, bytes) else v
    return d


def _run(call, progress):
    """call(fn, ctx): the training with progress(event dict) as its sink. progress returning
    True stops the training (RnnlabError "stopped"); an exception in it (Ctrl-C included)
    stops the training and is raised again here."""
    raised = []

    def sink(ctx, e):
        try:
            return 1 if progress(_event_dict(e.contents)) else 0
        except BaseException as ex:   # noqa: B902 -- re-raised below, after the C call returns
            raised.append(ex)
            return 1

    fn = _lib.EVENT_FN(sink) if progress else ctypes.cast(None, _lib.EVENT_FN)
    st = call(fn, None)
    if raised:
        raise raised[0]
    _check(st)


def _summary(out):
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def train(progress=None, **options):
    """Train a run (rnl_train_run) with the options of `rnnlab train` by key (data, cell,
    hidden, lr, max_epochs, seed, out, force, ...; data and out are required). progress(event)
    gets each event as a dict (kind: start, progress, epoch, note, done). Returns the run's
    summary.json as a dict."""
    c = _Config(options)
    _run(lambda fn, ctx: _L.rnl_train_run(c._h, fn, ctx), progress)
    return _summary(options["out"])


def resume(out, progress=None, **stopping):
    """Continue the run in directory out (rnl_train_resume); stopping: max_epochs, patience.
    Returns its summary.json as a dict."""
    c = _Config(stopping)
    _run(lambda fn, ctx: _L.rnl_train_resume(_b(os.fspath(out)), c._h, fn, ctx), progress)
    return _summary(out)


# ------------------------------------------------------------------------------------------
# Sampling
# ------------------------------------------------------------------------------------------
def _take_roll(p, frames):
    roll = np.ctypeslib.as_array(p, shape=(frames, 88)).copy()
    _L.rnl_free(p)
    return roll


def sample_music(model, steps, prime=None, temperature=1.0, seed=1, root=None):
    """Sample a piano roll from a Bernoulli music model (rnl_music_sample): uint8 [P + steps,
    88], the prime (P frames: a [P, 88] 0/1 array, or a spec — a .mid file or DATA:SPLIT:INDEX
    such as "jsb:test:0", DATA found under root) then the samples."""
    P, keep = 0, None
    if isinstance(prime, str):
        pp, n = ctypes.POINTER(ctypes.c_uint8)(), ctypes.c_int()
        _check(_L.rnl_music_prime(_b(prime), _b(root), model.frame(), ctypes.byref(pp), ctypes.byref(n)))
        keep = _take_roll(pp, n.value)
    elif prime is not None:
        keep = np.ascontiguousarray(prime, dtype=np.uint8)
        if keep.ndim != 2 or keep.shape[1] != 88:
            raise ValueError(f"prime must be [P, 88], got {keep.shape}")
    if keep is not None:
        P = keep.shape[0]
    out = ctypes.POINTER(ctypes.c_uint8)()
    _check(_L.rnl_music_sample(model._h, _ptr(keep, ctypes.c_uint8) if P else None, P, steps, temperature,
                               seed, ctypes.byref(out)))
    return _take_roll(out, P + steps)


def write_midi(path, roll, fpq=2, bpm=100.0, program=0):
    """A roll [T, 88] as a MIDI file (fpq frames per quarter note: 1 for JSB, 2 otherwise)."""
    r = np.ascontiguousarray(roll, dtype=np.uint8)
    if r.ndim != 2 or r.shape[1] != 88:
        raise ValueError(f"roll must be [T, 88], got {r.shape}")
    _check(_L.rnl_roll_write_midi(_b(os.fspath(path)), _ptr(r, ctypes.c_uint8), r.shape[0], fpq, bpm, program))


def sample_speech(model, seconds, out_wav, seed=1, prime_wav=None):
    """Generate audio from a speech (MoG) model into out_wav (rnl_speech_sample) and return
    its samples, int16 [round(seconds * 8000)] at 8000 Hz."""
    _check(_L.rnl_speech_sample(model._h, seconds, seed, _b(prime_wav), _b(os.fspath(out_wav))))
    with wave.open(os.fspath(out_wav), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
