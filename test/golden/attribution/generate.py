"""PyTorch references for the attribution methods' golden tests (test/attribution-golden.test.ts).

Run with /usr/bin/python3 (torch, h5py, numpy) from anywhere; rerunnable and deterministic (it
deletes and rewrites this folder but for this file). The files are committed and never edited
by hand.

What is computed is docs/ATTRIBUTION.md (with SEMANTICS.md for the backward rules), written here
again with plain PyTorch autograd in float64, independently of convscope, and of Captum (not
installed: its formulas as the doc writes them). The networks are the interpreters of the other
goldens, imported, not copied: test/golden/methods/generate.py's `run` (the MNIST CNN, read by
test/golden/models/generate.py) and test/golden/graphs/generate.py's `Graph`/`Runner` (resnet_tiny,
mobilenet_v2_tiny); their ReLU-like nodes take a backward rule ('guided', 'deconvnet') as a custom
autograd Function.

  targets          a class per sample (all different) or a node target {layer, channel: [c_b]}.
                   Gradient methods and every CAM's gradient use the logit z_out[k]; occlusion and
                   ablation the output (the probability); Score-CAM softmax(z_out)[k]; a node target
                   sum(a_L[c_b]).
  gradients        torch.autograd.grad of sum_b f_b(x_b) (the samples are independent); guided
                   backprop and deconvnet the same with the rule (a one-hot start on the logit).
  IG               the doc's alphas and weights (Gauss-Legendre from numpy's leggauss), all the path
                   points of all samples in one batch; delta_b = sum IG_b - (f_b(x_b) - f_b(x'_b)).
  noise tunnel     mulberry32 (src/methods/random.ts) in uint32 arithmetic, Box-Muller
                   e = sqrt(-2 ln(1 - u1)) cos(2 pi u2), drawn for j, then the elements, the same
                   e_j for every sample b; x_bj = float32(x_b + sigma_b e_j); the inner method on
                   all x_bj at once.
  CAMs             d f_b / d A by autograd; Score-CAM's masks F.interpolate(bilinear,
                   align_corners=False), min-max normalised; Guided Grad-CAM's upsampling
                   F.interpolate 'nearest' (whose source index is computed here in float32, as the
                   doc says, and checked against PyTorch's float32 kernel) or 'bilinear'.
  blur baselines   the doc's separable Gaussian, rows then columns, edges clamped, in numpy.
  ablation         one forward pass per label of the mask (or grid cell), baseline of any kind.
  occlusion        SEMANTICS.md's windows, per sample, the baseline in place of the fill.

Targets: sample 0's predicted class, sample 1's runner-up, sample 2's best other class (on MNIST,
whose probabilities are 1 - 1e-10 or 1e-10, the perturbation methods and Score-CAM use the
predicted classes, which differ there).

The test's tolerance is SEMANTICS.md's 1e-4 max|ref_b| + 1e-6, per sample, with the 1e-6 taken
relative to max|ref_b| when that is below 1 except for ablation and occlusion (see the test);
the delta's 1e-4 deltaScale_b. Every reference is checked before it is written: no sample's
result is all zeros (nor, for ablation and occlusion, below 5e-4, 500x the absolute tolerance),
and the whole case is computed again on
  - two copies of the network with every weight perturbed by a relative 5e-7 (8 float32 ulps),
  - the network in float32 (PyTorch's own rounding),
  - the network with every near decision flipped (class Flipped): activation inputs within
    1.5e-7 of the layer's largest |z| of a ReLU kink mirrored across it, and max pooling taking
    a window's runner-up where it is within 3e-7 of the largest (exact ties stay ties),
and must agree within a quarter of the test's tolerance (half for the flipped network, a worst
case: it changes every near decision at once). A path point, noisy input or masked input within
float32 rounding of a ReLU kink or a max-pooling near-tie (where a gradient jumps) fails; the
cases' steps, seeds and samples were chosen so that none does (the notes at MNIST_SAMPLES and
CONVERGENCE_STEPS say which did). Grad-CAM++'s denominators and Score-CAM's normalisations are
checked for a margin; F.interpolate's nearest indices are checked against the doc's float32 rule.

Written to test/golden/attribution/ (.npy float32, channels-first, batches of N = 3; masks int32):
  <model>/input.npy          the batch (MNIST: samples 0, 2, 3 of test/golden/models/mnist_model/;
                             graphs: the 2 samples of test/golden/graphs/<model>/ and a third)
  <model>/*.baseline.npy     baseline tensors (C, H, W); <model>/*.mask.npy label masks (H, W)
  <model>/<case>.npy         results (and .weights.npy, .grid.npy)
  manifest.json              {models: {<model>: {model, input, classes}},
                              cases: [{name, model, method, options, output, delta?, deltaScale?,
                                       weights?, grid?}]}
                             "model" relative to the repository root, files to this folder;
                             options named as the library's (see docs/ATTRIBUTION.md); "deltaScale"
                             per sample max(|f(x)|, |f(x')|, sum|IG|), the scale of the delta's
                             rounding error.
"""
import copy
import importlib.util
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

