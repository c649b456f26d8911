/**
 * The three app integrations the bench uses, one per callback scheme (Lark runs Feishu's code):
 * credentials in the shapes the platforms' consoles show, the ids the simulator knows them by.
 */
export const apps = {
  feishu: {
    appId: 'cli_benchfeishu0001',
    credentials: { appId: 'cli_benchfeishu0001', appSecret: 'bench-feishu-secret-0001', encryptKey: 'bench-encrypt-key-0001', verificationToken: 'bench-verification-token' },
  },
  dingtalk: {
    appId: 'dingbenchappkey001',
    credentials: { appKey: 'dingbenchappkey001', appSecret: 'bench-dingtalk-secret-001', aesKey: 'B'.repeat(43), token: 'benchtoken', agentId: '2345678' },
  },
  wecom: {
    appId: 'wwbenchcorp0001',
    credentials: { corpId: 'wwbenchcorp0001', agentId: '1000002', secret: 'bench-wecom-secret-0001', token: 'benchtoken', encodingAesKey: 'W'.repeat(43) },
  },
} as const;

export type AppName = keyof typeof apps;
export const appNames = Object.keys(apps) as AppName[];

/** The people of the simulated tenant; each platform knows them by its own id. */
export const people = ['requester', 'alice'] as const;
