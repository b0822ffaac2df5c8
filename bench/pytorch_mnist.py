"""The PyTorch baseline of `npm run bench:models`: the MNIST model of a convscope model folder
(model.json + weights.bin, channels-first, the engine's layouts) as a torch.nn.Sequential, run
on the CPU in eval mode without autograd on the batch the benchmark wrote.

    /usr/bin/python3 bench/pytorch_mnist.py MODEL_DIR INPUT.npy OURS.npy [--threads 1] [--seconds 3]

Prints one JSON line: images/s (median batch time), the batch size, threads, torch version and
max|torch - ours| over the batch's outputs.
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch


def load_folder(path):
    with open(os.path.join(path, "model.json")) as f:
        spec = json.load(f)
    flat = np.fromfile(os.path.join(path, "weights.bin"), dtype="<f4")
    weights = {}
    for layer in spec["layers"]:
        weights[layer["name"]] = {
            key: torch.from_numpy(flat[w["offset"]:w["offset"] + w["length"]].reshape(w["shape"]).copy())
            for key, w in layer["weights"].items()
        }
    return spec, weights


ACTIVATIONS = {"linear": None, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}


def build(spec, weights):
    """Conv2D ('valid' padding), MaxPooling2D ('valid'), Dropout, Flatten, Dense: what the MNIST model has."""
    modules = []
    for layer in spec["layers"]:
        kind, params, w = layer["type"], layer["params"], weights[layer["name"]]
        if kind == "Conv2D":
            if params["padding"] != "valid":
                raise SystemExit(f"pytorch_mnist: {layer['name']}: only 'valid' convolutions are mapped")
            cout, cin, kh, kw = w["kernel"].shape
            conv = torch.nn.Conv2d(cin, cout, (kh, kw), stride=tuple(params["strides"]), dilation=tuple(params["dilation"]), bias="bias" in w)
            conv.weight.data.copy_(w["kernel"])
            if "bias" in w:
                conv.bias.data.copy_(w["bias"])
            modules.append(conv)
        elif kind == "MaxPooling2D":
            if params["padding"] != "valid":
                raise SystemExit(f"pytorch_mnist: {layer['name']}: only 'valid' pooling is mapped")
            modules.append(torch.nn.MaxPool2d(tuple(params["pool"]), stride=tuple(params["strides"])))
        elif kind == "Dropout":
            modules.append(torch.nn.Identity())
        elif kind == "Flatten":
            modules.append(torch.nn.Flatten())
        elif kind == "Dense":
            n_in, n_out = w["kernel"].shape
            dense = torch.nn.Linear(n_in, n_out, bias="bias" in w)
            dense.weight.data.copy_(w["kernel"].t())
            if "bias" in w:
                dense.bias.data.copy_(w["bias"])
            modules.append(dense)
        else:
            raise SystemExit(f"pytorch_mnist: layer type {kind} is not mapped")
        activation = layer["activation"]
        if activation == "softmax":
            modules.append(torch.nn.Softmax(dim=1))
        elif ACTIVATIONS.get(activation):
            modules.append(ACTIVATIONS[activation]())
    return torch.nn.Sequential(*modules).eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("ours")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = build(*load_folder(args.model))
    x = torch.from_numpy(np.load(args.input).astype(np.float32))
    ours = np.load(args.ours)
    times = []
    with torch.no_grad():
        y = model(x)
        start = time.perf_counter()
        while len(times) < 5 or (time.perf_counter() - start < args.seconds and len(times) < 10000):
            t = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t)
    median = statistics.median(times)
    print(json.dumps({
        "imagesPerSecond": x.shape[0] / median, "medianMs": median * 1000, "minMs": min(times) * 1000, "maxMs": max(times) * 1000,
        "runs": len(times), "batch": x.shape[0],
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "maxAbsDiff": float(np.max(np.abs(y.numpy() - ours))), "maxAbsOurs": float(np.max(np.abs(ours))),
    }))


if __name__ == "__main__":
    main()