sys.dont_write_bytecode = True  # no __pycache__ in the other golden folders


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "..", rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mt = _load("methods_generate", os.path.join("methods", "generate.py"))  # imports models/generate.py as mt.mg
gg = _load("graphs_generate", os.path.join("graphs", "generate.py"))
mg = mt.mg

MODELS = {
    "mnist_model": os.path.join(ROOT, "test", "fixtures", "models", "mnist_model.h5"),
    "resnet_tiny": os.path.join(ROOT, "test", "fixtures", "models", "graphs", "resnet_tiny.h5"),
    "mobilenet_v2_tiny": os.path.join(ROOT, "test", "fixtures", "models", "graphs", "mobilenet_v2_tiny.h5"),
}
FLIP = 1.5e-7  # of a layer's max|z|: how near a kink or a pooling tie float32 might get it wrong
PERTURBATION = 5e-7  # relative, of every weight, for the robustness check (float32 keeps 6e-8)


# --- the networks ---

class ChainNet:
    """The MNIST CNN (a channels_first chain: its own layout is the engine's)."""

    def __init__(self, layers, dtype=np.float64):
        self.layers, self.dtype = layers, dtype
        assert mg.model_format(layers) == "channels_first"
        self.out = layers[-1][0]

    def run(self, x, rule=None):
        return mt.run(self.layers, x, rule)

    def changed(self, change, dtype=np.float64):
        return ChainNet([(n, cls, c, {k: change(v) for k, v in w.items()}) for n, cls, c, w in self.layers], dtype)


class GraphNet:
    def __init__(self, graph, dtype=np.float64):
        self.graph, self.dtype = graph, dtype
        self.runner = gg.Runner(graph)
        self.out = graph.outputs[0]

    def run(self, x, rule=None):
        return self.runner.run(x, rule)

    def changed(self, change, dtype=np.float64):
        graph = copy.deepcopy(self.graph)
        for n in graph.nodes:
            n.weights = {k: change(v) for k, v in n.weights.items()}
        return GraphNet(graph, dtype)


def sample_scale(v):
    """max |v| over each sample's finite values, shaped to broadcast."""
    finite = torch.where(torch.isfinite(v), v.abs(), torch.zeros_like(v))
    return finite.reshape(len(v), -1).amax(dim=1).reshape(-1, *[1] * (v.dim() - 1))


class Flipped:
    """The network with every decision that float32 rounding could change taken the other way:
    an activation's input z within eps * max|z| (per sample) of a ReLU kink (0, or relu6's 6) is
    mirrored to the other side (z -> -z, 12 - z; exact zeros stay), and max pooling picks, in each
    window, the first value within 2 eps * max|x| of the window's largest that is not equal to it
    (exact ties, as in a blank background, stay ties: float32 keeps them too). Values move by at
    most 2 eps * max, so only what depends on such a decision changes by more than rounding."""

    def __init__(self, net, eps):
        self.net, self.eps, self.out, self.dtype = net, eps, net.out, net.dtype

    def near_kinks(self, z):
        v = z.detach()
        step = self.eps * sample_scale(v)
        moved = torch.where((v.abs() < step) & (v != 0), -v, v)
        moved = torch.where((v - 6).abs() < step, 12 - v, moved)
        return z + (moved - v)

    def max_pool2d(self, x, kernel, stride, *args, **kwargs):
        assert not args and not kwargs
        k, s = list(np.broadcast_to(kernel, 2)), list(np.broadcast_to(stride, 2))
        n, c, h, w = x.shape
        oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
        cols = F.unfold(x.reshape(n * c, 1, h, w), k, stride=s).reshape(n, c, k[0] * k[1], oh * ow)
        v = cols.detach()
        top = v.amax(dim=2, keepdim=True)
        rival = (v != top) & (v > top - 2 * self.eps * sample_scale(x.detach()))
        choice = torch.where(rival.any(dim=2), rival.float().argmax(dim=2), (v == top).float().argmax(dim=2))
        return cols.gather(2, choice[:, :, None]).reshape(n, c, oh, ow)

    def run(self, x, rule=None):
        saved = mt.activate, gg.activate, gg.relu_layer, F.max_pool2d
        mt.activate = lambda name, z, rule: saved[0](name, self.near_kinks(z), rule)
        gg.activate = lambda name, z, rule, km: saved[1](name, self.near_kinks(z), rule, km)
        gg.relu_layer = lambda c, z, rule: saved[2](c, self.near_kinks(z), rule)
        F.max_pool2d = self.max_pool2d
        try:
            return self.net.run(x, rule)
        finally:
            mt.activate, gg.activate, gg.relu_layer, F.max_pool2d = saved


