"""PyTorch references for test/norm-shape-layers.test.ts.

Run with /usr/bin/python3 (torch, h5py, numpy) after test/fixtures/models/make_norm_shape_models.py;
rerunnable and deterministic, the files are committed and never edited by hand.

For each fixture this reads the .h5 with h5py (model_config and weights, nothing from
convscope), rebuilds the chain in PyTorch in float64 in the model's own layout (NHWC for
channels_last) with Keras's definitions, and writes to test/golden/norm-shape/<model>/:
  input.npy                 a batch of two, channels-first
  <node>.npy                every node's output in the engine's layout: a channels_last
                            (N, d1, d2, d3) tensor as (N, d3, d1, d2), vectors as they are
  <node>.<method>.<c>.<unit>.npy
                            a backward net's result (input space, channels-first) from the
                            node's channel c (engine axis 0), unit all or max
  manifest.json             {model, input, nodes: [{name, output}], backward: [{node, method,
                            channel, unit, file}], classes}
Backward nets (SEMANTICS.md): SaliNet is plain autograd of sum(S * a_L) (the logits for a
softmax layer); DeconvNet passes max(R, 0) back through a ReLU and R unchanged through sigmoid
and tanh; DeSaliNet passes max(R, 0) * relu'(z). Every other node (LayerNormalization,
Rescaling, Normalization, the resamplers) is differentiated by autograd in all three.
"""
import json
import os
import shutil

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "models")


def as_str(v):
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def read_model(path):
    with h5py.File(path, "r") as f:
        config = json.loads(as_str(f.attrs["model_config"]))
        version = as_str(f.attrs["keras_version"])
        entries = config["config"]["layers"]
        group = f["model_weights"]
        layers = []
        for entry in entries:
            name = entry["config"]["name"]
            weights = {}
            for full in group[name].attrs["weight_names"]:
                full = as_str(full)
                weights[full.split("/")[-1].split(":")[0]] = np.array(group[name][full], dtype=np.float64)
            layers.append((name, entry["class_name"], entry["config"], weights))
        return layers, version


class DeconvReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, rule):
        ctx.save_for_backward(z)
        ctx.rule = rule
        return torch.relu(z)

    @staticmethod
    def backward(ctx, r):
        (z,) = ctx.saved_tensors
        if ctx.rule == "deconvnet":
            return torch.relu(r), None
        if ctx.rule == "desalinet":
            return torch.relu(r) * (z > 0), None
        return r * (z > 0), None


class PassThrough(torch.autograd.Function):
    """A non-ReLU activation under DeconvNet: the signal goes back unchanged."""

    @staticmethod
    def forward(ctx, z, fn):
        return fn(z)

    @staticmethod
    def backward(ctx, r):
        return r, None


def activation(name, z, rule):
    if name == "linear":
        return z
    if name == "relu":
        return DeconvReLU.apply(z, rule)
    fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "softmax": lambda t: torch.softmax(t, dim=-1)}[name]
    return PassThrough.apply(z, fn) if rule == "deconvnet" else fn(z)


def to_nchw(x, fmt):
    return x.permute(0, 3, 1, 2) if fmt == "channels_last" else x


def from_nchw(x, fmt):
    return x.permute(0, 2, 3, 1) if fmt == "channels_last" else x


def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(c, w, x):
    fmt = c["data_format"]
    x = to_nchw(x, fmt)
    kernel = torch.from_numpy(w["kernel"]).permute(3, 2, 0, 1)
    if c["padding"] == "same":
        top, bottom = same_pads(x.shape[2], c["kernel_size"][0], c["strides"][0])
        left, right = same_pads(x.shape[3], c["kernel_size"][1], c["strides"][1])
        x = F.pad(x, (left, right, top, bottom))
    return from_nchw(F.conv2d(x, kernel, torch.from_numpy(w["bias"]), stride=c["strides"]), fmt)


def positive_axes(axis, ndim):
    axis = [] if axis is None else (axis if isinstance(axis, list) else [axis])
    return sorted(a % ndim for a in axis)


