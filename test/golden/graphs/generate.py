"""PyTorch references for the graph fixtures (test/graph-golden.test.ts).

Run with /usr/bin/python3 (torch, h5py, numpy) after test/fixtures/models/make_graph_models.py;
rerunnable and deterministic. The files are committed and never edited by hand.

Each fixture's .h5 is read back with h5py (its model_config and model_weights, nested models'
weights given to their layers by the variable names' scopes) and interpreted here as a graph of
torch operations in float64, NCHW, from Keras's definitions (SEMANTICS.md), independently of
convscope:

  node outputs    every node as SEMANTICS.md "Graphs" names it: a functional model's InputLayer,
                  nested layers 'outer/inner', the nested model itself, shared layers' calls
                  'name', 'name:1'. Maps are written (C, H, W), vectors in Keras's order.
  backward nets   SaliNet is plain autograd of sum(S * a_L) (z_L under softmax) with respect to
                  the input. DeconvNet and DeSaliNet are the same autograd with the ReLU-like
                  nodes (relu, ReLU layers with negative_slope 0, relu6) replaced by a custom
                  Function whose backward is the rule (max(R, 0), max(R, 0) * f'(z)), and, for
                  DeconvNet, every other element-wise activation passing R through unchanged.
  occlusion       a loop over SEMANTICS.md's windows, one forward pass each.
  Grad-CAM        autograd of the default output's logit z_out[k] with respect to a_L.

Written to test/golden/graphs/<fixture>/ (.npy float32, channels-first) and manifest.json.
"""
import json
import math
import os
import shutil
import zlib

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "models", "graphs")
MODEL_CLASSES = ("Functional", "Model", "Sequential")


# --- reading the file ---

def attr_str(v):
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def names_attr(group, key):
    v = group.attrs[key]
    return [attr_str(n) for n in v] if len(v) else []


class Node:
    def __init__(self, name, cls, config, weights, inputs):
        self.name, self.cls, self.config, self.weights, self.inputs = name, cls, config, weights, inputs


class Graph:
    """The model as nodes in topological order; inputs name nodes, '' is the model's input."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            config = json.loads(attr_str(f.attrs["model_config"]))
            self.keras_major = int(attr_str(f.attrs["keras_version"]).split(".")[0])
            root = f["model_weights"]
            weights = {}
            for layer in names_attr(root, "layer_names"):
                weights[layer] = [(n, np.array(root[layer][n], dtype=np.float64)) for n in names_attr(root[layer], "weight_names")]
        self.fmt = find_format(config)
        self.half_pixel = True
        shape = declared_input(config)[1:]
        self.input_shape = [shape[2], shape[0], shape[1]] if self.fmt == "channels_last" else shape
        self.nodes = []
        self.outputs = self.model(config, "", None, weights, top=True)

    def add(self, name, cls, config, weights, inputs):
        assert all(n != name for n in self.nodes), name
        self.nodes.append(Node(name, cls, config, weights, inputs))
        return name

    def model(self, config, prefix, inputs, weights, top=False):
        """Adds a (nested) model's nodes; `weights`: layer name -> [(variable name, array)]. Returns its outputs."""
        cls, c = config["class_name"], config["config"]
        if cls == "Sequential":
            x = inputs[0] if inputs else ""
            for e in c["layers"]:
                if e["class_name"] == "InputLayer":
                    continue
                x = self.layer(e, prefix + e["config"]["name"], [x], weights)[0]
            return [x]
        produced = {}  # (layer, call) -> node name
        for i, ref in enumerate(c["input_layers"]):
            name = prefix + ref[0]
            produced[(ref[0], 0)] = self.add(name, "InputLayer", {}, {}, [inputs[i]] if inputs else [""])
        pending = [(e, k) for e in c["layers"] if e["class_name"] != "InputLayer" for k in range(len(e["inbound_nodes"]))]
        while pending:
            for e, k in pending:
                refs = [(r[0], r[1]) for r in e["inbound_nodes"][k]]
                if all(r in produced for r in refs):
                    name = prefix + e["name"] + ("" if k == 0 else f":{k}")
                    produced[(e["name"], k)] = self.layer(e, name, [produced[r] for r in refs], weights)[0]
                    pending.remove((e, k))
                    break
            else:
                raise ValueError("no layer is ready: the graph is not connected")
        return [produced[(r[0], r[1])] for r in c["output_layers"]]

    def layer(self, e, name, inputs, weights):
        if e["class_name"] in MODEL_CLASSES:
            inner_name = e["config"]["name"]
            inner = nested_weights(e, weights.get(inner_name, []))
            outs = self.model(e, name + "/", inputs, inner)
            return [self.add(name, "Model", {}, {}, [outs[0]])] + outs[1:]
        own = {full.split("/")[-1].split(":")[0]: a for full, a in weights.get(e["config"]["name"], [])}
        return [self.add(name, e["class_name"], e["config"], own, inputs)]


