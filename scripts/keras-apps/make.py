"""Builds real keras.applications models with real Keras 3 and records Keras's own numbers.

Run with a Python that has Keras 3 (+ JAX), not part of `npm test`:

    KERAS_BACKEND=jax /tmp/k3venv/bin/python scripts/keras-apps/make.py [CACHE] [MODEL ...]

CACHE defaults to bench/.cache/keras-apps (outside git). For each model it writes
  NAME.keras   the Keras 3 archive (model.save)
  NAME.h5      Keras 3's legacy HDF5 (model.save('x.h5'))
  NAME.npz     input (the photos after the model's own preprocess_input, channels_last, batch 2),
               pred (Keras's output for the batch), and out:LAYER for every layer/operation's
               output on the first photo, channels_last as Keras gives it.
Weights: Keras's seeded random init (weights=None), plus random biases and random
BatchNormalization/Normalization statistics so that they matter.
"""
import os
import sys
import json
import time

os.environ.setdefault('KERAS_BACKEND', 'jax')

import numpy as np
import keras
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PHOTOS = ['chelsea.png', 'grace_hopper.jpg']
CALIBRATION = ['coffee.png']  # with flips of all three: the batch normalisation statistics

A = keras.applications
# name: (constructor, keyword arguments, preprocess_input)
MODELS = {
    'MobileNetV2': (A.MobileNetV2, dict(input_shape=(96, 96, 3), alpha=0.35), A.mobilenet_v2.preprocess_input),
    'MobileNetV3Small': (A.MobileNetV3Small, dict(input_shape=(96, 96, 3)), A.mobilenet_v3.preprocess_input),
    'MobileNetV3Large': (A.MobileNetV3Large, dict(input_shape=(96, 96, 3)), A.mobilenet_v3.preprocess_input),
    'ResNet50': (A.ResNet50, dict(input_shape=(96, 96, 3)), A.resnet50.preprocess_input),
    'ResNet50V2': (A.ResNet50V2, dict(input_shape=(96, 96, 3)), A.resnet_v2.preprocess_input),
    'EfficientNetB0': (A.EfficientNetB0, dict(input_shape=(96, 96, 3)), A.efficientnet.preprocess_input),
    'DenseNet121': (A.DenseNet121, dict(input_shape=(96, 96, 3)), A.densenet.preprocess_input),
    'InceptionV3': (A.InceptionV3, dict(input_shape=(75, 75, 3)), A.inception_v3.preprocess_input),
    'Xception': (A.Xception, dict(input_shape=(75, 75, 3)), A.xception.preprocess_input),
    'ConvNeXtTiny': (A.ConvNeXtTiny, dict(input_shape=(64, 64, 3)), A.convnext.preprocess_input),
    'VGG16': (A.VGG16, dict(input_shape=(64, 64, 3)), A.vgg16.preprocess_input),
    'NASNetMobile': (A.NASNetMobile, dict(input_shape=(96, 96, 3)), A.nasnet.preprocess_input),
}


def photo(path, size):
    """A centre square of the photo, resized bilinearly to size x size, float32 0..255 (H, W, 3)."""
    img = Image.open(path).convert('RGB')
    w, h = img.size
    s = min(w, h)
    img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    return np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.float32)


def randomize_statistics(model, rng):
    """Random biases and normalisation statistics: Keras's init leaves them 0/1, which would hide bugs."""
    for layer in model.layers:
        for v in layer.weights:
            short = v.path.split('/')[-1]
            shape = tuple(v.shape)
            if short == 'bias':
                v.assign(rng.normal(0, 0.05, shape).astype('float32'))
            elif short == 'moving_mean':
                v.assign(rng.normal(0, 0.1, shape).astype('float32'))
            elif short == 'moving_variance':
                v.assign(rng.uniform(0.5, 2.0, shape).astype('float32'))
            elif short == 'gamma' and isinstance(layer, keras.layers.BatchNormalization):
                v.assign(rng.uniform(0.7, 1.3, shape).astype('float32'))
            elif short == 'beta':
                v.assign(rng.normal(0, 0.1, shape).astype('float32'))
            elif isinstance(layer, keras.layers.Normalization) and short == 'mean':
                v.assign(rng.uniform(0.3, 0.6, shape).astype('float32'))
            elif isinstance(layer, keras.layers.Normalization) and short == 'variance':
                v.assign(rng.uniform(0.04, 0.09, shape).astype('float32'))
            elif short == 'gamma' and type(layer).__name__ == 'LayerScale':
                # init_values 1e-6 would make every ConvNeXt block a no-op
                v.assign(rng.uniform(0.5, 1.0, shape).astype('float32'))
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()  # it computes with copies of its variables, made when built


