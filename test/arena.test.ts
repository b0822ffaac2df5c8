import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Arena } from '../src/runtime/arena.ts';
import { expectConvscopeError } from './helpers/errors.ts';

test('a memory that cannot grow far enough gives E_TOO_LARGE naming the bytes needed, and the arena stays usable', async () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const arena = new Arena(memory, 0);
  await expectConvscopeError(() => arena.scope(() => arena.alloc(3 * 65536)), 'E_TOO_LARGE', 'needs 192.0 KiB of WebAssembly memory', 'it has 64.0 KiB');
  // The failed allocation left the bump pointer where it was.
  const ptr = arena.scope(() => arena.alloc(1024));
  assert.is(ptr, 0);
  assert.is(arena.alloc(100 * 1024), 0);
  assert.is(arena.bytes, 2 * 65536);
});

test.run();