def nested_weights(entry, variables):
    """A nested model's variables to its layers: the last scope of each name that names one of its layers."""
    layers = set()

    def collect(cfg):
        for e in cfg["config"]["layers"]:
            layers.add(e["config"]["name"])
            if e["class_name"] in MODEL_CLASSES:
                collect(e)
    collect(entry)
    out = {}
    for full, a in variables:
        scopes = full.split("/")[:-1]
        owner = next(s for s in reversed(scopes) if s in layers)
        out.setdefault(owner, []).append((full, a))
    return out


def declared_input(config):
    c = config["config"]
    if config["class_name"] == "Sequential":
        first = c["layers"][0]
        if first["class_name"] in MODEL_CLASSES:
            return declared_input(first)
        return first["config"]["batch_input_shape"]
    first = next(e for e in c["layers"] if e["name"] == c["input_layers"][0][0])
    return first["config"]["batch_input_shape"]


def find_format(config):
    for e in config["config"]["layers"]:
        if e["class_name"] in MODEL_CLASSES:
            f = find_format(e)
        else:
            f = e["config"].get("data_format")
        if f:
            return f
    return "channels_last"


# --- running it ---

def same_pads(size, k, s, d=1):
    k_eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + k_eff - size, 0)
    return total // 2, total - total // 2


def pad_same(x, k, s, d=(1, 1), value=0.0):
    top, bottom = same_pads(x.shape[2], k[0], s[0], d[0])
    left, right = same_pads(x.shape[3], k[1], s[1], d[1])
    return F.pad(x, (left, right, top, bottom), value=value)


def hwio_to_oihw(k):
    return torch.from_numpy(k).permute(3, 2, 0, 1).contiguous()


class BackwardRule(torch.autograd.Function):
    """A ReLU-like activation's value, with DeconvNet's or DeSaliNet's backward rule."""

    @staticmethod
    def forward(ctx, z, a, d, rule):
        ctx.save_for_backward(d)
        ctx.rule = rule
        return a.clone()

    @staticmethod
    def backward(ctx, r):
        (d,) = ctx.saved_tensors
        g = r.clamp(min=0)
        return (g if ctx.rule == "deconvnet" else g * d), None, None, None


def activation_fn(name, keras_major):
    if name in ("linear", None):
        return lambda z: z
    if name == "relu":
        return torch.relu
    if name == "relu6":
        return lambda z: z.clamp(0, 6)
    if name == "sigmoid":
        return torch.sigmoid
    if name == "tanh":
        return torch.tanh
    if name in ("swish", "silu"):
        return lambda z: z * torch.sigmoid(z)
    if name == "gelu":
        return lambda z: 0.5 * z * (1 + torch.erf(z / math.sqrt(2)))
    if name == "hard_sigmoid":
        if keras_major >= 3:
            return lambda z: (z + 3).clamp(0, 6) / 6
        return lambda z: (0.2 * z + 0.5).clamp(0, 1)
    if name == "softmax":
        return lambda z: torch.softmax(z, dim=1)
    if name == "elu":
        return F.elu
    if name == "selu":
        return lambda z: 1.0507009873554805 * F.elu(z, 1.6732632423543772)
    if name == "softplus":
        return F.softplus
    if name == "softsign":
        return lambda z: z / (1 + z.abs())
    if name == "exponential":
        return torch.exp
    raise ValueError(f"activation {name}")


RELU_LIKE = {"relu": lambda z: (z > 0), "relu6": lambda z: (z > 0) & (z < 6)}


