"""PyTorch references for the conv family fixtures (test/fixtures/models/make_conv_family.py).

Run with /usr/bin/python3 (torch, h5py, numpy). Reads each .h5 as Keras wrote it (model_config
and the weights in Keras layouts) and runs the model in PyTorch, float64, channels-first:
DepthwiseConv2D as conv2d with groups=Cin, SeparableConv2D as that then a 1x1 conv,
Conv2DTranspose as conv_transpose2d cropped as TensorFlow's conv2d_transpose does (and checked
against the gradient of the padded conv2d, which is how TensorFlow defines it). Writes, per
model, every node's output and pre-activation, and the DeconvNet, SaliNet and DeSaliNet
projections from several nodes (ReLU's backward replaced per SEMANTICS.md; SaliNet is also
checked to equal plain autograd). Files are never edited by hand.
"""
import json
import os
import shutil

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "models")
MODELS = ["conv_family_channels_last", "conv_family_channels_first"]
METHODS = ["deconvnet", "salinet", "desalinet"]
RULE = ["plain"]  # the backward rule the activations below apply; "plain" is torch's own autograd


class Relu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        on = (z > 0).to(g.dtype)
        rule = RULE[0]
        if rule == "deconvnet":
            return g.clamp(min=0)
        if rule == "desalinet":
            return g.clamp(min=0) * on
        return g * on


