/**
 * The LocalStack path (local/localstack/), checked offline: no Docker engine runs here,
 * so what can be checked is the compose file, that the scripts parse and point every
 * AWS client at LocalStack with dummy credentials, that cdklocal wraps the pinned CDK
 * CLI, that the outputs they read are outputs the stack really has, and the helper that
 * turns those outputs into the suite's URL and key.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { STACK_OUTPUT } from "../../lib/contracts/stack-outputs.js";
import {
  apiKeyOf,
  localstackApiUrl,
  main,
  missingServices,
  preflightAdvice,
  REQUIRED_OUTPUTS,
  REQUIRED_SERVICES,
  stackOutputs,
} from "../../local/localstack/outputs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = join(root, "local/localstack");
const read = (file: string) => readFileSync(join(root, file), "utf8");
const scripts = readdirSync(dir).filter((f) => f.endsWith(".sh"));

interface Compose {
  services: Record<
    string,
    {
      image: string;
      ports: string[];
      environment: Record<string, string>;
      volumes: string[];
      healthcheck: { test: string[] };
    }
  >;
}

describe("docker-compose.yml", () => {
  const compose = parse(read("local/localstack/docker-compose.yml")) as Compose;
  const localstack = compose.services.localstack;

  it("pins LocalStack's image to a release, the last one that starts without an account", () => {
    expect(localstack?.image).toBe(`\${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}`);
  });

  it("publishes the edge port 4566 on the loopback interface only", () => {
    expect(localstack?.ports).toEqual(["127.0.0.1:4566:4566"]);
  });

  it("enables every service the stack and cdklocal bootstrap use", () => {
    const services = (localstack?.environment.SERVICES ?? "").split(",");
    expect([...services].sort()).toEqual([...REQUIRED_SERVICES].sort());
  });

  it("gives Lambda the Docker socket, runs arm64 bundles natively, and has a health check", () => {
    expect(localstack?.volumes).toContain("/var/run/docker.sock:/var/run/docker.sock");
    expect(localstack?.environment).toMatchObject({
      LAMBDA_IGNORE_ARCHITECTURE: "1",
      DOCKER_HOST: "unix:///var/run/docker.sock",
    });
    expect(localstack?.healthcheck.test.join(" ")).toContain(
      "http://127.0.0.1:4566/_localstack/health",
    );
  });
});

describe("scripts", () => {
  it.each([...scripts, "../../.ci/run"])("bash -n %s", (file) => {
    const check = spawnSync("bash", ["-n", join(dir, file)], { encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("the npm scripts exist and name files that exist", () => {
    const pkg = JSON.parse(read("package.json")) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.scripts).toMatchObject({
      "localstack:up": expect.stringContaining(
        "-f local/localstack/docker-compose.yml up -d --wait",
      ),
      "localstack:deploy": "bash local/localstack/deploy.sh",
      "localstack:test": "bash local/localstack/test.sh",
      "localstack:down": expect.stringContaining("-f local/localstack/docker-compose.yml down -v"),
    });
    expect(scripts.sort()).toEqual(["deploy.sh", "env.sh", "test.sh"]);
    // cdklocal wraps whatever aws-cdk is installed: both pinned.
    expect(pkg.devDependencies["aws-cdk-local"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies["aws-cdk"]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("env.sh points every client at LocalStack with dummy credentials, whatever the shell had", () => {
    const run = spawnSync(
      "bash",
      ["-c", `source "${join(dir, "env.sh")}" && env && command -v node cdklocal tsx vitest`],
      {
        encoding: "utf8",
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_PROFILE: "production",
          AWS_ACCESS_KEY_ID: "AKIAREALACCOUNTKEY00",
          AWS_SECRET_ACCESS_KEY: "real",
          AWS_SESSION_TOKEN: "real",
          AWS_REGION: "eu-west-1",
        },
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const env = Object.fromEntries(
      run.stdout
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: "http://localhost:4566",
      AWS_ENDPOINT_URL_S3: "http://s3.localhost.localstack.cloud:4566",
      CDK_DEFAULT_ACCOUNT: "000000000000",
      CDK_DISABLE_CLI_TELEMETRY: "true",
    });
    expect(env.AWS_PROFILE).toBeUndefined();
    expect(env.AWS_SESSION_TOKEN).toBeUndefined();
    // The project's binaries: Node 24 and the pinned tools, not the machine's.
    for (const bin of ["node", "cdklocal", "tsx", "vitest"]) {
      expect(run.stdout).toContain(join(root, "node_modules/.bin", bin));
    }
  });

  it("cdklocal accepts that environment and keeps LocalStack's endpoints and region", () => {
    // What cdklocal does before it runs the CDK CLI (aws-cdk >= 2.177): throws without
    // AWS_ENDPOINT_URL_S3, drops AWS_* variables not allow-listed, fills in the rest.
    const { configureEnvironment } = createRequire(import.meta.url)(
      "aws-cdk-local/src/index.js",
    ) as { configureEnvironment(env: Record<string, string>, allow: string): void };
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: "http://localhost:4566",
      AWS_ENDPOINT_URL_S3: "http://s3.localhost.localstack.cloud:4566",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_PROFILE: "stray",
    };
    const allow = /AWS_ENVAR_ALLOWLIST=(\S+)/.exec(read("local/localstack/env.sh"))?.[1] ?? "";
    configureEnvironment(env, allow);
    expect(env).toEqual({
      AWS_ENDPOINT_URL: "http://localhost:4566",
      AWS_ENDPOINT_URL_S3: "http://s3.localhost.localstack.cloud:4566",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    expect(() => configureEnvironment({ AWS_ENDPOINT_URL: "http://localhost:4566" }, "")).toThrow(
      /AWS_ENDPOINT_URL_S3/,
    );
  });

  it("cdklocal finds the pinned CDK CLI", () => {
    const pinned = (JSON.parse(read("package.json")) as { devDependencies: Record<string, string> })
      .devDependencies["aws-cdk"];
    const run = spawnSync(join(root, "node_modules/.bin/cdklocal"), ["--version"], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`cdk cli version v${pinned}`);
  });

  it("deploy.sh bootstraps and deploys with cdklocal, then makes a key with npm run keys", () => {
    const deploy = read("local/localstack/deploy.sh");
    expect(deploy).toMatch(/^cdklocal bootstrap /m);
    expect(deploy).toMatch(
      /^cdklocal deploy .*--require-approval never --outputs-file "\$OUTPUTS_FILE"/m,
    );
    expect(deploy).toMatch(
      /npm run --silent keys -- create [\s\S]*--stack-outputs "\$OUTPUTS_FILE"/,
    );
    const test = read("local/localstack/test.sh");
    for (const name of ["EVENTFLOW_URL", "EVENTFLOW_API_KEY", "EVENTFLOW_STACK_OUTPUTS"]) {
      expect(test).toMatch(new RegExp(`export [^\\n]*\\b${name}\\b`));
    }
    expect(test).toMatch(/exec vitest run --project e2e "\$@"/);
  });
});

describe("the stack outputs the scripts read", () => {
  it("are outputs of the stack, and what npm run keys -- --stack-outputs reads", () => {
    const stack = read("lib/eventflow-stack.ts");
    // The stack and the tools name outputs through lib/contracts/stack-outputs.ts.
    const field = (name: string) => Object.entries(STACK_OUTPUT).find(([, v]) => v === name)?.[0];
    const outputs = [...stack.matchAll(/new CfnOutput\(this, STACK_OUTPUT\.(\w+)/g)].map(
      (m) => STACK_OUTPUT[m[1] as keyof typeof STACK_OUTPUT],
    );
    // ApiUrl gives keys the stack's region (bin/tools/stack-outputs.ts).
    const keys = read("bin/keys.ts") + read("bin/tools/stack-outputs.ts");
    for (const name of REQUIRED_OUTPUTS) {
      expect(outputs).toContain(name);
      expect(keys).toContain(`STACK_OUTPUT.${field(name)}`);
    }
  });

  const outputs = {
    ApiUrl: "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
    KeysTableName: "EventFlow-Keys",
    UsagePlanId: "up1",
    QueueUrl: "http://sqs...",
  };

  it("the stack is the one with every required output", () => {
    expect(stackOutputs({ CDKToolkit: { BucketName: "b" }, EventFlow: outputs })).toEqual(outputs);
    expect(() => stackOutputs({ EventFlow: { ApiUrl: outputs.ApiUrl } }, "f.json")).toThrow(
      /f.json has no stack with the outputs ApiUrl, KeysTableName, UsagePlanId/,
    );
    expect(() => stackOutputs({ A: outputs, B: outputs })).toThrow(/several .*A, B/);
    expect(() => stackOutputs(null)).toThrow(/no stack/);
  });

  it("ApiUrl becomes LocalStack's path-style URL of the same API and stage", () => {
    expect(localstackApiUrl(outputs.ApiUrl)).toBe(
      "http://localhost:4566/_aws/execute-api/a1b2c3d4e5/prod",
    );
    expect(
      localstackApiUrl(
        "https://a1b2c3d4e5.execute-api.us-east-1.localhost.localstack.cloud/staging/",
        "http://docker-host:4566/",
      ),
    ).toBe("http://docker-host:4566/_aws/execute-api/a1b2c3d4e5/staging");
    expect(() => localstackApiUrl("https://example.com/prod")).toThrow(/not an API Gateway/);
  });

  it("the key comes from npm run keys -- create --json", () => {
    expect(apiKeyOf({ key: "efk_abc.secret", prefix: "efk_abc" })).toBe("efk_abc.secret");
    expect(() => apiKeyOf({ prefix: "efk_abc" })).toThrow(/holds no key/);
  });

  it("a 403 before any function ran is explained (no Lambda authorizers in the community image)", () => {
    expect(preflightAdvice(403)).toMatch(/does not\s+run Lambda authorizers/);
    expect(preflightAdvice(404)).toMatch(/redeploy/);
  });
});

describe("outputs.ts against a stand-in for LocalStack", () => {
  const health = {
    edition: "community",
    version: "4.14.0",
    services: Object.fromEntries(REQUIRED_SERVICES.map((s) => [s, "available"])),
  };
  let server: Server;
  let base: string;
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/_localstack/health") return res.end(JSON.stringify(health));
      if (req.url === "/_aws/execute-api/abc/prod/v1/health") {
        res.statusCode = req.headers.authorization === "Bearer efk_good" ? status : 401;
        return res.end('{"status":"ok"}');
      }
      res.statusCode = 404;
      res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const run = async (argv: string[]) => {
    const lines: string[] = [];
    await main(argv, { AWS_ENDPOINT_URL: base }, (l) => lines.push(l));
    return lines.join("\n");
  };

  it("ready: LocalStack answers with every service", async () => {
    expect(await run(["ready"])).toBe(`LocalStack 4.14.0 (community) on ${base}`);
    expect(missingServices({ services: { ...health.services, lambda: "disabled" } })).toEqual([
      "lambda",
    ]);
  });

  it("ready: says how to start LocalStack when nothing answers", async () => {
    await expect(
      main(["ready"], { AWS_ENDPOINT_URL: "http://127.0.0.1:1" }, () => {}),
    ).rejects.toThrow(/does not answer on http:\/\/127.0.0.1:1 .*npm run localstack:up/);
  });

  it("preflight: 200 passes; a refusal fails with the reason", async () => {
    const url = `${base}/_aws/execute-api/abc/prod`;
    expect(await run(["preflight", url, "efk_good"])).toContain("200");
    status = 403;
    await expect(run(["preflight", url, "efk_good"])).rejects.toThrow(
      /answered 403[\s\S]*Lambda authorizers/,
    );
    await expect(run(["preflight", url, "efk_bad"])).rejects.toThrow(/answered 401/);
  });
});
