/**
 * The double-count guard. Limiters that share a store and a namespace (a prefix and limits, see keyNamespace.ts)
 * share buckets, so a request they all see must take tokens once: the same limiter mounted twice on one request
 * path (`app.use` and a route), or two limiters built with the same options on one store. Each request carries
 * marks, one per namespace that counted it and under which key; the request coming back to that namespace with
 * that key is such a second mount. Marks live as long as the request, so requests that overlap (an
 * asynchronous store, or a body parser between the two mounts) are told apart.
 */

import type { Decision } from '../core/decision.js';
import type { Store } from '../core/store.js';
import type { Cost } from '../limiter/callCost.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';

/**
 * That the namespace `guard` counted a request under `key`, and with which decision once it is known. A
 * request's marks are a list, most often of one; the newest decided one is what `rateLimitOf(req)` reads.
 */
export interface CountedMark {
  readonly guard: object;
  readonly key: string;
  readonly next: CountedMark | undefined;
  /** The tokens taken up front, once the cost is known. */
  cost: Cost;
  decision: Decision | undefined;
}

/** Where an adapter keeps a request's marks (its newest mark; the older ones follow through `next`). */
export interface RequestMarks<Req> {
  read(request: Req): CountedMark | null | undefined;
  write(request: Req, mark: CountedMark): void;
}

const marksByRequest = new WeakMap<object, CountedMark>();

/**
 * The default place, for a framework that offers no cheaper one: a WeakMap. The collector treats an entry
 * whose key is young specially, so Fastify uses a decorated request field instead; on Express, whose
 * requests each have a hidden class of their own, any field read or written on the request costs more.
 */
export const weakMapMarks: RequestMarks<object> = {
  // Methods, not arrow functions in fields: a mutation-testing run swaps a field's function when the module
  // loads, once, so a mutant of an arrow here would never be the one the tests call.
  read(request) {
    return marksByRequest.get(request);
  },
  write(request, mark) {
    marksByRequest.set(request, mark);
  },
};

/** One object per store and namespace: the identity that marks name. */
const guards = new WeakMap<Store, Map<string, object>>();

function guardOf(limiter: RateLimiter): object {
  let byNamespace = guards.get(limiter.store);
  if (byNamespace === undefined) {
    byNamespace = new Map();
    guards.set(limiter.store, byNamespace);
  }
  const namespace = limiter.policy.namespace;
  let guard = byNamespace.get(namespace);
  if (guard === undefined) {
    guard = { namespace };
    byNamespace.set(namespace, guard);
  }
  return guard;
}

/** The guard of one adapter instance: its limiter's store and namespace, and where its framework keeps marks. */
export class CountedRequests<Req extends object> {
  private readonly guard: object;

  constructor(
    limiter: RateLimiter,
    private readonly marks: RequestMarks<Req>,
  ) {
    this.guard = guardOf(limiter);
  }

  /** Records that `request` is counted under `key`: its new mark, or undefined when this namespace already counted it under that key. */
  add(request: Req, key: string): CountedMark | undefined {
    const newest = this.marks.read(request) ?? undefined;
    for (let mark = newest; mark !== undefined; mark = mark.next) {
      if (mark.guard === this.guard && mark.key === key) return undefined;
    }
    const mark: CountedMark = { guard: this.guard, key, next: newest, cost: 0, decision: undefined };
    this.marks.write(request, mark);
    return mark;
  }

  /** This namespace's mark on `request` (the newest, when it counted the request under several keys). */
  markOf(request: Req): CountedMark | undefined {
    for (let mark = this.marks.read(request) ?? undefined; mark !== undefined; mark = mark.next) {
      if (mark.guard === this.guard) return mark;
    }
    return undefined;
  }
}

/**
 * The decision of the limiter that counted `request` last (the newest mark with a decision), or undefined
 * when no limiter counted it (skipped, allow-listed, or not limited at all).
 */
export function decisionOf<Req>(marks: RequestMarks<Req>, request: Req): Decision | undefined {
  for (let mark = marks.read(request) ?? undefined; mark !== undefined; mark = mark.next) {
    if (mark.decision !== undefined) return mark.decision;
  }
  return undefined;
}
