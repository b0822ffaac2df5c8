"""PyTorch references for the visualisation methods' golden tests (test/methods-golden.test.ts).

Run with /usr/bin/python3 (torch, h5py, numpy) from anywhere; rerunnable and deterministic.
The files are committed and never edited by hand.

The networks are the ones test/golden/models/generate.py rebuilds from the .h5 files with
h5py (imported from there, so both goldens share one reading of Keras's semantics). They run
in float64 in the model's own layout (NHWC for channels_last); everything written is
channels-first and float32. What is computed is SEMANTICS.md, independently of convscope:

  backward nets   the gradient of sum(S * a_L) (of z_L when L ends in softmax) with respect to
                  the input, where autograd runs through every layer as usual except the
                  activations: a ReLU's backward is the method's rule (a custom autograd
                  Function), and under DeconvNet tanh/sigmoid pass the signal through unchanged
                  (SEMANTICS.md's table; under SaliNet and guided, their derivative).
                  SaliNet is also checked against plain autograd (torch.relu) for a few cases.
  occlusion       a plain loop over the windows, one forward pass per occluded input.
  Grad-CAM        autograd of the last Dense's logit with respect to a_L.

Written to test/golden/methods/:
  <model>/input.npy            the inputs, (N, C, H, W)
  <model>/<method>/<case>.npy  the results
  manifest.json                {models: {<model>: {model, input, dataFormat, classes}},
                                backward: [...], occlusion: [...], gradcam: [...]};
                               paths of models relative to the repository root, of files to
                               this folder. A case with "sample" runs on that input alone
                               (C, H, W), otherwise on the whole batch. Channel and unit indices
                               are convscope's (a flattened map in (C, H, W) order).
"""
import importlib.util
import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

sys.dont_write_bytecode = True  # no __pycache__ in test/golden/models
_spec = importlib.util.spec_from_file_location("models_generate", os.path.join(HERE, "..", "models", "generate.py"))
mg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mg)

MODELS = {
    "mnist_model": os.path.join(ROOT, "test", "fixtures", "models", "mnist_model.h5"),
    "channels_last_model": os.path.join(ROOT, "test", "fixtures", "models", "channels_last_model.h5"),
}
METHODS = ("deconvnet", "salinet", "guided")


class BackwardRelu(torch.autograd.Function):
    """relu(z) forward; backward by a backward net's rule (SEMANTICS.md)."""

    @staticmethod
    def forward(ctx, z, rule):
        ctx.save_for_backward(z)
        ctx.rule = rule
        return z.clamp(min=0)

    @staticmethod
    def backward(ctx, r):
        (z,) = ctx.saved_tensors
        if ctx.rule == "salinet":
            return r * (z > 0).to(r.dtype), None
        if ctx.rule == "deconvnet":
            return r.clamp(min=0), None
        if ctx.rule == "guided":
            return r.clamp(min=0) * (z > 0).to(r.dtype), None
        raise ValueError(ctx.rule)


def activate(name, z, rule):
    """The activation with the backward rule of `rule` (None: plain autograd)."""
    if rule is None or name in ("linear", "softmax"):
        return mg.activation(name, z)
    if name == "relu":
        return BackwardRelu.apply(z, rule)
    if rule == "deconvnet":  # sigmoid/tanh: the value of f(z), the signal passed through as it is
        return z + (mg.activation(name, z) - z).detach()
    return mg.activation(name, z)


def run(layers, x, rule=None):
    """{name: (z, a)} for x (N, C, H, W) in the model's own layout; see `activate` for `rule`."""
    if mg.model_format(layers) == "channels_last":
        x = x.permute(0, 2, 3, 1)
    out = {}
    for name, cls, c, w in layers:
        if cls in ("Conv2D", "Dense", "Activation"):
            z = x if cls == "Activation" else mg.run_layer(cls, dict(c, activation="linear"), w, x)[0]
            x = activate(c["activation"], z, rule)
        else:
            z, _ = mg.run_layer(cls, c, w, x)
            x = z
        out[name] = (z, x)
    return out


class Layout:
    """Moves a layer's tensors between the model's layout and convscope's (channels-first maps;
    vectors, Flatten's included, are in Keras's own order in both)."""

    def __init__(self, layers, x):
        self.fmt = mg.model_format(layers)
        self.flat_order = {}

    def to_engine(self, name, t):
        if self.fmt == "channels_last" and t.dim() == 4:
            return t.permute(0, 3, 1, 2)
        if name in self.flat_order:
            return t[:, torch.from_numpy(self.flat_order[name])]
        return t

    def from_engine(self, name, t):
        if self.fmt == "channels_last" and t.dim() == 4:
            return t.permute(0, 2, 3, 1)
        if name in self.flat_order:
            out = torch.zeros_like(t)
            out[:, torch.from_numpy(self.flat_order[name])] = t
            return out
        return t