def activate(name, z, rule, keras_major):
    """f(z); rule None: plain autograd, else 'deconvnet' / 'guided' per SEMANTICS.md's table."""
    f = activation_fn(name, keras_major)
    if rule is None or name in ("linear", None, "softmax"):
        return f(z)
    if name in RELU_LIKE:
        return BackwardRule.apply(z, f(z).detach(), RELU_LIKE[name](z).to(z.dtype).detach(), rule)
    if rule == "deconvnet":
        return z + (f(z) - z).detach()
    return f(z)


def relu_layer(c, z, rule):
    """Keras's ReLU layer: max_value, negative_slope, threshold."""
    mx, slope, t = c.get("max_value"), c.get("negative_slope", 0.0), c.get("threshold", 0.0)

    def f(v):
        y = torch.where(v >= t, v, slope * (v - t))
        return y.clamp(max=mx) if mx is not None else y
    if rule is None:
        return f(z)
    if slope == 0:
        d = (z > t) & ((z < mx) if mx is not None else torch.ones_like(z, dtype=torch.bool))
        return BackwardRule.apply(z, f(z).detach(), d.to(z.dtype).detach(), rule)
    return z + (f(z) - z).detach() if rule == "deconvnet" else f(z)


def legacy_bilinear(x, oh, ow):
    def axis(out, size):
        src = torch.arange(out, dtype=torch.float64) * (size / out)
        lo = src.floor().long().clamp(max=size - 1)
        return lo, (lo + 1).clamp(max=size - 1), src - lo
    ly, hy, fy = axis(oh, x.shape[2])
    lx, hx, fx = axis(ow, x.shape[3])
    rows = x[:, :, ly, :] * (1 - fy)[:, None] + x[:, :, hy, :] * fy[:, None]
    return rows[:, :, :, lx] * (1 - fx) + rows[:, :, :, hx] * fx


