import type { IntegrationKind, Provider } from '../domain/integration.ts';

/**
 * What the console's "add integration" shows for each platform and kind: the steps of that
 * platform's own console, in its order, and the credential fields to paste. The steps follow the
 * sections "Feishu and Lark console", "DingTalk console" and "WeCom console" of
 * docs/platforms-setup.md (the source of truth); `before` comes before the integration exists, `after` needs its callbackUrl, written
 * `{callbackUrl}` where the page shows it to copy.
 */
export interface Localized {
  'zh-CN': string;
  'en-US': string;
}

export interface CredentialField {
  name: string;
  secret: boolean;
  required: boolean;
  help: Localized;
}

export interface PlatformGuide {
  provider: Provider;
  kind: IntegrationKind;
  title: Localized;
  before: Localized[];
  after: Localized[];
  fields: CredentialField[];
}

const l = (zh: string, en: string): Localized => ({ 'zh-CN': zh, 'en-US': en });
const field = (name: string, secret: boolean, required: boolean, help: Localized): CredentialField => ({ name, secret, required, help });

const feishuLike = (provider: 'feishu' | 'lark'): PlatformGuide => {
  const site = provider === 'feishu' ? 'open.feishu.cn/app' : 'open.larksuite.com/app';
  const name = provider === 'feishu' ? l('飞书', 'Feishu') : l('Lark', 'Lark');
  return {
    provider,
    kind: 'app',
    title: l(provider === 'feishu' ? '飞书企业自建应用' : 'Lark 企业自建应用', `${name['en-US']} self-built app`),
    before: [
      l(`在开发者后台（${site}）创建企业自建应用：名称、描述、图标。`, `In the developer console (${site}), create a self-built app (创建企业自建应用): name, description, icon.`),
      l('凭证与基础信息：复制 App ID 和 App Secret，填入下方。', 'Credentials & Basic Info (凭证与基础信息): copy the App ID and App Secret into the form below.'),
      l('添加应用能力：添加「机器人」。imhub 以应用的机器人发消息；没有它飞书会返回 230006。', 'Add features (添加应用能力): add Bot (机器人). imhub sends messages as the app’s bot; without it the platform answers 230006.'),
      l(
        '开发配置 → 权限管理 → API 权限：开通 approval:approval（审批定义、实例与审批事件）、contact:user.id:readonly（按邮箱或手机号找人）、im:message:send_as_bot（给群和个人发消息）。',
        'Permissions (开发配置 → 权限管理), API scopes: add approval:approval (approval definitions, instances and events), contact:user.id:readonly (finding people by email or mobile), im:message:send_as_bot (messages to chats and people).',
      ),
      l(
        '开发配置 → 事件与回调 → 加密策略：设置 Encrypt Key（推荐：事件加密并签名），复制 Verification Token，两者都填入下方。设置了 Encrypt Key 后，URL 校验请求也是加密的，所以要先填好再保存请求地址。',
        'Events & Callbacks → Encryption (事件与回调 → 加密策略): set an Encrypt Key (recommended: events then arrive encrypted and signed) and copy the Verification Token; put both below. With an Encrypt Key the URL check arrives encrypted, so imhub needs them before you save the request URL.',
      ),
    ],
    after: [
      l('事件配置 → 订阅方式：选择「将事件发送至开发者服务器」，请求地址填 {callbackUrl} 并保存。保存时平台发送 challenge，imhub 会应答（见下方「握手」）。', 'Event configuration (事件配置) → subscription mode: choose 将事件发送至开发者服务器 (send events to the developer’s server), enter {callbackUrl} as the request URL and save. Saving sends a challenge, which imhub answers (see “handshake” below).'),
      l('仍在事件配置，添加事件：审批实例状态变更 approval_instance 和审批任务状态变更 approval_task（只订阅 v1 名称）。', 'Still on Event configuration, Add events (添加事件): approval_instance (审批实例状态变更) and approval_task (审批任务状态变更). Subscribe the v1 names, not the v2 ones as well.'),
      l('应用发布 → 版本管理与发布：创建版本，可用范围包含所有发起、审批和接收消息的人，保存并提交发布，由企业管理员审核。权限、机器人和事件在发布后生效。', 'Version management & release (应用发布 → 版本管理与发布): create a version whose availability (可用范围) includes everyone who requests, approves or receives messages, save and submit it. A tenant admin approves it; scopes, bot and events take effect then.'),
      l('imhub 会自行创建审批定义并为其订阅事件，无需按定义配置。要发到群（chatIds），把应用机器人加进该群。', 'imhub creates its approval definitions and subscribes each to events itself. To send to a chat (chatIds), add the app’s bot to that group.'),
    ],
    fields: [
      field('appId', false, true, l('凭证与基础信息中的 App ID', 'App ID from Credentials & Basic Info')),
      field('appSecret', true, true, l('App Secret（保存后只显示末四位）', 'App Secret (only its last four characters are ever shown)')),
      field('encryptKey', true, false, l('事件与回调 → 加密策略中的 Encrypt Key', 'Encrypt Key from Events & Callbacks → Encryption')),
      field('verificationToken', true, false, l('事件与回调 → 加密策略中的 Verification Token', 'Verification Token from Events & Callbacks → Encryption')),
    ],
  };
};

