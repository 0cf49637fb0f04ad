/**
 * The synthetic canary (canaryIntervalMinutes > 0): a schedule runs the canary function,
 * which sends one `eventflow.canary` event for the reserved `eventflow-canary` tenant
 * through the public API and reads it back (lambdas/handlers/canary.ts). Its alarms and
 * dashboard row are in monitoring.ts.
 *
 * How the canary gets a key without a human step: it mints its own, in memory, at the
 * first run of each execution environment and before one could expire mid-run, writing
 * only the hash (with an expiry and a TTL) to the keys table. Its role may PutItem on the
 * keys table only under the canary keys' partition prefix (an IAM condition on
 * dynamodb:LeadingKeys), and the authorizer answers those keys as the canary tenant with
 * the canary's scopes whatever the item says, so the role cannot mint a key for another
 * tenant or scope. It may also read one API Gateway API key, its tenant's usage plan key, which this
 * construct creates and joins to the tenants' usage plan (so its calls count against its
 * own limits, never a real tenant's). A deploy-time custom resource was the alternative:
 * it needs a function with the same PutItem right that lives as long as the stack, and
 * the plaintext key stored at rest (Secrets Manager) for the canary to read, with no
 * rotation; minting in the canary keeps the key out of every store and rotates it hourly.
 */
import { Duration } from "aws-cdk-lib";
import { ApiKey } from "aws-cdk-lib/aws-apigateway";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Construct } from "constructs";
import type { EventFlowSettings } from "../config.js";
import { CANARY } from "../contracts/canary.js";
import type { ResourceRefs } from "../contracts/functions.js";
import type { EventApi } from "./api.js";
import { EventFlowFunction } from "./eventflow-function.js";
import type { EventStorage } from "./storage.js";

export interface EventCanaryProps {
  settings: EventFlowSettings;
  storage: EventStorage;
  api: EventApi;
  refs: ResourceRefs;
  /** See EventFlowFunctionProps.projectRoot. */
  projectRoot?: string;
}

export class EventCanary extends Construct {
  public readonly canaryFunction: EventFlowFunction;
  /** The canary tenant's usage plan key (API Gateway generates its value). */
  public readonly usageKey: ApiKey;
  public readonly schedule: Rule;
  public readonly intervalMinutes: number;

  constructor(scope: Construct, id: string, props: EventCanaryProps) {
    super(scope, id);
    const { settings, storage, api, refs, projectRoot } = props;
    this.intervalMinutes = settings.canaryIntervalMinutes;
    if (this.intervalMinutes <= 0) {
      throw new Error("EventCanary needs canaryIntervalMinutes > 0 (0 deploys no canary)");
    }

    this.usageKey = new ApiKey(this, "UsageKey", {
      description: `EventFlow tenant ${CANARY.tenantId}: usage plan key of the synthetic canary (the authorizer returns it)`,
      enabled: true,
    });
    api.usagePlan.addApiKey(this.usageKey);

    this.canaryFunction = new EventFlowFunction(this, "Canary", {
      name: "canary",
      settings,
      refs,
      projectRoot,
    });
    this.canaryFunction.bindKeyIssue(storage.keysTable);
    this.canaryFunction.bindUsageKey(this.usageKey);
    this.canaryFunction.bindApiUrl(api.url);

    // A failed run is a data point (CanarySuccess 0), not something to run again: the
    // next run is one interval away, and a stale run would only blur the latency series.
    const maxEventAge = Duration.minutes(this.intervalMinutes);
    this.canaryFunction.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge });
    this.schedule = new Rule(this, "Schedule", {
      description: `EventFlow synthetic canary, every ${this.intervalMinutes} min`,
      schedule: Schedule.rate(Duration.minutes(this.intervalMinutes)),
      targets: [
        new LambdaFunction(this.canaryFunction.function, { retryAttempts: 0, maxEventAge }),
      ],
    });
  }
}
