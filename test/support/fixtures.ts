/**
 * Credentials of every provider and kind in the shapes the platforms' consoles show. The secret
 * values are long and unique so a test can search any text for them.
 */
export const validCredentials = {
  'feishu/app': {
    appId: 'cli_a5f1e2d3c4b5a697',
    appSecret: 'FEISHU-APP-SECRET-7c9e1f3a5b7d9e1f',
    encryptKey: 'FEISHU-ENCRYPT-KEY-3b5d7f9a1c3e5a7b',
    verificationToken: 'FEISHU-VERIFY-TOKEN-9d1f3b5d7f9a1c3e',
  },
  'lark/app': {
    appId: 'cli_b6a2f3e4d5c6b7a8',
    appSecret: 'LARK-APP-SECRET-2e4a6c8e0a2c4e6a',
  },
  'dingtalk/app': {
    appKey: 'dingq1w2e3r4t5y6u7i8',
    appSecret: 'DINGTALK-APP-SECRET-5f7b9d1f3b5d7f9b',
    aesKey: 'DINGTALKAESKEY0123456789abcdefghijklmnopqrs',
    token: 'DINGTALK-CALLBACK-TOKEN-8a0c2e4a6c8e',
    corpId: 'ding9f50b15bccd16741',
    agentId: '2345678901',
  },
  'wecom/app': {
    corpId: 'ww5823bf96d3bd56c7',
    agentId: 1000002,
    secret: 'WECOM-AGENT-SECRET-1a3c5e7a9c1e3a5c',
    token: 'WECOM-CALLBACK-TOKEN-4d6f8b0d2f4b',
    encodingAesKey: 'WECOMAESKEY0123456789abcdefghijklmnopqrstuv',
  },
  'feishu/webhook': {
    url: 'https://open.feishu.cn/open-apis/bot/v2/hook/FEISHU-BOT-TOKEN-0e2a4c6e8a0c',
    secret: 'FEISHU-BOT-SECRET-6b8d0f2b4d6f',
  },
  'lark/webhook': {
    url: 'https://open.larksuite.com/open-apis/bot/v2/hook/LARK-BOT-TOKEN-1f3b5d7f9b1d',
  },
  'dingtalk/webhook': {
    url: 'https://oapi.dingtalk.com/robot/send?access_token=DINGTALK-BOT-TOKEN-2a4c6e8a0c2e',
    secret: 'SECDINGTALKBOTSECRET3b5d7f9b1d3f',
  },
  'wecom/webhook': {
    url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WECOM-BOT-KEY-4c6e8a0c2e4a',
  },
} as const;

export type Variant = keyof typeof validCredentials;
export const variants = Object.keys(validCredentials) as Variant[];

/** Every secret value above: none may ever appear in a response, a log line or a stored item. */
export const knownSecrets: string[] = variants.flatMap((variant) => {
  const [provider, kind] = variant.split('/') as [string, string];
  const secretFields: Record<string, string[]> = {
    feishu: ['appSecret', 'encryptKey', 'verificationToken'],
    lark: ['appSecret', 'encryptKey', 'verificationToken'],
    dingtalk: ['appSecret', 'aesKey', 'token'],
    wecom: ['secret', 'token', 'encodingAesKey'],
  };
  const fields = kind === 'webhook' ? ['url', 'secret'] : (secretFields[provider] ?? []);
  const credentials = validCredentials[variant] as Record<string, unknown>;
  return fields.flatMap((field) => (typeof credentials[field] === 'string' ? [credentials[field] as string] : []));
});

/** The token part of each bot URL, which must not leak even on its own. */
export const knownBotTokens = ['FEISHU-BOT-TOKEN-0e2a4c6e8a0c', 'LARK-BOT-TOKEN-1f3b5d7f9b1d', 'DINGTALK-BOT-TOKEN-2a4c6e8a0c2e', 'WECOM-BOT-KEY-4c6e8a0c2e4a'];
