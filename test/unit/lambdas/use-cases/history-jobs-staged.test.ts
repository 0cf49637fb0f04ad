/**
 * History jobs over the staged layout (lambdas/use-cases/history-jobs.ts): a staged file
 * holds every tenant's rows of a stream batch. An erasure rewrites it without the subject's
 * rows of its own tenant and leaves every other row (another tenant's, even one with the
 * same subject) where it was; events already filed by tenant are erased too; an export and
 * the subject export of one tenant never carry another tenant's rows from a shared file.
 */
import { describe, expect, it } from "vitest";
import type { Job, JobMessage } from "../../../../lambdas/domain/history-jobs.js";
import { archiveChanges, splitStaged } from "../../../../lambdas/use-cases/archive-events.js";
import { runJobSlice, subjectEvents } from "../../../../lambdas/use-cases/history-jobs.js";
import { readArchive } from "../../../../lambdas/use-cases/read-archive.js";
import { memoryJobDeps, tableChange } from "../../../support/history-jobs.js";
import { MemoryArchiveStore } from "../../../support/memory-archive.js";

const event = (tenantId: string, id: string, subject: string) => tableChange(tenantId, id, subject);

function harness(store: MemoryArchiveStore) {
  const deleted: [string, string[]][] = [];
  const deps = memoryJobDeps(store, {
    eraser: {
      deleteEvents: async (tenant, ids) => {
        deleted.push([tenant, [...ids]]);
        return ids.length;
      },
    },
  });
  const run = async (tenant: string, kind: Job["kind"], request: Record<string, unknown>) => {
    const job: Job = {
      id: `${kind}-${tenant}`,
      tenant,
      kind,
      status: "queued",
      createdAt: "2026-12-06T11:00:00Z",
      updatedAt: "2026-12-06T11:00:00Z",
      progress: { selected: 0, done: 0 },
      request,
    };
    await deps.jobs.put(job);
    const message: JobMessage = { tenant, kind, id: job.id };
    expect(await runJobSlice(message, deps)).toBe("finished");
    return (await deps.jobs.get(tenant, kind, job.id)) as Job;
  };
  return { run, deleted };
}

const ids = async (store: MemoryArchiveStore, tenant: string) => {
  const out: string[] = [];
  for await (const day of readArchive(store, tenant, {})) out.push(...day.map((r) => r.id));
  return out.sort();
};

describe("erasure of a staged file holding two tenants' rows", () => {
  it("removes the tenant's subject only, rewriting the shared file with everyone else's rows", async () => {
    const store = new MemoryArchiveStore();
    // Filed by tenant already: one of acme's u1 events.
    await archiveChanges([event("acme", "old-u1", "u1")], { store });
    await splitStaged({ chunkFiles: 10, bufferRows: 1000 }, { store });
    // Still staged: acme's u1 and u2, globex's u1 (the same subject name, another tenant).
    await archiveChanges(
      [event("acme", "a-u1", "u1"), event("acme", "a-u2", "u2"), event("globex", "g-u1", "u1")],
      { store },
    );
    const staged = [...store.files.keys()].filter((k) => k.startsWith("staging/"));
    expect(staged).toHaveLength(1);

    const { run, deleted } = harness(store);
    const job = await run("acme", "erasure", { subject: "u1" });
    expect(job.status).toBe("succeeded");
    expect(job.steps?.archive?.count).toBe(2);
    expect(deleted.flatMap(([t, list]) => list.map((id) => `${t}/${id}`)).sort()).toEqual([
      "acme/a-u1",
      "acme/old-u1",
    ]);
    // The staged file was rewritten (a new key), still one file, with globex's row in it.
    const after = [...store.files.keys()].filter((k) => k.startsWith("staging/"));
    expect(after).toEqual([expect.stringMatching(/-e\.parquet$/)]);
    const rows = (await store.readEvents(after[0] as string)) as { tenant: string; id: string }[];
    expect(rows.map((r) => `${r.tenant}/${r.id}`).sort()).toEqual(["acme/a-u2", "globex/g-u1"]);
    expect(await ids(store, "acme")).toEqual(["a-u2"]);
    expect(await ids(store, "globex")).toEqual(["g-u1"]);
  });
});

describe("tenant isolation over shared staged files", () => {
  it("an export and a subject export of one tenant never carry another tenant's rows", async () => {
    const store = new MemoryArchiveStore();
    await archiveChanges(
      [event("acme", "a1", "u1"), event("globex", "g1", "u1"), event("globex", "g2", "u2")],
      { store },
    );
    expect((await subjectEvents(store, "acme", "u1")).events.map((e) => e.id)).toEqual(["a1"]);
    const { run } = harness(store);
    const exported = await run("acme", "export", {
      from: "2026-12-06T00:00:00Z",
      to: "2026-12-07T00:00:00Z",
      format: "jsonl",
    });
    expect(exported.result?.count).toBe(1);
    const body = new TextDecoder().decode(await store.readFile(exported.result?.key ?? ""));
    expect(
      body
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    ).toEqual(["a1"]);
  });
});