class Runner:
    def __init__(self, graph):
        self.g = graph
        self.cl = graph.fmt == "channels_last"

    def keras_axis_to_nchw(self, axis, rank):
        axis = axis + rank if axis < 0 else axis
        if rank == 4 and self.cl:
            return {3: 1, 1: 2, 2: 3}[axis]
        return axis

    def to_keras(self, x):
        return x.permute(0, 2, 3, 1) if x.dim() == 4 and self.cl else x

    def from_keras(self, x):
        return x.permute(0, 3, 1, 2) if x.dim() == 4 and self.cl else x

    def run(self, x, rule=None):
        """{node: (z, a)} for the batch x (N, C, H, W)."""
        out = {}
        for n in self.g.nodes:
            xs = [x if i == "" else out[i][1] for i in n.inputs]
            out[n.name] = self.node(n, xs, rule)
        return out

    def node(self, n, xs, rule):
        c, w, km = n.config, {k: torch.from_numpy(v) for k, v in n.weights.items()}, self.g.keras_major
        x = xs[0]
        cls = n.cls
        if cls in ("InputLayer", "Model", "Dropout"):
            return x, x
        if cls == "Conv2D":
            k, s, d = c["kernel_size"], c["strides"], c["dilation_rate"]
            if c["padding"] == "same":
                x = pad_same(x, k, s, d)
            z = F.conv2d(x, hwio_to_oihw(n.weights["kernel"]), w.get("bias"), stride=s, dilation=d)
            return z, activate(c["activation"], z, rule, km)
        if cls == "DepthwiseConv2D":
            k, s = c["kernel_size"], c["strides"]
            dk = n.weights["depthwise_kernel"]  # (kh, kw, cin, mult)
            weight = torch.from_numpy(dk).permute(2, 3, 0, 1).reshape(dk.shape[2] * dk.shape[3], 1, dk.shape[0], dk.shape[1])
            if c["padding"] == "same":
                x = pad_same(x, k, s, c["dilation_rate"])
            z = F.conv2d(x, weight, w.get("bias"), stride=s, dilation=c["dilation_rate"], groups=dk.shape[2])
            return z, activate(c["activation"], z, rule, km)
        if cls == "SeparableConv2D":
            k, s = c["kernel_size"], c["strides"]
            dk = n.weights["depthwise_kernel"]  # (kh, kw, cin, mult)
            weight = torch.from_numpy(dk).permute(2, 3, 0, 1).reshape(dk.shape[2] * dk.shape[3], 1, dk.shape[0], dk.shape[1])
            if c["padding"] == "same":
                x = pad_same(x, k, s, c["dilation_rate"])
            y = F.conv2d(x, weight, None, stride=s, dilation=c["dilation_rate"], groups=dk.shape[2])
            z = F.conv2d(y, hwio_to_oihw(n.weights["pointwise_kernel"]), w.get("bias"))
            return z, activate(c["activation"], z, rule, km)
        if cls == "Conv2DTranspose":
            k, s = c["kernel_size"], c["strides"]
            weight = torch.from_numpy(n.weights["kernel"]).permute(3, 2, 0, 1)  # (kh, kw, out, in) -> (in, out, kh, kw)
            full = F.conv_transpose2d(x, weight, None, stride=s)
            if c["padding"] == "same":
                oh, ow = x.shape[2] * s[0], x.shape[3] * s[1]
                top = same_pads(oh, k[0], s[0])[0]
                left = same_pads(ow, k[1], s[1])[0]
                full = F.pad(full, (0, max(0, left + ow - full.shape[3]), 0, max(0, top + oh - full.shape[2])))
                full = full[:, :, top:top + oh, left:left + ow]
            z = full + w["bias"].view(1, -1, 1, 1)
            return z, activate(c["activation"], z, rule, km)
        if cls == "Dense":
            if x.dim() == 4:  # on the last axis of a channels_last map: the channels
                assert self.cl
                z = torch.einsum("nchw,co->nohw", x, w["kernel"]) + w["bias"].view(1, -1, 1, 1)
            else:
                z = x @ w["kernel"] + w["bias"]
            return z, activate(c["activation"], z, rule, km)
        if cls == "Activation":
            return x, activate(c["activation"], x, rule, km)
        if cls == "ReLU":
            return x, relu_layer(c, x, rule)
        if cls == "LeakyReLU":
            f = lambda v: torch.where(v > 0, v, c["alpha"] * v)  # noqa: E731
            return x, (x + (f(x) - x).detach() if rule == "deconvnet" else f(x))
        if cls == "ELU":
            f = lambda v: F.elu(v, c["alpha"])  # noqa: E731
            return x, (x + (f(x) - x).detach() if rule == "deconvnet" else f(x))
        if cls == "PReLU":
            alpha = w["alpha"]
            alpha = alpha.permute(2, 0, 1) if self.cl and alpha.dim() == 3 else alpha
            f = lambda v: torch.relu(v) - alpha * torch.relu(-v)  # noqa: E731
            return x, (x + (f(x) - x).detach() if rule == "deconvnet" else f(x))
        if cls == "Softmax":  # not element-wise: its gradient under every rule
            y = torch.softmax(x, dim=self.keras_axis_to_nchw(c["axis"], x.dim()))
            return y, y
        if cls == "Rescaling":
            y = x * c["scale"] + c["offset"]
            return y, y
        if cls == "Normalization":  # Keras 2: (x - mean) / max(sqrt(variance), epsilon)
            axes = c["axis"] if isinstance(c["axis"], list) else [c["axis"]]
            assert [self.keras_axis_to_nchw(a, x.dim()) for a in axes] == [1], axes
            shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
            y = (x - w["mean"].view(shape)) / torch.clamp(torch.sqrt(w["variance"].view(shape)), min=1e-7)
            return y, y
        if cls == "Permute":
            y = self.from_keras(self.to_keras(x).permute(0, *c["dims"]))
            return y, y
        if cls in ("SpatialDropout2D", "GaussianNoise", "GaussianDropout", "ActivityRegularization"):
            return x, x
        if cls == "BatchNormalization":
            shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
            y = (x - w["moving_mean"].view(shape)) / torch.sqrt(w["moving_variance"].view(shape) + c["epsilon"])
            if c.get("scale", True):
                y = y * w["gamma"].view(shape)
            if c.get("center", True):
                y = y + w["beta"].view(shape)
            return y, y
        if cls == "LayerNormalization":
            axes = c["axis"] if isinstance(c["axis"], list) else [c["axis"]]
            dims = [self.keras_axis_to_nchw(a, x.dim()) for a in axes]
            assert dims == [1], dims
            mean = x.mean(dim=1, keepdim=True)
            var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
            shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
            y = (x - mean) / torch.sqrt(var + c["epsilon"]) * w["gamma"].view(shape) + w["beta"].view(shape)
            return y, y
        if cls == "ZeroPadding2D":
            (t, b), (l, r) = c["padding"]
            y = F.pad(x, (l, r, t, b))
            return y, y
        if cls == "Cropping2D":
            (t, b), (l, r) = c["cropping"]
            y = x[:, :, t:x.shape[2] - b, l:x.shape[3] - r]
            return y, y
        if cls in ("MaxPooling2D", "AveragePooling2D"):
            k, s = c["pool_size"], c["strides"]
            if cls == "MaxPooling2D":
                if c["padding"] == "same":
                    x = pad_same(x, k, s, value=-math.inf)
                y = F.max_pool2d(x, k, s)
            elif c["padding"] == "same":  # TensorFlow averages over the window's part inside the input
                ones = pad_same(torch.ones_like(x[:1, :1]), k, s)
                y = F.avg_pool2d(pad_same(x, k, s), k, s) / F.avg_pool2d(ones, k, s)
            else:
                y = F.avg_pool2d(x, k, s)
            return y, y
        if cls == "GlobalAveragePooling2D":
            y = x.mean(dim=(2, 3), keepdim=bool(c.get("keepdims", False)))
            return y, y
        if cls == "GlobalMaxPooling2D":
            y = x.amax(dim=(2, 3), keepdim=bool(c.get("keepdims", False)))
            return y, y
        if cls == "UpSampling2D":
            sh, sw = c["size"]
            if c.get("interpolation", "nearest") == "nearest":
                y = x.repeat_interleave(sh, dim=2).repeat_interleave(sw, dim=3)
            elif self.g.half_pixel:  # tf.image.resize, half-pixel centres
                y = F.interpolate(x, size=(x.shape[2] * sh, x.shape[3] * sw), mode="bilinear", align_corners=False)
            else:  # TensorFlow.js's resizeBilinear: source = target * in / out, no half-pixel centres
                y = legacy_bilinear(x, x.shape[2] * sh, x.shape[3] * sw)
            return y, y
        if cls == "Flatten":  # tf.keras flattens in channels-last order, whatever the data_format
            y = (x.permute(0, 2, 3, 1) if x.dim() == 4 else x).reshape(x.shape[0], -1)
            return y, y
        if cls == "Reshape":
            y = self.from_keras(self.to_keras(x).reshape(x.shape[0], *c["target_shape"]))
            return y, y
        if cls == "Add":
            y = sum(xs[1:], xs[0])
            return y, y
        if cls == "Subtract":
            y = xs[0] - xs[1]
            return y, y
        if cls == "Multiply":
            y = xs[0]
            for v in xs[1:]:
                y = y * v
            return y, y
        if cls == "Average":
            y = sum(xs[1:], xs[0]) / len(xs)
            return y, y
        if cls in ("Maximum", "Minimum"):  # the gradient goes to the input that won, the first on ties
            y = xs[0]
            for v in xs[1:]:
                y = torch.where(y >= v, y, v) if cls == "Maximum" else torch.where(y <= v, y, v)
            return y, y
        if cls == "Concatenate":
            y = torch.cat(xs, dim=self.keras_axis_to_nchw(c["axis"], x.dim()))
            return y, y
        raise ValueError(f"{n.name}: {cls}")


