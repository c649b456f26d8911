#!/usr/bin/env node
// The GitHub Action's step (action.yml): `imhub approval start --wait` from the action's inputs,
// the outcome written to GITHUB_OUTPUT. Runs the TypeScript through tsx (a dependency), no build step.
import { register } from 'tsx/esm/api';

register();
const { runAction } = await import('../lib/cli/github-action.ts');
process.exitCode = await runAction(process.env, process.stdout, process.stderr);
