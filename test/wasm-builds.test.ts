// The runtime's choice among the three wasm builds (src/runtime/wasm-module.ts): relaxed SIMD where
// it validates, else SIMD, else scalar; the relaxed kernel set is listed (and so golden-tested)
// exactly where this runtime validates it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { defaultKernelSetName, kernelSet } from '../src/runtime/backend.ts';
import { wasmRelaxedSimdSupported, wasmSimdSupported } from '../src/runtime/wasm-module.ts';

const relaxed = wasmRelaxedSimdSupported();
if (!relaxed) {
  console.log('note: this runtime does not validate the relaxed SIMD build (Node 20 needs --experimental-wasm-relaxed-simd): its kernels are skipped in this run');
}

test('the relaxed kernel set is listed exactly where the runtime validates its build', () => {
  assert.is(KERNEL_SET_NAMES.includes('relaxed'), relaxed);
});

test('the default kernel set is the best build the runtime validates', () => {
  if (process.env.CONVSCOPE_KERNELS) return;
  assert.is(defaultKernelSetName(), relaxed ? 'relaxed' : wasmSimdSupported() ? 'simd' : 'scalar');
});

test('asking for relaxed kernels where they do not validate says what is missing', () => {
  if (relaxed) {
    assert.is(kernelSet('relaxed').name, 'relaxed');
  } else {
    assert.throws(() => kernelSet('relaxed'), /does not support WebAssembly relaxed SIMD \(Node 20 needs --experimental-wasm-relaxed-simd\)/);
  }
});

test.run();
