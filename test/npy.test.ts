import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy, toNpy } from '../src/io/npy.ts';
import { readNpy, readNpyTensor, writeNpy } from '../src/node/inputs.ts';
import { Tensor } from '../src/tensor.ts';
import { seededRandom, randomTensor } from './helpers/random.ts';

// Written by numpy: test/fixtures/npy/make_fixtures.py
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'npy');
const fixture = (name: string): string => join(FIXTURES, name);

async function expectArray(name: string, dtype: string, shape: number[], values: ArrayLike<number | bigint>): Promise<void> {
  const a = await readNpy(fixture(name));
  assert.is(a.dtype, dtype);
  assert.equal(a.shape, shape);
  assert.equal(Array.from(a.data as ArrayLike<number | bigint>), Array.from(values));
}

test('float32 (2, 3, 4)', async () => {
  const values = Array.from({ length: 24 }, (_, i) => (i - 11.5) / 4);
  await expectArray('f32_3d.npy', 'float32', [2, 3, 4], values);
  const t = await readNpyTensor(fixture('f32_3d.npy'));
  assert.equal(t.shape, [2, 3, 4]);
  assert.ok(t.data instanceof Float32Array);
});

test('float32 (3,) rounds like numpy', () =>
  expectArray('f32_1d.npy', 'float32', [3], [1.5, -2.25, Math.fround(3e-7)]));

test('float64 (2, 2), and as a float32 tensor', async () => {
  const values = [Math.PI, -Math.E, 1e-300, 2 ** 40];
  await expectArray('f64.npy', 'float64', [2, 2], values);
  assert.equal(Array.from((await readNpyTensor(fixture('f64.npy'))).data), values.map(Math.fround));
});

test('int32 and int64, and int64 as a float32 tensor', async () => {
  await expectArray('i32.npy', 'int32', [2, 2], [-(2 ** 31), 7, 0, 2 ** 31 - 1]);
  await expectArray('i64.npy', 'int64', [4], [-3n, 0n, 2n ** 40n, -(2n ** 40n)]);
  assert.equal(Array.from((await readNpyTensor(fixture('i64.npy'))).data), [-3, 0, 2 ** 40, -(2 ** 40)]);
});

test('big-endian >f4, >i8, >u2', async () => {
  await expectArray('be_f4.npy', 'float32', [1, 3], [1, -2.5, 3.25]);
  await expectArray('be_i8.npy', 'int64', [3], [1n, -2n, 2n ** 33n]);
  await expectArray('be_u2.npy', 'uint16', [3], [1, 258, 65535]);
});

test('uint8, int8, int16, uint16, bool', async () => {
  await expectArray('u8.npy', 'uint8', [4], [0, 1, 254, 255]);
  await expectArray('i8.npy', 'int8', [4], [-128, -1, 0, 127]);
  await expectArray('i16.npy', 'int16', [4], [-32768, -2, 3, 32767]);
  await expectArray('u16.npy', 'uint16', [3], [0, 1, 65535]);
  await expectArray('bool.npy', 'bool', [1, 3], [1, 0, 1]);
});

test('0-d scalar and empty (0, 3)', async () => {
  await expectArray('scalar.npy', 'float32', [], [-4.75]);
  const t = await readNpyTensor(fixture('scalar.npy'));
  assert.equal(t.shape, []);
  assert.is(t.data[0], -4.75);
  await expectArray('empty_0x3.npy', 'float32', [0, 3], []);
});

test('format versions 2.0 and 3.0', async () => {
  await expectArray('v2_f32.npy', 'float32', [3, 2], [0, 1, 2, 3, 4, 5]);
  await expectArray('v3_f32.npy', 'float32', [5], [0, 1, 2, 3, 4]);
});

async function rejects(name: string, pattern: RegExp): Promise<void> {
  try {
    await readNpy(fixture(name));
  } catch (err) {
    const message = (err as Error).message;
    assert.ok(message.includes(name), `message names the file: ${message}`);
    assert.match(message, pattern);
    return;
  }
  assert.unreachable(`${name} was accepted`);
}

test('bad files give one clear error', async () => {
  await rejects('make_fixtures.py', /not a \.npy file/);
  await rejects('truncated.npy', /truncated data: a float32 array of shape \[2, 3, 4\] needs 96 bytes but the file holds 91/);
  await rejects('fortran.npy', /Fortran \(column-major\) order; only C order/);
  await rejects('complex_c8.npy', /unsupported dtype '<c8'; supported: float32, float64, .*bool/);
  await rejects('object.npy', /unsupported dtype '\|O'; supported:/);
});

test('toNpy writes the same bytes as np.save', () => {
  const cases: [string, number[], Float32Array | Int32Array][] = [
    ['writer_f32_2x3.npy', [2, 3], new Float32Array([0.5, -1, 2, 3, 4, -5.5])],
    ['writer_i32_5.npy', [5], new Int32Array([3, -1, 0, 2 ** 31 - 1, -(2 ** 31)])],
    ['writer_f32_scalar.npy', [], new Float32Array([2.5])],
  ];
  for (const [name, shape, data] of cases) {
    assert.equal(Array.from(toNpy(shape, data)), Array.from(readFileSync(fixture(name))), name);
  }
});

test('toNpy then parseNpy round-trips odd shapes', () => {
  const rng = seededRandom(7);
  for (const shape of [[1], [0], [3, 1, 5], [2, 0, 4], [1, 2, 3, 4, 5, 6], [100]]) {
    const t = randomTensor(rng, shape);
    const back = parseNpy(toNpy(t.shape, t.data));
    assert.equal(back.shape, shape);
    assert.equal(Array.from(back.data as Float32Array), Array.from(t.data));
  }
});

test('writeNpy replaces the file atomically and leaves no temporary behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'convscope-npy-'));
  try {
    const path = join(dir, 'out.npy');
    await writeNpy(path, new Tensor([2], [1, 2]));
    const t = new Tensor([2, 2], [1, -2, 3.5, 0]);
    await writeNpy(path, t);
    const back = await readNpyTensor(path);
    assert.equal(back.shape, [2, 2]);
    assert.equal(Array.from(back.data), Array.from(t.data));
    assert.equal(await readdir(dir), ['out.npy']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
