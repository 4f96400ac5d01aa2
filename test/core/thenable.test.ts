import { describe, expect, it } from 'vitest';
import { isThenable } from '../../src/core/thenable.js';

/** `target` with a `then` property of `value` (a thenable on purpose, when `value` is a function). */
function withThen<T extends object>(target: T, value: unknown): T {
  return Object.defineProperty(target, 'then', { value, enumerable: true });
}

describe('isThenable', () => {
  it('is true for a promise and for any object with a then method', () => {
    expect(isThenable(Promise.resolve(1))).toBe(true);
    expect(isThenable(withThen({}, () => undefined))).toBe(true);
    expect(isThenable(Object.create(withThen({}, () => undefined)))).toBe(true);
  });

  it('is false for null, primitives and objects whose then is no function', () => {
    for (const value of [null, undefined, 0, 'then', true, 1n, Symbol('then'), {}, withThen({}, 1), []]) {
      expect(isThenable(value)).toBe(false);
    }
  });

  it('looks only at objects: a function, even with a then method, is an answer, not a promise', () => {
    const callable = withThen(
      () => 1,
      () => undefined,
    );
    expect(isThenable(callable)).toBe(false);
  });

  it('is false for an object whose then cannot be read', () => {
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwingGetter = Object.defineProperty({}, 'then', {
      get() {
        throw new Error('then getter');
      },
    });
    expect(isThenable(revoked)).toBe(false);
    expect(isThenable(throwingGetter)).toBe(false);
  });
});
