import type { Decision } from '../src/index.js';
import type { ModelDecision } from './gcraModel.js';

/**
 * What a sluice decision and the reference model's must agree on, in one shape: a one-band limiter reports
 * no `bands` and the model always does, so `bands` is kept only for several bands.
 */
export function decisionView(d: Decision | ModelDecision) {
  return {
    allowed: d.allowed,
    limit: d.limit,
    remaining: d.remaining,
    retryAfterMs: d.retryAfterMs,
    resetMs: d.resetMs,
    bands:
      d.bands && d.bands.length > 1
        ? d.bands.map(({ remaining, retryAfterMs, resetMs }) => ({ remaining, retryAfterMs, resetMs }))
        : undefined,
  };
}
