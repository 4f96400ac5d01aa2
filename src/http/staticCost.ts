/**
 * Checking a static HTTP `cost` (a number or an object by band name, not a function) against the limiters
 * it will be taken from, at construction: with the limiter's own cost check, so a cost that every request
 * would fail on (a fraction, a missing or unknown band, a part above its band's capacity) is a config error
 * instead of a 500 on each request.
 */
import { SluiceArgumentError, SluiceConfigError, SluiceError } from '../core/errors.js';
import { CallCost } from '../limiter/callCost.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';

/**
 * Throws a SluiceConfigError naming `cost` and the value when `cost` cannot be taken from one of `limiters`
 * (by plan name when there are plans, else one limiter under `undefined`).
 */
export function checkStaticCost(cost: unknown, limiters: Iterable<[string | undefined, RateLimiter]>): void {
  for (const [plan, limiter] of limiters) {
    try {
      new CallCost(limiter.limits).read(cost, 'take');
    } catch (error) {
      if (!(error instanceof SluiceError)) throw error;
      const where = plan === undefined ? 'the limiter' : `plan ${JSON.stringify(plan).slice(0, 64)}`;
      let reason = error.message.replace(/^sluice: /, '');
      // The value of `cost` as a whole is given once, by this error's own "; got".
      if (error instanceof SluiceArgumentError && error.argument === 'cost') reason = reason.slice(0, reason.lastIndexOf('; got '));
      throw new SluiceConfigError('cost', cost, `cannot be taken from ${where} (${reason})`);
    }
  }
}
