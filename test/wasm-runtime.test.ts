import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor } from '../src/tensor.ts';
import { conv2d, conv2dBackwardData } from '../src/ops/conv2d.ts';
import { maxPool2d } from '../src/ops/pool2d.ts';
import { relu } from '../src/ops/eltwise.ts';
import { withKernels, defaultKernelSetName, parseKernelSetName } from '../src/runtime/backend.ts';
import { wasmMemoryBytes, wasmSimdSupported } from '../src/runtime/wasm-kernels.ts';

test('Node 20 validates the SIMD build and picks it by default', () => {
  assert.ok(wasmSimdSupported());
  assert.is(defaultKernelSetName(), 'simd');
});

test('an unknown kernel set name is refused with the valid choices', () => {
  assert.throws(() => parseKernelSetName('gpu'), /unknown kernel set 'gpu'; choose reference, scalar or simd/);
});

for (const build of ['simd', 'scalar'] as const) {
  test(`10,000 kernel calls do not grow ${build} wasm memory`, () => {
    const x = new Tensor([1, 3, 9, 9], Float32Array.from({ length: 243 }, (_, i) => (i % 7) - 3));
    const w = new Tensor([4, 3, 3, 3], Float32Array.from({ length: 108 }, (_, i) => (i % 5) - 2));
    const run = () => {
      const y = conv2d(x, w, null, { padding: { top: 1, bottom: 1, left: 1, right: 1 } });
      conv2dBackwardData(y, w, [9, 9], { padding: { top: 1, bottom: 1, left: 1, right: 1 } });
      maxPool2d(relu(y), { kernel: [2, 2] });
    };
    withKernels(build, () => {
      run();
      const before = wasmMemoryBytes(build);
      for (let i = 0; i < 2500; i++) run();
      assert.is(wasmMemoryBytes(build), before);
    });
  });

  test(`a shape error throws before anything reaches ${build} wasm`, () => {
    const x = new Tensor([1, 3, 5, 5]);
    const w = new Tensor([2, 4, 3, 3]);
    withKernels(build, () => {
      assert.throws(() => conv2d(x, w, null), /conv2d: input has 3 channels but the kernel expects 4/);
    });
  });
}

test.run();
