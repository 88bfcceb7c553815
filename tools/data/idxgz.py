"""Shared helpers for the data conversion scripts: deterministic IDX + gzip writing."""

import gzip
import struct

MASK64 = (1 << 64) - 1


def splitmix64(state):
    """One SplitMix64 step: returns (new_state, output). Portable, independent of Python's random."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def shuffled(n, seed):
    """A deterministic Fisher-Yates permutation of range(n)."""
    perm = list(range(n))
    state = seed & MASK64
    for i in range(n - 1, 0, -1):
        state, r = splitmix64(state)
        j = r % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _write_gz(path, payload):
    # mtime=0 and no file name in the header: byte-identical output on every run.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(payload)


def write_images(path, images, rows=28, cols=28):
    """images: list of bytes objects of rows*cols unsigned bytes each."""
    header = struct.pack(">IIII", 0x00000803, len(images), rows, cols)
    _write_gz(path, header + b"".join(images))


def write_labels(path, labels):
    header = struct.pack(">II", 0x00000801, len(labels))
    _write_gz(path, header + bytes(labels))


def read_idx_gz(path):
    """Returns (dims, payload bytes) of a gzip IDX file of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic >> 8 != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic:#010x})")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return dims, data[4 + 4 * ndim :]