# --- the methods ---

def start_signal(a, channel, unit):
    s = np.zeros_like(a)
    for b in range(len(a)):
        plane = a[b, channel].ravel()
        if unit == "all" or a.ndim == 2:
            s[b, channel] = a[b, channel]
        else:
            best = int(np.argmax(plane))
            if plane.size > 1:
                second = np.max(np.delete(plane, best))
                # an exact tie (a max-pooled value copied) is the same in float32; a near one may not be
                assert second == plane[best] or plane[best] - second > 1e-4 * abs(plane[best]), "the largest value is too close to the next for float32"
            s[b, channel].flat[best] = plane[best]
    assert (np.abs(s).reshape(len(s), -1).max(axis=1) > 0).all(), "a start signal is all zeros"
    return s


def node_by_name(graph, name):
    return next(n for n in graph.nodes if n.name == name)


def backward_net(runner, x, layer, channel, unit, method):
    xg = torch.from_numpy(x).requires_grad_(True)
    outs = runner.run(xg, None if method == "salinet" else method)
    n = node_by_name(runner.g, layer)
    on_logits = n.config.get("activation") == "softmax"
    t = outs[layer][0 if on_logits else 1]
    s = start_signal(t.detach().numpy(), channel, unit)
    (g,) = torch.autograd.grad(t, xg, torch.from_numpy(s))
    return g.numpy()


