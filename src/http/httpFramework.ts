/**
 * What an adapter supplies to the framework-free core: how to read its framework's request and write its
 * response, and how to go on afterwards. Each adapter is this translation and nothing else.
 */
import type { ServerResponse } from 'node:http';
import type { RequestMarks } from './countedRequests.js';
import type { SetHeader } from './headers.js';

/** How an adapter reads its framework's request and writes its response. */
export interface HttpFramework<Req, Res> {
  /** The client IP as the framework resolved it (honouring its trust proxy setting). */
  ip(req: Req): string | undefined;
  /**
   * The client IP when the framework would take it straight from the socket (no X-Forwarded-For, no app
   * override of the IP), else undefined. Node writes that one, so it is an address by construction and an
   * IPv4 one is the key as it is, without a parse.
   */
  directIp(req: Req): string | undefined;
  /** The address of the TCP peer (the proxy, behind one). */
  socketAddress(req: Req): string | undefined;
  /** The raw X-Forwarded-For header, only to detect proxy misconfiguration. */
  forwardedFor(req: Req): string | string[] | undefined;
  /**
   * Whether trust proxy is `true` (trust every hop); undefined when the framework does not tell (Fastify
   * keeps `trustProxy` private, and a hop count cannot be told from `true` by looking at requests).
   */
  trustsEveryProxy(req: Req): boolean | undefined;
  /** Whether the response was sent already (by a timeout, or a callback that answered itself): then it is left alone. */
  responded(res: Res): boolean;
  setHeader: SetHeader<Res>;
  /**
   * True when `setHeader` lowercases every name itself (Fastify): the core then passes lower-case names, which
   * the framework keeps as they are instead of building a lower-case copy per header and response.
   */
  lowerCaseHeaderNames?: boolean;
  /** Sends the refusal body (a string, or an object as JSON) with `statusCode`. */
  send(res: Res, statusCode: number, body: unknown): void;
  /** Node's response under the framework's, for 'close' and 'finish' (used only by `delay` and `finalCost`). */
  nodeResponse(res: Res): ServerResponse;
  /** Where a request's double-count marks live, if the framework has a cheaper place than the default WeakMap. */
  marks?: RequestMarks<Req>;
}

/** How the adapter goes on: `next()` to the handler, `next(error)` to the framework's error handler. */
export type Next = (error?: unknown) => void;
