/**
 * A token bucket: `rate` tokens a second, at most `burst` kept. API Gateway throttles a
 * stage with one (apiThrottleRateLimit/BurstLimit) and each usage plan key with another
 * (tenantRateLimit/BurstLimit, local/gateway/usage-plan.ts).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one. */
  take(now: number = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