def variants(net):
    """The network with its weights perturbed (two ways), with its near-decisions flipped, and in float32."""
    def perturb(seed):
        rng = np.random.RandomState(seed)
        return lambda v: v * (1 + PERTURBATION * rng.uniform(-1, 1, v.shape))
    return [net.changed(perturb(1)), net.changed(perturb(2)), Flipped(net, FLIP),
            net.changed(lambda v: v.astype(np.float32), np.float32)]


# How far each variant's result may be from the reference, in the test's tolerances: the flipped
# network changes every near decision at once (a worst case), the others as float32 might.
LIMITS = (0.25, 0.25, 0.5, 0.25)


def load_net(model):
    path = MODELS[model]
    return ChainNet(mg.read_model(path)) if model == "mnist_model" else GraphNet(gg.Graph(path))


# --- targets ---

def repeat_target(target, reps):
    """The target of a batch whose rows are sample b's reps copies, b-major."""
    if isinstance(target, dict):
        return {"layer": target["layer"], "channel": [c for c in target["channel"] for _ in range(reps)]}
    return [k for k in target for _ in range(reps)]


def f_values(net, outs, target, on):
    """f_b per row: on 'logit', 'output' (the probability) or 'softmax' (of the logits); a node target: sum a_L[c_b]."""
    if isinstance(target, dict):
        a = outs[target["layer"]][1]
        return torch.stack([a[b, c].sum() for b, c in enumerate(target["channel"])])
    z, y = outs[net.out]
    scores = {"logit": z, "output": y, "softmax": torch.softmax(z, dim=1)}[on]
    return scores[torch.arange(len(target)), torch.tensor(target)]


def evaluate(net, x, target, on="logit"):
    with torch.no_grad():
        return f_values(net, net.run(torch.from_numpy(x.astype(net.dtype))), target, on).numpy().astype(np.float64)


def gradient(net, x, target, rule=None):
    """d f_b / d x_b for every row of x (R, C, H, W), with a backward rule or plain autograd."""
    xg = torch.from_numpy(x.astype(net.dtype)).requires_grad_(True)
    f = f_values(net, net.run(xg, rule), target, "logit")
    (g,) = torch.autograd.grad(f.sum(), xg)
    return g.numpy().astype(np.float64)


# --- baselines and noise ---

def blur(x, sigma):
    """docs/ATTRIBUTION.md's Gaussian: radius ceil(3 sigma), rows then columns, edges clamped."""
    radius = max(1, math.ceil(3 * sigma))
    k = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma * sigma))
    k /= k.sum()
    h, w = x.shape[-2:]
    cols = np.clip(np.arange(w)[:, None] + np.arange(-radius, radius + 1)[None, :], 0, w - 1)
    rows = np.clip(np.arange(h)[:, None] + np.arange(-radius, radius + 1)[None, :], 0, h - 1)
    t = (x[..., :, cols] * k).sum(-1)  # (..., h, w)
    return np.moveaxis((np.moveaxis(t, -1, -2)[..., :, rows] * k).sum(-1), -1, -2)


def make_baseline(spec, x):
    """A baseline option -> (N, C, H, W)."""
    n, c, h, w = x.shape
    if spec is None:
        spec = 0
    if isinstance(spec, (int, float)):
        return np.full_like(x, float(spec))
    if isinstance(spec, list):
        assert len(spec) == c
        return np.broadcast_to(np.array(spec, dtype=np.float64)[None, :, None, None], x.shape).copy()
    if spec == "blur":
        return blur(x, 0.1 * min(h, w))
    if "blur" in spec:
        return blur(x, spec["blur"])
    t = np.load(os.path.join(HERE, spec["file"])).astype(np.float64)
    return np.broadcast_to(t if t.ndim == 4 else t[None], x.shape).copy()


M32 = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & M32


class Mulberry32:
    """src/methods/random.ts's seededRandom, in uint32 arithmetic."""

    def __init__(self, seed):
        self.a = seed & M32

    def __call__(self):
        self.a = (self.a + 0x6D2B79F5) & M32
        t = self.a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296


def normals(seed, count):
    rng = Mulberry32(seed)
    out = np.empty(count)
    for i in range(count):
        u1, u2 = rng(), rng()
        out[i] = math.sqrt(-2 * math.log(1 - u1)) * math.cos(2 * math.pi * u2)
    return out


