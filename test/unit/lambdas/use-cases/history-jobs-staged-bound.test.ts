/**
 * The staged-file bound (archiveStagedReadMaxFiles, README "History"): at or under it readers
 * read a day's staged files as before; above it an export or replay waits on the jobs queue
 * for the splitter to file what was staged before the job started, then reads the tenant's
 * `events/` files alone; it fails after stagedWaitSeconds; the subject export answers what is
 * filed, with the instant up to which that is complete.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { writtenAtOfKey } from "../../../../lambdas/domain/archive.js";
import type { Job, JobMessage } from "../../../../lambdas/domain/history-jobs.js";
import { createHistoryHandler } from "../../../../lambdas/handlers/history.js";
import { httpConfig } from "../../../../lambdas/shared/http.js";
import { archiveChanges, splitStaged } from "../../../../lambdas/use-cases/archive-events.js";
import {
  runJobSlice,
  STAGED_WAIT_DELAY_SECONDS,
  startJob,
  subjectEvents,
} from "../../../../lambdas/use-cases/history-jobs.js";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { memoryJobDeps, tableChange } from "../../../support/history-jobs.js";
import { MemoryArchiveStore } from "../../../support/memory-archive.js";

const received = "2026-12-06T10:00:00.000Z";
const jobStart = "2026-12-06T11:00:00.000Z";
const change = (tenantId: string, id: string) => tableChange(tenantId, id, "u1", received);

/** One staged file per call, written at `at` (its key carries the instant). */
const stage = (store: MemoryArchiveStore, at: string, ...events: ReturnType<typeof change>[]) =>
  archiveChanges(events, { store, now: () => Date.parse(at) });

/** A store that records which keys were read. */
class SpyStore extends MemoryArchiveStore {
  readonly read: string[] = [];
  override async readEvents(...args: Parameters<MemoryArchiveStore["readEvents"]>) {
    this.read.push(args[0]);
    return super.readEvents(...args);
  }
}

function harness(store: MemoryArchiveStore, bound: number | undefined) {
  const sent: { message: JobMessage; delay: number | undefined }[] = [];
  const enqueued: string[] = [];
  let clock = Date.parse("2026-12-06T11:00:05Z");
  const deps = memoryJobDeps(store, {
    queue: { send: async (message, delay) => void sent.push({ message, delay }) },
    events: {
      enqueue: async (messages: { event: { id: string } }[]) => {
        enqueued.push(...messages.map((m) => m.event.id));
        return { failed: [] };
      },
    } as never,
    now: () => new Date(clock),
    sleep: async () => {},
    ...(bound === undefined ? {} : { stagedReadMaxFiles: bound, stagedWaitSeconds: 3600 }),
  });
  /** Accepted as the API does (its first message is not recorded: the tests run it). */
  const start = async (kind: Job["kind"], request: Record<string, unknown>) => {
    const api = {
      jobs: deps.jobs,
      queue: { send: async () => {} },
      now: () => new Date(jobStart),
      newId: () => `${kind}-1`,
    };
    const job = await startJob("acme", kind, request, api);
    return { tenant: "acme", kind, id: job.id } satisfies JobMessage;
  };
  const job = async (m: JobMessage) => (await deps.jobs.get(m.tenant, m.kind, m.id)) as Job;
  const advance = (seconds: number) => {
    clock += seconds * 1000;
  };
  return { deps, start, job, sent, enqueued, advance };
}

const exportRequest = { from: "2026-12-06T00:00:00Z", format: "jsonl" as const };

const exportedIds = async (store: MemoryArchiveStore, job: Job) =>
  new TextDecoder()
    .decode(await store.readFile(job.result?.key ?? ""))
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l).id as string)
    .sort();

/** Three staged files before the job started, one event filed by tenant already. */
async function backlog(store: MemoryArchiveStore) {
  await stage(store, "2026-12-06T09:00:00Z", change("acme", "filed"));
  await splitStaged({ chunkFiles: 10, bufferRows: 1000 }, { store });
  await stage(store, "2026-12-06T10:50:00Z", change("acme", "s1"), change("globex", "g1"));
  await stage(store, "2026-12-06T10:55:00Z", change("acme", "s2"));
  await stage(store, "2026-12-06T10:59:00Z", change("globex", "g2"));
}

