"""PyTorch references for test/activations.test.ts: every activation, the activation layers, and
the backward nets through them.

Run with /usr/bin/python3 (torch, h5py, numpy) from anywhere; rerunnable and deterministic. The
folder is rewritten from scratch; the files are committed and never edited by hand.

What is computed (SEMANTICS.md, independently of convscope; float64 from float32 inputs):
  eltwise/<name>.*.npy   for each engine activation: y = f(x); for a signal r at z: SaliNet
                         r * f'(z) by autograd; DeconvNet max(r, 0) for a ReLU-like one (relu,
                         relu6), r for the others; guided autograd of max(r, 0) for a ReLU-like
                         one, SaliNet's for the others.
  <model>/               each fixture of test/fixtures/models/make_activation_models.py, read
                         with h5py and rebuilt in PyTorch from Keras's definitions (the ReLU
                         layer as Keras's relu() computes it, PReLU as relu(x) - alpha*relu(-x)),
                         run in the model's own layout: every node's output (and a fused
                         activation's input) channels-first, and the backward nets from several
                         nodes. SaliNet is plain autograd of sum(S * a_L); DeconvNet and guided
                         replace the ReLU-like nodes' backward by the rule, and under DeconvNet the
                         other element-wise nodes pass the signal through (a straight-through
                         function); a Softmax layer keeps its Jacobian under every rule.
                         A "variant" re-runs a model with activations a spec can name but a Keras
                         2 file cannot (Keras 3's hard_sigmoid, gelu's tanh approximation).
  manifest.json          what the files are: {eltwise: [...], models: {...}}.
"""
import json
import os
import shutil
import zlib

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "models")
METHODS = ("deconvnet", "salinet", "guided")

ACTIVATIONS = {
    "relu": F.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu6": lambda x: F.hardtanh(x, 0.0, 6.0),
    "swish": F.silu,
    "hard_swish": F.hardswish,
    "gelu": lambda x: F.gelu(x, approximate="none"),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "elu": F.elu,
    "selu": F.selu,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "hard_sigmoid_keras2": lambda x: torch.clamp(0.2 * x + 0.5, 0.0, 1.0),
    "hard_sigmoid_keras3": F.hardsigmoid,
    "exponential": torch.exp,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
}
RELU_LIKE = ("relu", "relu6")


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def f32(t):
    return t.detach().numpy().astype(np.float32)


def save(folder, name, array):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    np.save(os.path.join(HERE, folder, name), np.ascontiguousarray(array, dtype="<f4"))
    return f"{folder}/{name}"


def grad(f, z, r):
    z = z.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(z), z, r)
    return g


def eltwise_cases():
    cases = []
    for name, f in ACTIVATIONS.items():
        rng = rng_for(name)
        x = (rng.standard_normal(61) * 3).astype(np.float32)
        x[:6] = [-40, 40, -7.5, 7.5, -0.01, 0.01]  # saturation, and both sides of 0
        if name == "exponential":
            x = np.clip(x, -20, 8)
        z = (rng.standard_normal(61) * 3).astype(np.float32)
        r = rng.standard_normal(61).astype(np.float32)
        salinet = grad(f, t64(z), t64(r))
        relu_like = name in RELU_LIKE
        deconvnet = F.relu(t64(r)) if relu_like else t64(r)
        guided = grad(f, t64(z), F.relu(t64(r))) if relu_like else salinet
        files = {"x": x, "y": f32(f(t64(x))), "r": r, "z": z, "salinet": f32(salinet), "deconvnet": f32(deconvnet), "guided": f32(guided)}
        cases.append({"activation": name, **{k: save("eltwise", f"{name}.{k}.npy", v) for k, v in files.items()}})
    return cases


# ---- models ------------------------------------------------------------------------------


