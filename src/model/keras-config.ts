import { ConvscopeError, type ErrorCode } from '../errors.ts';
import { KERAS_ACTIVATIONS, activationFromKeras, type ActivationName } from '../layers/activation-fns.ts';
import { describe } from './spec-schema.ts';

const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * Typed reads of one Keras layer's config, each checked, with messages that name the layer and
 * the key: `layer 'conv1' (Conv2D): config.strides: expected two positive integers, got "x"`.
 * E_FORMAT for a value of the wrong type (a damaged file), E_UNSUPPORTED for a well-formed value
 * the engine does not implement.
 */
export class KerasConfig {
  constructor(readonly layerName: string, readonly className: string, readonly config: Record<string, unknown>) {}

  fail(message: string, code: ErrorCode = 'E_FORMAT'): never {
    throw new ConvscopeError(code, `layer '${this.layerName}' (${this.className}): ${message}`);
  }

  failKey(key: string, expected: string, code: ErrorCode = 'E_FORMAT'): never {
    const v = this.config[key];
    return this.fail(`config.${key}: ${v === undefined ? `missing; expected ${expected}` : `expected ${expected}, got ${describe(v)}`}`, code);
  }

  /**
   * The layer's activation; Keras writes it for every layer that has one, so a missing one means a
   * damaged config. `kerasMajor`: the Keras whose definitions apply (hard_sigmoid differs).
   */
  activation(kerasMajor: 2 | 3 = 2): ActivationName {
    const a = this.config.activation;
    const name = typeof a === 'string' ? activationFromKeras(a, kerasMajor) : undefined;
    if (name) return name;
    if (typeof a === 'string' || (typeof a === 'object' && a !== null)) {
      const what = typeof a === 'string' ? `activation '${a}' is` : 'a custom activation (an object in the config) is';
      this.fail(`${what} not supported; supported activations: ${KERAS_ACTIVATIONS.join(', ')}`, 'E_UNSUPPORTED');
    }
    return this.failKey('activation', `one of ${KERAS_ACTIVATIONS.join(', ')}`);
  }

  /** A size or stride: a positive integer n (taken as [n, n]) or two of them. */
  pair(key: string, fallback?: [number, number]): [number, number] {
    const v = this.config[key];
    if ((v === undefined || v === null) && fallback) return fallback;
    if (isPositiveInt(v)) return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every(isPositiveInt)) return [v[0], v[1]];
    return this.failKey(key, 'two positive integers');
  }

  padding(): 'valid' | 'same' {
    const p = this.config.padding;
    if (p === 'valid' || p === 'same') return p;
    if (typeof p === 'string') this.fail(`padding '${p}' is not supported; valid choices: valid, same`, 'E_UNSUPPORTED');
    return this.failKey('padding', "'valid' or 'same'");
  }

  flag(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    if (v === undefined) return fallback;
    return typeof v === 'boolean' ? v : this.failKey(key, 'true or false');
  }

  optionalPositiveInt(key: string): number | undefined {
    const v = this.config[key];
    return v === undefined || v === null || isPositiveInt(v) ? (v ?? undefined) as number | undefined : this.failKey(key, 'a positive integer');
  }

  number(key: string, fallback: number, min: number): number {
    const v = this.config[key];
    if (v === undefined) return fallback;
    return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : this.failKey(key, `a number of at least ${min}`);
  }

  declaredDataFormat(): 'channels_first' | 'channels_last' | undefined {
    const f = this.config.data_format;
    if (f === undefined || f === null || f === 'channels_first' || f === 'channels_last') return f ?? undefined;
    return this.failKey('data_format', "'channels_first' or 'channels_last'");
  }

  integers(key: string): number[] {
    const v = this.config[key];
    return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d)) ? v : this.failKey(key, 'a list of integers');
  }
}