describe("archiveStagedReadMaxFiles", () => {
  it("at or under the bound, an export reads the staged files as without one", async () => {
    for (const bound of [undefined, 3]) {
      const store = new MemoryArchiveStore();
      await backlog(store);
      const h = harness(store, bound);
      const m = await h.start("export", exportRequest);
      expect(await runJobSlice(m, h.deps)).toBe("finished");
      expect(await exportedIds(store, await h.job(m))).toEqual(["filed", "s1", "s2"]);
      expect(h.sent).toEqual([]);
    }
  });

  it("over it, an export waits for the splitter, then reads the events/ files alone", async () => {
    const store = new SpyStore();
    await backlog(store);
    store.read.length = 0;
    const h = harness(store, 2);
    const m = await h.start("export", exportRequest);
    expect(await runJobSlice(m, h.deps)).toBe("continued");
    expect(h.sent).toEqual([{ message: m, delay: STAGED_WAIT_DELAY_SECONDS }]);
    let job = await h.job(m);
    expect(job.status).toBe("running");
    expect(job.waitingFor).toMatch(/splitter.*3 staged file\(s\) of 2026-12-06/);
    expect(job.waitingSince).toBe("2026-12-06T11:00:05.000Z");
    expect(store.read.filter((k) => k.startsWith("staging/"))).toEqual([]);

    // The splitter files the backlog; meanwhile three files are staged after the job started.
    await splitStaged({ chunkFiles: 10, bufferRows: 1000 }, { store });
    await stage(store, "2026-12-06T11:01:00Z", change("acme", "late1"));
    await stage(store, "2026-12-06T11:02:00Z", change("acme", "late2"));
    await stage(store, "2026-12-06T11:03:00Z", change("globex", "late3"));
    h.advance(60);
    store.read.length = 0;
    expect(await runJobSlice(m, h.deps)).toBe("finished");
    job = await h.job(m);
    expect(job.status).toBe("succeeded");
    expect(job.waitingFor).toBeUndefined();
    expect(job.waitingSince).toBeUndefined();
    // The snapshot: everything staged before the job started; nothing staged after it.
    expect(await exportedIds(store, job)).toEqual(["filed", "s1", "s2"]);
    expect(store.read.filter((k) => k.startsWith("staging/"))).toEqual([]);
  });

  it("keeps waiting while a file staged before the job is left, then fails naming the alarm", async () => {
    const store = new MemoryArchiveStore();
    await backlog(store);
    const h = harness(store, 2);
    const m = await h.start("export", exportRequest);
    expect(await runJobSlice(m, h.deps)).toBe("continued");
    h.advance(1800);
    expect(await runJobSlice(m, h.deps)).toBe("continued");
    // The first wait's start is kept: the bound counts from it.
    expect((await h.job(m)).waitingSince).toBe("2026-12-06T11:00:05.000Z");
    h.advance(1800);
    expect(await runJobSlice(m, h.deps)).toBe("finished");
    const job = await h.job(m);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/waited 3600 s for the archive's splitter.*ArchiveSplitBehind/);
    expect(job.waitingFor).toBeUndefined();
    expect(h.sent).toHaveLength(2);
  });

  it("over it, a replay slice waits too, then sends the filed events only", async () => {
    const store = new SpyStore();
    await backlog(store);
    store.read.length = 0;
    const h = harness(store, 2);
    const m = await h.start("replay", { from: "2026-12-06T00:00:00Z" });
    expect(await runJobSlice(m, h.deps)).toBe("continued");
    expect(h.sent.at(-1)?.delay).toBe(STAGED_WAIT_DELAY_SECONDS);
    expect(h.enqueued).toEqual([]);
    expect((await h.job(m)).waitingFor).toMatch(/splitter/);

    await splitStaged({ chunkFiles: 10, bufferRows: 1000 }, { store });
    for (const [i, at] of ["11:01", "11:02", "11:03"].entries()) {
      await stage(store, `2026-12-06T${at}:00Z`, change("acme", `late${i}`));
    }
    h.advance(60);
    store.read.length = 0;
    expect(await runJobSlice(m, h.deps)).toBe("finished");
    const job = await h.job(m);
    expect(job.status).toBe("succeeded");
    expect(job.waitingFor).toBeUndefined();
    expect(h.enqueued.sort()).toEqual(["filed", "s1", "s2"]);
    expect(store.read.filter((k) => k.startsWith("staging/"))).toEqual([]);
  });

  it("a staged file an erasure rewrote keeps its time: it is still waited for", () => {
    const key = "staging/day=2026-12-06/part-20261206T105000123Z-abc.parquet";
    expect(writtenAtOfKey(key)).toBe(Date.parse("2026-12-06T10:50:00.123Z"));
    expect(writtenAtOfKey(key.replace(/\.parquet$/, "-e.parquet"))).toBe(
      Date.parse("2026-12-06T10:50:00.123Z"),
    );
    expect(writtenAtOfKey("staging/day=2026-12-06/other.parquet")).toBeUndefined();
  });

  it("the subject export reads staged files under the bound; above it, what is filed, saying until when it is complete", async () => {
    const store = new SpyStore();
    await backlog(store);
    const under = await subjectEvents(store, "acme", "u1", 3);
    expect(under.events.map((e) => e.id).sort()).toEqual(["filed", "s1", "s2"]);
    expect(under.completeThrough).toBeUndefined();
    store.read.length = 0;
    const over = await subjectEvents(store, "acme", "u1", 2);
    expect(over.events.map((e) => e.id)).toEqual(["filed"]);
    // The oldest staged file not yet filed: everything stored before it is in the answer.
    expect(over.completeThrough).toBe("2026-12-06T10:50:00.000Z");
    expect(store.read.filter((k) => k.startsWith("staging/"))).toEqual([]);

    const handler = createHistoryHandler({
      jobs: {} as never,
      queue: {} as never,
      store,
      destinations: {} as never,
      declarations: {} as never,
      exportUrlSeconds: 60,
      replayMaxRate: 100,
      stagedReadMaxFiles: 2,
      http: httpConfig({}),
    }) as unknown as (event: unknown, context: unknown) => Promise<APIGatewayProxyResult>;
    const request = apiEvent({
      path: "/v1/subjects/u1/export",
      resource: "/v1/subjects/{subject}/export",
      tenantId: "acme",
      scopes: "history:read",
    });
    const res = await handler(request, lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      subject: "u1",
      count: 1,
      complete: false,
      completeThrough: "2026-12-06T10:50:00.000Z",
    });
    // Once the splitter has filed them, the same call is complete.
    await splitStaged({ chunkFiles: 10, bufferRows: 1000 }, { store });
    const later = await handler(request, lambdaContext());
    expect(bodyOf(later)).toMatchObject({ count: 3, complete: true });
    expect(bodyOf<Record<string, unknown>>(later).completeThrough).toBeUndefined();
  });
});