const botFields = (keyword: boolean, secretHelp: Localized | undefined): CredentialField[] => [
  field('url', true, true, l('群机器人的 Webhook 地址（整个地址都是密钥）', 'The bot’s webhook URL (the whole URL is a secret)')),
  ...(secretHelp ? [field('secret', true, false, secretHelp)] : []),
  ...(keyword ? [field('keyword', false, false, l('自定义关键词模式时：其中一个关键词，imhub 会放进每条消息', 'Keyword mode (自定义关键词): one of its keywords; imhub puts it into every message'))] : []),
];

export const platformGuides: Record<string, PlatformGuide> = {
  'feishu-app': feishuLike('feishu'),
  'lark-app': feishuLike('lark'),
  'dingtalk-app': {
    provider: 'dingtalk',
    kind: 'app',
    title: l('钉钉企业内部应用', 'DingTalk internal app'),
    before: [
      l('在开发者后台（open-dev.dingtalk.com）：应用开发 → 企业内部应用 → 创建应用：名称、描述、图标。', 'In the developer console (open-dev.dingtalk.com), App development → Internal apps → Create app (应用开发 → 企业内部应用 → 创建应用): name, description, icon.'),
      l('凭证与基础信息：复制 AppKey（Client ID）和 AppSecret（Client Secret），要给个人发工作通知时再复制 AgentId。', 'Credentials & basic info (凭证与基础信息): copy the AppKey (Client ID) and AppSecret (Client Secret), and the AgentId if imhub should send work notifications to people.'),
      l('添加应用能力：要以应用机器人往群里发消息（chatIds）时添加「机器人」。内部群的机器人编码就是 AppKey；场景群要填其模板的 robotCode。', 'Add app capabilities (添加应用能力): add Robot (机器人) if imhub should post to group chats (chatIds). For an internal group its robot code is the AppKey; a scene group (场景群) needs its template’s robotCode.'),
      l(
        '权限管理：申请审批（OA审批、工作流）相关权限：工作流实例读权限、工作流实例写权限和创建审批表单（表单权限的确切名称未确认，可在列表中搜索「工作流」「审批」）；根据手机号获取成员基本信息权限（qyapi_get_member_by_mobile）；企业内机器人发送消息权限（qyapi_robot_sendmsg）。',
        'Permissions (权限管理): apply for the approval (OA审批, workflow) permissions: reading and writing approval instances (工作流实例读权限, 工作流实例写权限) and creating approval forms (the form permission’s exact name is UNCONFIRMED: search the list for 工作流 and 审批); 根据手机号获取成员基本信息权限 (qyapi_get_member_by_mobile); 企业内机器人发送消息权限 (qyapi_robot_sendmsg).',
      ),
      l('事件订阅：选择「HTTP 推送」，复制生成的加密 aes_key 和签名 token，填入下方。URL 校验请求是加密的，所以 imhub 要先有它们。', 'Event subscription (事件订阅): choose HTTP push (HTTP 推送) and copy the generated aes_key (加密 aes_key) and token (签名 token) into the form below. The URL check arrives encrypted, so imhub needs them first.'),
    ],
    after: [
      l('仍在事件订阅：请求网址填 {callbackUrl} 并保存。钉钉发送 check_url，imhub 会应答（见下方「握手」）。', 'Still on Event subscription: enter {callbackUrl} as the request URL (请求网址) and save. DingTalk sends check_url, which imhub answers (see “handshake” below).'),
      l('添加审批事件：审批任务开始、结束、转交（bpms_task_change）和审批实例开始、结束（bpms_instance_change）。', 'Add the approval events: 审批任务开始、结束、转交 (bpms_task_change) and 审批实例开始、结束 (bpms_instance_change).'),
      l('版本管理与发布：创建版本，设置可见范围并发布。', 'Version management & release (版本管理与发布): create a version, set who can see the app, and publish it.'),
      l('imhub 在第一次审批时自行创建审批表单。审批人和发起人用钉钉 userId 或手机号（钉钉不支持按邮箱查人）。', 'imhub creates its approval form on the first approval. Approvers and requesters are DingTalk userIds or mobiles (DingTalk has no lookup by email).'),
    ],
    fields: [
      field('appKey', false, true, l('AppKey（Client ID）', 'AppKey (Client ID)')),
      field('appSecret', true, true, l('AppSecret（Client Secret）', 'AppSecret (Client Secret)')),
      field('aesKey', true, true, l('事件订阅中的加密 aes_key（43 位）', 'aes_key from Event subscription (43 characters)')),
      field('token', true, true, l('事件订阅中的签名 token', 'token from Event subscription')),
      field('agentId', false, false, l('AgentId，给个人发工作通知时需要', 'AgentId, for work notifications to people')),
      field('corpId', false, false, l('CorpId，用 register_call_back 注册企业级回调时需要', 'CorpId, if you register corp-level callbacks with register_call_back')),
      field('robotCode', false, false, l('场景群模板的机器人编码（默认 AppKey）', 'A scene group template’s robot code (default: the AppKey)')),
      field('cardTemplateId', false, false, l('审批卡片用的卡片模板 ID（via: "card"）', 'Card template id for approval cards (via: "card")')),
    ],
  },
  'wecom-app': {
    provider: 'wecom',
    kind: 'app',
    title: l('企业微信自建应用', 'WeCom self-built app'),
    before: [
      l('管理后台（work.weixin.qq.com）：应用管理 → 应用 → 自建 → 创建应用：名称、Logo 和可见范围。可见范围要包含所有发起、审批和接收消息的人；要发到应用群聊（chatIds）时须为根部门。', 'In the admin console (work.weixin.qq.com), App management → Apps → Self-built → Create app (应用管理 → 应用 → 自建 → 创建应用): name, logo and visible range (可见范围). The range must include everyone who requests, approves or receives messages; to send to app chats (chatIds), it must be the root department.'),
      l('在应用页面复制 AgentId 和 Secret。', 'On the app’s page, copy the AgentId and the Secret.'),
      l('我的企业 → 企业信息：复制企业ID（corpId）。', 'My company → Company info (我的企业 → 企业信息): copy the company ID (企业ID), imhub’s corpId.'),
      l('在应用页面：接收消息 → 设置API接收，点「随机获取」生成 Token 和 EncodingAESKey，填入下方。URL 校验是签名的 GET 请求，imhub 要先有它们。', 'On the app’s page, Receive messages → Set up API receiving (接收消息 → 设置API接收): click 随机获取 (random) for Token and EncodingAESKey and put both below. The URL check is a signed GET, so imhub needs them first.'),
    ],
    after: [
      l('仍在设置API接收：URL 填 {callbackUrl}，勾选审批状态通知事件并保存。企业微信发送带 echostr 的 GET 请求，imhub 会应答（见下方「握手」）。企业微信可能要求回调域名属于已认证的企业；在 AWS 上使用自定义域名（publicBaseUrl）。', 'Still there, enter {callbackUrl} as the URL, tick the approval status event (审批状态通知事件) and save. WeCom sends a GET with echostr, which imhub answers (see “handshake” below). WeCom may require a callback domain that belongs to your verified company; in AWS use a custom domain (publicBaseUrl).'),
      l('企业可信IP（应用页面）：2022-06-20 之后创建的应用只接受这些地址的调用，否则返回 60020。在 AWS 上用 -c fixedEgress=true 部署，并逐个填入输出 EgressIps 的地址；约一分钟后生效。', 'Trusted IPs (企业可信IP, on the app’s page): apps created after 2022-06-20 take API calls only from these addresses and answer 60020 otherwise. In AWS deploy with -c fixedEgress=true and enter each address of the EgressIps output; it takes effect after about a minute.'),
      l('审批应用（应用管理下）→ 可调用接口的应用：添加本应用。否则企业微信拒绝 imhub 的模板和申请调用（301055），也不发送审批事件。', 'The Approval app (审批, under App management) → apps that may call the API (可调用接口的应用): add this app. Without it WeCom refuses imhub’s template and application calls (301055) and sends no approval events.'),
      l('imhub 在第一次审批时自行创建审批模板。', 'imhub creates its approval template on the first approval.'),
    ],
    fields: [
      field('corpId', false, true, l('我的企业 → 企业信息中的企业ID', 'Company ID (企业ID) from My company → Company info')),
      field('agentId', false, true, l('应用的 AgentId', 'The app’s AgentId')),
      field('secret', true, true, l('应用的 Secret', 'The app’s Secret')),
      field('token', true, true, l('设置API接收中的 Token', 'Token from Set up API receiving')),
      field('encodingAesKey', true, true, l('设置API接收中的 EncodingAESKey（43 位）', 'EncodingAESKey from Set up API receiving (43 characters)')),
    ],
  },
  'feishu-webhook': {
    provider: 'feishu',
    kind: 'webhook',
    title: l('飞书群机器人', 'Feishu group bot'),
    before: [l('在群里：设置 → 群机器人 → 添加机器人 → 自定义机器人。建议开启「签名校验」并填入其密钥；或在「自定义关键词」模式下填写一个关键词。', 'In the group: 设置 → 群机器人 → 添加机器人 → 自定义机器人 (custom bot). Use 签名校验 (signature verification) and register its secret, or, in 自定义关键词 (keyword) mode, set one keyword.')],
    after: [],
    fields: botFields(true, l('签名校验的密钥', 'The signature-verification secret')),
  },
  'lark-webhook': {
    provider: 'lark',
    kind: 'webhook',
    title: l('Lark 群机器人', 'Lark group bot'),
    before: [l('与飞书相同：在群里添加自定义机器人。建议开启签名校验并填入其密钥；或在自定义关键词模式下填写一个关键词。', 'As for Feishu: add a custom bot in the group. Use signature verification and register its secret, or, in keyword mode, set one keyword.')],
    after: [],
    fields: botFields(true, l('签名校验的密钥', 'The signature-verification secret')),
  },
  'dingtalk-webhook': {
    provider: 'dingtalk',
    kind: 'webhook',
    title: l('钉钉群机器人', 'DingTalk group bot'),
    before: [l('在群里：群设置 → 机器人 → 添加机器人 → 自定义。钉钉要求安全设置：选「加签」并填入 SEC 开头的密钥，或选「自定义关键词」并填写其中一个。IP 地址段只在固定出口 IP 时可用。', 'In the group: 群设置 → 机器人 → 添加机器人 → 自定义 (custom). DingTalk requires a security setting: choose 加签 (signature) and register its SEC… secret, or 自定义关键词 (keywords) and set one of them. An IP list works only with a fixed egress.')],
    after: [],
    fields: botFields(true, l('加签的密钥（SEC 开头）', 'The 加签 secret (starts with SEC)')),
  },
  'wecom-webhook': {
    provider: 'wecom',
    kind: 'webhook',
    title: l('企业微信群机器人', 'WeCom group bot'),
    before: [l('在群里添加群机器人（消息推送，原群机器人），复制其 Webhook 地址。企业微信机器人没有签名和关键词模式。', 'Add a bot in the group (消息推送, formerly 群机器人) and copy its webhook URL. WeCom bots have no signature and no keyword mode.')],
    after: [],
    fields: botFields(false, undefined),
  },
};
