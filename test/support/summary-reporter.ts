import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Prints `N passed, N failed` alone on the last line, the plain summary CI counts. A file that
 * failed to load, and an unhandled error, each count as a failure so they cannot pass silently.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let moduleFailures = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') moduleFailures += 1;
        else skipped += 1;
      }
      if (moduleFailures === 0 && module.state() === 'failed') moduleFailures = 1;
      failed += moduleFailures;
    }
    failed += unhandledErrors.length;
    // Skipped tests (the browser test without a Chromium) get their own line: CI reads the last one.
    process.stdout.write(`\n${skipped ? `${skipped} skipped\n` : ''}${passed} passed, ${failed} failed\n`);
  }
}