def broadcast(values, axes, x):
    shape = [x.shape[d] if d in axes else 1 for d in range(x.dim())]
    return torch.as_tensor(np.asarray(values, dtype=np.float64)).reshape(shape)


def layer_norm(c, w, x):
    axes = positive_axes(c["axis"], x.dim())
    mean = x.mean(dim=axes, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=axes, keepdim=True)
    y = (x - mean) / torch.sqrt(var + c["epsilon"])
    if c["scale"]:
        y = y * broadcast(w["gamma"], axes, x)
    if c["center"]:
        y = y + broadcast(w["beta"], axes, x)
    return y


def normalization(c, w, x):
    axes = positive_axes(c["axis"], x.dim())
    count = int(np.prod([x.shape[d] for d in axes]))
    stat = lambda key: w[key] if c.get(key) is None else np.asarray(c[key], dtype=np.float64) * np.ones(count)
    mean, var = broadcast(stat("mean"), axes, x), broadcast(stat("variance"), axes, x)
    return (x - mean) / torch.clamp(torch.sqrt(var), min=1e-7)


def rescaling(c, x):
    # Keras 2: x * scale + offset, a list broadcasting over the last axis.
    return x * torch.as_tensor(np.asarray(c["scale"], dtype=np.float64)) + torch.as_tensor(np.asarray(c["offset"], dtype=np.float64))


def legacy_bilinear_matrix(size, factor):
    """tf.compat.v1.image.resize_bilinear (align_corners=False, half_pixel_centers=False): src = o * in / out."""
    m = np.zeros((size * factor, size))
    for o in range(size * factor):
        src = o / factor
        lo = int(np.floor(src))
        hi = min(lo + 1, size - 1)
        m[o, lo] += 1 - (src - lo)
        m[o, hi] += src - lo
    return torch.from_numpy(m)


def up_sampling(c, x, legacy):
    fmt = c["data_format"]
    x = to_nchw(x, fmt)
    sh, sw = c["size"]
    if c.get("interpolation", "nearest") == "nearest":
        y = x.repeat_interleave(sh, dim=2).repeat_interleave(sw, dim=3)
    elif legacy:
        y = torch.einsum("oh,nchw,pw->ncop", legacy_bilinear_matrix(x.shape[2], sh), x, legacy_bilinear_matrix(x.shape[3], sw))
    else:
        # tf.image.resize (half-pixel centres) is PyTorch's align_corners=False.
        y = F.interpolate(x, scale_factor=(sh, sw), mode="bilinear", align_corners=False)
    return from_nchw(y, fmt)


def cropping(c, x):
    fmt = c["data_format"]
    (top, bottom), (left, right) = c["cropping"]
    x = to_nchw(x, fmt)
    return from_nchw(x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right], fmt)


def flatten(c, x):
    if c.get("data_format") == "channels_first" and x.dim() >= 3:
        x = x.permute(0, *range(2, x.dim()), 1)
    return x.reshape(x.shape[0], -1)


IDENTITY = {"InputLayer", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "ActivityRegularization"}


def run_layer(cls, c, w, x, rule, legacy):
    """(output, pre-activation)."""
    if cls in IDENTITY:
        return x, x
    if cls == "Conv2D":
        z = conv2d(c, w, x)
        return activation(c["activation"], z, rule), z
    if cls == "Dense":
        z = x @ torch.from_numpy(w["kernel"]) + torch.from_numpy(w["bias"])
        return activation(c["activation"], z, rule), z
    out = {
        "LayerNormalization": lambda: layer_norm(c, w, x),
        "Normalization": lambda: normalization(c, w, x),
        "Rescaling": lambda: rescaling(c, x),
        "UpSampling2D": lambda: up_sampling(c, x, legacy),
        "Cropping2D": lambda: cropping(c, x),
        "Permute": lambda: x.permute(0, *c["dims"]),
        "Flatten": lambda: flatten(c, x),
    }[cls]()
    return out, out


def engine(t, fmt):
    """A Keras-layout tensor in the engine's layout."""
    return t.permute(0, 3, 1, 2) if fmt == "channels_last" and t.dim() == 4 else t