def clear_max(plane):
    """Whether the largest value stands out from the next (for float32), or ties it exactly (a max-pooled copy)."""
    top = np.sort(plane.ravel())[::-1]
    return top.size == 1 or top[0] == top[1] or top[0] - top[1] > 1e-4 * abs(top[0])


def pick_channel(a):
    """The channel whose smallest (over the samples) largest absolute value is biggest, among
    those whose largest value is clear in every sample (for unit 'max')."""
    score = np.abs(a).reshape(a.shape[0], a.shape[1], -1).max(axis=2).min(axis=0)
    for c in np.argsort(-score, kind="stable"):
        if all(clear_max(a[b, c]) for b in range(len(a))):
            return int(c)
    raise ValueError("no channel has a clear largest value")


def occlusion(runner, image, output, size, stride, fill, layer=None, channel=None):
    _, h, w = image.shape

    def measure(img):
        with torch.no_grad():
            outs = runner.run(torch.from_numpy(img[None]))
        if layer:
            return float(outs[layer][1][0, channel].sum()), outs
        return None, outs

    _, outs = measure(image)
    target = None
    if layer is None:
        target = int(torch.argmax(class_scores(outs[output][1])[0]))
        measure_value = lambda img: float(class_scores(measure(img)[1][output][1])[0, target])  # noqa: E731
    else:
        measure_value = lambda img: measure(img)[0]  # noqa: E731
    baseline = measure_value(image)
    ny, nx = -(-(h - size) // stride) + 1, -(-(w - size) // stride) + 1
    grid = np.zeros((ny, nx))
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for i in range(ny):
        for j in range(nx):
            rows, cols = slice(i * stride, min(h, i * stride + size)), slice(j * stride, min(w, j * stride + size))
            img = image.copy()
            img[:, rows, cols] = fill
            grid[i, j] = measure_value(img)
            total[rows, cols] += baseline - grid[i, j]
            count[rows, cols] += 1
    attribution = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return grid, attribution, baseline, target


def class_scores(t):
    """(N, K) class scores of an output: a vector's values, or a map's (N, K, H, W) channel sums
    (class k of a segmentation model is its channel k as a whole, the README's decision)."""
    return t if t.dim() == 2 else t.sum(dim=(2, 3))


def grad_cam(runner, image, layer, output, target):
    outs = runner.run(torch.from_numpy(image[None]).requires_grad_(True))
    a = outs[layer][1]
    if target is None:
        target = int(torch.argmax(class_scores(outs[output][1])[0]))
    (g,) = torch.autograd.grad(class_scores(outs[output][0])[0, target], a)
    a, g = a[0].detach().numpy(), g[0].numpy()
    alpha = g.mean(axis=(1, 2))
    return np.maximum(np.tensordot(alpha, a, axes=1), 0), alpha, target


def default_grad_cam_node(graph, shapes, output):
    """The last (C, H, W) node (InputLayer aside) the output depends on, before the first node
    without spatial axes that every path to the output goes through (the README's reading of
    SEMANTICS.md: a squeeze-excite branch's pooling does not end the spatial axes)."""
    sources = {n.name: n.inputs for n in graph.nodes}
    needed, stack = set(), [output]
    while stack:
        v = stack.pop()
        if v and v not in needed:
            needed.add(v)
            stack += sources[v]
    order = [n.name for n in graph.nodes if n.name in needed]

    def on_every_path(via):
        reached = set()
        for v in order:
            if v != via and any(i == "" or i in reached for i in sources[v]):
                reached.add(v)
        return output not in reached

    end = next((i for i, v in enumerate(order) if len(shapes[v]) != 3 and on_every_path(v)), len(order))
    spatial = [v for v in order[:end] if len(shapes[v]) == 3 and node_by_name(graph, v).cls != "InputLayer"]
    # a map output (a U-Net) is not its own Grad-CAM node, nor is a 1x1 map (a head of 1x1 convs) when a larger one exists
    wide = [v for v in spatial if shapes[v][1] * shapes[v][2] > 1] or spatial
    return ([v for v in wide if v != output] or wide)[-1]


# --- the cases ---

# Start nodes of the backward nets: merges, ReLU-like nodes, other activations, the output.
BACKWARD_NODES = {
    "resnet_tiny": ["conv2_block1_add", "conv2_block2_out", "conv3_block1_2_relu", "predictions"],
    "resnet_tiny_channels_first": ["conv2_block1_add", "conv3_block1_out", "predictions"],
    "mobilenet_v2_tiny": ["block_1_depthwise_relu", "block_2_add", "out_relu", "predictions"],
    "mobilenet_v3_tiny": ["Conv/hard_swish", "expanded_conv/squeeze_excite/Mul", "expanded_conv/Add",
                          "expanded_conv_1/squeeze_excite/Mul", "Predictions"],
    "inception_tiny": ["mixed0", "activation_7", "mixed3", "predictions"],
    "unet_tiny": ["concatenate", "concatenate_1", "add", "conv2d_7"],
    "convnext_tiny": ["convnext_tiny_stem", "convnext_tiny_stage_0_block_0_gelu", "convnext_tiny_stage_0_block_0_add", "head_dense"],
    "convnext_tiny_conv1x1": ["convnext_tiny_stem", "convnext_tiny_stage_0_block_0_gelu", "convnext_tiny_stage_0_block_0_add", "head_dense"],
    "transfer_sequential": ["mobilenetv2_1.00_16/expanded_conv_depthwise_relu", "mobilenetv2_1.00_16", "dense"],
    "transfer_functional": ["feature_extractor/input_1", "feature_extractor/bn_Conv1", "feature_extractor", "dense"],
    "shared_layer": ["shared_conv", "shared_conv:1", "add", "dense"],
    "multi_output": ["conv2d_1", "class_output", "box_output"],
    "merges_separable": ["separable_conv2d", "maximum", "minimum", "dense"],
    "activations": ["p_re_lu", "concatenate", "softmax", "dense"],
    "preprocessing": ["normalization", "permute", "conv2d_1", "dense"],
}
# Grad-CAM on a node other than the default.
GRADCAM_OTHER = {
    "resnet_tiny": "conv2_block1_add", "resnet_tiny_channels_first": "conv2_block2_out",
    "mobilenet_v2_tiny": "block_1_project_BN", "mobilenet_v3_tiny": "expanded_conv/squeeze_excite/Mul",
    "inception_tiny": "mixed0", "unet_tiny": "concatenate_1", "convnext_tiny": "convnext_tiny_stem",
    "convnext_tiny_conv1x1": "convnext_tiny_stage_0_block_0_layernorm",
    "transfer_sequential": "mobilenetv2_1.00_16/Conv1_relu", "transfer_functional": "feature_extractor/expanded_conv_add",
    "shared_layer": "shared_conv", "multi_output": "max_pooling2d",
    "merges_separable": "subtract", "activations": "leaky_re_lu", "preprocessing": "permute",
}
# Occlusion with a node's channel as the target (besides the predicted class).
OCCLUSION_LAYER = {"unet_tiny": ("conv2d_7", 1), "inception_tiny": ("mixed0", 3)}
SIZES = {"resnet_tiny": (5, 3)}


def save(rel, array):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))
    return rel


