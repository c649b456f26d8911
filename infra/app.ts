import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackFromContext } from './context.ts';
import { ImhubStack } from './imhub-stack.ts';

/** `npx cdk synth` / `npx cdk deploy`; options as context, e.g. `-c fixedEgress=true` (see context.ts). */
const app = new App();
const { id, props } = stackFromContext(app.node);
new ImhubStack(app, id, props);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
