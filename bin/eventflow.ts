#!/usr/bin/env node
/**
 * The CDK app. Settings come from context (`-c eventflow:<key>=<value>` or cdk.json),
 * the stack id from `eventflow:stackName` (default "EventFlow"); cdk-nag's
 * AwsSolutions checks run on every synth.
 */
import { App } from "aws-cdk-lib";
import { createEventFlowStack } from "../lib/eventflow-stack.js";

createEventFlowStack(new App());
