/**
 * A short, readable description of any value for an error message: its type or class and a bounded excerpt,
 * never a dump. An error quoting a limiter, a store, a request or a huge array must stay one line that a log
 * keeps and a person reads; and describing a value must never throw (getters that throw, revoked proxies,
 * cycles), or the error about a bad value would become a different, unrelated one.
 */

/** Longest description, in characters, whatever the value. */
export const MAX_DESCRIPTION_LENGTH = 120;
/** Array elements or object properties shown before `…`. */
const MAX_ITEMS = 4;
/** Characters of a string shown at the top level, and inside an array or object. */
const MAX_STRING = 80;
const MAX_NESTED_STRING = 20;

/** Formats `value` for an error message in at most MAX_DESCRIPTION_LENGTH characters; never throws. */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = describe(value, true);
  } catch {
    text = 'a value that cannot be inspected';
  }
  return clip(text, MAX_DESCRIPTION_LENGTH);
}

/** The first `max` characters of `text` at most, without splitting a surrogate pair. */
function head(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** Cuts `text` to `max` characters, ending in `…` when cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${head(text, max - 1)}…`;
}

/** `text` escaped as in a JSON string, without the quotes, from its first `max` characters (`…` when cut). */
function excerpt(text: string, max: number): string {
  // Cut before escaping, so a huge string is never copied whole.
  const escaped = JSON.stringify(head(text, max)).slice(1, -1);
  return text.length > max ? `${escaped}…` : escaped;
}

function quote(text: string, max: number): string {
  return text.length > max ? `"${excerpt(text, max)}" (${text.length} chars)` : JSON.stringify(text);
}

/** `top`: the value itself, shown with a few of its elements or properties; otherwise one of those, shown briefly. */
function describe(value: unknown, top: boolean): string {
  switch (typeof value) {
    case 'string':
      return quote(value, top ? MAX_STRING : MAX_NESTED_STRING);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return value > 10n ** 30n || value < -(10n ** 30n) ? `a ${value.toString(2).length}-bit BigInt` : `${value}n`;
    case 'symbol':
      return `Symbol(${excerpt(value.description ?? '', MAX_NESTED_STRING)})`;
    case 'function':
      return `function ${functionName(value) || '(anonymous)'}`;
    case 'object':
      return value === null ? 'null' : describeObject(value, top);
    default:
      return String(value);
  }
}

function functionName(fn: object): string {
  const name = Object.getOwnPropertyDescriptor(fn, 'name')?.value;
  return typeof name === 'string' ? clip(name, MAX_NESTED_STRING) : '';
}

/** The name of the class `value` is an instance of ('' for a plain object, 'null prototype' for none). */
function className(value: object): string {
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null) return '[Object: null prototype]';
  if (prototype === Object.prototype) return '';
  const type = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
  return typeof type === 'function' ? functionName(type) || 'anonymous class' : 'Object';
}

function describeObject(value: object, top: boolean): string {
  if (Array.isArray(value)) {
    const head = `Array(${value.length})`;
    return top ? `${head} [${items(value, value.length)}]` : head;
  }
  if (ArrayBuffer.isView(value)) {
    const name = className(value) || 'TypedArray';
    if (value instanceof DataView) return `DataView(${value.byteLength} bytes)`;
    const length = (value as unknown as ArrayLike<unknown>).length;
    return top ? `${name}(${length}) [${items(value as unknown as ArrayLike<unknown>, length)}]` : `${name}(${length})`;
  }
  if (value instanceof Error) {
    const message = ownData(value, 'message');
    return `${className(value) || 'Error'}: ${typeof message === 'string' ? excerpt(message, MAX_STRING) : ''}`;
  }
  if (value instanceof Date) {
    const time = Date.prototype.getTime.call(value);
    return Number.isNaN(time) ? 'Date(invalid)' : `Date(${new Date(time).toISOString()})`;
  }
  if (value instanceof RegExp) return clip(RegExp.prototype.toString.call(value), MAX_STRING);
  if (value instanceof Map || value instanceof Set) return `${className(value)}(${value.size})`;
  if (value instanceof Promise) return 'a Promise';
  const name = className(value);
  if (!top) return name ? `${name} {…}` : '{…}';
  const shown = properties(value);
  return name ? `${name} ${shown}` : shown;
}

/** The value of an own data property, or undefined (a getter is not run). */
function ownData(value: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(value, key);
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
}

function items(list: ArrayLike<unknown>, length: number): string {
  const shown: string[] = [];
  for (let i = 0; i < Math.min(length, MAX_ITEMS); i++) shown.push(describeItem(list, String(i)));
  if (length > MAX_ITEMS) shown.push('…');
  return shown.join(', ');
}

function describeItem(owner: object, key: string): string {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(owner, key);
    if (descriptor === undefined) return 'empty';
    return 'value' in descriptor ? describe(descriptor.value, false) : '[getter]';
  } catch {
    return '?';
  }
}

/** `{ a: 1, b: "x", … }`: a few own enumerable properties, getters not run. */
function properties(value: object): string {
  const shown: string[] = [];
  let more = false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (shown.length === MAX_ITEMS) {
      more = true;
      break;
    }
    const name = /^[A-Za-z_$][\w$]*$/.test(key) ? clip(key, MAX_NESTED_STRING) : quote(key, MAX_NESTED_STRING);
    shown.push(`${name}: ${describeItem(value, key)}`);
  }
  if (more) shown.push('…');
  return shown.length === 0 ? '{}' : `{ ${shown.join(', ')} }`;
}

/** An option or argument name (a path such as `limits[1].interval`, or a key the caller chose) cut to a readable length. */
export function describeName(name: string): string {
  return clip(name, 60);
}
