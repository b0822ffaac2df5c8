import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor } from '../src/tensor.ts';
import { setMemoryLimit } from '../src/limits.ts';
import { expectConvscopeError } from './helpers/errors.ts';

test('a huge shape is refused before allocating, naming the shape and the bytes (not RangeError: Invalid typed array length)', async () => {
  await expectConvscopeError(() => new Tensor([65536, 65536, 4]), 'E_TOO_LARGE', 'a tensor of shape [65536, 65536, 4] needs 64.0 GiB', 'memory limit');
  await expectConvscopeError(() => Tensor.zeros([2 ** 40, 2 ** 20]), 'E_TOO_LARGE', 'a tensor of shape');
});

test('the memory limit applies to zeros and to copies of plain arrays, not to a Float32Array kept as it is', async () => {
  setMemoryLimit(1024);
  try {
    await expectConvscopeError(() => new Tensor([512]), 'E_TOO_LARGE', 'needs 2.0 KiB');
    await expectConvscopeError(() => new Tensor([512], new Array<number>(512).fill(0)), 'E_TOO_LARGE');
    assert.is(new Tensor([512], new Float32Array(512)).size, 512);
  } finally {
    setMemoryLimit(2 ** 30);
  }
});

test('negative, fractional, NaN and non-number dimensions are argument errors', async () => {
  await expectConvscopeError(() => new Tensor([2, -1]), 'E_ARGUMENT', "a tensor's shape must be an array of whole numbers >= 0, not [2, -1]");
  await expectConvscopeError(() => new Tensor([1.5]), 'E_ARGUMENT', 'not [1.5]');
  await expectConvscopeError(() => new Tensor([NaN]), 'E_ARGUMENT', 'not [NaN]');
  await expectConvscopeError(() => new Tensor(['3' as never]), 'E_ARGUMENT', "not ['3']");
  await expectConvscopeError(() => new Tensor(null as never), 'E_ARGUMENT', 'not null');
  await expectConvscopeError(() => new Tensor(undefined as never), 'E_ARGUMENT', 'not nothing');
});

test('data of the wrong length or kind', async () => {
  await expectConvscopeError(() => new Tensor([2, 2], [1, 2, 3]), 'E_SHAPE', 'a tensor of shape [2, 2] needs 4 values but got 3');
  await expectConvscopeError(() => new Tensor([1], 5 as never), 'E_ARGUMENT', "a tensor's data must be a Float32Array or an array of numbers, not 5");
  await expectConvscopeError(() => new Tensor([2, 2]).reshape([3]), 'E_SHAPE', 'cannot reshape a tensor of shape [2, 2] (4 values) to [3]');
});

test.run();