def noisy_inputs(x, samples, stdevs, seed):
    """(N, S, C, H, W): x_bj = float32(x_b + sigma_b e_j), e drawn for j, then the elements, the
    same e_j for every sample b."""
    n = len(x)
    if stdevs is None:
        sigma = 0.15 * (x.reshape(n, -1).max(axis=1) - x.reshape(n, -1).min(axis=1))
    else:
        sigma = np.full(n, float(stdevs))
    e = normals(seed, samples * x[0].size).reshape(1, samples, *x.shape[1:])
    return (x[:, None] + sigma[:, None, None, None, None] * e).astype(np.float32).astype(np.float64)


# --- the methods ---

def ig_rule(steps, integration):
    n = steps
    assert n >= 2
    if integration == "gausslegendre":
        t, v = np.polynomial.legendre.leggauss(n)
        return (1 + t) / 2, v / 2
    w = np.full(n, 1 / n)
    if integration == "riemann_left":
        return np.linspace(0, 1 - 1 / n, n), w
    if integration == "riemann_right":
        return np.linspace(1 / n, 1, n), w
    if integration == "riemann_middle":
        return np.linspace(1 / (2 * n), 1 - 1 / (2 * n), n), w
    if integration == "riemann_trapezoid":
        w[0] /= 2
        w[-1] /= 2
        return np.linspace(0, 1, n), w
    raise ValueError(integration)


def integrated_gradients(net, x, target, baseline, steps=50, integration="gausslegendre"):
    """(IG, delta, deltaScale)."""
    alphas, weights = ig_rule(steps, integration)
    n = len(x)
    points = baseline[:, None] + alphas[None, :, None, None, None] * (x - baseline)[:, None]
    g = gradient(net, points.reshape(n * steps, *x.shape[1:]), repeat_target(target, steps)).reshape(points.shape)
    ig = (x - baseline) * np.tensordot(weights, g, axes=([0], [1]))
    fx, fb = evaluate(net, x, target), evaluate(net, baseline, target)
    total = ig.reshape(n, -1).sum(axis=1)
    scale = np.maximum(np.maximum(np.abs(fx), np.abs(fb)), np.abs(ig).reshape(n, -1).sum(axis=1))
    return ig, total - (fx - fb), scale


def input_method(net, x, target, method, opts):
    """An input-space method's attribution (and IG's delta and its scale)."""
    if method == "saliency":
        g = gradient(net, x, target)
        return (np.abs(g) if opts.get("abs", True) else g), None, None
    if method == "input-x-gradient":
        return x * gradient(net, x, target), None, None
    if method == "guided-backprop":
        return gradient(net, x, target, "guided"), None, None
    if method == "deconvnet":
        return gradient(net, x, target, "deconvnet"), None, None
    if method == "integrated-gradients":
        baseline = opts["_baseline"] if "_baseline" in opts else make_baseline(opts.get("baseline"), x)
        return integrated_gradients(net, x, target, baseline, opts.get("steps", 50), opts.get("integration", "gausslegendre"))
    raise ValueError(method)


def noise_tunnel(net, x, target, kind, opts):
    samples = opts.get("samples", 5)
    xn = noisy_inputs(x, samples, opts.get("stdevs"), opts.get("seed", 0))
    inner = dict(opts)
    inner_method = opts.get("of", "saliency")
    if inner_method == "integrated-gradients":  # the baseline of the un-noised input, not noised
        inner["_baseline"] = np.repeat(make_baseline(opts.get("baseline"), x), samples, axis=0)
    a = input_method(net, xn.reshape(-1, *x.shape[1:]), repeat_target(target, samples), inner_method, inner)[0]
    a = a.reshape(xn.shape)
    mean, mean_sq = a.mean(axis=1), (a * a).mean(axis=1)
    return {"smoothgrad": mean, "smoothgrad-sq": mean_sq, "vargrad": mean_sq - mean * mean}[kind]


def layer_and_gradient(net, x, target, layer):
    """A = a_L (N, K, h, w) and d f_b / d A (f on the logits, or a node target)."""
    xg = torch.from_numpy(x.astype(net.dtype)).requires_grad_(True)
    outs = net.run(xg)
    a = outs[layer][1]
    (g,) = torch.autograd.grad(f_values(net, outs, target, "logit").sum(), a)
    return a.detach().numpy().astype(np.float64), g.numpy().astype(np.float64)


def bilinear(t, size):
    return F.interpolate(torch.from_numpy(t), size=size, mode="bilinear", align_corners=False).numpy()


def nearest(t, size):
    """F.interpolate(mode='nearest'): source index floor(y * float32(h / H)), the product in float32."""
    (h, w), (oh, ow) = t.shape[-2:], size
    rows = np.minimum(np.floor(np.arange(oh, dtype=np.float32) * np.float32(h / oh)).astype(int), h - 1)
    cols = np.minimum(np.floor(np.arange(ow, dtype=np.float32) * np.float32(w / ow)).astype(int), w - 1)
    probe = np.arange(h * w, dtype=np.float32).reshape(1, 1, h, w)
    torch_picks = F.interpolate(torch.from_numpy(probe), size=size, mode="nearest").numpy()[0, 0]
    assert (torch_picks == probe[0, 0][rows][:, cols]).all(), "the nearest indices differ from PyTorch's"
    return t[..., rows, :][..., cols]