def calibrate_batch_norms(model, x, rng):
    """Moving statistics near the ones the photos give (as training would leave them), each off by a
    little random factor so that the layer is not an exact whitening. A network with random weights
    and made-up statistics forgets its input within a few blocks, and then every class test is void.
    One pass fixes one more layer along the deepest path: repeat until nothing moves."""
    norms = [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]
    if not norms:
        return 0
    probe = keras.Model(model.inputs, [l.input for l in norms])
    skew = {l.name: (rng.normal(0, 0.1, l.moving_mean.shape), rng.uniform(0.8, 1.25, l.moving_variance.shape))
            for l in norms}
    for passes in range(1, len(norms) + 2):
        values = probe.predict(x, verbose=0)
        values = values if isinstance(values, list) else [values]
        moved = 0.0
        for l, v in zip(norms, values):
            axes = tuple(i for i in range(v.ndim) if i != (l.axis % v.ndim))
            mean, var = v.mean(axis=axes), v.var(axis=axes)
            # a channel the photos hardly move (a 1x1 map late in InceptionV3 sees a few values)
            # would divide by ~sqrt(epsilon): chaos, where float rounding decides the class
            var = np.maximum(var, 0.1 * var.mean())
            shift, scale = skew[l.name]
            new_mean = (mean + shift * np.sqrt(var)).astype('float32')
            new_var = (var * scale).astype('float32')
            old = np.asarray(l.moving_variance)
            moved = max(moved, float(np.max(np.abs(new_var - old) / (old + 1e-6))))
            l.moving_mean.assign(new_mean)
            l.moving_variance.assign(new_var)
        if moved < 1e-4:
            break
    return passes


def every_output(model):
    """(name, KerasTensor) for every layer and operation in the graph, in Keras's order."""
    seen = []
    for op in model.operations:
        if isinstance(op, keras.layers.InputLayer):
            seen.append((op.name, model.inputs[0]))
            continue
        seen.append((op.name, op.output))
    return seen


def make(name, cache):
    ctor, kwargs, preprocess = MODELS[name]
    keras.utils.set_random_seed(1234)
    t0 = time.time()
    model = ctor(weights=None, include_top=True, classes=10, **kwargs)
    randomize_statistics(model, np.random.default_rng(1234))
    size = kwargs['input_shape'][0]
    raw = np.stack([photo(os.path.join(cache, 'photos', p), size) for p in PHOTOS])
    x = np.asarray(preprocess(raw.copy()), dtype=np.float32)
    more = np.stack([photo(os.path.join(cache, 'photos', p), size) for p in CALIBRATION])
    more = np.concatenate([more, more[:, :, ::-1], raw[:, :, ::-1], raw[:, ::-1]])
    calibration = np.concatenate([x, np.asarray(preprocess(more.copy()), dtype=np.float32)])
    passes = calibrate_batch_norms(model, calibration, np.random.default_rng(99))
    pred = np.asarray(model.predict(x, verbose=0), dtype=np.float32)
    outs = every_output(model)
    probe = keras.Model(model.inputs, [t for _, t in outs])
    values = probe.predict(x[:1], verbose=0)
    arrays = {'input': x, 'pred': pred}
    for (lname, _), v in zip(outs, values):
        arrays['out:' + lname] = np.asarray(v[0], dtype=np.float32)
    np.savez(os.path.join(cache, name + '.npz'), **arrays)
    model.save(os.path.join(cache, name + '.keras'))
    model.save(os.path.join(cache, name + '.h5'))
    meta = {
        'name': name, 'params': int(model.count_params()), 'layers': len(model.layers),
        'operations': len(model.operations), 'classes': pred.argmax(1).tolist(),
        'top2_margin': [float(np.sort(p)[-1] - np.sort(p)[-2]) for p in pred],
        'input_size': size, 'bn_passes': passes, 'seconds': round(time.time() - t0, 1),
    }
    with open(os.path.join(cache, name + '.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta), flush=True)


def main():
    cache = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'bench/.cache/keras-apps')
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(cache, exist_ok=True)
    if not os.path.exists(os.path.join(cache, 'photos')):
        sys.exit(f'put the photos {PHOTOS} in {cache}/photos (see scripts/keras-apps/README.md)')
    for n in names:
        try:
            make(n, cache)
        except Exception as e:  # one model failing must not stop the others
            print(json.dumps({'name': n, 'error': f'{type(e).__name__}: {e}'[:300]}), flush=True)


if __name__ == '__main__':
    main()
