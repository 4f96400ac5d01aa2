/**
 * Finds the routes a Fastify plugin would have limited but cannot, because they were registered before
 * it: routes of its own encapsulation context and of the contexts inside it. Routes of a parent or a
 * sibling context are not among them (the plugin would never limit those), so registering the plugin
 * inside a child context after the parent declared routes is not reported.
 *
 * Fastify tells a plugin about routes only through `onRoute`, and only about those registered after the
 * hook. So the plugin leaves two marks. An `onError` hook added to its context: Fastify gives a context's
 * hooks, when it gets ready, to every route of that context and the contexts inside it, however early the
 * route was registered. And an `onError` hook added by `onRoute` to each route the plugin saw. At ready,
 * `printRoutes` lists every route's `onError` hooks by name: a route with the first mark and no registration's
 * second mark came too early (one with another registration's, an earlier one of the context or a parent's, is
 * limited by that one). `onError` hooks run only for a request that failed, and these do nothing, so no
 * request pays for the marks.
 */
import type { FastifyInstance, HookHandlerDoneFunction, onErrorHookHandler, RouteOptions } from 'fastify';

let registrations = 0;

/** The name of the mark of a route that a registration of the plugin saw (one for every registration). */
const SEEN = 'sluiceSeen';

/** An `onError` hook that does nothing, under `name` (printRoutes shows hooks by function name). */
function mark(name: string): onErrorHookHandler {
  const hook = (_request: unknown, _reply: unknown, _error: unknown, done: HookHandlerDoneFunction) => {
    done();
  };
  Object.defineProperty(hook, 'name', { value: name });
  return hook as unknown as onErrorHookHandler;
}

/**
 * Watches `instance`'s context for routes registered before the plugin and calls `found` once, when the
 * app gets ready, if there are any. Returns what the plugin's `onRoute` hook calls for each route it sees.
 */
export function watchEarlyRoutes(instance: FastifyInstance, found: () => void): (routeOptions: RouteOptions) => void {
  // Stryker disable next-line UpdateOperator: equivalent, any distinct ids do (they only tell registrations apart)
  const id = ++registrations;
  const inContext = mark(`sluiceContext${id}`);
  const seen = mark(SEEN);
  instance.addHook('onError', inContext);
  instance.addHook('onReady', (done) => {
    const contextMark = `"sluiceContext${id}()"`;
    const seenMark = `"${SEEN}()"`;
    const routes = instance.printRoutes({ includeMeta: ['onError'] });
    // A route another registration saw (an earlier one of this context, or a parent's) is limited by that one.
    if (routes.split('\n').some((line) => line.includes(contextMark) && !line.includes(seenMark))) found();
    done();
  });
  return (routeOptions) => {
    const hooks = routeOptions.onError;
    routeOptions.onError = (hooks === undefined ? [seen] : [...(Array.isArray(hooks) ? hooks : [hooks]), seen]) as never;
  };
}