def relu(v):
    return np.maximum(v, 0)


def cam(net, x, target, method, layer, upsample=False):
    """(map (N, h, w) or (N, H, W), weights (N, K) or None)."""
    a, g = layer_and_gradient(net, x, target, layer)
    weights = None
    if method == "gradcam":
        weights = g.mean(axis=(2, 3))
        m = relu(np.einsum("nk,nkhw->nhw", weights, a))
    elif method == "gradcam++":
        s = a.sum(axis=(2, 3))[:, :, None, None]
        g2, g3 = g * g, g * g * g
        denom = 2 * g2 + s * g3
        # alpha = 1 / (2 + S g) where g != 0. Where g > 0 (the weight uses it) no denominator may be
        # near 0, float32 could not follow it; where g < 0 alpha is multiplied by relu(g) = 0, but
        # must stay finite (inf * 0 is NaN).
        margin = np.abs(2 + s * g)
        assert (margin[g > 0] > 1e-2).all(), "a Grad-CAM++ denominator is close to 0"
        assert (margin[g < 0] > 1e-5).all(), "a Grad-CAM++ alpha is close to overflowing"
        alpha = np.divide(g2, denom, out=np.zeros_like(g), where=denom != 0)
        weights = (alpha * relu(g)).sum(axis=(2, 3))
        m = relu(np.einsum("nk,nkhw->nhw", weights, a))
    elif method == "layercam":
        m = relu((relu(g) * a).sum(axis=1))
    elif method == "scorecam":
        n, k = a.shape[:2]
        u = bilinear(a, x.shape[2:])
        lo, hi = u.min(axis=(2, 3)), u.max(axis=(2, 3))
        scale = np.abs(a).reshape(n, -1).max(axis=1)[:, None]
        constant = hi == lo
        assert ((hi - lo > 1e-3 * scale) | (constant & (a.reshape(n, k, -1) == 0).all(axis=2))).all(), \
            "a Score-CAM map is nearly constant, or constant but not 0 (its upsampling might not stay constant in float32)"
        masks = np.where(constant[:, :, None, None], 0.0, (u - lo[:, :, None, None]) / np.where(constant, 1, hi - lo)[:, :, None, None])
        masked = (x[:, None] * masks[:, :, None]).reshape(n * k, *x.shape[1:])
        weights = np.where(constant, 0.0, evaluate(net, masked, repeat_target(target, k), "softmax").reshape(n, k))
        m = relu(np.einsum("nk,nkhw->nhw", weights, a))
    else:
        raise ValueError(method)
    if upsample:
        m = bilinear(m[:, None], x.shape[2:])[:, 0]
    return m, weights


def guided_gradcam(net, x, target, layer, interpolate="nearest"):
    m, _ = cam(net, x, target, "gradcam", layer)
    up = nearest(m[:, None], x.shape[2:]) if interpolate == "nearest" else bilinear(m[:, None], x.shape[2:])
    return gradient(net, x, target, "guided") * up


