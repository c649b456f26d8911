import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../lib/http/openapi.ts';
import { operationExamples } from '../../lib/http/openapi-examples.ts';
import { allRoutes, outboundWebhooks } from '../../lib/http/routes.ts';

/*
 * `redocly lint` (the recommended rules, as redocly.yaml sets them) on the document built from the
 * real route table, offline: it must pass with no error and no warning. Examples are checked
 * against their schemas by the linter too (no-invalid-media-type-examples).
 */
const root = resolve(import.meta.dirname, '../..');
const redocly = join(root, 'node_modules/.bin/redocly');
const run = promisify(execFile);

async function lint(document: unknown, folder: string) {
  const file = join(folder, 'openapi.json');
  await writeFile(file, JSON.stringify(document, null, 2));
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1', CI: 'true' };
  try {
    const { stdout, stderr } = await run(redocly, ['lint', file, '--config', join(root, 'redocly.yaml'), '--format', 'stylish'], { env, cwd: folder, timeout: 150_000 });
    return { code: 0, output: `${stdout}\n${stderr}` };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}\n${failed.stderr ?? ''}` };
  }
}

describe('the OpenAPI document under redocly lint', () => {
  const folders: string[] = [];
  const folder = async () => {
    const made = await mkdtemp(join(tmpdir(), 'imhub-openapi-'));
    folders.push(made);
    return made;
  };
  afterAll(async () => {
    await Promise.all(folders.map((made) => rm(made, { recursive: true, force: true })));
  });

  it(
    'is clean: no error and no warning under the recommended rules',
    async () => {
      // Prepare
      const document = buildOpenApiDocument(allRoutes, { version: '1', serverUrl: 'https://a1b2c3d4e5.execute-api.ap-northeast-1.amazonaws.com', examples: operationExamples, webhooks: outboundWebhooks });

      // Act
      const { code, output } = await lint(document, await folder());

      // Assess
      expect(code, output).toBe(0);
      expect(output).toMatch(/valid/i);
      expect(output, output).not.toMatch(/^\s*\d+:\d+\s+(error|warning)\s/m);
      expect(output, output).not.toMatch(/You have \d+ warnings?/i);
    },
    300_000,
  );

  it(
    'fails a document whose example does not match its schema (the lint can fail)',
    async () => {
      // Prepare
      const document = buildOpenApiDocument(allRoutes, { version: '1', examples: operationExamples, webhooks: outboundWebhooks });
      const created = (document.paths['/v1/approvals'] as any).post.responses['201'].content['application/json'];
      created.example = { ...created.example, status: 'maybe' };

      // Act
      const { code, output } = await lint(document, await folder());

      // Assess
      expect(code, output).not.toBe(0);
      expect(output).toMatch(/no-invalid-media-type-examples/);
    },
    300_000,
  );
});
