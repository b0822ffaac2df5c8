"""Writes the kernel golden cases: test/golden/kernels/*.npy and cases.json.

Run with /usr/bin/python3 (numpy + torch 1.13). References are computed by PyTorch in
float64 from float32 inputs, independently of convscope's code; test/golden-kernels.test.ts
replays every case on every kernel set. Deterministic and rerunnable: the folder is
rewritten from scratch, and the files are committed, never edited by hand.
"""
import json
import os
import re
import shutil
import zlib

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
cases = []


def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "_", name.replace("->", "to")).strip("_")


def save(prefix, role, array):
    dtype = "<i4" if np.issubdtype(np.asarray(array).dtype, np.integer) else "<f4"
    filename = f"{slug(prefix)}.{role}.npy"
    assert not os.path.exists(os.path.join(OUT, filename)), filename
    np.save(os.path.join(OUT, filename), np.ascontiguousarray(array, dtype=dtype))
    return filename


def add_case(name, op, params, inputs, outputs):
    """inputs/outputs map a name to an array, or to the file of an array shared with another case."""
    assert all(c["name"] != name for c in cases), name
    files = lambda d: {k: v if isinstance(v, str) else save(name, k, v) for k, v in d.items()}
    cases.append({"name": name, "op": op, "params": params, "inputs": files(inputs), "outputs": files(outputs)})


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def randn(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def out(t):
    return t.detach().numpy().astype(np.float32)


def same_padding(size, k, stride, dilation=1):
    """Keras/TensorFlow 'same': the odd extra row or column goes at the end."""
    out_size = -(-size // stride)
    total = max((out_size - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def padding_of(mode, h, w, kh, kw, stride, dilation=(1, 1)):
    if mode == "valid":
        return {"top": 0, "bottom": 0, "left": 0, "right": 0}
    if mode == "same":
        top, bottom = same_padding(h, kh, stride[0], dilation[0])
        left, right = same_padding(w, kw, stride[1], dilation[1])
        return {"top": top, "bottom": bottom, "left": left, "right": right}
    top, bottom, left, right = mode
    return {"top": top, "bottom": bottom, "left": left, "right": right}


def torch_pad(p):
    return (p["left"], p["right"], p["top"], p["bottom"])


def unbatcher(n):
    """Single-image cases are stored as (C,H,W), so that the ops' unbatched path is covered too."""
    return (lambda a: a[0]) if n == 1 else (lambda a: a)


def window_label(kh, kw, stride, mode, dilation=(1, 1)):
    parts = [f"{kh}x{kw}", f"s{stride[0]}" if stride[0] == stride[1] else f"s{stride[0]}x{stride[1]}"]
    if dilation != (1, 1):
        parts.append(f"d{dilation[0]}" if dilation[0] == dilation[1] else f"d{dilation[0]}x{dilation[1]}")
    parts.append(mode if isinstance(mode, str) else "pad " + ",".join(map(str, mode)))
    return " ".join(parts)


# ---- convolution -------------------------------------------------------------------------

# (n, cin, cout, h, w, kh, kw, stride, dilation, padding, bias)
CONVS = [
    (1, 5, 3, 6, 7, 1, 1, (1, 1), (1, 1), "valid", True),
    (2, 3, 7, 9, 11, 3, 3, (1, 1), (1, 1), "same", True),
    (1, 4, 5, 8, 8, 3, 3, (2, 2), (1, 1), "same", True),  # pads top 0, bottom 1
    (1, 3, 7, 9, 11, 5, 5, (2, 2), (1, 1), "same", True),
    (1, 2, 6, 13, 14, 7, 7, (3, 3), (1, 1), "valid", True),  # last column never read
    (1, 3, 15, 15, 13, 7, 7, (2, 2), (1, 1), "same", True),
    (1, 3, 4, 5, 6, 2, 2, (1, 1), (1, 1), "same", False),  # even kernel: pads top 0, bottom 1
    (1, 3, 2, 6, 5, 4, 4, (2, 2), (1, 1), "same", True),
    (1, 5, 3, 10, 9, 3, 3, (1, 1), (2, 2), "same", True),
    (1, 3, 5, 11, 10, 5, 5, (3, 2), (2, 1), "valid", True),
    (1, 3, 5, 7, 10, 3, 5, (1, 2), (1, 1), (1, 2, 0, 3), True),
    (2, 17, 6, 7, 9, 3, 3, (2, 2), (1, 1), "same", True),
    (1, 8, 16, 12, 12, 3, 3, (1, 1), (1, 1), "same", True),
    (1, 4, 3, 7, 7, 1, 1, (2, 2), (1, 1), "valid", True),  # stride > kernel: gaps in dx
    (2, 6, 9, 1, 1, 1, 1, (1, 1), (1, 1), "valid", True),
    (1, 2, 3, 1, 1, 3, 3, (1, 1), (1, 1), "same", True),
    (1, 1, 1, 3, 3, 3, 3, (1, 1), (1, 1), "valid", False),
    # the Winograd path (3x3, stride 1, 8+ channels in and out): odd sizes, batch, asymmetric
    # padding, a padding of 3 (its adjoint takes the direct path), K past one GEMM block
    (2, 16, 24, 13, 11, 3, 3, (1, 1), (1, 1), "same", True),
    (1, 12, 9, 20, 37, 3, 3, (1, 1), (1, 1), "valid", True),
    (1, 10, 8, 9, 18, 3, 3, (1, 1), (1, 1), (2, 0, 2, 1), True),
    (1, 8, 8, 7, 7, 3, 3, (1, 1), (1, 1), (3, 3, 3, 3), False),
    (1, 330, 12, 6, 9, 3, 3, (1, 1), (1, 1), "same", True),
    (1, 40, 36, 30, 29, 3, 3, (1, 1), (1, 1), "same", True),
]


def conv_cases():
    for n, cin, cout, h, w, kh, kw, stride, dilation, mode, bias in CONVS:
        pad = padding_of(mode, h, w, kh, kw, stride, dilation)
        shape = f"{window_label(kh, kw, stride, mode, dilation)} {cin}->{cout} {h}x{w}"
        shape += f" n{n}" if n > 1 else ""
        shape += "" if bias else " nobias"
        params = {"stride": list(stride), "dilation": list(dilation), "padding": pad}
        if isinstance(mode, str):
            params["keras"] = mode
        rng = rng_for(shape)
        x = randn(rng, n, cin, h, w)
        weight = randn(rng, cout, cin, kh, kw, scale=1 / np.sqrt(cin * kh * kw))
        b = randn(rng, cout)

        x64 = t64(x).requires_grad_()
        w64 = t64(weight).requires_grad_()
        b64 = t64(b).requires_grad_()
        y = F.conv2d(F.pad(x64, torch_pad(pad)), w64, b64 if bias else None, stride=stride, dilation=dilation)
        dy = randn(rng, *y.shape)
        dx, dw, db = torch.autograd.grad((y * t64(dy)).sum(), [x64, w64, b64], allow_unused=True)
        db = db if db is not None else t64(dy).sum(dim=(0, 2, 3))

        unbatch = unbatcher(n)
        arrays = {"x": unbatch(x), "weight": weight, "dy": unbatch(dy), **({"bias": b} if bias else {})}
        shared = {k: save(f"conv {shape}", k, v) for k, v in arrays.items()}
        add_case(f"conv2d {shape}", "conv2d", params,
                 {k: shared[k] for k in ("x", "weight", "bias") if k in shared}, {"y": unbatch(out(y))})
        add_case(f"conv2dBackwardData {shape}", "conv2dBackwardData", {**params, "inputHW": [h, w]},
                 {"dy": shared["dy"], "weight": shared["weight"]}, {"dx": unbatch(out(dx))})
        add_case(f"conv2dBackwardFilter {shape}", "conv2dBackwardFilter", {**params, "kernelHW": [kh, kw]},
                 {"x": shared["x"], "dy": shared["dy"]}, {"dw": out(dw), "db": out(db)})


# ---- pooling -----------------------------------------------------------------------------

def fill(rng, kind, shape):
    if kind == "randn":
        return randn(rng, *shape)
    if kind == "zeros":
        return np.zeros(shape, np.float32)
    if kind == "const":
        return np.full(shape, 0.75, np.float32)
    if kind == "ints":  # many ties
        return rng.integers(0, 3, shape).astype(np.float32)
    if kind == "negative":  # padding must never win, so it cannot be zero
        return -np.abs(randn(rng, *shape)) - 1
    if kind == "relu":  # windows of zeros
        return np.maximum(randn(rng, *shape), 0)
    raise ValueError(kind)


# (n, c, h, w, kh, kw, stride, padding, fill)
MAX_POOLS = [
    (2, 3, 6, 6, 2, 2, (2, 2), "valid", "randn"),
    (1, 5, 7, 9, 3, 3, (2, 2), "valid", "randn"),
    (1, 3, 5, 5, 2, 2, (2, 2), "same", "randn"),
    (1, 2, 6, 5, 3, 3, (1, 1), "same", "randn"),
    (1, 3, 7, 8, 3, 3, (2, 2), "same", "negative"),
    (1, 2, 6, 6, 2, 2, (2, 2), "valid", "zeros"),
    (1, 2, 7, 7, 3, 3, (2, 2), "same", "const"),
    # wide enough for the SIMD 2x2 stride-2 path (four windows at a time) plus a remainder
    (1, 2, 6, 19, 2, 2, (2, 2), "valid", "zeros"),
    (2, 3, 8, 18, 2, 2, (2, 2), "valid", "ints"),
    (2, 3, 8, 7, 3, 3, (2, 2), "valid", "ints"),
    (1, 3, 9, 8, 3, 3, (1, 1), "same", "ints"),
    (1, 4, 6, 9, 2, 3, (1, 2), "same", "relu"),
    (1, 3, 1, 1, 2, 2, (2, 2), "same", "randn"),
    (1, 5, 9, 9, 3, 3, (3, 3), "valid", "randn"),
    (1, 17, 5, 6, 2, 2, (2, 2), "same", "relu"),
]

AVG_POOLS = [
    (2, 3, 6, 6, 2, 2, (2, 2), "valid", "randn"),
    (1, 5, 7, 9, 3, 3, (2, 2), "valid", "randn"),
    (1, 3, 5, 5, 2, 2, (2, 2), "same", "randn"),
    (1, 2, 6, 5, 3, 3, (1, 1), "same", "randn"),
    (1, 3, 7, 8, 3, 3, (2, 2), "same", "randn"),
    (1, 4, 6, 9, 2, 3, (1, 2), "same", "randn"),
    (1, 3, 1, 1, 2, 2, (2, 2), "same", "randn"),
    (1, 6, 10, 10, 5, 5, (1, 1), "same", "randn"),
    (1, 17, 5, 6, 2, 2, (2, 2), "same", "randn"),
]


def pool_setup(spec):
    n, c, h, w, kh, kw, stride, mode, kind = spec
    pad = padding_of(mode, h, w, kh, kw, stride)
    shape = f"{window_label(kh, kw, stride, mode)} c{c} {h}x{w}" + (f" n{n}" if n > 1 else "")
    shape += "" if kind == "randn" else f" {kind}"
    params = {"kernel": [kh, kw], "stride": list(stride), "padding": pad}
    if isinstance(mode, str):
        params["keras"] = mode
    return shape, params, pad


def first_max_switches(x, kernel, stride, pad, oh, ow):
    """The switch rule we want, by plain loops: first maximum in row-major order."""
    n, c, h, w = x.shape
    switches = np.zeros((n, c, oh, ow), np.int64)
    for p in np.ndindex(n, c, oh, ow):
        best, where = None, -1
        for di in range(kernel[0]):
            for dj in range(kernel[1]):
                r = p[2] * stride[0] - pad["top"] + di
                q = p[3] * stride[1] - pad["left"] + dj
                if 0 <= r < h and 0 <= q < w and (best is None or x[p[0], p[1], r, q] > best):
                    best, where = x[p[0], p[1], r, q], r * w + q
        switches[p] = where
    return switches


def max_pool_cases():
    for spec in MAX_POOLS:
        shape, params, pad = pool_setup(spec)
        n, c, h, w = spec[:4]
        rng = rng_for(shape)
        x = fill(rng, spec[8], (n, c, h, w))
        x64 = t64(x).requires_grad_()
        padded = F.pad(x64, torch_pad(pad), value=-np.inf)
        y, idx = F.max_pool2d(padded, params["kernel"], params["stride"], return_indices=True)
        wp = w + pad["left"] + pad["right"]
        rows, cols = idx // wp - pad["top"], idx % wp - pad["left"]
        assert ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).all()
        switches = (rows * w + cols).numpy()
        expected = first_max_switches(x, params["kernel"], params["stride"], pad, y.shape[2], y.shape[3])
        assert (switches == expected).all(), f"PyTorch's tie rule differs from first-in-row-major in {shape}"

        r = randn(rng, *y.shape)
        (dx,) = torch.autograd.grad(y, x64, t64(r))
        scattered = np.zeros((n * c, h * w))
        for plane in range(n * c):
            np.add.at(scattered[plane], switches.reshape(n * c, -1)[plane], r.reshape(n * c, -1)[plane])
        assert np.allclose(scattered.reshape(x.shape), dx.numpy())

        unbatch = unbatcher(n)
        switches_file = save(f"maxPool2d {shape}", "switches", unbatch(switches))
        add_case(f"maxPool2d {shape}", "maxPool2d", params, {"x": unbatch(x)}, {"y": unbatch(out(y)), "switches": switches_file})
        add_case(f"maxUnpool2d {shape}", "maxUnpool2d", {**params, "inputShape": list(unbatch(x).shape)},
                 {"r": unbatch(r), "switches": switches_file}, {"dx": unbatch(out(dx))})


def avg_pool_cases():
    for spec in AVG_POOLS:
        shape, params, pad = pool_setup(spec)
        n, c, h, w = spec[:4]
        rng = rng_for(shape)
        x = fill(rng, spec[8], (n, c, h, w))
        x64 = t64(x).requires_grad_()
        window = (params["kernel"], params["stride"])
        counts = F.avg_pool2d(F.pad(torch.ones_like(x64), torch_pad(pad)), *window)
        y = F.avg_pool2d(F.pad(x64, torch_pad(pad)), *window) / counts
        dy = randn(rng, *y.shape)
        (dx,) = torch.autograd.grad(y, x64, t64(dy))
        unbatch = unbatcher(n)
        add_case(f"avgPool2d {shape}", "avgPool2d", params, {"x": unbatch(x)}, {"y": unbatch(out(y))})
        add_case(f"avgPool2dBackward {shape}", "avgPool2dBackward", {**params, "inputShape": list(unbatch(x).shape)},
                 {"dy": unbatch(dy)}, {"dx": unbatch(out(dx))})


# ---- matmul ------------------------------------------------------------------------------

# (m, n, k, transA, transB, bias axis or None)
MATMULS = [(5, 7, 3, ta, tb, axis) for ta in (False, True) for tb in (False, True) for axis in (None, "row", "col")]
MATMULS += [
    (1, 10, 9, False, False, "col"),
    (13, 6, 17, True, False, "row"),
    (4, 8, 16, False, False, None),
    (9, 1, 1, False, True, "col"),
    (1, 1, 1, True, True, "row"),
    (33, 17, 65, True, True, "col"),
    (16, 24, 31, False, True, "col"),
]


def matmul_cases():
    for m, n, k, ta, tb, axis in MATMULS:
        name = f"matmul M{m} N{n} K{k}" + (" A^T" if ta else "") + (" B^T" if tb else "") + (f" +bias {axis}" if axis else "")
        rng = rng_for(name)
        a = randn(rng, *((k, m) if ta else (m, k)))
        b = randn(rng, *((n, k) if tb else (k, n)))
        c = (t64(a).T if ta else t64(a)) @ (t64(b).T if tb else t64(b))
        inputs = {"a": a, "b": b}
        if axis:
            bias = randn(rng, m if axis == "row" else n)
            c = c + (t64(bias)[:, None] if axis == "row" else t64(bias)[None, :])
            inputs["bias"] = bias
        add_case(name, "matmul", {"transA": ta, "transB": tb, "biasAxis": axis or "col"}, inputs, {"c": out(c)})


# ---- element-wise, softmax, channel affine -----------------------------------------------

SHAPES = [(37,), (2, 3, 5, 7)]


def with_zeros(rng, a):
    a = a.copy()
    a.flat[rng.choice(a.size, a.size // 5, replace=False)] = 0
    return a


def label(shape):
    return "x".join(map(str, shape))


def eltwise_cases():
    for shape in SHAPES:
        tag = label(shape)
        rng = rng_for(tag)
        x = with_zeros(rng, randn(rng, *shape, scale=3))
        add_case(f"relu {tag}", "relu", {}, {"x": x}, {"y": out(F.relu(t64(x)))})

        r, z = with_zeros(rng, randn(rng, *shape)), with_zeros(rng, randn(rng, *shape))
        z64 = t64(z).requires_grad_()
        (salinet,) = torch.autograd.grad(F.relu(z64), z64, t64(r))
        (guided,) = torch.autograd.grad(F.relu(z64), z64, F.relu(t64(r)))
        for rule, ref in (("salinet", salinet), ("deconvnet", F.relu(t64(r))), ("guided", guided)):
            add_case(f"reluBackward {rule} {tag}", "reluBackward", {"rule": rule}, {"r": r, "z": z}, {"out": out(ref)})

        for fn, f in (("sigmoid", torch.sigmoid), ("tanh", torch.tanh)):
            x = randn(rng, *shape, scale=3)
            x.flat[:4] = [-50, 50, -100, 100]  # saturation must not give NaN
            add_case(f"{fn} {tag}", fn, {}, {"x": x}, {"y": out(f(t64(x)))})
            z64 = t64(randn(rng, *shape, scale=2)).requires_grad_()
            a = f(z64)
            r = randn(rng, *shape)
            (ref,) = torch.autograd.grad(a, z64, t64(r))
            add_case(f"{fn}Backward {tag}", f"{fn}Backward", {}, {"r": r, "a": out(a)}, {"out": out(ref)})

        a, b = randn(rng, *shape), randn(rng, *shape)
        add_case(f"add {tag}", "add", {}, {"a": a, "b": b}, {"out": out(t64(a) + t64(b))})
        add_case(f"mul {tag}", "mul", {}, {"a": a, "b": b}, {"out": out(t64(a) * t64(b))})
        add_case(f"scale {tag}", "scale", {"s": -0.375}, {"a": a}, {"out": out(t64(a) * -0.375)})


KERNEL_ACTIVATIONS = {
    "relu6": lambda x: F.hardtanh(x, 0.0, 6.0),
    "swish": F.silu,
    "hard_swish": F.hardswish,
    "gelu": lambda x: F.gelu(x, approximate="none"),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
}


def activation_cases():
    """The activations with kernels of their own: forward, and the backward by autograd (relu6 by each rule)."""
    for shape in SHAPES:
        tag = label(shape)
        for fn, f in KERNEL_ACTIVATIONS.items():
            rng = rng_for(f"{fn} {tag}")
            x = randn(rng, *shape, scale=4)
            x.flat[:8] = [-100, 100, -30, 30, -3.5, 6.5, -8, 9]  # saturation must not give NaN
            add_case(f"activation {fn} {tag}", "activation", {"fn": fn}, {"x": x}, {"y": out(f(t64(x)))})
            z = randn(rng, *shape, scale=4)
            z.flat[:4] = [-40, 40, -9, 9]
            r = randn(rng, *shape)
            z64 = t64(z).requires_grad_()
            (salinet,) = torch.autograd.grad(f(z64), z64, t64(r))
            if fn != "relu6":
                add_case(f"activationBackward {fn} {tag}", "activationBackward", {"fn": fn, "rule": "salinet"}, {"r": r, "z": z}, {"out": out(salinet)})
                continue
            (guided,) = torch.autograd.grad(f(z64), z64, F.relu(t64(r)))
            for rule, ref in (("salinet", salinet), ("deconvnet", F.relu(t64(r))), ("guided", guided)):
                add_case(f"activationBackward relu6 {rule} {tag}", "activationBackward", {"fn": fn, "rule": rule}, {"r": r, "z": z}, {"out": out(ref)})


def softmax_cases():
    for shape, offset in (((3, 10), 0), ((1, 1), 0), ((2, 3, 7), 0), ((4, 33), 1000), ((5, 1), 0), ((2, 64), -500)):
        name = f"softmax {label(shape)}" + (f" {offset:+d}" if offset else "")
        x = randn(rng_for(name), *shape, scale=4) + np.float32(offset)
        add_case(name, "softmax", {}, {"x": x}, {"y": out(F.softmax(t64(x), dim=-1))})


def channel_affine_cases():
    # (shape, channel axis, eps): BatchNorm after a conv (N,C,H,W) and (C,H,W), and after a Dense (N,C)
    for shape, axis, eps in (((2, 5, 3, 7), 1, 1e-3), ((5, 4, 3), 0, 1e-3), ((3, 6), 1, 1e-5), ((1, 17, 1, 1), 1, 1e-3)):
        name = f"channelAffine batchnorm {label(shape)} axis{axis}"
        rng = rng_for(name)
        c = shape[axis]
        x = randn(rng, *shape, scale=2)
        gamma, beta, mean = randn(rng, c), randn(rng, c), randn(rng, c)
        var = rng.uniform(0.1, 2, c).astype(np.float32)
        x64 = t64(x) if axis == 1 else t64(x)[None]
        y = F.batch_norm(x64, t64(mean), t64(var), t64(gamma), t64(beta), training=False, eps=eps)
        y = y if axis == 1 else y[0]
        add_case(name, "channelAffine", {"channelAxis": axis, "eps": eps},
                 {"x": x, "gamma": gamma, "beta": beta, "mean": mean, "var": var}, {"y": out(y)})


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    conv_cases()
    max_pool_cases()
    avg_pool_cases()
    matmul_cases()
    eltwise_cases()
    activation_cases()
    softmax_cases()
    channel_affine_cases()
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        f.write('{\n"generator": "test/golden/generate.py",\n')
        f.write(f'"torch": "{torch.__version__}",\n"cases": [\n')
        f.write(",\n".join(json.dumps(c) for c in cases))
        f.write("\n]\n}\n")
    print(f"{len(cases)} cases in {OUT}")


if __name__ == "__main__":
    main()