def grid_mask(h, w, s):
    return (np.arange(h)[:, None] // s) * (-(-w // s)) + np.arange(w)[None, :] // s


def ablation(net, x, target, baseline, mask):
    """Captum's FeatureAblation with an (H, W) mask, f on the output."""
    n = len(x)
    labels = np.unique(mask)
    ablated = np.stack([np.where(mask == m, baseline, x) for m in labels], axis=1)  # (N, L, C, H, W)
    values = evaluate(net, ablated.reshape(-1, *x.shape[1:]), repeat_target(target, len(labels)), "output").reshape(n, len(labels))
    fx = evaluate(net, x, target, "output")
    out = np.zeros_like(x)
    for i, m in enumerate(labels):
        out += (mask == m) * (fx - values[:, i])[:, None, None, None]
    return out


def occlusion(net, x, target, baseline, size, stride):
    n, _, h, w = x.shape
    ny, nx = -(-(h - size) // stride) + 1, -(-(w - size) // stride) + 1
    occluded, windows = [], []
    for i in range(ny):
        for j in range(nx):
            rows, cols = slice(i * stride, min(h, i * stride + size)), slice(j * stride, min(w, j * stride + size))
            o = x.copy()
            o[:, :, rows, cols] = baseline[:, :, rows, cols]
            occluded.append(o)
            windows.append((rows, cols))
    batch = np.stack(occluded, axis=1)  # (N, ny*nx, C, H, W)
    grid = evaluate(net, batch.reshape(-1, *x.shape[1:]), repeat_target(target, ny * nx), "output").reshape(n, ny * nx)
    fx = evaluate(net, x, target, "output")
    total, count = np.zeros((n, h, w)), np.zeros((h, w))
    for q, (rows, cols) in enumerate(windows):
        total[:, rows, cols] += (fx - grid[:, q])[:, None, None]
        count[rows, cols] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0), grid.reshape(n, ny, nx)


def compute(net, x, method, opts):
    """{output, delta?, deltaScale?, weights?, grid?} for a case's method and options."""
    target = opts["target"]
    if method in ("saliency", "input-x-gradient", "guided-backprop", "deconvnet", "integrated-gradients"):
        out, delta, scale = input_method(net, x, target, method, opts)
        return {"output": out} if delta is None else {"output": out, "delta": delta, "deltaScale": scale}
    if method in ("smoothgrad", "smoothgrad-sq", "vargrad"):
        return {"output": noise_tunnel(net, x, target, method, opts)}
    if method in ("gradcam", "gradcam++", "layercam", "scorecam"):
        m, w = cam(net, x, target, method, opts["layer"], opts.get("upsample", False))
        return {"output": m} if w is None else {"output": m, "weights": w}
    if method == "guided-gradcam":
        return {"output": guided_gradcam(net, x, target, opts["layer"], opts.get("interpolate", "nearest"))}
    if method == "ablation":
        h, w = x.shape[2:]
        mask = grid_mask(h, w, opts["grid"]) if "grid" in opts else np.load(os.path.join(HERE, opts["mask"]["file"]))
        return {"output": ablation(net, x, target, make_baseline(opts.get("baseline"), x), mask)}
    if method == "occlusion":
        a, grid = occlusion(net, x, target, make_baseline(opts.get("baseline"), x), opts["size"], opts["stride"])
        return {"output": a, "grid": grid}
    raise ValueError(method)


# --- checks ---

def tolerance(ref, absolute):
    """The test's per-sample tolerance: SEMANTICS.md's 1e-4 max|ref_b| + 1e-6, where the 1e-6 is
    taken relative to max|ref_b| when that is below 1 unless `absolute` (ablation and occlusion,
    differences of probabilities, which cancel in float32 at the scale of 1)."""
    m = np.abs(ref).reshape(len(ref), -1).max(axis=1)
    return 1e-4 * m + 1e-6 * (1 if absolute else np.minimum(m, 1))


def delta_tolerance(scale):
    """The delta's: it is a sum and a difference of numbers no larger than deltaScale."""
    return 1e-4 * scale


def worst(a, b, tol):
    return float((np.abs(a - b).reshape(len(a), -1).max(axis=1) / tol).max())


def check(name, result, variants, absolute):
    """Not degenerate, and robust to rounding-sized changes of the network (see the module's doc):
    the largest difference from a variant, as a fraction of the test's tolerance over the
    variant's limit (so > 1 fails)."""
    ref = result["output"]
    per_sample = np.abs(ref).reshape(len(ref), -1).max(axis=1)
    assert (per_sample > 0).all(), f"{name}: a sample's result is all zeros"
    if absolute:  # the test's absolute 1e-6 must not be what lets a sample pass
        assert (per_sample > 5e-4).all(), f"{name}: a sample's result is too small ({per_sample})"
    ratio = 0.0
    for other, limit in zip(variants, LIMITS):
        worst_here = 0.0
        for key in ("output", "weights", "grid"):
            if key in result:
                worst_here = max(worst_here, worst(result[key], other[key], tolerance(result[key], absolute)))
        if "delta" in result:
            worst_here = max(worst_here, float((np.abs(result["delta"] - other["delta"]) / delta_tolerance(result["deltaScale"])).max()))
        ratio = max(ratio, worst_here / limit)
    return ratio


# --- the cases ---

def save(rel, array, dtype=np.float32):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=dtype))
    return rel


# Samples 0, 2 and 3 of the MNIST golden batch: sample 1 has a max-pooling window (conv1 channel 8)
# whose two largest values differ by 9 float32 ulps (1.7e-7 of the layer's largest value), which
# float32 can order either way (the engine did flip such a pair, 1.2e-7 apart, on a path point).
MNIST_SAMPLES = [0, 2, 3]


def model_input(model):
    """The batch of 3 (N, C, H, W), float32 values in float64."""
    if model == "mnist_model":
        return np.load(os.path.join(HERE, "..", "models", "mnist_model", "input.npy"))[MNIST_SAMPLES].astype(np.float64)
    x = np.load(os.path.join(HERE, "..", "graphs", model, "input.npy"))
    third = np.random.RandomState(20240 + len(model)).uniform(-1, 1, (1, *x.shape[1:])).astype(np.float32)
    return np.concatenate([x, third]).astype(np.float32).astype(np.float64)


