"""The PyTorch peer of `npm run bench:models`' training step: the MNIST CNN (conv 1->16 5x5 relu,
maxpool 2, conv 16->32 5x5 relu, maxpool 2, dropout .25, flatten, dense 512->128 relu, dropout .5,
dense 128->64 relu, dense 64->10), softmax cross-entropy, Adam (lr 0.001, betas 0.9/0.999), on
the CPU, one optimiser step per batch, started from convscope's initial weights (a model folder).

    /usr/bin/python3 bench/pytorch_mnist_train.py INITIAL_DIR AFTER_ONE_STEP_DIR X.npy Y.npy [--threads 1]

First it checks that it computes what convscope's step computes, with dropout off: the loss on
the batch, and the weights after one Adam step against AFTER_ONE_STEP_DIR (convscope's, same
start). Keras 2's Adam adds epsilon to sqrt(v), PyTorch's to sqrt(v / (1 - beta2^t)), so the
check's step uses epsilon 1e-7 / sqrt(1 - beta2), which is Keras's at t = 1. It prints one JSON
line ({"ready": ...}), then reads commands: `time N` runs N training steps (dropout on) and prints
their times as a JSON line; end of input stops it. The timed steps use torch's Adam as it is
(eps 1e-7): the arithmetic is the same.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from pytorch_mnist import load_folder

LR, BETA1, BETA2, EPSILON = 1e-3, 0.9, 0.999, 1e-7


def mnist_cnn():
    """The architecture of weights/mnist-cnn and convscope's mnistCnn(), named as its layers are."""
    return nn.ModuleDict({
        "conv1": nn.Conv2d(1, 16, 5), "conv2": nn.Conv2d(16, 32, 5),
        "dense1": nn.Linear(512, 128), "dense2": nn.Linear(128, 64), "out": nn.Linear(64, 10),
    })


def logits(m, x, dropout, hwc):
    """hwc: flatten in Keras's channels_last order (the folder's Flatten says which order dense1's rows are in)."""
    x = F.max_pool2d(F.relu(m["conv1"](x)), 2)
    x = F.max_pool2d(F.relu(m["conv2"](x)), 2)
    x = F.dropout(x, 0.25, training=dropout)
    x = (x.permute(0, 2, 3, 1) if hwc else x).flatten(1)
    x = F.dropout(F.relu(m["dense1"](x)), 0.5, training=dropout)
    return m["out"](F.relu(m["dense2"](x)))


def load_weights(m, folder):
    """A convscope model folder's weights (conv OIHW, dense (in, out)) into the torch modules."""
    _, weights = load_folder(folder)
    with torch.no_grad():
        for name, module in m.items():
            kernel = weights[name]["kernel"]
            module.weight.copy_(kernel if kernel.dim() == 4 else kernel.t())
            module.bias.copy_(weights[name]["bias"])


def max_diff(m, folder):
    """max|torch - convscope| and max|convscope| over every weight."""
    _, weights = load_folder(folder)
    diff = ref = 0.0
    for name, module in m.items():
        for key, ours in weights[name].items():
            ours = ours if key == "bias" or ours.dim() == 4 else ours.t()
            theirs = (module.weight if key == "kernel" else module.bias).detach()
            diff = max(diff, float((theirs - ours).abs().max()))
            ref = max(ref, float(ours.abs().max()))
    return diff, ref


def step(m, opt, x, y, dropout, hwc):
    opt.zero_grad()
    loss = F.cross_entropy(logits(m, x, dropout, hwc), y)
    loss.backward()
    opt.step()
    return float(loss)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("initial")
    parser.add_argument("after_one_step")
    parser.add_argument("x")
    parser.add_argument("y")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x = torch.from_numpy(np.load(args.x).astype(np.float32))
    y = torch.from_numpy(np.load(args.y).astype(np.int64))

    m = mnist_cnn()
    load_weights(m, args.initial)
    spec, _ = load_folder(args.initial)
    hwc = any(l["type"] == "Flatten" and l["params"].get("kerasOrder") == "hwc" for l in spec["layers"])
    check = torch.optim.Adam(m.parameters(), lr=LR, betas=(BETA1, BETA2), eps=EPSILON / np.sqrt(1 - BETA2))
    loss = step(m, check, x, y, False, hwc)
    diff, ref = max_diff(m, args.after_one_step)

    opt = torch.optim.Adam(m.parameters(), lr=LR, betas=(BETA1, BETA2), eps=EPSILON)
    for _ in range(5):
        step(m, opt, x, y, True, hwc)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": int(x.shape[0]),
                      "loss": loss, "weightsMaxAbsDiff": diff, "weightsMaxAbs": ref}), flush=True)
    for line in sys.stdin:
        command, count = line.split()
        if command != "time":
            raise SystemExit(f"pytorch_mnist_train: unknown command {command}")
        times = []
        for _ in range(int(count)):
            t = time.perf_counter()
            step(m, opt, x, y, True, hwc)
            times.append((time.perf_counter() - t) * 1000)
        print(json.dumps({"ms": times}), flush=True)


if __name__ == "__main__":
    main()