def as_str(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def read_model(path):
    """(data format, [(name, class_name, config, {short_name: float64 tensor})]) of a chain."""
    with h5py.File(path, "r") as f:
        config = json.loads(as_str(f.attrs["model_config"]))
        entries = config["config"]["layers"]
        group = f["model_weights"]
        layers = []
        for entry in entries:
            name = entry["config"]["name"]
            weights = {}
            for full in group[name].attrs["weight_names"] if name in group else []:
                full = as_str(full)
                weights[full.split("/")[-1].split(":")[0]] = t64(np.array(group[name][full]))
            layers.append((name, entry["class_name"], entry["config"], weights))
    fmt = next(c["data_format"] for _, cls, c, _ in layers if cls == "Conv2D")
    return fmt, layers


def keras_activation(name, keras3=False, gelu_tanh=False):
    if name == "hard_sigmoid":
        return ACTIVATIONS["hard_sigmoid_keras3" if keras3 else "hard_sigmoid_keras2"]
    if name == "gelu":
        return ACTIVATIONS["gelu_tanh" if gelu_tanh else "gelu"]
    return (lambda x: x) if name == "linear" else ACTIVATIONS[name]


def keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """keras/src/activations/activations.py ReLU.static_call (Keras 2's backend.relu is the same)."""
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return F.leaky_relu(x, negative_slope)
        negative_part = F.relu(-x + threshold) if threshold != 0 else F.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = x * (x > threshold).to(x.dtype)
    elif max_value == 6:
        x = F.hardtanh(x, 0.0, 6.0)
        clip_max = False
    else:
        x = F.relu(x)
    if clip_max:
        x = torch.clamp(x, 0.0, max_value)
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


class RuleFunction(torch.autograd.Function):
    """f(z) forward; backward by a backward net's rule for a ReLU-like node, f' by autograd."""

    @staticmethod
    def forward(ctx, z, f, rule):
        with torch.enable_grad():
            zz = z.detach().requires_grad_()
            (d,) = torch.autograd.grad(f(zz).sum(), zz)
        ctx.save_for_backward(d)
        ctx.rule = rule
        return f(z)

    @staticmethod
    def backward(ctx, r):
        (d,) = ctx.saved_tensors
        if ctx.rule == "deconvnet":
            return F.relu(r), None, None
        return F.relu(r) * d, None, None  # guided


def elementwise(f, z, rule, relu_like):
    """An element-wise node under a backward net's rule (None or salinet: plain autograd)."""
    if rule in (None, "salinet"):
        return f(z)
    if relu_like:
        return RuleFunction.apply(z, f, rule)
    if rule == "deconvnet":
        return z + (f(z) - z).detach()
    return f(z)


def layer_function(cls, c, w, options):
    """(f, relu_like) for an activation layer's element-wise function, or None for other layers."""
    if cls == "ReLU":
        slope, max_value, threshold = c["negative_slope"], c["max_value"], c["threshold"]
        return (lambda x: keras_relu(x, slope, max_value, threshold)), slope == 0
    if cls == "ThresholdedReLU":
        return (lambda x: x * (x > c["theta"]).to(x.dtype)), True
    if cls == "LeakyReLU":
        return (lambda x: F.leaky_relu(x, c["alpha"])), False
    if cls == "ELU":
        return (lambda x: F.elu(x, c["alpha"])), False
    if cls == "PReLU":
        return (lambda x: F.relu(x) - w["alpha"] * F.relu(-x)), False
    if cls == "Activation":
        return keras_activation(c["activation"], **options), c["activation"] in RELU_LIKE
    return None


def run(fmt, layers, x, rule=None, **options):
    """{name: (z, a)} for x (N, C, H, W), run in the model's layout."""
    if fmt == "channels_last":
        x = x.permute(0, 2, 3, 1)
    out = {}
    for name, cls, c, w in layers:
        fn = layer_function(cls, c, w, options)
        if cls == "InputLayer":
            z = x
        elif fn:
            z = x
            x = elementwise(fn[0], z, rule, fn[1])
        elif cls in ("Conv2D", "Dense"):
            z = conv(fmt, c, w, x) if cls == "Conv2D" else x @ w["kernel"] + w["bias"]
            act = c["activation"]
            x = F.softmax(z, dim=-1) if act == "softmax" else elementwise(keras_activation(act, **options), z, rule, act in RELU_LIKE)
        elif cls == "Softmax":
            z = x
            x = F.softmax(z, dim=c["axis"])
        elif cls == "Flatten":
            z = x = x.reshape(x.shape[0], -1)
        elif cls == "GlobalAveragePooling2D":
            z = x = x.mean(dim=(1, 2) if fmt == "channels_last" else (2, 3))
        else:
            raise ValueError(cls)
        out[name] = (z, x)
    return out


def conv(fmt, c, w, x):
    if fmt == "channels_last":
        x = x.permute(0, 3, 1, 2)
    k = c["kernel_size"][0]
    y = F.conv2d(x, w["kernel"].permute(3, 2, 0, 1), w["bias"], padding=k // 2 if c["padding"] == "same" else 0)
    return y.permute(0, 2, 3, 1) if fmt == "channels_last" else y


def to_engine(fmt, t):
    return t.permute(0, 3, 1, 2) if fmt == "channels_last" and t.dim() == 4 else t


def start_signal(start, channel, unit):
    """S on the node's (engine-layout) tensor: channel c kept (unit all) or its first largest value."""
    s = torch.zeros_like(start)
    for n in range(start.shape[0]):
        if start.dim() == 2:
            s[n, channel] = start[n, channel]
            continue
        plane = start[n, channel].reshape(-1)
        if unit == "all":
            s[n, channel] = start[n, channel]
        else:
            i = int(torch.argmax(plane))  # the first maximum
            s[n, channel].view(-1)[i] = plane[i]
    return s


def backward_net(fmt, layers, x, node, channel, unit, rule, **options):
    x = x.detach().requires_grad_()
    out = run(fmt, layers, x, rule=None if rule == "salinet" else rule, **options)
    cls, c = next((cls, c) for name, cls, c, _ in layers if name == node)
    on_logits = c.get("activation") == "softmax" or (cls == "Softmax" and out[node][0].dim() == 2)
    z, a = out[node]
    target = to_engine(fmt, z if on_logits else a)
    s = start_signal(target.detach(), channel, unit)
    (g,) = torch.autograd.grad((target * s).sum(), x)
    return g


MODELS = {
    "activations_channels_last": {
        "backward": [("dense_1", 2, "all"), ("conv2d_4", 3, "all"), ("re_lu_1", 1, "max"), ("p_re_lu_1", 2, "all"), ("softmax", 0, "all")],
        "variants": {"keras3": {"keras3": True, "gelu_tanh": True}},
    },
    "activations_channels_first": {
        "backward": [("softmax_2", 1, "all"), ("softmax_1", 2, "all"), ("softmax", 3, "max"), ("p_re_lu", 0, "all")],
        "variants": {},
    },
}


def model_cases(model, plan):
    path = os.path.join(FIXTURES, model + ".h5")
    fmt, layers = read_model(path)
    shape = next(c["batch_input_shape"] for _, _, c, _ in layers if "batch_input_shape" in c)[1:]
    c_h_w = [shape[2], shape[0], shape[1]] if fmt == "channels_last" else shape
    x = (rng_for(model).standard_normal([2, *c_h_w])).astype(np.float32)
    entry = {"model": os.path.relpath(path, ROOT), "input": save(model, "input.npy", x), "variants": {}}
    for variant, options in {"keras2": {}, **plan["variants"]}.items():
        folder = model if variant == "keras2" else f"{model}/{variant}"
        with torch.no_grad():
            out = run(fmt, layers, t64(x), **options)
        nodes = []
        for name, cls, c, _ in layers:
            z, a = out[name]
            node = {"name": name, "output": save(folder, f"{name}.npy", f32(to_engine(fmt, a)))}
            if cls in ("Conv2D", "Dense") and c["activation"] != "linear":
                node["preActivation"] = save(folder, f"{name}.pre.npy", f32(to_engine(fmt, z)))
            nodes.append(node)
        backward = []
        for node, channel, unit in plan["backward"]:
            for method in METHODS:
                g = backward_net(fmt, layers, t64(x), node, channel, unit, method, **options)
                backward.append({"node": node, "channel": channel, "unit": unit, "method": method,
                                 "result": save(folder, f"{method}.{node}.{channel}.{unit}.npy", f32(g))})
        entry["variants"][variant] = {"nodes": nodes, "backward": backward}
    return entry


def main():
    shutil.rmtree(HERE + "/eltwise", ignore_errors=True)
    for model in MODELS:
        shutil.rmtree(os.path.join(HERE, model), ignore_errors=True)
    manifest = {"generator": "test/golden/activations/generate.py", "torch": torch.__version__, "eltwise": eltwise_cases(),
                "models": {model: model_cases(model, plan) for model, plan in MODELS.items()}}
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"{len(manifest['eltwise'])} activations, {len(MODELS)} models in {HERE}")


if __name__ == "__main__":
    main()
