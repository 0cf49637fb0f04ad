/**
 * SDK clients of the delivery targets (SNS, EventBridge, SES v2), for the deliver function
 * only: the other functions do not bundle them.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SNSClient } from "@aws-sdk/client-sns";
import { type ClientConfig, clientSettings } from "./client-config.js";
import { withoutSdkLogging } from "./sdk-options.js";

export const createSnsClient = (config: ClientConfig = {}) =>
  withoutSdkLogging(new SNSClient(clientSettings(config)));
export const createEventBridgeClient = (config: ClientConfig = {}) =>
  withoutSdkLogging(new EventBridgeClient(clientSettings(config)));
export const createSesClient = (config: ClientConfig = {}) =>
  withoutSdkLogging(new SESv2Client(clientSettings(config)));
