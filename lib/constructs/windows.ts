/**
 * Windows and patterns (issue 18): the windows function behind /v1/aggregations and
 * /v1/patterns, and the sweep, invoked once a minute by an EventBridge rule that asks for
 * 60 / windowSweepSeconds passes (EventBridge's finest schedule is a minute). One schedule
 * for the whole deployment, not one timer per key: the sweep finds every deadline (window
 * closes, absence timeouts) in a time-keyed read of the contributions.
 */
import { Duration } from "aws-cdk-lib";
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Construct } from "constructs";
import type { EventFlowSettings } from "../config.js";
import { type ResourceRefs, SWEEP_SCHEDULE_MINUTES } from "../contracts/functions.js";
import { EventFlowFunction } from "./eventflow-function.js";
import type { EventStorage } from "./storage.js";

export interface EventWindowsProps {
  settings: EventFlowSettings;
  storage: EventStorage;
  refs: ResourceRefs;
  projectRoot?: string;
}

export class EventWindows extends Construct {
  public readonly windowsFunction: EventFlowFunction;
  public readonly sweepFunction: EventFlowFunction;
  public readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: EventWindowsProps) {
    super(scope, id);
    const { settings, storage, refs, projectRoot } = props;

    this.windowsFunction = new EventFlowFunction(this, "Windows", {
      name: "windows",
      settings,
      refs,
      projectRoot,
    });
    this.windowsFunction.bindConfigTable(storage.configTable, "manage");
    // Results and backfill read contributions and events (byTime index); backfill and
    // nothing else writes contributions from here.
    this.windowsFunction.bindTable(storage.table, "read", storage.indexNames);
    this.windowsFunction.bindTable(storage.table, "write");
    storage.cursorKey.grantRead(this.windowsFunction.function);

    this.sweepFunction = new EventFlowFunction(this, "Sweep", {
      name: "sweep",
      settings,
      refs,
      projectRoot,
    });
    this.sweepFunction.bindConfigTable(storage.configTable, "sweep");
    this.sweepFunction.bindTable(storage.table, "read");
    this.sweepFunction.bindTable(storage.table, "write");
    this.sweepFunction.bindQueue(storage.queue, "send");

    const passes = Math.max(
      1,
      Math.floor((SWEEP_SCHEDULE_MINUTES * 60) / settings.windowSweepSeconds),
    );
    this.schedule = new Rule(this, "SweepSchedule", {
      description: `EventFlow sweep: ${passes} pass(es) a minute (windowSweepSeconds ${settings.windowSweepSeconds})`,
      schedule: Schedule.rate(Duration.minutes(SWEEP_SCHEDULE_MINUTES)),
      targets: [
        new LambdaFunction(this.sweepFunction.function, {
          event: RuleTargetInput.fromObject({ passes }),
          retryAttempts: 0,
        }),
      ],
    });
  }
}