def fixture(name, variant=None):
    """The manifest entry of a fixture; variant 'keras3': the numbers under Keras 3's definitions,
    'tfjs': under TensorFlow.js's."""
    out = name if variant is None else f"{name}/{variant}"
    path = os.path.join(FIXTURES, name + ".h5")
    graph = Graph(path)
    if variant == "keras3":
        graph.keras_major = 3
    if variant == "tfjs":
        graph.half_pixel = False
    runner = Runner(graph)
    rng = np.random.RandomState(zlib.crc32(name.encode()))  # by name: adding a fixture changes no other
    with torch.no_grad():
        shape_probe = runner.run(torch.zeros((1, *graph.input_shape)))
    c, h, w = graph.input_shape
    x = rng.uniform(-1, 1, (2, c, h, w))
    x = x.astype(np.float32).astype(np.float64)
    with torch.no_grad():
        outs = runner.run(torch.from_numpy(x))
    shapes = {k: list(v[1].shape[1:]) for k, v in shape_probe.items()}
    output = graph.outputs[0]
    entry = {
        "model": os.path.relpath(path, ROOT), "dataFormat": graph.fmt,
        "input": save(f"{name}/input.npy", x), "outputs": graph.outputs,
        "predict": {o: save(f"{out}/predict/{i}.npy", outs[o][1].numpy()) for i, o in enumerate(graph.outputs)},
        "classes": [int(k) for k in class_scores(outs[output][1]).numpy().argmax(axis=1)],
        "nested": [n.name for n in graph.nodes if n.cls == "Model"],
        "nodes": [], "backward": [], "occlusion": [], "gradcam": [],
    }
    for i, n in enumerate(graph.nodes):
        entry["nodes"].append({"name": n.name, "shape": shapes[n.name], "file": save(f"{out}/nodes/{i:03d}.npy", outs[n.name][1].numpy()[0])})

    for layer in BACKWARD_NODES[name]:
        n = node_by_name(graph, layer)
        on_logits = n.config.get("activation") == "softmax"
        a = outs[layer][0 if on_logits else 1].numpy()
        channel = pick_channel(a)
        for unit in ("all", "max"):
            for method in ("deconvnet", "salinet", "desalinet"):
                r = backward_net(runner, x, layer, channel, unit, "guided" if method == "desalinet" else method)
                k = len(entry["backward"])
                entry["backward"].append({"layer": layer, "channel": channel, "unit": unit, "method": method,
                                          "output": save(f"{out}/backward/{k:03d}.npy", r)})
    size, stride = SIZES.get(name, (4, 3))
    image = x[0]
    if name in OCCLUSION_LAYER:
        layer, ch = OCCLUSION_LAYER[name]
        grid, attr, baseline, target = occlusion(runner, image, output, size, stride, 0.0, layer, ch)
        entry["occlusion"].append({"sample": 0, "size": size, "stride": stride, "fill": 0.0, "layer": layer, "channel": ch,
                                   "targetClass": None, "baseline": baseline, "grid": save(f"{out}/occlusion/0.grid.npy", grid),
                                   "attribution": save(f"{out}/occlusion/0.attribution.npy", attr)})
    grid, attr, baseline, target = occlusion(runner, image, output, size, stride, 0.5)
    entry["occlusion"].append({"sample": 0, "size": size, "stride": stride, "fill": 0.5, "targetClass": target,
                               "baseline": baseline, "grid": save(f"{out}/occlusion/1.grid.npy", grid),
                               "attribution": save(f"{out}/occlusion/1.attribution.npy", attr)})
    default = default_grad_cam_node(graph, shapes, output)
    entry["defaultGradCam"] = default
    # (on the output node itself, d z_out / d a_out is not defined: a map output's default is checked by name only)
    for k, layer in enumerate([default, GRADCAM_OTHER[name]] if default != output else [GRADCAM_OTHER[name]]):
        cam, alpha, target = grad_cam(runner, x[1], layer, output, None)
        entry["gradcam"].append({"layer": layer, "sample": 1, "targetClass": target,
                                 "cam": save(f"{out}/gradcam/{k}.cam.npy", cam), "weights": save(f"{out}/gradcam/{k}.weights.npy", alpha)})
    print(f"{out:28s} {len(graph.nodes):3d} nodes, {len(entry['backward'])} backward, classes {entry['classes']}")
    return entry


