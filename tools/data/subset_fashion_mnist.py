#!/usr/bin/env python3
"""Writes a Fashion-MNIST subset as gzip IDX files: the first N train and first M test images.

Fashion-MNIST's files are already shuffled (classes are balanced within any prefix up to small
fluctuations), so a prefix is a fair, reproducible subset.

Usage (run once; the output is committed and byte-identical on every run):
    apt-get install dataset-fashion-mnist     # Debian: /usr/share/datasets/fashion-mnist
    python3 -B tools/data/subset_fashion_mnist.py /usr/share/datasets/fashion-mnist \
        core/src/main/resources/org/l2o4j/data/fashion-mnist 6000 1000
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idxgz import read_idx_gz, write_images, write_labels  # noqa: E402


def main(src, out_dir, n_train, n_test):
    os.makedirs(out_dir, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        dims, pix = read_idx_gz(os.path.join(src, f"{prefix}-images-idx3-ubyte.gz"))
        ldims, lab = read_idx_gz(os.path.join(src, f"{prefix}-labels-idx1-ubyte.gz"))
        if len(dims) != 3 or len(ldims) != 1 or dims[0] != ldims[0] or dims[0] < n:
            raise ValueError(f"{prefix}: unexpected dims {dims} / {ldims} for a subset of {n}")
        size = dims[1] * dims[2]
        images = [pix[i * size : (i + 1) * size] for i in range(n)]
        write_images(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), images, dims[1], dims[2])
        write_labels(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), lab[:n])
        print(prefix, n, "images; per class", [lab[:n].count(d) for d in range(10)])


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: subset_fashion_mnist.py <src dir> <output dir> <n train> <n test>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
