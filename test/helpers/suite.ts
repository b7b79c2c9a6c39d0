// Hooks every integration test file uses: one TestContext per file, every
// test's containers deleted after it and checked for leaks, and a final
// best-effort sweep so CI never accumulates garbage.
import { after, afterEach, before } from 'node:test';
import { assertNothingLeft, deleteContainers, describeCleanupReport, forceCleanup, isCleanReport } from './cleanup';
import { createTestContext, integrationSkipReason, TestContext } from './context';

/** Per test: a hang fails the test instead of blocking CI. */
export const TEST_TIMEOUT_MS = 30_000;

export const testOptions = { timeout: TEST_TIMEOUT_MS };

/** Options for the file's top-level describe(): skipped when not root or without a runtime. */
export function suiteOptions(): { skip: string | false } {
  return { skip: integrationSkipReason() };
}

/**
 * Registers before/afterEach/after hooks in the enclosing describe() and
 * returns an accessor for the context they manage.
 */
export function useTestContext(): () => TestContext {
  let context: TestContext | undefined;
  before(() => {
    context = createTestContext();
  });
  afterEach(async () => {
    if (!context) return;
    const problems = await deleteContainers(context);
    if (problems.length > 0) throw new Error(`delete --force failed:\n${problems.join('\n')}`);
    await assertNothingLeft(context);
  });
  after(async () => {
    if (!context) return;
    const report = await forceCleanup(context);
    if (!isCleanReport(report)) {
      throw new Error(`cleanup had to remove what the runtime left:\n${describeCleanupReport(report)}`);
    }
  });
  return () => {
    if (!context) throw new Error('test context used outside a test');
    return context;
  };
}
