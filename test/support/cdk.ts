/** What the template tests (test/cdk) name resources by. */
import { type CfnElement, Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** The logical id CloudFormation knows an L2 construct's resource by. */
export const logicalId = (c: IConstruct): string =>
  Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);

/** `Fn::GetAtt` of a logical id (the ARN unless another attribute is named). */
export const getAtt = (id: string, attr = "Arn") => ({ "Fn::GetAtt": [id, attr] });
