"""Independent reader of Keras model files for the import tests (Debian's h5py, zipfile, numpy).

Usage: /usr/bin/python3 keras_reference.py MODEL OUT_DIR [TEST_IMAGES TEST_LABELS [COUNT]]

Writes OUT_DIR/reference.json:
  {"format", "keras_version", "topology": <the model JSON as stored>,
   "weights": [{"layer": <configured layer name>, "name": <short name or null>, "index": i,
                "shape": [...], "offset": <float32 index into weights.bin>}],
   "accuracy": <float or null>, "count": <images>, "predictions": [<argmax per image>]}
and OUT_DIR/weights.bin (float32, little-endian).

Legacy .h5: weights come from model_weights/<top layer>/<weight_names entry>; the layer is
the name's second-to-last part ("Conv1/kernel:0" -> Conv1), as Keras names variables.
.keras: weights come from layers/<key>/vars/<i>, the key being the layer's rank among its
model's layers of its class (Keras 3's saving_lib), and `name` is null.

With TEST_IMAGES / TEST_LABELS (IDX files), also computes the model's test accuracy (on the
first COUNT images, default all) with a
plain numpy forward pass of a Sequential Conv2D / MaxPooling2D / Flatten / Dropout / Dense
model on pixels / 255: the accuracy the tests expect, found without any of our code.
"""
import io
import json
import re
import sys
import zipfile

import h5py
import numpy as np


def text(v):
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def names(attrs, key):
    if key in attrs:
        return [text(n) for n in attrs[key]]
    out, i = [], 0
    while f"{key}{i}" in attrs:
        out += [text(n) for n in attrs[f"{key}{i}"]]
        i += 1
    return out


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


MODELS = ("Sequential", "Functional", "Model")


def legacy_h5(path):
    f = h5py.File(path, "r")
    topology = json.loads(text(f.attrs["model_config"]))
    mw = f["model_weights"] if "model_weights" in f else f
    weights = []
    for group in names(mw.attrs, "layer_names"):
        g = mw[group]
        for i, wn in enumerate(names(g.attrs, "weight_names")):
            parts = re.sub(r":\d+$", "", wn).split("/")
            layer = parts[-2] if len(parts) >= 2 else group
            weights.append((layer, parts[-1], i, np.asarray(g[wn], dtype=np.float32)))
    return "keras-h5", text(f.attrs.get("keras_version", "")), topology, weights


def keras_v3(path):
    z = zipfile.ZipFile(path)
    topology = json.loads(z.read("config.json"))
    meta = json.loads(z.read("metadata.json")) if "metadata.json" in z.namelist() else {}
    h = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    weights = []

    def walk(model, prefix):
        seen = {}
        for layer in model["config"]["layers"]:
            cls = layer["class_name"]
            if model["class_name"] == "Sequential" and cls == "InputLayer":
                continue  # Sequential.layers leaves it out
            base = snake(cls)
            if base in seen:
                seen[base] += 1
                key = f"{base}_{seen[base]}"
            else:
                seen[base] = 0
                key = base
            if cls in MODELS:
                walk(layer, f"{prefix}layers/{key}/")
                continue
            vars_path = f"{prefix}layers/{key}/vars"
            if vars_path in h:
                g = h[vars_path]
                for i in range(len(g)):
                    weights.append((layer["config"]["name"], None, i, np.asarray(g[str(i)], dtype=np.float32)))

    walk(topology, "")
    return "keras-v3", meta.get("keras_version", ""), topology, weights


def read_idx(path):
    data = open(path, "rb").read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def activation(x, name):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name in ("linear", None):
        return x
    raise SystemExit(f"numpy reference: activation {name} not implemented")


def conv2d(x, k, b, padding):
    # x [n, h, w, c], k [kh, kw, c, f]: stride 1, as the MNIST fixtures use. 'same' pads like
    # TensorFlow: (k - 1) // 2 before, the rest after.
    kh, kw, _, f = k.shape
    if padding == "same":
        x = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    n, h, w, c = x.shape
    ho, wo = h - kh + 1, w - kw + 1
    out = np.zeros((n, ho, wo, f), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            out += x[:, i : i + ho, j : j + wo, :] @ k[i, j]
    return out + b


def maxpool2(x, cfg):
    ph, pw = cfg["pool_size"]
    sh, sw = cfg.get("strides") or cfg["pool_size"]
    if (ph, pw) != (sh, sw) or cfg.get("padding", "valid") != "valid":
        raise SystemExit("numpy reference: only non-overlapping 'valid' pooling")
    n, h, w, c = x.shape
    ho, wo = h // ph, w // pw
    return x[:, : ho * ph, : wo * pw, :].reshape(n, ho, ph, wo, pw, c).max(axis=(2, 4))


def accuracy(topology, weights, images_path, labels_path, limit):
    if topology["class_name"] != "Sequential":
        return None
    by_layer = {}
    for layer, name, i, arr in weights:
        by_layer.setdefault(layer, []).append(arr)
    images = read_idx(images_path)[:limit].astype(np.float32) / 255.0
    labels = read_idx(labels_path)[:limit]
    predictions = []
    for s in range(0, len(labels), 500):
        x = images[s : s + 500][..., None]
        for layer in topology["config"]["layers"]:
            cls, cfg = layer["class_name"], layer["config"]
            w = by_layer.get(cfg["name"], [])
            if cls in ("InputLayer", "Dropout"):
                continue
            if cls == "Conv2D":
                if tuple(cfg["strides"]) != (1, 1) or tuple(cfg["dilation_rate"]) != (1, 1):
                    raise SystemExit("numpy reference: only stride-1 undilated Conv2D")
                x = activation(conv2d(x, w[0], w[1] if cfg["use_bias"] else 0, cfg["padding"]), cfg["activation"])
            elif cls == "MaxPooling2D":
                x = maxpool2(x, cfg)
            elif cls == "Flatten":
                x = x.reshape(x.shape[0], -1)
            elif cls == "Dense":
                x = activation(x @ w[0] + (w[1] if cfg["use_bias"] else 0), cfg["activation"])
            else:
                raise SystemExit(f"numpy reference: layer {cls} not implemented")
        predictions += x.argmax(axis=1).tolist()
    correct = int((np.array(predictions) == labels).sum())
    return correct / len(labels), len(labels), predictions


def main():
    model, out_dir = sys.argv[1], sys.argv[2]
    with open(model, "rb") as fh:
        head = fh.read(4)
    fmt, version, topology, weights = keras_v3(model) if head == b"PK\x03\x04" else legacy_h5(model)
    entries, chunks, offset = [], [], 0
    for layer, name, i, arr in weights:
        entries.append({"layer": layer, "name": name, "index": i, "shape": list(arr.shape), "offset": offset})
        chunks.append(arr.astype("<f4").ravel())
        offset += arr.size
    acc, count, predictions = (None, 0, [])
    if len(sys.argv) > 4:
        limit = int(sys.argv[5]) if len(sys.argv) > 5 else None
        result = accuracy(topology, weights, sys.argv[3], sys.argv[4], limit)
        if result is not None:
            acc, count, predictions = result
    with open(f"{out_dir}/weights.bin", "wb") as fh:
        fh.write(np.concatenate(chunks).tobytes() if chunks else b"")
    with open(f"{out_dir}/reference.json", "w") as fh:
        json.dump({"format": fmt, "keras_version": version, "topology": topology, "weights": entries, "accuracy": acc, "count": count, "predictions": predictions}, fh)


main()