def uses_config(path, text):
    with h5py.File(path, "r") as f:
        return text in attr_str(f.attrs["model_config"])


def main():
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    names = ["resnet_tiny", "resnet_tiny_channels_first", "mobilenet_v2_tiny", "mobilenet_v3_tiny", "inception_tiny",
             "unet_tiny", "convnext_tiny", "convnext_tiny_conv1x1", "transfer_sequential", "transfer_functional", "shared_layer", "multi_output",
             "merges_separable", "activations", "preprocessing"]
    for n in names:
        shutil.rmtree(os.path.join(HERE, n), ignore_errors=True)
    manifest = {"fixtures": {}}
    for n in names:
        entry = fixture(n)
        # Keras 3 redefined hard_sigmoid (relu6(x + 3) / 6): a Keras 3 file of the same model computes other numbers.
        if uses_config(os.path.join(FIXTURES, n + ".h5"), '"activation": "hard_sigmoid"'):
            entry["keras3"] = fixture(n, "keras3")
        # TensorFlow.js resizes bilinearly without half-pixel centres (its resizeBilinear's default)
        if uses_config(os.path.join(FIXTURES, n + ".h5"), '"interpolation": "bilinear"'):
            entry["tfjs"] = fixture(n, "tfjs")
        manifest["fixtures"][n] = entry
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
