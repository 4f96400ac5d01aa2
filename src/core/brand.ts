/**
 * Recognising sluice's own objects across copies of the package. One app can load sluice twice: its ES module
 * build through `import` and its CommonJS build through `require` (an app and a dependency that load it
 * differently), or two installed versions. Each copy has its own classes, so `instanceof` with one copy's class
 * refuses the other copy's objects. Each branded class marks its prototype with a symbol from the global registry,
 * which every copy shares, and answers `instanceof` by looking for that mark.
 */

/**
 * The mark's value: the version of what copies rely on in each other's objects (the internal members a
 * limiter calls on a fallback limiter or a MemoryStore). A copy that changes those members changes this, and
 * then the copies refuse each other's objects, as `instanceof` did.
 */
const BRAND_VERSION = 1;

// biome-ignore lint/complexity/noBannedTypes: any class, abstract or not, whatever its constructor's parameters
type Class = Function & { readonly prototype: object };

const marks = new WeakMap<Class, symbol>();

/** Marks `type`'s instances (and its subclasses') as sluice's `name`, in every copy of sluice. */
export function brand(type: Class, name: string): void {
  const mark = Symbol.for(`sluice.${name}`);
  Object.defineProperty(type.prototype, mark, { value: BRAND_VERSION });
  marks.set(type, mark);
}

/**
 * `value instanceof type`, where any copy's instance of a branded class counts. A class that was not
 * branded (a user's subclass) gets the ordinary check.
 */
export function isInstance(type: Class, value: unknown): boolean {
  const mark = marks.get(type);
  if (mark === undefined) return Function.prototype[Symbol.hasInstance].call(type, value);
  return hasMark(value, mark);
}

/**
 * Whether `value` is an instance of the branded class `name` (`'RateLimiter'`) of any copy of sluice, for a
 * module that must not import that class (it would make an import cycle).
 */
export function isBranded(value: unknown, name: string): boolean {
  return hasMark(value, Symbol.for(`sluice.${name}`));
}

function hasMark(value: unknown, mark: symbol): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    (value as Record<symbol, unknown>)[mark] === BRAND_VERSION
  );
}
