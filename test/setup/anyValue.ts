import fc from 'fast-check';

/** Any JavaScript value fast-check can build: every kind of primitive, object, array, typed array, Map, Set... */
export function anyValue(maxDepth: number): fc.Arbitrary<unknown> {
  return fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
    maxDepth,
    maxKeys: 10,
  });
}