# Per model: CAM layers (the default Grad-CAM node first, or conv2 for MNIST), a node target
# (a conv node, and the CAM layer before it for its Grad-CAM), stdevs for the noise, baselines.
SETTINGS = {
    "mnist_model": dict(cam=["conv2", "pool1"], node="conv2", node_cam="pool1", stdevs=30.0, per_channel=[40.0],
                        blur={"blur": 2.0}, grid=12, occlusion=(12, 8)),
    "resnet_tiny": dict(cam=["conv3_block1_out", "conv2_block1_add"], node="conv3_block1_3_conv", node_cam="pool1_pool",
                        stdevs=0.2, per_channel=[0.1, -0.2, 0.3], blur={"blur": 1.5}, grid=5, occlusion=(4, 3)),
    "mobilenet_v2_tiny": dict(cam=["out_relu", "block_1_expand_relu"], node="block_1_expand", node_cam="expanded_conv_project_BN",
                              stdevs=0.2, per_channel=[0.1, -0.2, 0.3], blur="blur", grid=5, occlusion=(4, 3)),
}


# MNIST's IG delta against the number of steps (50: Captum's default). 64 and 256 are not among
# them: with one rule or the other, a path point then lies within float32 rounding of a ReLU kink
# or a max-pooling near-tie (so do 48, 60, 70, 80, 100, 128, 250 for one rule or the other).
CONVERGENCE_STEPS = (32, 50, 200)


def node_channels(net, x, layer):
    """One channel per sample, all different, each with positive activations in its sample (the largest sums)."""
    with torch.no_grad():
        a = net.run(torch.from_numpy(x))[layer][1].numpy()
    sums = np.maximum(a, 0).reshape(a.shape[0], a.shape[1], -1).sum(axis=2)
    chosen = []
    for b in range(len(x)):
        c = next(int(c) for c in np.argsort(-sums[b], kind="stable") if int(c) not in chosen)
        assert sums[b, c] > 0
        chosen.append(c)
    return chosen


