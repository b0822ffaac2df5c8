import { ConvscopeError } from './errors.ts';
import { Tensor } from './tensor.ts';

/**
 * Argument checks shared by every public function: each throws a ConvscopeError E_ARGUMENT
 * whose message names the argument, what was given and what is valid, so that a wrong call
 * never reaches a TypeError inside.
 */

/** A short, safe description of any value for a message: `null`, `the number 42`, `a string 'x'`, `an array`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  if (typeof value === 'boolean') return `${String(value)}`;
  if (typeof value === 'bigint') return `the bigint ${String(value)}`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (value instanceof Tensor) return `a tensor of shape [${value.shape.join(', ')}]`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** A number as itself, anything else described: for the entries of a list in a message. */
export function describeEntry(value: unknown): string {
  return typeof value === 'number' ? String(value) : describe(value);
}

export function argumentError(message: string): ConvscopeError {
  return new ConvscopeError('E_ARGUMENT', message);
}

export function checkTensor(value: unknown, name: string): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw argumentError(`${name} must be a Tensor, not ${describe(value)}`);
}

/** An options object: undefined gives {}; anything but a plain object is refused. */
export function checkOptions<T extends object>(value: T | undefined, name = 'options'): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Tensor) {
    throw argumentError(`${name} must be an object, not ${describe(value)}`);
  }
  return value;
}

export function checkString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw argumentError(`${name} must be a non-empty string, not ${describe(value)}`);
}

export function checkBoolean(value: unknown, name: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw argumentError(`${name} must be true or false, not ${describe(value)}`);
}

export function checkFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw argumentError(`${name} must be a function, not ${describe(value)}`);
}

/** A finite number (NaN, ±Infinity and non-numbers refused), optionally within [min, max]. */
export function checkNumber(value: unknown, name: string, range: { min?: number; max?: number; above?: number } = {}): asserts value is number {
  const { min, max, above } = range;
  const ok = typeof value === 'number' && Number.isFinite(value) &&
    (min === undefined || value >= min) && (max === undefined || value <= max) && (above === undefined || value > above);
  if (!ok) throw argumentError(`${name} must be ${rangeText('a finite number', min, max, above)}, not ${describe(value)}`);
}

/** A whole number (a safe integer), optionally within [min, max]. */
export function checkInteger(value: unknown, name: string, min = -Infinity, max = Infinity): asserts value is number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw argumentError(`${name} must be ${rangeText('a whole number', Number.isFinite(min) ? min : undefined, Number.isFinite(max) ? max : undefined)}, not ${describe(value)}`);
  }
}

/** One of a fixed list of names; the message lists them. */
export function checkChoice<T extends string>(value: unknown, name: string, choices: readonly T[], plural = `${name}s`): asserts value is T {
  if (!(typeof value === 'string' && (choices as readonly string[]).includes(value))) {
    const given = typeof value === 'string' ? `'${value}'` : describe(value);
    throw argumentError(`unknown ${name} ${given}; valid ${plural}: ${choices.join(', ')}`);
  }
}

/** A list of finite numbers with `length` entries (any length when omitted). */
export function checkNumberList(value: unknown, name: string, lengths?: readonly number[]): asserts value is number[] {
  const ok = Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    (lengths === undefined || lengths.includes(value.length));
  if (!ok) {
    const count = lengths === undefined ? '' : `${lengths.join(' or ')} `;
    throw argumentError(`${name} must be an array of ${count}finite numbers, not ${describe(value)}`);
  }
}

function rangeText(kind: string, min?: number, max?: number, above?: number): string {
  if (above !== undefined) return `${kind} above ${above}`;
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return min === 0 ? `${kind} >= 0` : min === 1 && kind === 'a whole number' ? 'a positive whole number' : `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}
