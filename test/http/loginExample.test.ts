/**
 * README's Express login example, run: one bucket per account, and a request without an email (no
 * body, another content type, a non-string email) goes on to the handler's 400 instead of a 500.
 */
import type { AddressInfo } from 'node:net';
import express5, { type Express } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../../adapters/express.js';
import { RateLimiter } from '../../src/index.js';

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

function serve(app: Express): Promise<string> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      open.push(() => {
        server.closeAllConnections();
        return new Promise((done) => server.close(() => done()));
      });
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

describe.each([
  ['Express 4', express4 as typeof express5],
  ['Express 5', express5],
])('%s', (_name, express) => {
  async function loginApp(): Promise<string> {
    const app = express();
    app.use(rateLimit({ capacity: 20, refillRate: 100, interval: '1m' }));
    // As in README (on the default MemoryStore instead of Redis).
    const loginLimiter = new RateLimiter({ capacity: 5, refillRate: 5, interval: '15m' });
    const loginLimit = rateLimit({
      limiter: loginLimiter,
      skip: (req) => typeof req.body?.email !== 'string',
      key: (req) => req.body.email.toLowerCase(),
    });
    app.post('/login', express.json(), loginLimit, (req, res) => {
      if (typeof req.body?.email !== 'string') res.status(400).send('email required');
      else res.send('welcome');
    });
    return serve(app);
  }

  const login = (url: string, init: RequestInit = {}) => fetch(`${url}/login`, { method: 'POST', ...init });
  const withEmail = (email: unknown): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });

  it('answers a request without an email with the handler’s 400, counted only by the app-wide limit', async () => {
    const url = await loginApp();
    const replies = [
      await login(url),
      await login(url, { headers: { 'content-type': 'text/plain' }, body: 'a@example.com' }),
      await login(url, withEmail(42)),
      await login(url, { headers: { 'content-type': 'application/json' }, body: '{}' }),
    ];
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    // The app-wide limit (capacity 20) counted them; the login limit never saw them.
    expect(replies.map((r) => r.headers.get('ratelimit'))).toEqual([19, 18, 17, 16].map((r) => `"default";r=${r};t=0`));
    expect((await login(url, withEmail('a@example.com'))).headers.get('ratelimit')).toBe('"default";r=4;t=0');
  });

  it('limits per account, whatever the case of the email', async () => {
    const url = await loginApp();
    const statuses = [];
    for (const email of ['a@example.com', 'A@example.com', 'a@EXAMPLE.com', 'a@example.com', 'A@Example.Com', 'a@example.com']) {
      statuses.push((await login(url, withEmail(email))).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await login(url, withEmail('b@example.com'))).status).toBe(200);
  });
});
