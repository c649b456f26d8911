import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ImhubStack } from './imhub-stack.ts';

/** `npx cdk synth` / `npx cdk deploy`. Context: `-c deletionProtection=false` for a throwaway stack. */
const app = new App();
new ImhubStack(app, app.node.tryGetContext('stackName') ?? 'Imhub', {
  deletionProtection: app.node.tryGetContext('deletionProtection') !== 'false',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
