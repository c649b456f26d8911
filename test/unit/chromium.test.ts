import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findChromium } from '../support/chromium.ts';

const dir = mkdtempSync(join(tmpdir(), 'imhub-chromium-'));
const empty = mkdtempSync(join(tmpdir(), 'imhub-empty-'));
afterAll(() => [dir, empty].forEach((path) => rmSync(path, { recursive: true, force: true })));

describe('finding the Chromium for the browser test', () => {
  it('takes the first executable chromium on the PATH, and none when there is none', () => {
    writeFileSync(join(dir, 'chromium'), '#!/bin/sh\n');
    writeFileSync(join(empty, 'chromium'), 'not executable');
    chmodSync(join(dir, 'chromium'), 0o755);
    expect(findChromium({ PATH: `${empty}:${dir}` })).toBe(join(dir, 'chromium'));
    expect(findChromium({ PATH: empty })).toBeUndefined();
    expect(findChromium({ PATH: '' })).toBeUndefined();
  });

  it('prefers CHROMIUM_PATH', () => {
    expect(findChromium({ PATH: dir, CHROMIUM_PATH: '/opt/chrome/chrome' })).toBe('/opt/chrome/chrome');
  });
});