def keras(t, fmt):
    return t.permute(0, 2, 3, 1) if fmt == "channels_last" and t.dim() == 4 else t


def forward(layers, fmt, x_nchw, rule="salinet", legacy=False):
    x = torch.from_numpy(x_nchw.astype(np.float64))
    if fmt == "channels_last":
        x = x.permute(0, 2, 3, 1)
    x.requires_grad_(True)
    start = x
    records = {}
    for name, cls, c, w in layers:
        x, z = run_layer(cls, c, w, x, rule, legacy)
        records[name] = (x, z)
    return start, records


def start_signal(a_engine, channel, unit):
    a_engine = a_engine.contiguous()
    s = torch.zeros(a_engine.shape, dtype=a_engine.dtype)
    for b in range(a_engine.shape[0]):
        if unit == "all":
            s[b, channel] = a_engine[b, channel]
        else:
            plane = a_engine[b, channel].reshape(-1)
            k = int(torch.argmax(plane))  # first maximum in row-major order
            s[b, channel].view(-1)[k] = plane[k]
    return s


def write(out, name, array):
    np.save(os.path.join(out, name), np.ascontiguousarray(array, dtype=np.float32))


def generate(model, fmt, starts, seed):
    layers, version = read_model(os.path.join(FIXTURES, f"{model}.h5"))
    major, minor = (int(v) for v in version.split("-")[0].split(".")[:2])
    legacy = not version.endswith("-tf") and (major, minor) <= (2, 3)
    out = os.path.join(HERE, model)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    first = layers[0][2]
    shape = first["batch_input_shape"][1:]
    shape = [shape[2], shape[0], shape[1]] if fmt == "channels_last" else shape
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, (2, *shape)).astype(np.float32)
    write(out, "input.npy", x)
    _, records = forward(layers, fmt, x, legacy=legacy)
    nodes = []
    for name, cls, _, _ in layers:
        write(out, f"{name}.npy", engine(records[name][0], fmt).detach().numpy())
        nodes.append({"name": name, "className": cls, "output": f"{name}.npy"})
    last = records[layers[-1][0]][0].detach().numpy()
    backward = []
    for node, channel, unit in starts:
        cls, c = next((cl, cf) for n, cl, cf, _ in layers if n == node)
        for method in ("deconvnet", "salinet", "desalinet"):
            inp, recs = forward(layers, fmt, x, rule=method, legacy=legacy)
            a, z = recs[node]
            on_logits = c.get("activation") == "softmax"
            target = z if on_logits else a
            s = keras(start_signal(engine(target, fmt).detach(), channel, unit), fmt)
            (grad,) = torch.autograd.grad((target * s).sum(), inp)
            file = f"{node}.{method}.{channel}.{unit}.npy"
            write(out, file, to_nchw(grad, fmt).numpy())
            backward.append({"node": node, "method": method, "channel": channel, "unit": unit, "file": file})
    manifest = {"model": f"test/fixtures/models/{model}.h5", "input": "input.npy", "nodes": nodes, "backward": backward,
                "classes": [int(i) for i in last.argmax(axis=1)]}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(model, len(nodes), "nodes", len(backward), "backward references", "legacy resize" if legacy else "")


def main():
    generate("norm_shape_last", "channels_last", [
        ("layer_norm_c", 1, "all"), ("crop", 2, "max"), ("conv_b", 0, "all"), ("layer_norm_all", 2, "max"),
        ("permute", 5, "all"), ("up_nearest", 3, "max"), ("dense", 2, "all"),
    ], 1)
    generate("norm_shape_first", "channels_first", [
        ("layer_norm_c", 2, "all"), ("up_bilinear", 1, "max"), ("layer_norm_hw", 0, "all"), ("dense", 1, "all"),
    ], 2)
    generate("norm_shape_legacy", "channels_last", [("up_bilinear", 1, "all"), ("permute", 0, "max"), ("dense", 0, "all")], 3)


if __name__ == "__main__":
    main()