def model_cases(model, net, x, rng):
    """[(short name, method, options)] for one model."""
    s = SETTINGS[model]
    n, c, h, w = x.shape
    with torch.no_grad():
        outs = net.run(torch.from_numpy(x))
    logits, probs = outs[net.out][0].numpy(), outs[net.out][1].numpy()
    ranked = np.argsort(-logits, axis=1, kind="stable")
    predicted = [int(k) for k in ranked[:, 0]]
    # sample 0's predicted class, sample 1's runner-up, sample 2's highest-ranked other class not taken
    mixed = [int(ranked[0, 0]), int(ranked[1, 1])]
    mixed.append(next(int(k) for k in ranked[2, 1:] if int(k) not in mixed))
    # perturbation methods and Score-CAM on the probability: MNIST is so sure of its class that
    # only the predicted one (all different on these digits) has a probability that moves
    perturbation = predicted if model == "mnist_model" else mixed
    assert len(set(perturbation)) == 3 and len(set(mixed)) == 3
    node = {"layer": s["node"], "channel": node_channels(net, x, s["node"])}

    lo, hi = (0.0, 255.0) if model == "mnist_model" else (-1.0, 1.0)
    baseline_file = save(f"{model}/ig.baseline.npy", rng.uniform(lo, lo + 0.3 * (hi - lo), (c, h, w)))
    occlusion_file = save(f"{model}/occlusion.baseline.npy", rng.uniform(lo, hi, (c, h, w)))
    labels = np.array([0, 3, 7])[((np.arange(h)[:, None] * 2 // h) + (np.arange(w)[None, :] * 3 // w) * 2) % 3]
    labels[: h // 4, : w // 4] = 3
    mask_file = save(f"{model}/ablation.mask.npy", labels, np.int32)

    t = {"target": mixed}
    cases = [
        ("saliency", "saliency", dict(t)),
        ("saliency.signed", "saliency", dict(t, abs=False)),
        ("input-x-gradient", "input-x-gradient", dict(t)),
        ("guided-backprop", "guided-backprop", dict(t)),
        ("deconvnet", "deconvnet", dict(t)),
        ("ig.gausslegendre32.zero", "integrated-gradients", dict(t, integration="gausslegendre", steps=32, baseline=0)),
        ("ig.trapezoid16.per-channel", "integrated-gradients", dict(t, integration="riemann_trapezoid", steps=16, baseline=s["per_channel"])),
    ]
    for rule in ("riemann_left", "riemann_right", "riemann_middle"):
        cases.append((f"ig.{rule.split('_')[1]}8.blur", "integrated-gradients", dict(t, integration=rule, steps=8, baseline=s["blur"])))
    cases += [
        ("ig.gausslegendre16.file", "integrated-gradients", dict(t, steps=16, baseline={"file": baseline_file})),
        ("smoothgrad.saliency", "smoothgrad", dict(t, of="saliency", samples=4, stdevs=s["stdevs"], seed=7)),
        ("smoothgrad-sq.input-x-gradient", "smoothgrad-sq", dict(t, of="input-x-gradient", samples=3, seed=1)),
        ("vargrad.ig", "vargrad", dict(t, of="integrated-gradients", steps=8, samples=3, seed=2)),
        ("smoothgrad.guided-backprop", "smoothgrad", dict(t, of="guided-backprop", samples=3, stdevs=s["stdevs"], seed=5)),
    ]
    for layer in s["cam"]:
        for method in ("gradcam", "gradcam++", "layercam"):
            cases.append((f"{method}.{layer}", method, dict(t, layer=layer)))
        cases.append((f"scorecam.{layer}", "scorecam", dict(target=perturbation, layer=layer)))
    cases += [
        (f"gradcam.{s['cam'][0]}.upsample", "gradcam", dict(t, layer=s["cam"][0], upsample=True)),
        (f"scorecam.{s['cam'][0]}.upsample", "scorecam", dict(target=perturbation, layer=s["cam"][0], upsample=True)),
        ("guided-gradcam.nearest", "guided-gradcam", dict(t, layer=s["cam"][0])),
        ("guided-gradcam.bilinear", "guided-gradcam", dict(t, layer=s["cam"][0], interpolate="bilinear")),
        (f"ablation.grid{s['grid']}", "ablation", dict(target=perturbation, grid=s["grid"], baseline=0)),
        ("ablation.mask.blur", "ablation", dict(target=perturbation, mask={"file": mask_file}, baseline="blur")),
    ]
    size, stride = s["occlusion"]
    occ_baseline = {"file": occlusion_file} if model == "mnist_model" else s["per_channel"]
    cases.append((f"occlusion.size{size}.stride{stride}", "occlusion", dict(target=perturbation, baseline=occ_baseline, size=size, stride=stride)))
    cases += [
        ("node.saliency", "saliency", dict(target=node)),
        ("node.ig", "integrated-gradients", dict(target=node, steps=16)),
        ("node.gradcam", "gradcam", dict(target=node, layer=s["node_cam"])),
    ]
    if model == "mnist_model":  # the delta's convergence, reported in the README
        for rule in ("gausslegendre", "riemann_trapezoid"):
            for steps in CONVERGENCE_STEPS:
                cases.append((f"ig.{rule.replace('riemann_', '')}{steps}.convergence", "integrated-gradients",
                              dict(t, integration=rule, steps=steps, baseline=0)))
    return cases, predicted, {"mixed": mixed, "probabilities": probs.round(4).tolist()}


PERTURBATION_METHODS = ("ablation", "occlusion")  # on probabilities: the absolute tolerance


def main():
    torch.set_num_threads(1)
    start = time.time()
    for name in os.listdir(HERE):
        if name != "generate.py":
            path = os.path.join(HERE, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    manifest = {"models": {}, "cases": []}
    for model in MODELS:
        net = load_net(model)
        rng = np.random.RandomState(7)
        others = variants(net)
        x = model_input(model)
        cases, predicted, info = model_cases(model, net, x, rng)
        manifest["models"][model] = {"model": os.path.relpath(MODELS[model], ROOT), "input": save(f"{model}/input.npy", x),
                                     "classes": predicted}
        print(f"{model}: predicted {predicted}, mixed targets {info['mixed']}")
        worst_ratio, failed = 0.0, []
        for short, method, opts in cases:
            name = f"{model}/{short}"
            result = compute(net, x, method, opts)
            ratio = check(name, result, [compute(v, x, method, opts) for v in others], method in PERTURBATION_METHODS)
            worst_ratio = max(worst_ratio, ratio)
            if ratio > 1:
                failed.append(f"{name}: the other networks' results differ by {ratio:.3g} of their limits (a kink or a near-tie)")
            entry = {"name": name, "model": model, "method": method, "options": opts,
                     "output": save(f"{model}/{short}.npy", result["output"])}
            if "delta" in result:
                entry["delta"] = [float(d) for d in result["delta"]]
                entry["deltaScale"] = [float(d) for d in result["deltaScale"]]
            if "weights" in result:
                entry["weights"] = save(f"{model}/{short}.weights.npy", result["weights"])
            if "grid" in result:
                entry["grid"] = save(f"{model}/{short}.grid.npy", result["grid"])
            manifest["cases"].append(entry)
            extra = f"  delta {np.array2string(result['delta'], precision=4)}" if "delta" in result else ""
            print(f"  {short:40s} robustness {ratio:.3f}{extra}")
        print(f"{model}: {len(cases)} cases, the other networks within {worst_ratio:.3f} of their limits")
        assert not failed, "\n".join(failed)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"{len(manifest['cases'])} cases in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
