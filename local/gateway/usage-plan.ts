/**
 * A usage plan's limits for one key, as API Gateway applies them: a token bucket
 * (tenantRateLimit, tenantBurstLimit) and a count per UTC day (tenantQuotaPerDay).
 */
import { TokenBucket } from "./token-bucket.js";

export interface TenantLimits {
  rateLimit: number;
  burstLimit: number;
  /** Requests per UTC day; 0 = no quota. */
  quotaPerDay: number;
}

export class TenantBucket {
  private readonly bucket: TokenBucket;
  private day = "";
  private used = 0;

  constructor(
    private readonly limits: TenantLimits,
    now: number,
  ) {
    this.bucket = new TokenBucket(limits.rateLimit, limits.burstLimit, now);
  }

  take(now: number): "ok" | "throttled" | "quota" {
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.day) {
      this.day = day;
      this.used = 0;
    }
    const { quotaPerDay } = this.limits;
    if (quotaPerDay > 0 && this.used >= quotaPerDay) return "quota";
    if (!this.bucket.take(now)) return "throttled";
    this.used += 1;
    return "ok";
  }
}
