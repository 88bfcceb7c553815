#!/usr/bin/env python3
"""Write and read l2o4j optimizer weight files with numpy alone (no torch, no safetensors).

The format (see org.l2o4j.core.io.WeightFiles): 8-byte little-endian header length N, N bytes of
UTF-8 JSON {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}}, then the F32 little-endian tensor data.

Commands:
  read FILE [--json]              print metadata and tensor shapes (checks the layout; format
                                  versions 1 and 2)
  write OUT --layers L --hidden H [--preprocessing log-sign|none] [--p 10] [--scale 0.1]
                                  write a weight file whose parameter k is
                                  float32(0.5 * sin(0.7 * k + 0.3)) -- a deterministic test
                                  fixture, NOT trained weights
  forward FILE --grads G.json [--out OUT.json]
                                  run the coordinatewise LSTM optimizer (float64 numpy reference)
                                  on a gradient sequence [[g_step0 per coordinate], ...] and print
                                  {"gradients": ..., "updates": ...}; the update is ADDED to theta
  compare A B                     compare the tensors of two weight files bit for bit (metadata
                                  is ignored); exit status 1 when they differ
  set-metadata IN OUT KEY=VALUE...
                                  copy IN to OUT with metadata keys set (the tensor bytes are
                                  copied unchanged; only the JSON header is rewritten)
"""

import argparse
import json
import struct
import sys

import numpy as np

FORMAT = "l2o4j-lstm-optimizer"
VERSION = "1"
VERSION_2 = "2"
SIGN = "add: theta <- theta + update"


def tensor_specs(layers, hidden, features):
    """(name, shape) in the canonical order of LstmWeights.tensorSpecs."""
    specs = []
    for l in range(layers):
        inp = features if l == 0 else hidden
        specs.append((f"lstm.{l}.weight_ih", [4 * hidden, inp]))
        specs.append((f"lstm.{l}.weight_hh", [4 * hidden, hidden]))
        specs.append((f"lstm.{l}.bias", [4 * hidden]))
    specs.append(("output.weight", [1, hidden]))
    specs.append(("output.bias", [1]))
    return specs


def features_of(preprocessing):
    return {"log-sign": 2, "none": 1}[preprocessing]


