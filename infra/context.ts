import { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { Node } from 'constructs';
import type { ImhubStackProps } from './imhub-stack.ts';

/**
 * The stack options `cdk synth` / `cdk deploy` take as context (`-c name=value`, or `context` in cdk.json):
 * - `region` (else the CLI's: `--profile`, `AWS_REGION`, the profile's region), `stackName`;
 * - `deletionProtection=false` for a throwaway stack;
 * - `fixedEgress=true` (and `natGateways=2`) for WeCom's trusted IPs;
 * - `architecture=x86_64`;
 * - `allowedApiBases=https://proxy.example.com,https://…`: apiBaseUrl values allowed besides the platforms' hosts.
 */
export function stackFromContext(node: Node, environment: NodeJS.ProcessEnv = process.env): { id: string; props: ImhubStackProps } {
  const context = (name: string): string | undefined => {
    const value: unknown = node.tryGetContext(name);
    return value === undefined ? undefined : String(value);
  };
  const choice = <T>(name: string, choices: Record<string, T>): T | undefined => {
    const value = context(name);
    if (value === undefined) return undefined;
    if (!Object.hasOwn(choices, value)) throw new Error(`-c ${name}=${value}: expected ${Object.keys(choices).join(' or ')}`);
    return choices[value];
  };
  const flag = (name: string) => choice(name, { true: true, false: false });
  const natGateways = context('natGateways');
  // A list in cdk.json arrives as an array, whose String() is the same comma-separated form.
  const allowedApiBases = context('allowedApiBases')
    ?.split(',')
    .map((base) => base.trim())
    .filter(Boolean);
  return {
    id: context('stackName') ?? 'Imhub',
    props: {
      deletionProtection: flag('deletionProtection'),
      fixedEgress: flag('fixedEgress'),
      natGateways: natGateways === undefined ? undefined : Number(natGateways),
      architecture: choice('architecture', { arm64: Architecture.ARM_64, x86_64: Architecture.X86_64 }),
      allowedApiBases,
      env: { account: environment.CDK_DEFAULT_ACCOUNT, region: context('region') ?? environment.CDK_DEFAULT_REGION },
    },
  };
}