def start_signal(a, channel, unit):
    """S on a channels-first (N, C, ...) array (SEMANTICS.md)."""
    if channel is None:
        return a.copy()
    s = np.zeros_like(a)
    for b in range(len(a)):
        plane = np.asarray(a[b, channel]).ravel()
        if unit == "all":
            s[b, channel] = a[b, channel]
        else:
            best = int(np.argmax(plane))  # the first on ties
            second = np.max(np.delete(plane, best)) if plane.size > 1 else -np.inf
            assert plane[best] - second > 1e-4 * abs(plane[best]), "the largest value is too close to the next for float32"
            s[b, channel].flat[best] = plane[best]
    return s


def backward_net(layers, layout, x, layer, channel, unit, rule):
    """The backward net's result (N, C, H, W) for start layer `layer`, as a gradient."""
    xg = torch.from_numpy(x).requires_grad_(True)
    outs = run(layers, xg, rule)
    cls, c = next((cls, c) for name, cls, c, _ in layers if name == layer)
    on_logits = cls == "Dense" and c["activation"] == "softmax"
    t = outs[layer][0 if on_logits else 1]
    s = start_signal(layout.to_engine(layer, t).detach().numpy(), channel, unit)
    assert (np.abs(s).reshape(len(s), -1).max(axis=1) > 0).all(), f"{layer}: a start signal is all zeros"
    (g,) = torch.autograd.grad(t, xg, layout.from_engine(layer, torch.from_numpy(s)))
    return g.numpy()


def predict(layers, x):
    """The last layer's output and every layer's output, channels-first."""
    outs = {name: y for name, _, y, _ in mg.forward(layers, x)}
    return outs[layers[-1][0]], outs


def occlusion(layers, image, size, stride, fill, target=None, layer=None, channel=None):
    """P (ny, nx), A (H, W), the baseline and the class, by a loop over the windows."""
    _, h, w = image.shape

    def measure(img):
        probs, outs = predict(layers, img[None])
        return float(outs[layer][0, channel].sum()) if layer else float(probs[0, target])

    if layer is None and target is None:
        target = int(np.argmax(predict(layers, image[None])[0][0]))
    baseline = measure(image)
    ny, nx = -(-(h - size) // stride) + 1, -(-(w - size) // stride) + 1
    grid = np.zeros((ny, nx))
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for i in range(ny):
        for j in range(nx):
            rows, cols = slice(i * stride, min(h, i * stride + size)), slice(j * stride, min(w, j * stride + size))
            img = image.copy()
            img[:, rows, cols] = fill
            grid[i, j] = measure(img)
            total[rows, cols] += baseline - grid[i, j]
            count[rows, cols] += 1
    attribution = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return grid, attribution, baseline, (None if layer else target)


def grad_cam(layers, layout, image, layer, target):
    """cam (H', W') and alpha (C) for one image (C, H, W)."""
    outs = run(layers, torch.from_numpy(image[None]).requires_grad_(True))
    a = outs[layer][1]
    logits = outs[layers[-1][0]][0]
    (g,) = torch.autograd.grad(logits[0, target], a)
    a, g = layout.to_engine(layer, a)[0].detach().numpy(), layout.to_engine(layer, g)[0].numpy()
    alpha = g.mean(axis=(1, 2))
    return np.maximum(np.tensordot(alpha, a, axes=1), 0), alpha


def ranked_classes(layers, image):
    return [int(k) for k in np.argsort(-predict(layers, image[None])[0][0], kind="stable")]


def save(rel, array):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))
    return rel


def backward_cases(model):
    """(layer, channel, units) started from on the whole batch; None: the whole layer."""
    if model == "mnist_model":
        # conv2's channel 4: its channel 5 has one positive value per digit, where 'all' is 'max'.
        return [("conv1", 3, ("all", "max")), ("pool1", 3, ("all", "max")), ("conv2", 4, ("all", "max")),
                ("conv2", None, ("all",)), ("pool2", 13, ("all", "max")), ("flatten", 111, ("all",)),
                ("dense1", 7, ("all",))]
    # flatten_1's unit 5 is Keras's (H, W, C) index, as convscope's Flatten output is.
    return [("conv2d_1", 2, ("all", "max")), ("activation_1", 4, ("all", "max")), ("average_pooling2d_1", 1, ("all",)),
            ("batch_normalization_1", 3, ("all",)), ("batch_normalization_1", None, ("all",)),
            ("max_pooling2d_1", 6, ("all", "max")), ("flatten_1", 5, ("all",)), ("dense_1", 3, ("all",)),
            ("batch_normalization_2", 4, ("all",))]


