"""Writes the depthwise kernel golden cases: test/golden/depthwise/*.npy and cases.json.

Run with /usr/bin/python3 (numpy + torch). References are PyTorch's conv2d with groups=Cin, in
float64 from float32 inputs, and its autograd for the adjoint (dx) and the filter and bias
gradients (dw, db) of sum(y * dy); test/depthwise-conv2d.test.ts
replays every case on every kernel set. Shapes walk the SIMD kernel's tile edges: output widths
below, at and past 4 and 8, strides 1, 2 and 3, dilation, Keras 'same' and explicit padding,
depth multipliers 1 to 3. Deterministic: the folder is rewritten from scratch.
"""
import json
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F

from generate import padding_of, randn, rng_for, slug, t64, torch_pad, out, window_label

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "depthwise")

# (n, cin, mult, h, w, kh, kw, stride, dilation, padding, bias)
DEPTHWISE = [
    (1, 3, 1, 6, 7, 3, 3, (1, 1), (1, 1), "same", True),
    (2, 4, 1, 9, 13, 3, 3, (1, 1), (1, 1), "same", True),  # 13 wide: 8 + 4 + 1
    (1, 5, 2, 8, 8, 3, 3, (2, 2), (1, 1), "same", True),  # pads top 0, bottom 1
    (1, 3, 1, 11, 23, 3, 3, (2, 2), (1, 1), "same", True),  # stride 2: 4-wide blocks and a remainder
    (1, 2, 3, 10, 9, 3, 3, (1, 1), (1, 1), "valid", False),
    (1, 3, 1, 12, 17, 5, 5, (1, 1), (1, 1), "same", True),
    (1, 2, 1, 14, 21, 7, 7, (1, 1), (1, 1), "same", True),  # ConvNeXt's 7x7
    (1, 4, 2, 13, 19, 5, 5, (2, 2), (1, 1), "same", True),
    (1, 3, 1, 11, 12, 3, 3, (1, 1), (2, 2), "same", True),
    (1, 2, 2, 15, 16, 3, 3, (1, 1), (3, 2), "valid", True),
    (1, 3, 1, 10, 14, 3, 3, (3, 3), (1, 1), "same", True),  # stride 3: scalar everywhere
    (1, 2, 1, 9, 11, 3, 5, (2, 1), (1, 1), "same", True),  # stride (2, 1): the scatter with SIMD columns
    (1, 3, 1, 7, 10, 3, 3, (1, 2), (1, 1), (1, 2, 0, 3), True),
    (1, 2, 1, 6, 9, 3, 3, (1, 1), (1, 1), (4, 0, 3, 5), True),  # padding past k-1: the flipped padding is negative
    (1, 4, 1, 1, 1, 3, 3, (1, 1), (1, 1), "same", True),
    (1, 3, 2, 2, 3, 3, 3, (2, 2), (1, 1), "same", True),
    (2, 6, 1, 5, 4, 1, 1, (1, 1), (1, 1), "valid", True),
    (1, 2, 1, 7, 7, 2, 2, (1, 1), (1, 1), "same", False),  # even kernel: the extra padding at the end
    (1, 16, 1, 28, 28, 3, 3, (2, 2), (1, 1), "same", True),
    (1, 8, 1, 14, 14, 3, 3, (1, 1), (1, 1), "same", True),
]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    cases = []

    def save(prefix, role, array):
        filename = f"{slug(prefix)}.{role}.npy"
        assert not os.path.exists(os.path.join(OUT, filename)), filename
        np.save(os.path.join(OUT, filename), np.ascontiguousarray(array, dtype="<f4"))
        return filename

    for n, cin, mult, h, w, kh, kw, stride, dilation, mode, bias in DEPTHWISE:
        pad = padding_of(mode, h, w, kh, kw, stride, dilation)
        shape = f"{window_label(kh, kw, stride, mode, dilation)} c{cin}x{mult} {h}x{w}"
        shape += f" n{n}" if n > 1 else ""
        shape += "" if bias else " nobias"
        rng = rng_for("depthwise " + shape)
        x = randn(rng, n, cin, h, w)
        weight = randn(rng, cin * mult, 1, kh, kw, scale=1 / np.sqrt(kh * kw))
        b = randn(rng, cin * mult)
        x64 = t64(x).requires_grad_()
        w64 = t64(weight).requires_grad_()
        b64 = t64(b).requires_grad_()
        y = F.conv2d(F.pad(x64, torch_pad(pad)), w64, b64 if bias else None, stride=stride, dilation=dilation, groups=cin)
        dy = randn(rng, *y.shape)
        dx, dw = torch.autograd.grad((y * t64(dy)).sum(), [x64, w64], retain_graph=True)
        # db is the same whether or not the forward had a bias: every case gets one
        (db,) = torch.autograd.grad((F.conv2d(F.pad(x64, torch_pad(pad)), w64, b64, stride=stride, dilation=dilation, groups=cin) * t64(dy)).sum(), [b64])
        unbatch = (lambda a: a[0]) if n == 1 else (lambda a: a)
        params = {"stride": list(stride), "dilation": list(dilation), "padding": pad, "cin": cin, "inputHW": [h, w]}
        if isinstance(mode, str):
            params["keras"] = mode
        files = {"x": save(shape, "x", unbatch(x)), "weight": save(shape, "weight", weight), "dy": save(shape, "dy", unbatch(dy))}
        if bias:
            files["bias"] = save(shape, "bias", b)
        cases.append({"name": shape, "params": params, "inputs": files,
                      "outputs": {"y": save(shape, "y", unbatch(out(y))), "dx": save(shape, "dx", unbatch(out(dx))),
                                  "dw": save(shape, "dw", out(dw)), "db": save(shape, "db", out(db))}})

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "test/golden/generate_depthwise.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} depthwise cases in {OUT}")


if __name__ == "__main__":
    main()
