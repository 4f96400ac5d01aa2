/**
 * Watches requests for the two proxy misconfigurations that defeat an IP key: trust proxy set to trust
 * every hop (any client can spoof its IP), and trust proxy off behind a proxy (every client shares the
 * proxy's bucket). Each is reported once, as a warning.
 */
import type { HttpFramework } from './httpFramework.js';
import { warned, warnOnce } from './warnings.js';

const PROXY_CHECKS_IN_FULL = 1024;
/** A power of two: the sampling test is a mask. */
const PROXY_CHECK_EVERY = 64;

export class ProxyWatch<Req, Res> {
  /**
   * Checks run until the warning fired (or never, when disabled): on each of the first PROXY_CHECKS_IN_FULL
   * requests, then on one in PROXY_CHECK_EVERY. Behind a misconfigured proxy every request shows it, so
   * sampling finds it as surely, at a counter's cost per request.
   */
  private watching: boolean;
  private requestsSeen = 0;
  private trustChecked = false;

  constructor(
    private readonly framework: HttpFramework<Req, Res>,
    enabled: boolean,
  ) {
    this.watching = enabled;
  }

  /** Looks at one request whose client IP the framework resolved as `ip` (sampled; cheap when not watching). */
  see(req: Req, ip: string | undefined): void {
    if (this.watching && (++this.requestsSeen <= PROXY_CHECKS_IN_FULL || (this.requestsSeen & (PROXY_CHECK_EVERY - 1)) === 0)) {
      this.check(req, ip);
    }
  }

  private check(req: Req, ip: string | undefined): void {
    const forwarded = this.framework.forwardedFor(req);
    if (!this.trustChecked) {
      this.trustChecked = true;
      if (this.framework.trustsEveryProxy(req) === true) warnOnce('SLUICE_TRUST_PROXY_ALL');
    }
    // Forwarded, yet the client IP is the peer's: the header is ignored and every client shares the proxy's bucket.
    if (forwarded !== undefined && ip !== undefined && ip === this.framework.socketAddress(req)) warnOnce('SLUICE_TRUST_PROXY_OFF');
    if (warned('SLUICE_TRUST_PROXY_OFF')) this.watching = false;
  }
}
