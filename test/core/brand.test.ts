import { describe, expect, it } from 'vitest';
import { isBranded, isInstance } from '../../src/core/brand.js';
import { SluiceError, SluiceStoreError } from '../../src/core/errors.js';

describe('brand', () => {
  it('is false, without throwing, for every primitive, null and undefined', () => {
    for (const value of [undefined, null, 0, '', 'SluiceError', true, 1n, Symbol('sluice')]) {
      expect(isInstance(SluiceError, value)).toBe(false);
      expect(isBranded(value, 'SluiceError')).toBe(false);
      expect((value as unknown) instanceof SluiceError).toBe(false);
    }
  });

  it('recognises a function whose prototype chain holds a branded prototype, as ordinary instanceof does', () => {
    const callable = Object.setPrototypeOf(() => 0, SluiceStoreError.prototype) as unknown;
    expect(Function.prototype[Symbol.hasInstance].call(SluiceStoreError, callable)).toBe(true);
    expect(callable instanceof SluiceStoreError).toBe(true);
    expect(callable instanceof SluiceError).toBe(true);
    expect(isBranded(callable, 'SluiceStoreError')).toBe(true);
    expect(isBranded(() => 0, 'SluiceStoreError')).toBe(false);
  });

  it("recognises an object of another copy, which carries the mark but not this copy's prototype", () => {
    const otherCopy = Object.create(Object.defineProperty({}, Symbol.for('sluice.SluiceError'), { value: 1 })) as unknown;
    expect(otherCopy instanceof SluiceError).toBe(true);
    expect(otherCopy instanceof SluiceStoreError).toBe(false);
  });
});
