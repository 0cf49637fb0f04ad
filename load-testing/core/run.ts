/** One load test: send, drain, verify, report. The CLI (load.ts) and the tests call this. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { checkStats, classify, endToEnd, Ledger, type StatsCheck } from "./accounting.js";
import { ApiClient } from "./api.js";
import { ceilingText, measureCeiling, pipelineRate } from "./ceiling.js";
import { EventFactory, newRunId, seededRandom } from "./events.js";
import { formatMix } from "./mix.js";
import { type LoadOptions, planRate } from "./options.js";
import { type LoadResult, renderHtml } from "./report.js";
import { sendWithSdk } from "./sdk-sender.js";
import { type Progress, send } from "./sender.js";
import { histogram, summarize, TimeSeries } from "./stats.js";
import { collect, drain, fetchStats } from "./verify.js";

export interface RunHooks {
  /** A status line: a phase change, or (`periodic`) a progress update sent every second. */
  status(line: string, periodic?: boolean): void;
}

export interface RunOutput {
  result: LoadResult;
  jsonPath: string;
  htmlPath: string;
}

export class UnreachableError extends Error {}

const iso = (ms: number) => new Date(ms).toISOString();
const rate = (n: number, seconds: number) =>
  seconds > 0 ? Math.round((n / seconds) * 10) / 10 : 0;

