#!/usr/bin/env python3
"""Write the seed corpora for fuzz/fuzz_safetensors.c and fuzz/fuzz_json.c.

The safetensors seeds are built here with struct/json only, independently of the C writer:
small valid files covering every dtype, 0-d and zero-size tensors, metadata, an unpadded
header, offsets out of header order and spare bytes after the data.
Run from the repository root: python3 fuzz/make_seeds.py
"""
import json
import os
import struct

ST_DIR = "fuzz/corpus/safetensors"
JSON_DIR = "fuzz/corpus/json"
FORMATS = {"F32": "<f", "F64": "<d", "I32": "<i", "I64": "<q", "U8": "<B"}


def safetensors(tensors, meta=None, pad=True, order=None, spare=b""):
    """tensors: list of (name, dtype, shape, values); returns the file's bytes."""
    header, data = {}, b""
    if meta is not None:
        header["__metadata__"] = meta
    blobs = []
    for name, dtype, shape, values in tensors:
        blobs.append((name, dtype, shape, b"".join(struct.pack(FORMATS[dtype], v) for v in values)))
    for name, dtype, shape, blob in [blobs[i] for i in (order or range(len(blobs)))]:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    # Keep the header's key order as given, not data order.
    ordered = {k: header[k] for k in (["__metadata__"] if meta is not None else [])}
    for name, _, _, _ in tensors:
        ordered[name] = header[name]
    text = json.dumps(ordered, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data + spare


def main():
    os.makedirs(ST_DIR, exist_ok=True)
    os.makedirs(JSON_DIR, exist_ok=True)
    seeds = {
        "empty.safetensors": safetensors([]),
        "one_f32.safetensors": safetensors([("w", "F32", [2], [1.0, -2.0])], {"k": "v"}),
        "dtypes.safetensors": safetensors([
            ("f32", "F32", [2, 2], [0.5, -1.5, 3.0, 1e-30]),
            ("f64", "F64", [3], [1 / 3, -0.0, 1e300]),
            ("i32", "I32", [2], [-(2**31), 2**31 - 1]),
            ("i64", "I64", [1, 1], [2**62]),
            ("u8", "U8", [1, 1, 1, 3], [0, 128, 255]),
            ("scalar", "F32", [], [2.0]),
            ("empty", "F32", [0, 4], []),
        ], {"format": "rnnlab", "note": "tab\there \u00e9 \"q\""}),
        "unpadded_reordered.safetensors": safetensors(
            [("b", "U8", [3], [1, 2, 3]), ("a", "F64", [], [0.5])],
            pad=False, order=[1, 0], spare=b"\xaa\xbb"),
        "tanh_model.safetensors": safetensors([
            ("rnn.0.W", "F32", [2, 3], [0.1, -0.2, 0.3, 0.0, 0.05, -0.05]),
            ("rnn.0.U", "F32", [2, 2], [1.0, 0.0, 0.0, 1.0]),
            ("rnn.0.b", "F32", [2], [0.0, 0.0]),
            ("out.W", "F32", [3, 2], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
            ("out.b", "F32", [3], [0.0, 0.0, 0.0]),
        ], {"format": "rnnlab", "cell": "tanh", "variant": "paper", "layers": "1",
            "hidden": "2", "input": "3", "output": "3", "head": "bernoulli",
            "mixtures": "0", "version": "0.1.0", "data_mean": "0", "data_std": "1",
            "data_name": "jsb"}),
    }
    for name, blob in seeds.items():
        with open(os.path.join(ST_DIR, name), "wb") as f:
            f.write(blob)
    docs = {
        "object.json": '{"trials": [{"lr": 0.001, "hidden": 36, "valid_nll": 8.54}], '
                       '"best": 0, "ok": true, "none": null}',
        "escapes.json": '["\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u00e9\\ud83d\\ude00", "\u20ac"]',
        "numbers.json": '[0, -0, 1.5e3, -2E-7, 123456789012345678901234567890, 5e-324]',
        "nested.json": '{"a": {"b": {"c": [[[[]]], {}]}}}',
        "scalar.json": '"just a string"',
    }
    for name, text in docs.items():
        with open(os.path.join(JSON_DIR, name), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