def main():
    torch.set_num_threads(1)
    for model in MODELS:
        shutil.rmtree(os.path.join(HERE, model), ignore_errors=True)
    manifest = {"models": {}, "backward": [], "occlusion": [], "gradcam": []}
    plain_checks = 0

    for model, path in MODELS.items():
        layers = mg.read_model(path)
        x = np.load(os.path.join(HERE, "..", "models", model, "input.npy"))[:2].astype(np.float64)
        layout = Layout(layers, torch.from_numpy(x))
        classes = [int(k) for k in predict(layers, x)[0].argmax(axis=1)]
        manifest["models"][model] = {
            "model": os.path.relpath(path, ROOT), "input": save(f"{model}/input.npy", x),
            "dataFormat": layout.fmt, "classes": classes,
        }

        # Backward nets. The softmax layer starts on the predicted class's logit, per sample.
        out_layer = layers[-1][0]
        cases = [(layer, ch, unit, None) for layer, ch, units in backward_cases(model) for unit in units]
        cases += [(out_layer, classes[b], "all", b) for b in range(len(x))]
        for layer, channel, unit, sample in cases:
            xs = x if sample is None else x[sample:sample + 1]
            for method in METHODS:
                r = backward_net(layers, layout, xs, layer, channel, unit, method)
                name = f"{layer}" + ("" if channel is None else f".c{channel}") + f".{unit}" + ("" if sample is None else f".s{sample}")
                entry = {"model": model, "layer": layer, "unit": unit, "method": method}
                if channel is not None:
                    entry["channel"] = channel
                if sample is not None:
                    entry["sample"] = sample
                entry["output"] = save(f"{model}/{method}/{name}.npy", r if sample is None else r[0])
                manifest["backward"].append(entry)
                # SaliNet is the plain gradient: check a few against torch.relu's own autograd.
                if method == "salinet" and unit == "all" and layer in ("conv2", "pool1", "dense_1", "batch_normalization_1", out_layer):
                    plain = backward_net(layers, layout, xs, layer, channel, unit, None)
                    assert np.abs(plain - r).max() <= 1e-12 * np.abs(plain).max(), f"salinet != autograd at {model} {layer}"
                    plain_checks += 1

        # Occlusion.
        if model == "mnist_model":
            runs = [dict(sample=0, size=8, stride=4, fill=0.0),
                    dict(sample=1, size=7, stride=5, fill=0.0, target=ranked_classes(layers, x[1])[1]),
                    dict(sample=0, size=8, stride=4, fill=0.0, layer="conv2", channel=5)]
        else:
            runs = [dict(sample=0, size=4, stride=3, fill=0.5)]
        for opts in runs:
            grid, attribution, baseline, k = occlusion(layers, x[opts["sample"]], **{k: v for k, v in opts.items() if k != "sample"})
            name = f"s{opts['sample']}.size{opts['size']}.stride{opts['stride']}" + (f".{opts['layer']}.c{opts['channel']}" if "layer" in opts else "")
            manifest["occlusion"].append(dict(
                model=model, **opts, targetClass=k, baseline=baseline,
                grid=save(f"{model}/occlusion/{name}.grid.npy", grid),
                attribution=save(f"{model}/occlusion/{name}.attribution.npy", attribution)))

        # Grad-CAM: the predicted class for each sample, and the runner-up for the first.
        cam_layers = ["conv1", "conv2", "pool2"] if model == "mnist_model" else ["conv2d_1", "max_pooling2d_1"]
        for layer in cam_layers:
            for sample, target, explicit in [(0, classes[0], False), (1, classes[1], False), (0, ranked_classes(layers, x[0])[1], True)]:
                cam, alpha = grad_cam(layers, layout, x[sample], layer, target)
                name = f"{layer}.s{sample}.k{target}"
                entry = {"model": model, "layer": layer, "sample": sample}
                if explicit:
                    entry["target"] = target
                manifest["gradcam"].append(dict(
                    entry, targetClass=target,
                    cam=save(f"{model}/gradcam/{name}.cam.npy", cam), weights=save(f"{model}/gradcam/{name}.weights.npy", alpha)))

    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"{len(manifest['backward'])} backward-net cases ({plain_checks} SaliNet cases equal plain autograd), "
          f"{len(manifest['occlusion'])} occlusion, {len(manifest['gradcam'])} Grad-CAM")


if __name__ == "__main__":
    main()
