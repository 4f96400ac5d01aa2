/**
 * A refusal's body that the frameworks cannot send: a static `message` (or `blocked.message`) object that does
 * not serialise is refused at construction; a `message` function's unusable result is a SluiceArgumentError for
 * the error handler, the same on Express 4/5 and Fastify 4/5 (it was a raw TypeError on one, an empty 429 on the
 * other). Through real apps.
 */
import { describe, expect, it } from 'vitest';
import { resolveHttpOptions } from '../../src/http/httpLimitOptions.js';
import { SluiceConfigError } from '../../src/index.js';
import { failOnUnhandledRejections } from './adapterTestSupport.js';
import { configError } from './configError.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

failOnUnhandledRejections();

const limit = { capacity: 1, refillRate: 1, interval: '1h' } as const;

/** Objects JSON.stringify (and so `res.json` and Fastify's `reply.send`) cannot serialise, with the reason it gives. */
function unserialisable(): [string, object, RegExp][] {
  const circular: Record<string, unknown> = { error: 'slow down' };
  circular.self = circular;
  const { proxy, revoke } = Proxy.revocable({ error: 'slow down' }, {});
  revoke();
  return [
    ['a circular object', circular, /Converting circular structure to JSON/],
    [
      'an object whose toJSON throws',
      {
        toJSON() {
          throw new Error('toJSON boom');
        },
      },
      /toJSON boom/,
    ],
    ['an object with a BigInt inside', { error: 'slow down', retryAfter: 10n }, /BigInt/],
    ['a revoked Proxy', proxy, /revoked/],
    [
      'an object with a throwing getter',
      {
        get error(): string {
          throw new Error('getter boom');
        },
      },
      /getter boom/,
    ],
    ['an object whose toJSON gives nothing', { toJSON: () => undefined }, /serialises to nothing/],
  ];
}

describe('a static body that cannot be sent is refused at construction', () => {
  const expected = 'must be a string, a Buffer, or an object that can be sent as JSON (or a function (req, decision) => body)';

  it.each(unserialisable())('message: %s', (_what, body, reason) => {
    const error = configError(() => resolveHttpOptions({ ...limit, message: body }));
    expect(error.option).toBe('message');
    expect(error.message).toMatch(
      new RegExp(`^sluice: option \`message\` ${escapeRegExp(expected)}, and this object cannot be serialised \\(`),
    );
    expect(error.message).toMatch(reason);
  });

  it.each(unserialisable())('blocked.message: %s', (_what, body, reason) => {
    const error = configError(() => resolveHttpOptions({ ...limit, blockDuration: '1m', blocked: { message: body } }));
    expect(error.option).toBe('blocked.message');
    expect(error.message).toMatch(reason);
  });

  it.each(FRAMEWORK_TARGETS)('$name refuses it when the middleware or plugin is made (message and blocked.message)', async (target) => {
    for (const [what, body] of unserialisable()) {
      await expect(target.start({ ...limit, message: body }), what).rejects.toThrow(SluiceConfigError);
      await expect(target.start({ ...limit, message: body }), what).rejects.toThrow(/option `message` must be/);
      await expect(target.start({ ...limit, blocked: { message: body } }), what).rejects.toThrow(/option `blocked\.message` must be/);
    }
  });

  it.each(FRAMEWORK_TARGETS)('$name sends a string, a Buffer, an object and an array as they are', async (target) => {
    const bodies: [unknown, string][] = [
      ['Slow down', 'Slow down'],
      [Buffer.from('raw bytes'), 'raw bytes'],
      [unserialisableBuffer(), 'raw bytes'],
      [{ error: 'slow down', nested: { list: [1, 2] } }, '{"error":"slow down","nested":{"list":[1,2]}}'],
      [['slow', 'down'], '["slow","down"]'],
    ];
    for (const [message, sent] of bodies) {
      const app = await target.start({ ...limit, message });
      expect((await app.get('/')).status).toBe(200);
      const refused = await app.get('/');
      expect([refused.status, refused.body]).toEqual([429, sent]);
    }
  });
});

/** A Buffer whose JSON cannot be made: it is still sent, as its bytes, as both frameworks send every Buffer. */
function unserialisableBuffer(): Buffer {
  const bytes = Buffer.from('raw bytes');
  Object.defineProperty(bytes, 'toJSON', {
    value: () => {
      throw new Error('a Buffer is sent as its bytes, never as JSON');
    },
  });
  return bytes;
}

/** What a `message` function may return but the frameworks cannot send alike. */
function unusable(): [string, unknown, string][] {
  return [
    ['a Symbol', Symbol('slow down'), 'Symbol(slow down)'],
    ['a function', () => 'slow down', 'function'],
    ['a BigInt', 10n, '10n'],
    ['a number', 42, '42'],
    ['a boolean', true, 'true'],
    ...unserialisable().map(([what, body]): [string, unknown, string] => [what, body, '']),
  ];
}

const FUNCTION_EXPECTED = 'must return a string, a Buffer, or an object that can be sent as JSON (or a promise of one)';

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it.each(['sync', 'async'])(
    'a message function returning a value that cannot be sent hands a SluiceArgumentError naming `message` to the error handler (%s)',
    async (mode) => {
      for (const [what, body, described] of unusable()) {
        // A promise cannot even be resolved with a revoked Proxy (reading its `then` throws): that rejection is the promise's own.
        if (mode === 'async' && what === 'a revoked Proxy') continue;
        const app = await target.start({ ...limit, message: () => (mode === 'async' ? Promise.resolve(body) : body) });
        expect((await app.get('/')).status).toBe(200);
        const refused = await app.get('/');
        expect([what, refused.status]).toEqual([what, 500]);
        expect(app.errors.map((error) => error.name)).toEqual(['SluiceArgumentError']);
        const message = app.errors[0]?.message as string;
        expect(message.startsWith(`sluice: argument \`message\` ${FUNCTION_EXPECTED}`), `${what}: ${message}`).toBe(true);
        expect(message, what).toContain(described);
        expect(refused.headers['retry-after'], what).toBeDefined();
        expect(app.handled()).toBe(1);
      }
    },
  );

  it.each(['sync', 'async'])(
    'a message function returning undefined sends an empty 429; null is the framework’s own (%s)',
    async (mode) => {
      for (const body of [undefined, null]) {
        const app = await target.start({ ...limit, message: () => (mode === 'async' ? Promise.resolve(body) : body) });
        expect((await app.get('/')).status).toBe(200);
        const refused = await app.get('/');
        // Express sends no body for null; Fastify sends the JSON `null`.
        expect([body, refused.status, refused.body]).toEqual([body, 429, body === null && target.isFastify ? 'null' : '']);
        expect(app.errors).toEqual([]);
      }
    },
  );

  it('a message function returning a string, a Buffer or an object sends it', async () => {
    const bodies: [unknown, string][] = [
      ['Slow down', 'Slow down'],
      [Buffer.from('raw bytes'), 'raw bytes'],
      [unserialisableBuffer(), 'raw bytes'],
      [{ error: 'slow down' }, '{"error":"slow down"}'],
    ];
    for (const [body, sent] of bodies) {
      const app = await target.start({ ...limit, message: () => body });
      expect((await app.get('/')).status).toBe(200);
      const refused = await app.get('/');
      expect([refused.status, refused.body]).toEqual([429, sent]);
      expect(app.errors).toEqual([]);
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