export async function runLoad(options: LoadOptions, hooks: RunHooks): Promise<RunOutput> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const random = seededRandom(seed);
  const runId = newRunId(Date.now(), random);
  const types = options.mix.map((m) => m.type);
  const plan = planRate(options);
  const factory = new EventFactory({
    runId,
    mix: options.mix,
    sizeBytes: options.sizeBytes,
    invalidShare: options.invalid,
    random,
  });
  const ledger = new Ledger();
  const api = new ApiClient(options.url, options.apiKey, options.verifyConcurrency);
  const notes: string[] = [];
  try {
    try {
      await api.get("/v1/health");
    } catch (error) {
      throw new UnreachableError(`cannot reach ${options.url.href}: ${(error as Error).message}`);
    }
    if (plan.eventsPerSecond !== undefined && plan.eventsPerSecond !== options.rate) {
      notes.push(
        `target rate ${options.rate} events/s planned as ${plan.requestsPerSecond} requests/s x ${plan.batch} events = ${plan.eventsPerSecond} events/s`,
      );
    }

    const runStart = Date.now();
    const sendSeconds = options.durationSeconds ?? options.maxDurationSeconds;
    // Stats are kept per hour: one window covering the whole run, used before and after.
    const statsWindow = {
      from: iso(runStart - 3_600_000),
      to: iso(runStart + (sendSeconds + options.drainTimeoutSeconds + 3600) * 1000),
    };
    const statsBefore = await fetchStats(api, statsWindow);
    if (!statsBefore) notes.push("GET /v1/stats unavailable: drain and stats checks skipped");

    hooks.status(
      `run ${runId}: ${options.durationSeconds ? `${options.durationSeconds} s` : `${options.count} events`} to ${options.url.href} (${options.client === "sdk" ? "SDK" : "raw"}), ${plan.connections} connections, batch ${plan.batch}, ${plan.eventsPerSecond ? `${plan.eventsPerSecond} events/s` : "max rate"}, mix ${formatMix(options.mix)}`,
    );
    const sender = options.client === "sdk" ? sendWithSdk : send;
    const phase = await sender(
      {
        url: options.url,
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        batch: plan.batch,
        connections: plan.connections,
        ...(plan.requestsPerSecond
          ? { requestsPerSecond: plan.requestsPerSecond, pacing: options.pacing }
          : {}),
        ...(plan.eventsPerSecond ? { eventsPerSecond: plan.eventsPerSecond } : {}),
        ...(options.durationSeconds !== undefined
          ? { durationSeconds: options.durationSeconds }
          : {}),
        ...(options.count !== undefined ? { count: options.count } : {}),
        maxDurationSeconds: options.maxDurationSeconds,
        duplicates: options.duplicates,
        timeoutSeconds: options.timeoutSeconds,
        random,
      },
      factory,
      ledger,
      (p: Progress) =>
        hooks.status(
          `send ${p.elapsedSeconds.toFixed(0)}s: ${p.requests} requests, ${p.eventsSent} sent, ${p.eventsAccepted} accepted (${p.acceptedLastSecond}/s), ${p.errors} errors`,
          true,
        ),
    );
    const counts = ledger.counts();
    const sendSecondsActual = (phase.finishedAtMs - phase.startedAtMs) / 1000;

    const drainDeadline = Date.now() + options.drainTimeoutSeconds * 1000;
    const drained = await drain(
      api,
      statsWindow,
      statsBefore,
      types,
      counts.acceptedUnique,
      drainDeadline,
      (stored, expected) => hooks.status(`drain: ${stored}/${expected} stored (stats)`, true),
    );
    hooks.status(`verify (${options.verify}) ${counts.acceptedUnique} accepted events`);
    const collected = await collect(api, ledger, {
      runId,
      types,
      mode: options.verify,
      // receivedAt is the server's clock: a margin for skew against a remote API.
      from: iso(runStart - 2 * 60_000),
      to: iso(Date.now() + 2 * 60_000),
      concurrency: options.verifyConcurrency,
      deadlineMs: drainDeadline,
      // Fetching is not cut short by a short drain timeout, but it is bounded.
      hardDeadlineMs: drainDeadline + Math.max(300, options.drainTimeoutSeconds) * 1000,
    });
    const verdict = classify(ledger, collected.observations, collected.unverified);
    if (verdict.unverified > 0) {
      notes.push(
        `${verdict.unverified} accepted events could not be checked (query errors ${JSON.stringify(collected.queryErrors)}, or the verification time limit): the run does not pass`,
      );
    }
    let stats: StatsCheck | undefined;
    const statsAfter = statsBefore ? await fetchStats(api, statsWindow) : undefined;
    if (statsBefore && statsAfter) {
      stats = checkStats(statsBefore, statsAfter, types, ledger, verdict.inDoubtStored);
      if (stats.excess > 0) {
        notes.push(
          `stats count ${stats.excess} more stored events than accepted: double counting, or other traffic of these types during the run`,
        );
      }
      if (stats.shortfall > 0) {
        notes.push(`stats count ${stats.shortfall} fewer stored events than accepted`);
      }
      for (const t of stats.types) {
        if (t.processedDelta !== t.expectedProcessed || t.failedDelta !== t.expectedFailed) {
          notes.push(
            `stats for ${t.type}: processed +${t.processedDelta}, failed +${t.failedDelta}; expected +${t.expectedProcessed}, +${t.expectedFailed}`,
          );
        }
      }
      if (stats.duplicateDelta !== stats.expectedDuplicates) {
        notes.push(
          `stats "duplicate" grew by ${stats.duplicateDelta}, ${stats.expectedDuplicates} duplicate sends were accepted${counts.inDoubt ? " (in-doubt sends may add to it)" : ""}`,
        );
      }
    }
    if (counts.inDoubt > 0) {
      notes.push(
        `${counts.inDoubt} events were sent without a usable answer (timeouts, connection errors); ${verdict.inDoubtStored} of them were stored, which is not an error`,
      );
    }

    const accepted = [...ledger.accepted()].flatMap(([id]) => {
      const o = collected.observations.get(id);
      return o ? [o] : [];
    });
    const e2e = endToEnd(accepted);
    if (e2e.basis === "receivedAt" || e2e.basis === "mixed") {
      notes.push(
        "the API did not return data.sentAt for some events: their end-to-end latency starts at receivedAt (server side, without the ingest request)",
      );
    }
    const processedSeries = new TimeSeries(phase.startedAtMs);
    for (const s of e2e.samples) processedSeries.add(s.startMs + s.latencyMs, s.latencyMs);

    const duplicated = verdict.duplicated + (stats?.excess ?? 0);
    const finishedAt = Date.now();
    const result: LoadResult = {
      ok:
        verdict.lost === 0 &&
        duplicated === 0 &&
        verdict.unexpected === 0 &&
        verdict.unverified === 0,
      runId,
      url: options.url.href,
      startedAt: iso(phase.startedAtMs),
      finishedAt: iso(finishedAt),
      settings: {
        seed,
        batch: plan.batch,
        connections: plan.connections,
        ...(plan.eventsPerSecond
          ? { targetEventsPerSecond: plan.eventsPerSecond, pacing: options.pacing }
          : {}),
        ...(options.durationSeconds ? { durationSeconds: options.durationSeconds } : {}),
        ...(options.count ? { count: options.count } : {}),
        mix: formatMix(options.mix),
        sizeBytes: options.sizeBytes,
        duplicates: options.duplicates,
        invalid: options.invalid,
        drainTimeoutSeconds: options.drainTimeoutSeconds,
        verify: options.verify,
        source: factory.source,
      },
      ingest: {
        seconds: Math.round(sendSecondsActual * 100) / 100,
        requests: phase.requestsAnswered,
        eventsSent: counts.eventsSent,
        eventsAccepted: counts.acceptedSends,
        eventsPerSecond: rate(counts.eventsSent, sendSecondsActual),
        acceptedEventsPerSecond: rate(counts.acceptedSends, sendSecondsActual),
        requestsPerSecond: rate(phase.requestsAnswered, sendSecondsActual),
        latencyMs: summarize(phase.latenciesMs),
        latencyHistogram: histogram(phase.latenciesMs),
        statusCodes: phase.statusCodes,
      },
      endToEnd: {
        basis: e2e.basis,
        latencyMs: summarize(e2e.samples.map((s) => s.latencyMs)),
        latencyHistogram: histogram(e2e.samples.map((s) => s.latencyMs)),
      },
      accounting: {
        lost: verdict.lost,
        duplicated,
        unexpected: verdict.unexpected,
        unverified: verdict.unverified,
        ledger: counts,
        verdict,
        ...(stats ? { stats } : {}),
        drain: drained,
        verify: {
          mode: options.verify,
          seconds: collected.seconds,
          listPages: collected.listPages,
          getRequests: collected.getRequests,
          retryRounds: collected.retryRounds,
          queryErrors: collected.queryErrors,
        },
        notes,
      },
      timeline: {
        requests: phase.requestSeries.buckets(),
        accepted: phase.acceptedSeries.buckets(),
        processed: processedSeries.buckets(),
      },
      autocannon: phase.autocannon,
    };

    if (options.ceiling) {
      const concurrency =
        options.ceiling.concurrency || (await runtimeConcurrency(options.url)) || 100;
      hooks.status(
        `ceiling: conditional PutItem/s into a fresh dynalite at concurrency ${concurrency}`,
      );
      const ceiling = await measureCeiling({
        concurrency,
        seconds: 10,
        sizeBytes: options.sizeBytes,
      });
      result.ceiling = { ...ceiling, pipeline: pipelineRate(result.timeline.processed) };
    }

    const stamp = iso(phase.startedAtMs).replace(/[:.]/g, "-");
    const outDir = path.resolve(options.out ?? path.join("reports", `load-${stamp}`));
    await mkdir(outDir, { recursive: true });
    const jsonPath = path.join(outDir, "result.json");
    const htmlPath = path.join(outDir, "report.html");
    await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(htmlPath, renderHtml(result));
    return { result, jsonPath, htmlPath };
  } finally {
    api.close();
  }
}

