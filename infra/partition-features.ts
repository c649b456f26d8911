import { Aws, CfnCondition, Fn, Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { Construct } from 'constructs';

/**
 * Whether Lambda's X-Ray integration (active tracing) exists where the stack deploys. It does not in the
 * China regions (`aws-cn`; docs.amazonaws.cn, "Amazon Lambda" in Getting Started with Amazon Web Services
 * in China). A stack with a known region gets a plain answer; an environment-agnostic stack gets one
 * condition on `AWS::Partition`, decided at deploy time.
 */
export function lambdaActiveTracing(scope: Construct): boolean | CfnCondition {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) return RegionInfo.get(stack.region).partition !== 'aws-cn';
  const id = 'LambdaActiveTracingAvailable';
  return (
    (stack.node.tryFindChild(id) as CfnCondition | undefined) ??
    new CfnCondition(stack, id, { expression: Fn.conditionNot(Fn.conditionEquals(Aws.PARTITION, 'aws-cn')) })
  );
}
