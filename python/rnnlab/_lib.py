"""_lib — finding librnnlab.so and declaring the C functions of include/rnnlab.h (ctypes).

The library is looked for, in order: $RNNLAB_LIB (a path to the .so); a librnnlab.so next to
this package (a copy installed with it); the build directory of the checkout the package sits
in (python/rnnlab/../../build/librnnlab.so); then the system's (ld.so's search path:
librnnlab.so.MAJOR). Only functions the header declares are used: the .so exports nothing
else.
"""
import ctypes
import ctypes.util
import os

SONAME_MAJOR = 0          # RNL_VERSION_MAJOR of the header these declarations follow

real = ctypes.c_float     # rnl_real of the shared library (float; RNL_DOUBLE builds are tests')
real_p = ctypes.POINTER(real)
status = ctypes.c_int
c_char_pp = ctypes.POINTER(ctypes.c_char_p)


class Config(ctypes.Structure):
    """rnl_config (the model's shape)."""
    _fields_ = [("cell", ctypes.c_int), ("variant", ctypes.c_int), ("head", ctypes.c_int),
                ("layers", ctypes.c_int), ("input", ctypes.c_int), ("hidden", ctypes.c_int),
                ("output", ctypes.c_int), ("mixtures", ctypes.c_int)]


class Tensor(ctypes.Structure):
    """rnl_tensor (one named tensor of the flat parameter buffer)."""
    _fields_ = [("name", ctypes.c_char * 32), ("ndim", ctypes.c_int), ("shape", ctypes.c_int * 2),
                ("offset", ctypes.c_size_t), ("size", ctypes.c_size_t), ("noisy", ctypes.c_int)]


class Meta(ctypes.Structure):
    """rnl_model_meta (what a checkpoint records of its data)."""
    _fields_ = [("data_mean", ctypes.c_double), ("data_std", ctypes.c_double),
                ("data_name", ctypes.c_char * 64), ("split_scheme", ctypes.c_char * 16),
                ("vocab", ctypes.c_char * 513), ("text_split", ctypes.c_char * 64)]


class Batch(ctypes.Structure):
    """rnl_batch (time-major, lengths non-increasing)."""
    _fields_ = [("T", ctypes.c_int), ("B", ctypes.c_int), ("len", ctypes.POINTER(ctypes.c_int)),
                ("x", real_p), ("y", real_p)]


class State(ctypes.Structure):
    """rnl_state (h, and c for LSTM, of every layer)."""
    _fields_ = [("layers", ctypes.c_int), ("B", ctypes.c_int), ("H", ctypes.c_int),
                ("h", real_p), ("c", real_p)]


class Event(ctypes.Structure):
    """rnl_event (what a training reports)."""
    _fields_ = [("kind", ctypes.c_int), ("resumed", ctypes.c_int), ("data_path", ctypes.c_char_p),
                ("params", ctypes.c_size_t), ("params_recurrent", ctypes.c_size_t),
                ("epoch", ctypes.c_int), ("batch", ctypes.c_int), ("batches", ctypes.c_int),
                ("steps_per_s", ctypes.c_double), ("seconds_left", ctypes.c_double),
                ("updates", ctypes.c_long), ("skipped", ctypes.c_long), ("seconds", ctypes.c_double),
                ("train_nll", ctypes.c_double), ("valid_nll", ctypes.c_double), ("lr", ctypes.c_double),
                ("best_epoch", ctypes.c_int), ("improved", ctypes.c_int),
                ("best_train", ctypes.c_double), ("best_valid", ctypes.c_double),
                ("test_nll", ctypes.c_double), ("text", ctypes.c_char_p)]


EVENT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Event))