class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        a = torch.sigmoid(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g if RULE[0] == "deconvnet" else g * a * (1 - a)


def activate(name, z):
    if name == "linear":
        return z
    if RULE[0] == "plain":
        return {"relu": F.relu, "sigmoid": torch.sigmoid, "softmax": lambda t: F.softmax(t, dim=1)}[name](z)
    if name == "softmax":
        return F.softmax(z, dim=1)
    return {"relu": Relu.apply, "sigmoid": Sigmoid.apply}[name](z)


def same_pad(size, k, stride, dilation):
    """TensorFlow's SAME: out = ceil(in / stride), the odd extra padding after."""
    extent = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def pads(cfg, h, w, kh, kw):
    if cfg["padding"] == "valid":
        return (0, 0, 0, 0)
    (s0, s1), (d0, d1) = cfg["strides"], cfg["dilation_rate"]
    top, bottom = same_pad(h, kh, s0, d0)
    left, right = same_pad(w, kw, s1, d1)
    return (left, right, top, bottom)


def conv(x, weight, bias, cfg, groups=1):
    kh, kw = weight.shape[2:]
    x = F.pad(x, pads(cfg, x.shape[2], x.shape[3], kh, kw))
    return F.conv2d(x, weight, bias, stride=cfg["strides"], dilation=cfg["dilation_rate"], groups=groups)


def depthwise_weight(k):
    kh, kw, cin, mult = k.shape
    return k.permute(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)  # channel ci*M + m, as TensorFlow orders them


def deconv_length(size, k, padding, output_padding, stride, dilation):
    """keras/src/utils/conv_utils.py deconv_output_length."""
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return size * stride + max(k - stride, 0) if padding == "valid" else size * stride
    pad = k // 2 if padding == "same" else 0
    return (size - 1) * stride + k - 2 * pad + output_padding


def conv_transpose(x, kernel, bias, cfg):
    """TensorFlow's conv2d_transpose: the gradient of a conv2d of an output-sized map (padding as that conv's)."""
    kh, kw, cout, cin = kernel.shape
    weight = kernel.permute(3, 2, 0, 1)  # (Cin, Cout, KH, KW): conv_transpose2d's layout
    op = cfg.get("output_padding") or [None, None]
    oh = deconv_length(x.shape[2], kh, cfg["padding"], op[0], cfg["strides"][0], cfg["dilation_rate"][0])
    ow = deconv_length(x.shape[3], kw, cfg["padding"], op[1], cfg["strides"][1], cfg["dilation_rate"][1])
    left, _, top, _ = pads(cfg, oh, ow, kh, kw)
    full = F.conv_transpose2d(x, weight, None, stride=cfg["strides"], dilation=cfg["dilation_rate"])
    full = F.pad(full, (0, max(0, left + ow - full.shape[3]), 0, max(0, top + oh - full.shape[2])))
    y = full[:, :, top:top + oh, left:left + ow]
    # the same thing by TensorFlow's definition, as a check of the crop above
    with torch.enable_grad():
        z = torch.zeros(x.shape[0], cout, oh, ow, dtype=x.dtype, requires_grad=True)
        (g,) = torch.autograd.grad(conv(z, weight, None, cfg), z, grad_outputs=x.detach())
    assert torch.allclose(g, y.detach(), atol=1e-9), "conv_transpose2d crop disagrees with the conv2d gradient"
    return y if bias is None else y + bias.view(1, -1, 1, 1)


def load(path):
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        weights = {}
        for layer in config["config"]["layers"]:
            name = layer["config"]["name"]
            group = f["model_weights"][name]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            weights[name] = {n.split("/")[-1].split(":")[0]: torch.from_numpy(np.asarray(group[n], dtype=np.float64)) for n in names}
    return config["config"]["layers"], weights


def run(layers, weights, x):
    """Every node's (z, a), in order; x is (N, C, H, W) whatever the model's data format."""
    records = {}
    for layer in layers:
        cls, cfg, name = layer["class_name"], layer["config"], layer["config"]["name"]
        w = weights[name]
        act = cfg.get("activation", "linear")
        if cls == "InputLayer":
            z = x
        elif cls == "Conv2D":
            z = conv(x, w["kernel"].permute(3, 2, 0, 1), w.get("bias"), cfg)
        elif cls == "DepthwiseConv2D":
            z = conv(x, depthwise_weight(w["depthwise_kernel"]), w.get("bias"), cfg, groups=x.shape[1])
        elif cls == "SeparableConv2D":
            d = conv(x, depthwise_weight(w["depthwise_kernel"]), None, cfg, groups=x.shape[1])
            z = F.conv2d(d, w["pointwise_kernel"].permute(3, 2, 0, 1), w.get("bias"))
        elif cls == "Conv2DTranspose":
            z = conv_transpose(x, w["kernel"], w.get("bias"), cfg)
        elif cls == "GlobalAveragePooling2D":
            z = x.mean(dim=(2, 3))
        elif cls == "Dense":
            z = x @ w["kernel"] + w["bias"]
        else:
            raise ValueError(cls)
        x = activate(act, z)
        records[name] = (z, x, act)
    return records


def start_signal(a, channel, unit):
    s = torch.zeros_like(a)
    if unit == "all":
        s[:, channel] = a[:, channel]
    else:
        flat = a[0, channel].detach().numpy().reshape(-1)
        i = int(np.argmax(flat))  # first maximum in row-major order
        s[0, channel].view(-1)[i] = a[0, channel].reshape(-1)[i]
    return s.detach()


def project(layers, weights, x0, node, channel, unit, method):
    RULE[0] = method
    try:
        x = x0.clone().requires_grad_()
        z, a, act = run(layers, weights, x)[node]
        target = z if act == "softmax" else a  # class saliency starts on the logits
        (g,) = torch.autograd.grad(target, x, grad_outputs=start_signal(target, channel, unit))
        return g
    finally:
        RULE[0] = "plain"


def save(folder, name, t):
    np.save(os.path.join(folder, name), np.ascontiguousarray(t.detach().numpy()[0].astype(np.float32)))
    return name


def main():
    for model in MODELS:
        folder = os.path.join(HERE, model)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        layers, weights = load(os.path.join(FIXTURES, model + ".h5"))
        rng = np.random.default_rng(7)
        x = torch.from_numpy(rng.standard_normal((1, 3, 12, 13)))
        records = run(layers, weights, x)
        manifest = {"model": f"test/fixtures/models/{model}.h5", "input": save(folder, "input.npy", x), "nodes": [], "projections": []}
        for name, (z, a, act) in records.items():
            entry = {"name": name, "output": save(folder, f"{name}.npy", a)}
            if act != "linear":
                entry["preActivation"] = save(folder, f"{name}.pre.npy", z)
            manifest["nodes"].append(entry)
        manifest["classes"] = [int(records[layers[-1]["config"]["name"]][1].argmax())]
        starts = [("block_1_depthwise", 5), ("block_2_depthwise", 3), ("block_3_sepconv", 1), ("conv2d_transpose", 2),
                  ("conv2d_transpose_1", 0), ("conv2d_transpose_2", 3), ("block_4_sepconv", 4), ("block_5_depthwise", 7),
                  ("predictions", manifest["classes"][0])]
        for node, channel in starts:
            for unit in ["all", "max"]:
                for method in METHODS:
                    r = project(layers, weights, x, node, channel, unit, method)
                    if method == "salinet":
                        # SaliNet is the plain gradient: torch's own relu and sigmoid backward
                        xg = x.clone().requires_grad_()
                        z, a, act = run(layers, weights, xg)[node]
                        target = z if act == "softmax" else a
                        (g,) = torch.autograd.grad(target, xg, grad_outputs=start_signal(target, channel, unit))
                        assert torch.allclose(g, r, atol=1e-12), (model, node, unit)
                    file = save(folder, f"{method}.{node}.c{channel}.{unit}.npy", r)
                    manifest["projections"].append({"layer": node, "channel": channel, "unit": unit, "method": method, "file": file})
        with open(os.path.join(folder, "manifest.json"), "w") as f:
            json.dump({"generator": "test/golden/conv-family/generate.py", "torch": torch.__version__, **manifest}, f, indent=1)
            f.write("\n")
        print(f"{model}: {len(manifest['nodes'])} nodes, {len(manifest['projections'])} projections, class {manifest['classes'][0]}")


if __name__ == "__main__":
    main()