def read(path):
    """Returns (metadata dict, {name: float32 array}) after checking the layout strictly."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} beyond file size {len(raw)}")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__")
    version = meta.get("format_version")
    if meta.get("format") != FORMAT or version not in (VERSION, VERSION_2):
        raise ValueError(
            f"{path}: expected a {FORMAT} file of version {VERSION} or {VERSION_2} but found "
            f"format {meta.get('format')!r} version {version!r}")
    data = raw[8 + n :]
    if version == VERSION_2:
        # version 2 (any cell and feature set; org.l2o4j.core.io.WeightFiles): the tensors are
        # the ones the header lists, in data-offset order; the layout checks below still apply
        specs = sorted(((name, list(t["shape"])) for name, t in header.items()),
                       key=lambda s: header[s[0]]["data_offsets"][0])
    else:
        layers, hidden = int(meta["layers"]), int(meta["hidden"])
        specs = tensor_specs(layers, hidden, features_of(meta["preprocessing"]))
    if "groups" in meta and version == VERSION:
        # a per-group file: each group's tensors under "<group>." (GroupedWeightFiles)
        specs = [(f"{g}.{name}", shape) for g in meta["groups"].split(",") for name, shape in specs]
    if sorted(header) != sorted(name for name, _ in specs):
        raise ValueError(f"{path}: tensors {sorted(header)} != expected {[s for s, _ in specs]}")
    tensors = {}
    end_max = 0
    for name, shape in specs:
        t = header[name]
        if t["dtype"] != "F32" or list(t["shape"]) != shape:
            raise ValueError(f"{path}: {name} is {t['dtype']} {t['shape']}, expected F32 {shape}")
        b, e = t["data_offsets"]
        if e - b != 4 * int(np.prod(shape)) or e > len(data):
            raise ValueError(f"{path}: bad data_offsets {b, e} for {name}")
        tensors[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(shape)
        end_max = max(end_max, e)
    if end_max != len(data):
        raise ValueError(f"{path}: {len(data) - end_max} bytes not covered by any tensor")
    return meta, tensors


def write(path, layers, hidden, preprocessing, p, scale, command):
    specs = tensor_specs(layers, hidden, features_of(preprocessing))
    meta = {
        "format": FORMAT,
        "format_version": VERSION,
        "cell": "lstm",
        "layers": str(layers),
        "hidden": str(hidden),
        "preprocessing": preprocessing,
        "log_sign_p": repr(float(p)),
        "output_scale": repr(float(scale)),
        "sign_convention": SIGN,
        "command": command,
        "note": "test fixture written by tools/safetensors_check.py with numpy; "
        "parameter k = float32(0.5*sin(0.7*k+0.3)); not trained weights",
    }
    total = sum(int(np.prod(s)) for _, s in specs)
    k = np.arange(total, dtype=np.float64)
    flat = (0.5 * np.sin(0.7 * k + 0.3)).astype("<f4")
    header = {"__metadata__": meta}
    off = 0
    for name, shape in specs:
        size = int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [4 * off, 4 * (off + size)]}
        off += size
    js = json.dumps(header, separators=(",", ":")).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        f.write(flat.tobytes())


def set_metadata(src, dst, updates):
    """Copies src to dst with __metadata__ keys set; the tensor data bytes are copied verbatim."""
    read(src)  # checks the layout
    with open(src, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    for k, v in updates.items():
        if k in ("format", "format_version", "cell", "layers", "hidden", "preprocessing",
                 "log_sign_p", "output_scale", "sign_convention"):
            raise ValueError(f"{k} is an architecture key; set-metadata changes provenance only")
        header["__metadata__"][k] = v
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        f.write(raw[8 + n :])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward(meta, tensors, grads):
    """float64 reference of the coordinatewise LSTM optimizer; grads: [steps][n] float32."""
    layers, hidden = int(meta["layers"]), int(meta["hidden"])
    p, scale = float(meta["log_sign_p"]), float(meta["output_scale"])
    pre = meta["preprocessing"]
    H = hidden
    grads = np.asarray(grads, dtype=np.float32)
    n = grads.shape[1]
    h = np.zeros((layers, n, H))
    c = np.zeros((layers, n, H))
    W = {k: v.astype(np.float64) for k, v in tensors.items()}
    out = []
    for g32 in grads:
        g = g32.astype(np.float64)
        if pre == "log-sign":
            # same threshold as the Java kernel: |g| >= (float) e^-p, compared in float32
            thr = np.float32(np.exp(-p))
            big = np.abs(g32) >= thr
            with np.errstate(divide="ignore"):
                x0 = np.where(big, np.log(np.abs(g)) / p, -1.0)
            x1 = np.where(big, np.sign(g), np.exp(p) * g)
            x = np.stack([x0, x1], axis=1)
        else:
            x = g[:, None]
        for l in range(layers):
            z = x @ W[f"lstm.{l}.weight_ih"].T + h[l] @ W[f"lstm.{l}.weight_hh"].T
            z += W[f"lstm.{l}.bias"]
            i, f, gg, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
            c[l] = sigmoid(f) * c[l] + sigmoid(i) * np.tanh(gg)
            h[l] = sigmoid(o) * np.tanh(c[l])
            x = h[l]
        upd = scale * (x @ W["output.weight"][0] + W["output.bias"][0])
        out.append(upd.tolist())
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("read")
    r.add_argument("file")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    w = sub.add_parser("write")
    w.add_argument("out")
    w.add_argument("--layers", type=int, required=True)
    w.add_argument("--hidden", type=int, required=True)
    w.add_argument("--preprocessing", default="log-sign", choices=["log-sign", "none"])
    w.add_argument("--p", type=float, default=10.0)
    w.add_argument("--scale", type=float, default=0.1)
    fw = sub.add_parser("forward")
    fw.add_argument("file")
    fw.add_argument("--grads", required=True, help="JSON file: [[g per coordinate] per step]")
    fw.add_argument("--out")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    sm = sub.add_parser("set-metadata")
    sm.add_argument("src")
    sm.add_argument("dst")
    sm.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    a = ap.parse_args(argv)
    if a.cmd == "set-metadata":
        updates = {}
        for p in a.pairs:
            k, sep, v = p.partition("=")
            if not sep or not k:
                ap.error(f"expected KEY=VALUE but found {p!r}")
            updates[k] = v
        set_metadata(a.src, a.dst, updates)
        print(f"wrote {a.dst}")
        return
    if a.cmd == "compare":
        _, ta = read(a.a)
        _, tb = read(a.b)
        if sorted(ta) != sorted(tb):
            print(f"differ: tensors {sorted(ta)} vs {sorted(tb)}")
            sys.exit(1)
        differing = 0
        for k in ta:
            if ta[k].shape != tb[k].shape:
                print(f"{k}: shape {list(ta[k].shape)} vs {list(tb[k].shape)}")
                differing += 1
                continue
            n = int(np.sum(ta[k].view("<u4") != tb[k].view("<u4")))
            if n:
                d = float(np.max(np.abs(ta[k].astype(np.float64) - tb[k].astype(np.float64))))
                print(f"{k}: {n} of {ta[k].size} values differ, max |difference| {d:.3g}")
                differing += 1
        if differing:
            print(f"differ: {differing} of {len(ta)} tensors")
            sys.exit(1)
        print(f"bit-identical tensors ({len(ta)} tensors, {sum(v.size for v in ta.values())} values)")
        return
    if a.cmd == "read":
        meta, tensors = read(a.file)
        if a.json:
            print(json.dumps({
                "metadata": meta,
                "shapes": {k: list(v.shape) for k, v in tensors.items()},
                "sums": {k: float(v.astype(np.float64).sum()) for k, v in tensors.items()},
            }, sort_keys=True))
        else:
            for k, v in sorted(meta.items()):
                print(f"{k} = {v}")
            for k, v in tensors.items():
                print(f"{k}: {list(v.shape)} min {v.min():.6g} max {v.max():.6g}")
    elif a.cmd == "write":
        write(a.out, a.layers, a.hidden, a.preprocessing, a.p, a.scale,
              "python3 tools/safetensors_check.py " + " ".join(argv))
        print(f"wrote {a.out}")
    else:
        meta, tensors = read(a.file)
        if meta.get("format_version") != VERSION:
            sys.exit(f"forward: expected a version {VERSION} file (the paper's LSTM) but found "
                     f"version {meta.get('format_version')} ({meta.get('cell')} cell)")
        with open(a.grads) as f:
            grads = json.load(f)
        res = {
            "generated_by": "python3 tools/safetensors_check.py forward (numpy float64 reference)",
            "gradients": grads,
            "updates": forward(meta, tensors, grads),
        }
        text = json.dumps(res, indent=1)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text + "\n")
        else:
            print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