/** The pipeline's concurrency (processMaxConcurrency x processBatchSize) from a local runtime. */
async function runtimeConcurrency(base: URL): Promise<number | undefined> {
  try {
    const res = await fetch(new URL("/_local/status", base), { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { settings?: Record<string, unknown> };
    const n =
      Number(body.settings?.processMaxConcurrency) * Number(body.settings?.processBatchSize);
    return res.ok && Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The human summary printed at the end (the JSON file has everything). */
export function summaryText(out: RunOutput): string {
  const r = out.result;
  const a = r.accounting;
  const l = (s: { p50: number | null; p95: number | null; p99: number | null }) =>
    `p50 ${s.p50 ?? "–"} / p95 ${s.p95 ?? "–"} / p99 ${s.p99 ?? "–"} ms`;
  return [
    `${r.ok ? "PASS" : "FAIL"} run ${r.runId}: lost ${a.lost}, duplicated ${a.duplicated}, unexpected ${a.unexpected}${a.unverified ? `, unverified ${a.unverified}` : ""}`,
    `ingest: ${r.ingest.eventsAccepted}/${r.ingest.eventsSent} events accepted in ${r.ingest.seconds} s = ${r.ingest.acceptedEventsPerSecond} events/s, ${r.ingest.requestsPerSecond} requests/s; status ${JSON.stringify(r.ingest.statusCodes)}`,
    `ingest latency (per request): ${l(r.ingest.latencyMs)}`,
    `end-to-end latency (${r.endToEnd.basis}): ${l(r.endToEnd.latencyMs)}`,
    `accounting: ${a.verdict.checked} checked, ${a.verdict.processed} processed, ${a.verdict.failedAsExpected} failed as expected; drain ${a.drain.drained ? "confirmed" : "not confirmed"} in ${a.drain.waitedSeconds} s; verify ${a.verify.mode} ${a.verify.seconds} s`,
    ...a.notes.map((n) => `note: ${n}`),
    ...(r.ceiling ? [ceilingText(r.ceiling, r.ceiling.pipeline)] : []),
    `result: ${out.jsonPath}`,
    `report: ${out.htmlPath}`,
  ].join("\n");
}
