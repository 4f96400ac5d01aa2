/**
 * One-time warnings for the misconfigurations adapter users most often get wrong. Each is emitted at
 * most once per process (through `process.emitWarning`, type `SluiceWarning`), with the fix in its text.
 */

export const WARNINGS = {
  SLUICE_TRUST_PROXY_OFF:
    'sluice: a request arrived with an X-Forwarded-For header, but its client IP is the address of the socket, so the ' +
    "framework's trust proxy is off (or does not trust this hop). Behind a proxy or load balancer every client then " +
    "shares the proxy's bucket. Fix: tell the framework which proxies to trust (Express: app.set('trust proxy', 1) " +
    "for one proxy, or its address; Fastify: { trustProxy: '10.0.0.1' }, the proxies' addresses or CIDR ranges, " +
    'since recent Fastify 5 versions ignore a hop count). If the app is not behind a proxy, ignore this (or pass ' +
    'warnings: false).',
  SLUICE_TRUST_PROXY_ALL:
    'sluice: trust proxy is set to true, so the client IP is the leftmost X-Forwarded-For entry, which any client can ' +
    'write: one client can spoof a new IP on every request and is never limited. Fix: trust only your proxies, by ' +
    "count or address (Express: app.set('trust proxy', 1); Fastify: { trustProxy: '10.0.0.0/8' }).",
  SLUICE_DOUBLE_COUNT:
    'sluice: the same limiter ran twice for one request with the same key (mounted both globally and on the route, or ' +
    'twice on one route), which would count every request twice. The second check was skipped. Fix: mount it once, ' +
    'or use a separate limiter (with its own prefix) for the second limit.',
  SLUICE_ROUTES_BEFORE_PLUGIN:
    'sluice: routes of its encapsulation context were already registered when the sluice Fastify plugin loaded, and it ' +
    'does not limit them. Fix: ' +
    '`await app.register(sluice, options)` before declaring routes (without `await` the plugin loads only at ready(), ' +
    'after the routes declared below it). To exempt a route, give it `config: { rateLimit: false }` instead.',
  SLUICE_CLIENT_IP_NOT_AN_ADDRESS:
    "sluice: the client IP the framework resolved is not an IP address, so it cannot be a client's key; such requests " +
    "go to the framework's error handler instead of getting a bucket of their own. It comes from X-Forwarded-For when " +
    'trust proxy trusts a hop that writes something else there (a placeholder such as "unknown"), or from an app that ' +
    "overrides req.ip. Fix: trust only your own proxies (Express: app.set('trust proxy', 1) or their addresses; Fastify: " +
    "{ trustProxy: '10.0.0.1' }), or pass a `key` function that keys these requests on something else.",
  SLUICE_FINAL_COST_FAILED:
    "sluice: settling a request's cost after its response failed, so nothing was charged or refunded for it: the " +
    '`finalCost` callback threw or rejected, returned an unusable cost, or the store failed. Fix: return a whole ' +
    'number of tokens ≥ 0 (or an object of them by band name) and catch what may fail inside the callback.',
} as const;

export type WarningCode = keyof typeof WARNINGS;

const emitted = new Set<WarningCode>();

/** Emits warning `code` unless it was emitted before in this process; `detail` (e.g. the value seen) is appended. */
export function warnOnce(code: WarningCode, detail?: string): void {
  if (emitted.has(code)) return;
  emitted.add(code);
  process.emitWarning(detail === undefined ? WARNINGS[code] : `${WARNINGS[code]} ${detail}`, { type: 'SluiceWarning', code });
}

/** Whether `code` was emitted already (so per-request checks for it can stop). */
export function warned(code: WarningCode): boolean {
  return emitted.has(code);
}

/** @internal For tests: forget which warnings were emitted. */
export function resetWarnings(): void {
  emitted.clear();
}
