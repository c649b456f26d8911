#!/usr/bin/env node
// The `imhub` command: runs the TypeScript CLI through tsx (a dependency), with no build step.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../lib/cli/main.ts');
process.exitCode = await run(process.argv.slice(2), process.env, process.stdout, process.stderr);
