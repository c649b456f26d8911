/**
 * Imported first by `scripts/bench.ts`: the local runtime, the logger and the configuration read
 * these once, when they load, so they are set before any of them is imported.
 */

// The table is the output: the runtime's request log would bury it.
process.env.LOG_LEVEL = 'error';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Minutes become 3 s on both sides (imhub and the simulator), as in test/e2e/notifications.test.ts.
process.env.IMHUB_RATE_WINDOW_SCALE = '0.05';
// Production schedules: approvals and webhooks behave as in AWS; the bench moves the clock itself.
process.env.IMHUB_RECONCILE_FIRST_CHECK_MS = '60000';
process.env.IMHUB_WEBHOOK_FIRST_RETRY_MS = '30000';

export const rateWindowScale = Number(process.env.IMHUB_RATE_WINDOW_SCALE);
