import { defineConfig } from 'tsup';

// One build per entry point so each subpath (`sluice`, `sluice/express`,
// `sluice/fastify`, `sluice/redis`) gets its own ESM file, CJS file and declarations.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'adapters/express.ts',
    fastify: 'adapters/fastify.ts',
    redis: 'src/redis.ts',
  },
  // Bundled, so the package keeps zero runtime dependencies (express and fastify are optional peers).
  noExternal: ['fastify-plugin'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Shared chunks, so `sluice` and `sluice/express` load one RateLimiter class, not two copies.
  splitting: true,
  treeshake: true,
  // Classes keep their names (`SluiceConfigError`, not a renamed `_SluiceConfigError`) in stack traces and logs.
  keepNames: true,
});
