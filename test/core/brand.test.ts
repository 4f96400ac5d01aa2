import { describe, expect, it, vi } from 'vitest';
import { isBranded, isInstance } from '../../src/core/brand.js';
import {
  CostExceedsCapacityError,
  SluiceArgumentError,
  SluiceConfigError,
  SluiceError,
  SluiceStoreError,
  StoreTimeoutError,
} from '../../src/core/errors.js';

const thisCopy = { SluiceError, SluiceConfigError, SluiceArgumentError, CostExceedsCapacityError, SluiceStoreError, StoreTimeoutError };

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
  it("marks each error class with its own name, so that a second copy's errors pass `instanceof` with this copy's classes", async () => {
    // A second copy of the module, loaded inside the test: its classes are branded now, not at this file's import.
    vi.resetModules();
    const otherCopy = await import('../../src/core/errors.js');
    for (const [name, This] of Object.entries(thisCopy)) {
      const Other = otherCopy[name as keyof typeof thisCopy];
      expect(Other).not.toBe(This);
      expect((Other.prototype as unknown as Record<symbol, unknown>)[Symbol.for(`sluice.${name}`)]).toBe(1);
      const made = Object.create(Other.prototype) as unknown;
      expect(made instanceof This).toBe(true);
      expect(isBranded(made, name)).toBe(true);
      expect(Object.create(This.prototype) instanceof Other).toBe(true);
    }
    // Each mark is the class's own: a store error of the other copy is no config error of this one.
    expect(Object.create(otherCopy.SluiceStoreError.prototype) instanceof thisCopy.SluiceConfigError).toBe(false);
    expect(Object.create(otherCopy.CostExceedsCapacityError.prototype) instanceof thisCopy.SluiceArgumentError).toBe(true);
  });
});
