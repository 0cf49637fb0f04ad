/**
 * Event generation. Types are the real ones (so the business rules apply); the run is
 * recognised by its ids (`<runId>-<n>`) and its source (`loadtest/<runId>`), and each
 * event carries its send time in data.sentAt (epoch ms) for end-to-end latency.
 */
import { EVENT_ID_PATTERN, type IncomingEvent, LIMITS } from "../../lambdas/domain/event.js";
import { type MixEntry, pickType } from "./mix.js";

export type ExpectedStatus = "processed" | "failed";

export interface GeneratedEvent {
  event: IncomingEvent & { id: string; data: { sentAt: number; [key: string]: unknown } };
  /** The status the pipeline must end the event with. */
  expected: ExpectedStatus;
}

/** Deterministic PRNG (mulberry32): reproducible runs for a given seed, and testable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `lt` + time + random, all base 36: short, sortable and valid in event ids. */
export function newRunId(now = Date.now(), random: () => number = Math.random): string {
  const rand = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, "0");
  return `lt${now.toString(36)}${rand}`;
}

export const eventId = (runId: string, n: number) => `${runId}-${n}`;

/** Types whose business rules the generator knows how to break (see the README's rules). */
export const RULE_BREAKERS: Record<string, (e: GeneratedEvent["event"]) => void> = {
  purchase: (e) => {
    e.data.amount = 0;
  },
  user_signup: (e) => {
    delete e.subject;
  },
  page_view: (e) => {
    delete e.data.url;
  },
};

export interface EventFactoryOptions {
  runId: string;
  mix: readonly MixEntry[];
  /** Approximate serialized size of one event in bytes. */
  sizeBytes: number;
  /** Share (0-1) of events that break a business rule (only types with a known rule). */
  invalidShare: number;
  random: () => number;
}

const PAGES = ["/", "/pricing", "/docs", "/blog/launch", "/signup", "/cart"];
const PLANS = ["free", "pro", "team"];

/** Smallest size an event can be padded to; smaller --size values give unpadded events. */
export const MIN_PADDED_SIZE = 200;

export class EventFactory {
  readonly source: string;

  constructor(readonly options: EventFactoryOptions) {
    const { runId, sizeBytes, invalidShare } = options;
    if (!EVENT_ID_PATTERN.test(eventId(runId, 1_000_000_000))) {
      throw new RangeError(`run id "${runId}" does not make valid event ids`);
    }
    if (!(sizeBytes > 0 && sizeBytes <= LIMITS.maxEventBytes - 1024)) {
      throw new RangeError(`size must be within 1-${LIMITS.maxEventBytes - 1024} bytes`);
    }
    if (!(invalidShare >= 0 && invalidShare <= 1)) throw new RangeError("invalid share is 0-1");
    this.source = `loadtest/${runId}`;
  }

  /** Event number `n` (its id is `<runId>-<n>`), sent at `sentAt` (epoch ms). */
  create(n: number, sentAt: number): GeneratedEvent {
    const { runId, mix, random, invalidShare } = this.options;
    const type = pickType(mix, random());
    const event: GeneratedEvent["event"] = {
      id: eventId(runId, n),
      type,
      source: this.source,
      time: new Date(sentAt).toISOString(),
      data: { sentAt },
    };
    switch (type) {
      case "purchase":
        event.subject = `order-${n}`;
        event.data.amount = Math.round((1 + random() * 499) * 100) / 100;
        event.data.currency = "EUR";
        event.data.sku = `sku-${Math.floor(random() * 1000)}`;
        break;
      case "page_view":
        event.subject = `session-${n % 997}`;
        event.data.url = `https://shop.example${PAGES[n % PAGES.length]}`;
        break;
      case "user_signup":
        event.subject = `user-${n}`;
        event.data.plan = PLANS[n % PLANS.length];
        break;
      default:
        event.subject = `item-${n}`;
    }
    let expected: ExpectedStatus = "processed";
    const breakRule = RULE_BREAKERS[type];
    if (breakRule && invalidShare > 0 && random() < invalidShare) {
      breakRule(event);
      expected = "failed";
    }
    pad(event, this.options.sizeBytes);
    return { event, expected };
  }
}

/** Adds data.padding so the serialized event is about `sizeBytes` long. */
function pad(event: GeneratedEvent["event"], sizeBytes: number): void {
  if (sizeBytes < MIN_PADDED_SIZE) return;
  event.data.padding = "";
  const base = Buffer.byteLength(JSON.stringify(event));
  if (sizeBytes > base) event.data.padding = "x".repeat(sizeBytes - base);
  else delete event.data.padding;
}
