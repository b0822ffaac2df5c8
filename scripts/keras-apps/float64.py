"""How far Keras's own float32 numbers are from float64 ones, node by node: the yardstick for
check.ts's end-to-end errors on deep models (each node alone agrees to ~1e-6).

    KERAS_BACKEND=jax /tmp/k3venv/bin/python scripts/keras-apps/float64.py CACHE MODEL ...
"""
import os
import sys

os.environ.setdefault('KERAS_BACKEND', 'jax')
import jax
jax.config.update('jax_enable_x64', True)
import numpy as np
import keras

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make import MODELS, every_output  # noqa: E402

keras.config.set_floatx('float64')
cache = sys.argv[1]
for name in sys.argv[2:]:
    ctor, kwargs, _ = MODELS[name]
    model = ctor(weights=None, include_top=True, classes=10, **kwargs)
    model.load_weights(os.path.join(cache, name + '.keras'))
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()
    ref = np.load(os.path.join(cache, name + '.npz'))
    outs = every_output(model)
    values = keras.Model(model.inputs, [t for _, t in outs]).predict(ref['input'][:1].astype('float64'), verbose=0)
    worst, over = (0.0, ''), 0
    keys = [k for k in ref.files if k.startswith('out:')]  # by position: a rebuilt model's auto names move on
    for n, v in zip(keys, values):
        r = ref[n].astype('float64')
        d = np.abs(np.asarray(v[0]) - r).max()
        rel = d / (np.abs(v[0]).max() or 1)
        over += d > 1e-4 * np.abs(v[0]).max() + 1e-6
        worst = max(worst, (rel, n))
    print(f'{name}: Keras float32 vs float64: max rel {worst[0]:.1e} at {worst[1]}; {over} nodes over the tolerance', flush=True)
