#!/usr/bin/env python3
"""An independent safetensors reader (json + struct + numpy), to cross-check tapegrad's files.

    read_safetensors.py FILE                   print metadata and every tensor
    read_safetensors.py FILE --expect EXPECT   compare with EXPECT, a JSON file:
        {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [2, 3], "values": [...]}, ...}
      values are row-major; floats are compared bit for bit after conversion to the dtype.

Exit status: 0 if the file is valid (and matches), 1 otherwise, with the reason on stderr.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "F16": "<f2", "I32": "<i4", "U8": "u1"}


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{len(raw)} bytes: too short")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"header length {n} > {len(raw) - 8} bytes available")
    if (8 + n) % 8 != 0:
        raise ValueError(f"data buffer starts at {8 + n}, not on an 8-byte boundary")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = raw[8 + n :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        if set(e) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"{name}: fields {sorted(e)}")
        dt = np.dtype(DTYPES[e["dtype"]])
        begin, end = e["data_offsets"]
        count = int(np.prod(e["shape"], dtype=np.int64))
        if not 0 <= begin <= end <= len(data) or end - begin != count * dt.itemsize:
            raise ValueError(f"{name}: bad data_offsets {e['data_offsets']} for {e}")
        arr = np.frombuffer(data[begin:end], dtype=dt).reshape(e["shape"])
        tensors[name] = (e["dtype"], arr)
    return metadata, tensors


def check(metadata, tensors, expect):
    problems = []
    want_meta = expect.pop("__metadata__", {})
    if metadata != want_meta:
        problems.append(f"metadata {metadata} != {want_meta}")
    if sorted(tensors) != sorted(expect):
        problems.append(f"names {sorted(tensors)} != {sorted(expect)}")
    for name, want in expect.items():
        if name not in tensors:
            continue
        dtype, arr = tensors[name]
        if dtype != want["dtype"]:
            problems.append(f"{name}: dtype {dtype} != {want['dtype']}")
            continue
        if list(arr.shape) != want["shape"]:
            problems.append(f"{name}: shape {list(arr.shape)} != {want['shape']}")
            continue
        ref = np.array(want["values"], dtype=arr.dtype).reshape(want["shape"])
        if arr.tobytes() != ref.tobytes():
            problems.append(f"{name}: values {arr.ravel().tolist()} != {want['values']}")
    return problems


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--expect"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        metadata, tensors = read(argv[1])
    except (ValueError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"{argv[1]}: invalid safetensors file: {e!r}", file=sys.stderr)
        return 1
    if len(argv) == 2:
        print(f"metadata: {metadata}")
        for name, (dtype, arr) in sorted(tensors.items()):
            print(f"{name}: {dtype} {list(arr.shape)} {arr.ravel().tolist()}")
        return 0
    with open(argv[3], encoding="utf-8") as f:
        expect = json.load(f)
    problems = check(metadata, tensors, expect)
    for p in problems:
        print(f"{argv[1]}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