P = ctypes.c_void_p
# name: (return type, argument types). Opaque handles are void pointers.
PROTOTYPES = {
    "rnl_version": (ctypes.c_char_p, []),
    "rnl_status_string": (ctypes.c_char_p, [status]),
    "rnl_last_error": (ctypes.c_char_p, []),
    "rnl_free": (None, [P]),
    "rnl_set_threads": (None, [ctypes.c_int]),
    "rnl_cell_name": (ctypes.c_char_p, [ctypes.c_int]),
    "rnl_variant_name": (ctypes.c_char_p, [ctypes.c_int]),
    "rnl_head_name": (ctypes.c_char_p, [ctypes.c_int]),
    "rnl_cell_parse": (status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "rnl_variant_parse": (status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "rnl_head_parse": (status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "rnl_head_width": (ctypes.c_int, [ctypes.POINTER(Config)]),
    "rnl_model_create": (status, [ctypes.POINTER(Config), ctypes.POINTER(P)]),
    "rnl_model_free": (None, [P]),
    "rnl_model_config": (ctypes.POINTER(Config), [P]),
    "rnl_model_params": (real_p, [P]),
    "rnl_model_nparams": (ctypes.c_size_t, [P]),
    "rnl_model_ntensors": (ctypes.c_int, [P]),
    "rnl_model_tensor": (ctypes.POINTER(Tensor), [P, ctypes.c_int]),
    "rnl_model_nparams_recurrent": (ctypes.c_size_t, [P]),
    "rnl_model_init": (status, [P, ctypes.c_uint64, ctypes.c_double]),
    "rnl_model_metadata": (ctypes.POINTER(Meta), [P]),
    "rnl_model_save": (status, [P, ctypes.c_char_p, c_char_pp, ctypes.c_int]),
    "rnl_model_load": (status, [ctypes.c_char_p, ctypes.POINTER(P)]),
    "rnl_workspace_create": (status, [ctypes.POINTER(P)]),
    "rnl_workspace_free": (None, [P]),
    "rnl_workspace_logits": (real_p, [P]),
    "rnl_state_create": (status, [P, ctypes.c_int, ctypes.POINTER(ctypes.POINTER(State))]),
    "rnl_state_free": (None, [ctypes.POINTER(State)]),
    "rnl_state_zero": (None, [ctypes.POINTER(State)]),
    "rnl_forward_backward": (status, [P, P, real_p, ctypes.POINTER(Batch), real_p, ctypes.c_double,
                                      ctypes.POINTER(State), ctypes.POINTER(ctypes.c_double)]),
    "rnl_step": (status, [P, P, real_p, ctypes.c_int, ctypes.POINTER(State), real_p]),
    "rnl_split_parse": (ctypes.c_int, [ctypes.c_char_p]),
    "rnl_dataset_open": (status, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(P)]),
    "rnl_dataset_open_for_model": (status, [P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                            ctypes.POINTER(P), ctypes.c_char_p, ctypes.c_size_t]),
    "rnl_dataset_free": (None, [P]),
    "rnl_dataset_kind": (ctypes.c_char_p, [P]),
    "rnl_dataset_path": (ctypes.c_char_p, [P]),
    "rnl_dataset_input": (ctypes.c_int, [P]),
    "rnl_dataset_output": (ctypes.c_int, [P]),
    "rnl_dataset_count": (ctypes.c_int, [P, ctypes.c_int]),
    "rnl_dataset_steps": (ctypes.c_int, [P, ctypes.c_int, ctypes.c_int]),
    "rnl_dataset_sequence": (status, [P, ctypes.c_int, ctypes.c_int, real_p, real_p]),
    "rnl_dataset_normalisation": (None, [P, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]),
    "rnl_dataset_bits_per_sample": (ctypes.c_double, [P, ctypes.c_double]),
    "rnl_music_write": (status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                 ctypes.POINTER(ctypes.POINTER(ctypes.c_int)),
                                 ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8))]),
    "rnl_train_config_create": (status, [ctypes.POINTER(P)]),
    "rnl_train_config_free": (None, [P]),
    "rnl_train_config_set": (status, [P, ctypes.c_char_p, ctypes.c_char_p]),
    "rnl_train_config_get": (status, [P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]),
    "rnl_train_option_count": (ctypes.c_int, []),
    "rnl_train_option_key": (ctypes.c_char_p, [ctypes.c_int]),
    "rnl_train_option_help": (ctypes.c_char_p, [ctypes.c_int]),
    "rnl_train_run": (status, [P, EVENT_FN, P]),
    "rnl_train_resume": (status, [ctypes.c_char_p, P, EVENT_FN, P]),
    "rnl_evaluate": (status, [P, P, ctypes.c_int, ctypes.POINTER(ctypes.c_double),
                              ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]),
    "rnl_music_sample": (status, [P, ctypes.POINTER(ctypes.c_uint8), ctypes.c_int, ctypes.c_int,
                                  ctypes.c_double, ctypes.c_uint64,
                                  ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8))]),
    "rnl_music_model_frame": (status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "rnl_music_prime": (status, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                                 ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8)), ctypes.POINTER(ctypes.c_int)]),
    "rnl_roll_write_midi": (status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint8), ctypes.c_int,
                                     ctypes.c_int, ctypes.c_double, ctypes.c_int]),
    "rnl_speech_sample": (status, [P, ctypes.c_double, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_char_p]),
}


def candidates():
    """The places the library is looked for, in order (see the module's docstring)."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    env = os.environ.get("RNNLAB_LIB", "")
    if env:
        out.append(env)
    out.append(os.path.join(here, "librnnlab.so"))
    out.append(os.path.join(os.path.dirname(os.path.dirname(here)), "build", "librnnlab.so"))
    out.append(ctypes.util.find_library("rnnlab") or f"librnnlab.so.{SONAME_MAJOR}")
    return out


def load():
    """The loaded library with every prototype declared. OSError naming every place tried
    when none holds it ($RNNLAB_LIB, when set, must: a wrong path is not skipped)."""
    tried = []
    for i, path in enumerate(candidates()):
        explicit = i == 0 and os.environ.get("RNNLAB_LIB", "")
        if os.sep in path and not os.path.exists(path):
            if explicit:
                raise OSError(f"RNNLAB_LIB={path}: no such file")
            tried.append(path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            if explicit:
                raise OSError(f"RNNLAB_LIB={path}: cannot load it: {e}") from None
            tried.append(f"{path} ({e})")
            continue
        for name, (res, args) in PROTOTYPES.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args
        lib.path = path
        return lib
    raise OSError("librnnlab.so not found: tried " + "; ".join(tried) +
                  " (build it with make, install it with make install, or set RNNLAB_LIB)")
