"""Checks the Keras .h5 files convscope writes (writeKerasH5) with the Python tools that read them:

1. h5py: every weight in the written file equals the one convscope means to have written
   (kerasWeights), and, for a model read from a Keras .h5, the source file's own (bit for bit);
2. Keras 3's own loader, keras.saving.load_model on the legacy .h5: it loads the file, and its
   predictions on a seeded batch agree with convscope's within SEMANTICS.md's tolerance
   (max|keras - convscope| <= 1e-4 * max|convscope| + 1e-6), the classes exactly.

The convscope half (scripts/check-h5-keras.ts) runs first, in Node, and writes the files.
Needs keras, jax and h5py; for Keras 3.15.1 with JAX from the local wheels:

    python3 -m venv /tmp/k3venv
    /tmp/k3venv/bin/pip install --no-index --find-links /opt/pypi/files keras jax jaxlib h5py numpy
    /tmp/k3venv/bin/python scripts/check-h5-keras.py [--out DIR] [MODEL ...]

MODEL: a fixture path (a Keras 2 .h5 or a tfjs model folder) or `mnist-cnn` (sequential, fresh
weights), with options after '#' joined by '&': `freeze=LAYER` writes that layer as trainable:
false (its weights then go in creation order), `train=N` takes N Adam steps first (the source
file's weights are then compared only where the model was frozen); default: the list below. Exit
status 1 if any check fails. Keras 3 computes hard_sigmoid by its own definition, not Keras 2's,
so a model using it is compared with that told, not failed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "test", "fixtures", "models")
DEFAULT = [
    "mnist_model.h5", "channels_first_flatten_model.h5", "conv_family_channels_last.h5", "conv_family_channels_first.h5",
    "norm_shape_last.h5", "graphs/resnet_tiny.h5", "graphs/resnet_tiny_channels_first.h5", "graphs/mobilenet_v2_tiny.h5",
    "graphs/mobilenet_v3_tiny.h5", "graphs/merges_separable.h5", "graphs/unet_tiny.h5", "graphs/convnext_tiny.h5",
    "graphs/inception_tiny.h5", "graphs/activations.h5", "graphs/shared_layer.h5", "graphs/transfer_functional.h5",
    "graphs/transfer_sequential.h5", "graphs/multi_output.h5", "tfjs/channels_last_model", "graphs/tfjs/shared_layer",
    "graphs/transfer_functional.h5#freeze=feature_extractor", "graphs/resnet_tiny.h5#freeze=conv1_bn",
    "mnist-cnn#train=5", "graphs/resnet_tiny.h5#train=3", "graphs/mobilenet_v2_tiny.h5#train=3", "graphs/convnext_tiny.h5#train=3",
    "graphs/transfer_functional.h5#freeze=feature_extractor&train=3", "graphs/shared_layer.h5#train=3",
]
# Files Keras 3's legacy loader refuses whoever wrote them (the source fixtures too): told, not failed.
KERAS3_LIMITS = {
    "graphs/mobilenet_v3_tiny.h5": "Keras 3 refuses '/' in layer names, which keras.applications' MobileNetV3 has ('Conv/BatchNorm')",
    "norm_shape_last.h5": "Keras 3's legacy loader drops a LayerNormalization axis list longer than one (legacy/saving/saving_utils.py), so it builds gamma for the last axis only",
}


def text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def h5_weights(path):
    """Every weight of a Keras .h5 by 'layer/weight' ('outer/inner/weight' in a nested model)."""
    out = {}
    with h5py.File(path, "r") as f:
        root = f["model_weights"]
        for top in map(text, root.attrs["layer_names"]):
            group = root[top]
            for name in map(text, group.attrs["weight_names"]):
                short = name[: name.rindex(":")] if ":" in name.split("/")[-1] else name
                key = short if short.startswith(top + "/") else f"{top}/{short}"
                out[key] = np.asarray(group[name])
    return out


def check_weights(out, id_, description):
    written = h5_weights(os.path.join(out, f"{id_}.h5"))
    meant = {k: np.load(os.path.join(out, f)) for k, f in description["weights"].items()}
    problems = [k for k in meant if k not in written or not np.array_equal(written[k].astype(np.float32), meant[k])]
    problems += [f"{k} (not meant)" for k in written if k not in meant]
    source = description["source"]
    compared_source = 0
    # Training moves the weights; frozen, the nested model's must still be the source file's.
    if source.endswith(".h5") and (not description["trained"] or description["frozen"]):
        original = h5_weights(source)
        frozen = description["frozen"]
        for k, v in original.items():
            if description["trained"] and not k.startswith(f"{frozen}/"):
                continue
            if k not in written or not np.array_equal(written[k], v):
                problems.append(f"{k} (differs from the source file)")
            compared_source += 1
    return len(meant), compared_source, problems


def keras_layout(a, data_format):
    """A convscope (channels-first) batch as Keras holds it for a channels_last model."""
    return np.transpose(a, (0, 2, 3, 1)) if data_format == "channels_last" and a.ndim == 4 else a


def check_keras(out, id_, description):
    import keras

    model = keras.saving.load_model(os.path.join(out, f"{id_}.h5"), compile=False)
    x = keras_layout(np.load(os.path.join(out, f"{id_}.input.npy")), description["dataFormat"])
    got = model.predict(x, verbose=0)
    got = got if isinstance(got, list) else [got]
    results = []
    for k, name in enumerate(description["outputs"]):
        ref = keras_layout(np.load(os.path.join(out, f"{id_}.out{k}.npy")), description["dataFormat"])
        if k >= len(got) or np.shape(got[k]) != ref.shape:
            results.append((name, None, None, None, f"Keras gives shape {np.shape(got[k]) if k < len(got) else None}, convscope {ref.shape}"))
            continue
        diff = float(np.max(np.abs(np.asarray(got[k], np.float64) - ref)))
        bound = 1e-4 * float(np.max(np.abs(ref))) + 1e-6
        classes = bool(np.array_equal(np.argmax(got[k], -1), np.argmax(ref, -1))) if ref.ndim == 2 else None
        results.append((name, diff, bound, classes, None))
    return results


def uses_hard_sigmoid(path):
    config = ""
    if path.endswith(".h5"):
        with h5py.File(path, "r") as f:
            config = text(f.attrs["model_config"])
    return '"hard_sigmoid"' in config


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="where the written files go (default: a temporary folder)")
    parser.add_argument("models", nargs="*", help="fixture paths, relative to test/fixtures/models or absolute")
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="check-h5-keras-")
    sources = [m if os.path.isabs(m) or m.startswith("mnist-cnn") else os.path.join(MODELS, m) for m in (args.models or DEFAULT)]
    node = subprocess.run(["node", "--import", "tsx", os.path.join(ROOT, "scripts", "check-h5-keras.ts"), out, *sources],
                          cwd=ROOT, capture_output=True, text=True)
    if node.returncode != 0:
        sys.exit(f"check-h5-keras.ts failed:\n{node.stderr}")
    import keras

    print(f"Keras {keras.__version__} ({keras.backend.backend()}), h5py {h5py.__version__}; files in {out}")
    failed = 0
    for id_ in node.stdout.split():
        with open(os.path.join(out, f"{id_}.json")) as f:
            description = json.load(f)
        source = description["source"]
        label = os.path.relpath(source, MODELS) if os.path.isabs(source) else source
        label += "".join(f" ({k} {description[k]})" for k in ("frozen", "trained") if description[k])
        meant, from_source, problems = check_weights(out, id_, description)
        line = f"{label}: h5py: {meant} weights as meant" + (f", {from_source} equal to the source file's" if from_source else "")
        if problems:
            failed += 1
            line += f"; WRONG: {', '.join(problems[:5])}"
        try:
            results = check_keras(out, id_, description)
        except Exception as err:  # the loader's refusal is the finding
            known = KERAS3_LIMITS.get(label)
            failed += 0 if known else 1
            reason = str(err).splitlines()[0][:200] if str(err) else ""
            print(f"{line}; Keras: {'refused, a known Keras 3 limit: ' + known if known else 'LOAD FAILED'} ({type(err).__name__}: {reason})")
            continue
        parts = []
        for name, diff, bound, classes, problem in results:
            if problem:
                parts.append(f"{name}: {problem}")
                failed += 1
                continue
            ok = diff <= bound and classes is not False
            note = "" if ok or not uses_hard_sigmoid(description["source"]) else " (hard_sigmoid: Keras 3's definition differs)"
            if not ok and not note:
                failed += 1
            parts.append(f"{name}: max|diff| {diff:.2e} (bound {bound:.2e})" + ("" if classes is None else f", classes {'equal' if classes else 'DIFFER'}") + ("" if ok else " OVER") + note)
        print(f"{line}; Keras: {'; '.join(parts)}")
    print("all checks passed" if failed == 0 else f"{failed} check(s) failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
