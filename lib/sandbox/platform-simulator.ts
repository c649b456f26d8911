import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dingtalkBotSign, feishuBotSign } from '../providers/crypto/bot-signing.ts';
import { ApprovalSimulator } from './approval-simulator.ts';
import { CardSimulator } from './card-simulator.ts';
import type { SignedRequest } from './platform-signing.ts';

/**
 * One HTTP server that plays the part of Feishu, Lark, DingTalk and WeCom that imhub uses: token
 * endpoints with expiry, contact lookups, group bots that check signatures and enforce their
 * rate limits, and delivery of signed callbacks with the platform's retries. Every route can be
 * told to fail: HTTP 429/5xx, a slow answer, a non-zero code on HTTP 200, or an expired token.
 * Point an integration's `apiBaseUrl` (or a bot's URL) at `url`.
 */
export type SimPlatform = 'feishu' | 'dingtalk' | 'wecom';
export type SimRoute =
  | 'feishu.token'
  | 'feishu.lookup'
  | 'feishu.bot'
  | 'dingtalk.token'
  | 'dingtalk.lookup'
  | 'dingtalk.bot'
  | 'wecom.token'
  | 'wecom.lookup'
  | 'wecom.bot'
  | 'feishu.approval.create'
  | 'feishu.approval.subscribe'
  | 'feishu.instance.create'
  | 'feishu.instance.get'
  | 'feishu.instance.cancel'
  | 'dingtalk.form.create'
  | 'dingtalk.instance.create'
  | 'dingtalk.instance.get'
  | 'dingtalk.instance.terminate'
  | 'dingtalk.instance.list'
  | 'wecom.template.create'
  | 'wecom.instance.create'
  | 'wecom.instance.get'
  | 'wecom.instance.list'
  | 'feishu.message'
  | 'feishu.message.update'
  | 'feishu.message.urgent'
  | 'dingtalk.ding'
  | 'dingtalk.card.register'
  | 'dingtalk.card.create'
  | 'dingtalk.card.update'
  | 'wecom.card.update'
  | 'dingtalk.notification'
  | 'dingtalk.robot.group'
  | 'wecom.message'
  | 'wecom.appchat';

/** A message an app sent, as the platform received it. */
export interface SimMessage {
  platform: SimPlatform;
  route: SimRoute;
  /** The app that sent it (the page tells a Lark app's messages from a Feishu app's by it). */
  appId?: string;
  target: string;
  body: Record<string, unknown>;
  at: number;
}

export type Fault =
  | { kind: 'http'; status: number; headers?: Record<string, string> }
  /** The platform's own error code, on HTTP 200 unless `status` says otherwise (Feishu sends 1395001 and a bot's 9499 with 400). */
  | { kind: 'code'; code: number | string; message?: string; status?: number; headers?: Record<string, string> }
  | { kind: 'slow'; ms: number }
  | { kind: 'expire-tokens' }
  /** The platform acts, but the answer is lost on the way back: the caller sees this status. */
  | { kind: 'answer-lost'; status: number }
  /** An HTML page instead of JSON (DingTalk's IP throttling), with this status. */
  | { kind: 'html'; status: number }
  /** A token endpoint's HTTP 200 that says ok but carries no token. */
  | { kind: 'no-token' };

export interface SimUser {
  name: string;
  /** The member's own email (WeCom `email`, looked up with email_type 2). */
  email: string;
  mobile: string;
  ids: Record<SimPlatform, string>;
  /** A WeCom mailbox (企业邮箱, WeCom `biz_mail`), looked up with email_type 1; most corps have none. */
  bizMail?: string;
}

interface App {
  platform: SimPlatform;
  id: string;
  secret: string;
}

interface Bot {
  platform: SimPlatform;
  token: string;
  secret?: string;
  /** Keyword mode (自定义关键词): a message whose text values contain none of these is refused. */
  keywords?: string[];
  sent: { at: number; body: unknown }[];
  /** Messages refused for going over the rate limit. */
  throttled: number;
}

/** Each platform's answers, so faults and errors look exactly like the real ones. */
const dialect = {
  feishu: {
    ok: (extra: Record<string, unknown> = {}) => ({ code: 0, msg: 'ok', ...extra }),
    error: (code: number | string, msg: string) => ({ code, msg }),
    expired: { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' },
    throttled: { code: 99991400, msg: 'request trigger frequency limit' },
  },
  dingtalk: {
    ok: (extra: Record<string, unknown> = {}) => ({ errcode: 0, errmsg: 'ok', ...extra }),
    error: (code: number | string, msg: string) => (typeof code === 'string' ? { code, message: msg } : { errcode: code, errmsg: msg }),
    expired: { errcode: 40014, errmsg: '不合法的access_token' },
    throttled: { errcode: 90018, errmsg: 'qps limit' },
  },
  wecom: {
    ok: (extra: Record<string, unknown> = {}) => ({ errcode: 0, errmsg: 'ok', ...extra }),
    error: (code: number | string, msg: string) => ({ errcode: code, errmsg: msg }),
    expired: { errcode: 42001, errmsg: 'access_token expired' },
    throttled: { errcode: 45009, errmsg: 'api freq out of limit' },
  },
} as const;

/** The id a simulated platform gives a person by convention: ou_<name>, ding_<name>, <name>. */
export const simUserId = (platform: SimPlatform, name: string) => ({ feishu: `ou_${name}`, dingtalk: `ding_${name}`, wecom: name })[platform];

export class PlatformSimulator {
  url = '';
  /** Multiplies the platforms' rate windows, as imhub's IMHUB_RATE_WINDOW_SCALE does, so tests take seconds. */
  rateWindowScale = 1;
  /** Lifetime of issued tokens, in seconds. */
  tokenTtlSeconds = 7200;
  readonly calls: Record<string, number> = {};
  /**
   * What happened, in order: `call <route>` when a platform API call arrives, `answered <status>`
   * when imhub answers a callback. Tests assert the order of events here, never durations.
   */
  readonly timeline: string[] = [];
  readonly users: SimUser[] = [];
  /** Feishu chats whose owner has not allowed @all: a card mentioning everyone fails there. */
  readonly chatsWithoutAtAll = new Set<string>();
  /** WeCom user ids in the app's range but without a 基础接口许可: message/send names them in `unlicenseduser`. */
  readonly unlicensed = new Set<string>();
  /** Every app message received, in order. */
  readonly messages: SimMessage[] = [];
  /** DingTalk DINGs sent (robot/ding/send): to whom, how, what. */
  readonly dings: { robotCode: string; remindType: number; users: string[]; content: string }[] = [];
  /** Feishu 加急 (urgent_app): which message was made urgent for whom. */
  readonly urgent: { messageId: string; userIds: string[] }[] = [];
  private readonly server: Server;
  private readonly apps = new Map<string, App>();
  readonly bots = new Map<string, Bot>();
  private readonly tokens = new Map<string, { app: App; expiresAt: number }>();
  private readonly faults = new Map<SimRoute, Fault[]>();
  /**
   * Faults at random, besides the queued ones: each call fails with probability `rate`, with the
   * fault `pick` chooses for its route (undefined: this route is spared).
   */
  randomFaults: { rate: number; random: () => number; pick: (route: SimRoute) => Fault | undefined } | undefined;
  /** How many random faults were injected, per route. */
  readonly injected: Record<string, number> = {};
  /** Extra pages under /sandbox (the sandbox's approver page). */
  pages?: (method: string, url: URL, body: string, response: ServerResponse) => Promise<void>;
  /** The platforms' approval apps; `approvals.act(...)` is a person approving or rejecting. */
  // WeCom retries a callback only after a network failure or a timeout, never after a non-200
  // answer ("回调配置": 企业微信服务器在五秒内收不到响应会断掉连接，并且重新发起请求，总共重试三次).
  readonly approvals = new ApprovalSimulator((url, build, platform) => this.deliverCallback(url, build, { retryAnswered: platform !== 'wecom' }));
  /** Interactive cards the apps sent; `cards.click(...)` is a person clicking a button. */
  readonly cards = new CardSimulator(this.approvals.subscriptions, (url, build, options) => this.deliverCallback(url, build, options));

  constructor() {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`simulator error: ${error.message}`);
      });
    });
  }

  /** Listens on 127.0.0.1:`port` (0: any free port); rejects when the port is taken (`EADDRINUSE`). */
  async start(port = 0): Promise<this> {
    await new Promise<void>((ready, fail) => {
      this.server.once('error', fail);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', fail);
        ready();
      });
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  addApp(platform: SimPlatform, id: string, secret: string) {
    this.apps.set(`${platform}:${id}`, { platform, id, secret });
  }

  /** Registers a group bot (signed with `secret`, in keyword mode with `keywords`); returns the webhook URL as the platform's console shows it. */
  addBot(platform: SimPlatform, secret?: string, keywords?: string[]): { url: string; bot: Bot } {
    const token = randomBytes(12).toString('hex');
    const bot: Bot = { platform, token, ...(secret ? { secret } : {}), ...(keywords ? { keywords } : {}), sent: [], throttled: 0 };
    this.bots.set(`${platform}:${token}`, bot);
    const path = { feishu: `/open-apis/bot/v2/hook/${token}`, dingtalk: `/robot/send?access_token=${token}`, wecom: `/cgi-bin/webhook/send?key=${token}` }[platform];
    return { url: this.url + path, bot };
  }

  /**
   * Adds people by the conventional ids (`simUserId`), with <name>@example.com and the mobiles
   * 13800000000, 13800000001, … in the order given.
   */
  addPeople(names: readonly string[]) {
    names.forEach((name, index) =>
      this.users.push({ name, email: `${name}@example.com`, mobile: `1380000000${index}`, ids: { feishu: simUserId('feishu', name), dingtalk: simUserId('dingtalk', name), wecom: simUserId('wecom', name) } }),
    );
  }

  /** How an API caller names one of these people: by email, but by mobile on DingTalk, which has no lookup by email. */
  personInput(provider: string, name: string): { email: string } | { mobile: string } {
    const person = this.users.find((user) => user.name === name);
    if (!person) throw new Error(`the simulator knows no person named ${name}`);
    return provider === 'dingtalk' ? { mobile: person.mobile } : { email: person.email };
  }

  /** The next `times` calls of `route` fail with `fault`. */
  inject(route: SimRoute, fault: Fault, times = 1) {
    const queue = this.faults.get(route) ?? [];
    for (let index = 0; index < times; index += 1) queue.push(fault);
    this.faults.set(route, queue);
  }

  /** The platform recovers: no more injected faults on `route`. */
  clearFaults(route: SimRoute) {
    this.faults.delete(route);
  }

  private randomFault(route: SimRoute): Fault | undefined {
    const chaos = this.randomFaults;
    if (!chaos || chaos.random() >= chaos.rate) return undefined;
    const fault = chaos.pick(route);
    if (fault) this.injected[route] = (this.injected[route] ?? 0) + 1;
    return fault;
  }

  /** Every token issued so far stops working now, as when a platform invalidates tokens early. */
  expireAllTokens() {
    for (const entry of this.tokens.values()) entry.expiresAt = 0;
  }

  count(route: SimRoute) {
    return this.calls[route] ?? 0;
  }

  /**
   * Delivers a signed callback the way platforms do: until it gets a 200, retrying a few times
   * (`attempts`), and reports every answer.
   */
  /**
   * Awaited after every callback delivery: a test in imhub's process sets it to the runtime's
   * `idle()`, so that what the event set off (its job) has run when an act returns, as a person
   * sees it when they look a moment later.
   */
  afterCallback?: () => Promise<void>;

  async deliverCallback(callbackUrl: string, build: () => SignedRequest, options: { attempts?: number; delayMs?: number; retryAnswered?: boolean } = {}) {
    const answers: { status: number; body: string }[] = [];
    for (let attempt = 0; attempt < (options.attempts ?? 4); attempt += 1) {
      const request = build();
      const query = new URLSearchParams(request.query).toString();
      try {
        const response = await fetch(`${callbackUrl}${query ? `?${query}` : ''}`, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          signal: AbortSignal.timeout(5000),
        });
        answers.push({ status: response.status, body: await response.text() });
        this.timeline.push(`answered ${response.status}`);
        if (response.status === 200 || options.retryAnswered === false) break;
      } catch (error) {
        answers.push({ status: 0, body: String(error) });
      }
      await sleep(options.delayMs ?? 50);
    }
    await this.afterCallback?.();
    return answers;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://sim');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (this.pages && url.pathname.startsWith('/sandbox')) return this.pages(request.method ?? 'GET', url, raw, response);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    let answerLost: number | undefined;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      if (answerLost !== undefined) [status, payload, headers] = [answerLost, { message: 'injected: acted, answer lost' }, {}];
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(payload));
    };
    const route = routeOf(request.method ?? 'GET', url.pathname);
    if (!route) return send(404, { error: `the simulator has no ${request.method} ${url.pathname}` });
    this.calls[route] = (this.calls[route] ?? 0) + 1;
    this.timeline.push(`call ${route}`);
    const platform = route.split('.')[0] as SimPlatform;
    const words = dialect[platform];

    const fault = this.faults.get(route)?.shift() ?? this.randomFault(route);
    if (fault?.kind === 'slow') await sleep(fault.ms);
    if (fault?.kind === 'expire-tokens') this.expireAllTokens();
    if (fault?.kind === 'http') return send(fault.status, fault.status === 429 ? words.throttled : { message: 'injected' }, fault.headers);
    if (fault?.kind === 'code') return send(fault.status ?? 200, words.error(fault.code, fault.message ?? 'injected'), fault.headers);
    if (fault?.kind === 'answer-lost') answerLost = fault.status;
    if (fault?.kind === 'no-token') return send(200, platform === 'dingtalk' ? {} : words.ok());
    if (fault?.kind === 'html') {
      response.writeHead(fault.status, { 'content-type': 'text/html' });
      return response.end('<html><body>访问过于频繁，请稍后再试</body></html>');
    }

    if (route.endsWith('.token')) return this.issueToken(platform, url, body, send);
    if (route.endsWith('.bot')) return this.receiveBotMessage(platform, url, body, send);

    // Everything else needs a valid token.
    const token =
      platform === 'feishu'
        ? (request.headers.authorization ?? '').replace(/^Bearer /, '')
        : platform === 'dingtalk'
          ? String(request.headers['x-acs-dingtalk-access-token'] ?? url.searchParams.get('access_token') ?? '')
          : (url.searchParams.get('access_token') ?? '');
    const session = this.tokens.get(token);
    if (!session || session.expiresAt <= Date.now() || session.app.platform !== platform) return send(platform === 'feishu' ? 400 : 200, words.expired);

    // WeCom get_userid_by_email: email_type 1 (the default) finds a WeCom mailbox, 2 a member's own email.
    const byEmail = (candidate: SimUser) => (Number(body.email_type ?? 1) === 2 ? candidate.email === body.email : candidate.bizMail !== undefined && candidate.bizMail === body.email);
    const user = this.users.find((candidate) =>
      route === 'feishu.lookup' ? false : (body.mobile !== undefined && candidate.mobile === body.mobile) || (body.email !== undefined && byEmail(candidate)),
    );
    switch (route) {
      case 'feishu.lookup': {
        const emails = (body.emails as string[] | undefined) ?? [];
        const mobiles = (body.mobiles as string[] | undefined) ?? [];
        // An email is found whatever its case, and echoed as the directory stores it (the echo's
        // exact form is UNCONFIRMED). A mainland mobile is found as its 11 digits or with +86; a
        // number written with spaces or dashes is not (docs: "+" and the country code outside the mainland).
        const byEmail = (email: string) => this.users.find((candidate) => candidate.email.toLowerCase() === email.toLowerCase());
        const byMobile = (mobile: string) => this.users.find((candidate) => candidate.mobile === mobile || `+86${candidate.mobile}` === mobile);
        const list = [
          ...emails.map((email) => ({ email: byEmail(email)?.email ?? email, user_id: byEmail(email)?.ids.feishu })),
          ...mobiles.map((mobile) => ({ mobile, user_id: byMobile(mobile)?.ids.feishu })),
        ].map((entry) => (entry.user_id ? entry : { ...entry, user_id: undefined }));
        return send(200, words.ok({ data: { user_list: list } }));
      }
      case 'dingtalk.lookup':
        if (user) return send(200, words.ok({ result: { userid: user.ids.dingtalk } }));
        // 60121 no such user; 40104 "Invalid mobile number in the organization" for a number not written as the org stores it.
        return /^1\d{10}$/.test(String(body.mobile)) ? send(200, words.error(60121, '找不到该用户')) : send(200, words.error(40104, 'Invalid mobile number in the organization'));
      case 'wecom.lookup':
        return user ? send(200, words.ok({ userid: user.ids.wecom })) : send(200, words.error(46004, 'user not exist'));
      case 'feishu.message': {
        const uuid = body.uuid as string | undefined;
        const earlier = uuid && this.messages.find((message) => message.platform === 'feishu' && message.body.uuid === uuid && Date.now() - message.at < 3_600_000);
        if (earlier) return send(200, { code: 0, msg: 'success', data: { message_id: earlier.body.message_id } });
        const target = `${url.searchParams.get('receive_id_type')}:${String(body.receive_id)}`;
        // "@所有人需要群主开启权限。若未开启，卡片将发送失败" (card markdown docs); the code is UNCONFIRMED (11235 is the documented "only admin can mention @All").
        if (this.chatsWithoutAtAll.has(String(body.receive_id)) && /<at id=\\?"?all/.test(String(body.content))) return send(400, { code: 11235, msg: 'this group is set to only admin can mention @All' });
        if (this.messages.filter((message) => message.target === target && Date.now() - message.at < 1000 * this.rateWindowScale).length >= 5) return send(200, { code: 230020, msg: 'frequency limit' });
        const messageId = `om_${randomBytes(8).toString('hex')}`;
        this.messages.push({ platform: 'feishu', route, appId: session.app.id, target, body: { ...body, message_id: messageId }, at: Date.now() });
        if (body.msg_type === 'interactive') this.cards.sent({ platform: 'feishu', appId: session.app.id, id: messageId, target, card: JSON.parse(String(body.content)) as Record<string, unknown> });
        return send(200, { code: 0, msg: 'success', data: { message_id: messageId, chat_id: 'oc_x' } });
      }
      case 'feishu.message.urgent': {
        // urgent_app: only a message this app's bot sent (230012), only people in its chat (invalid_user_id_list).
        const messageId = decodeURIComponent(url.pathname.split('/').at(-2)!);
        const sent = this.messages.find((message) => message.platform === 'feishu' && message.body.message_id === messageId);
        if (!sent || this.cards.cards.get(`feishu:${messageId}`)?.appId !== session.app.id) return send(400, { code: 230012, msg: 'Bot is NOT the sender of the message.' });
        const users = (body.user_id_list as string[] | undefined) ?? [];
        const inChat = (userId: string) => sent.target === `open_id:${userId}` || sent.target.startsWith('chat_id:');
        this.urgent.push({ messageId, userIds: users.filter(inChat) });
        return send(200, { code: 0, msg: 'success', data: { invalid_user_id_list: users.filter((userId) => !inChat(userId)) } });
      }
      case 'feishu.message.update': {
        // PATCH im/v1/messages/:message_id: only the app that sent it, only a shared card
        // (`update_multi: true` before and after), a card of at most 30 KB.
        const messageId = decodeURIComponent(url.pathname.split('/').pop()!);
        const card = this.cards.cards.get(`feishu:${messageId}`);
        if (!card || card.appId !== session.app.id) return send(400, { code: 230001, msg: 'invalid message_id' });
        const next = JSON.parse(String(body.content)) as { config?: { update_multi?: boolean } };
        if ((card.card as { config?: { update_multi?: boolean } }).config?.update_multi !== true || next.config?.update_multi !== true) return send(400, { code: 230001, msg: 'only shared cards (update_multi) can be updated' });
        if (Buffer.byteLength(String(body.content)) > 30 * 1024) return send(400, { code: 230025, msg: 'content too long' });
        this.cards.update('feishu', messageId, next as Record<string, unknown>);
        return send(200, { code: 0, msg: 'ok', data: {} });
      }
      case 'dingtalk.ding': {
        // robot/ding/send: remindType 1 in-app (2 SMS, 3 phone need a purchased package), at most 200 receivers.
        const users = (body.receiverUserIdList as string[] | undefined) ?? [];
        if (!body.robotCode || ![1, 2, 3].includes(Number(body.remindType)) || users.length === 0 || users.length > 200) return send(400, { code: 'param.invalid', message: 'invalid parameter' });
        this.dings.push({ robotCode: String(body.robotCode), remindType: Number(body.remindType), users, content: String(body.content ?? '') });
        return send(200, { openDingId: `ding-${this.dings.length}` });
      }
      case 'dingtalk.card.register': {
        // card/callbacks/register: one URL per route key; forceUpdate overwrites (注册卡片回调地址).
        const key = `${session.app.id}:${String(body.callbackRouteKey)}`;
        if (this.cards.routes.has(key) && body.forceUpdate !== true) return send(500, { code: 'param.callbackRouteKeyExist', message: 'callbackRouteKey exists' });
        this.cards.routes.set(key, { url: String(body.callbackUrl), apiSecret: String(body.apiSecret ?? '') });
        return send(200, { success: true, result: { callbackUrl: body.callbackUrl, apiSecret: body.apiSecret } });
      }
      case 'dingtalk.card.create': {
        // createAndDeliver: a published template, a new outTrackId, string values only.
        const outTrackId = String(body.outTrackId ?? '');
        if (!this.cards.dingtalkTemplates.has(String(body.cardTemplateId))) return send(400, { code: 'param.templateNotExist', message: 'template not exist' });
        if (this.cards.cards.has(`dingtalk:${outTrackId}`)) return send(400, { code: 'param.cardAlreadyExist', message: 'card already exist' });
        const params = (body.cardData as { cardParamMap?: Record<string, unknown> } | undefined)?.cardParamMap ?? {};
        if (Object.values(params).some((value) => typeof value !== 'string' || Buffer.byteLength(value) > 1024)) return send(400, { code: 'param.invalid', message: 'cardParamMap values are strings of at most 1KB' });
        const space = /^dtv1\.card\/\/(IM_ROBOT|IM_GROUP)\.(.+)$/.exec(String(body.openSpaceId ?? ''));
        if (!space) return send(400, { code: 'param.openSpaceIdInvalid', message: 'openSpaceId invalid' });
        const target = space[1] === 'IM_ROBOT' ? `user:${space[2]}` : `chat:${space[2]}`;
        this.cards.sent({ platform: 'dingtalk', appId: session.app.id, id: outTrackId, target, card: params as Record<string, unknown>, route: String(body.callbackRouteKey) });
        return send(200, { success: true, result: { outTrackId, deliverResults: [{ spaceType: space[1], spaceId: space[2], success: true, carrierId: `carrier-${outTrackId}` }] } });
      }
      case 'dingtalk.card.update': {
        const card = this.cards.cards.get(`dingtalk:${String(body.outTrackId)}`);
        if (!card || card.appId !== session.app.id) return send(400, { code: 'param.cardNotExist', message: 'card not exist' });
        const params = (body.cardData as { cardParamMap?: Record<string, unknown> } | undefined)?.cardParamMap ?? {};
        const byKey = (body.cardUpdateOptions as { updateCardDataByKey?: boolean } | undefined)?.updateCardDataByKey === true;
        this.cards.update('dingtalk', card.id, byKey ? { ...card.card, ...params } : params);
        return send(200, { success: true, result: true });
      }
      case 'wecom.card.update': {
        // update_template_card: a response_code (from the send, or a click) updates once; the card
        // then shows the template card given, or its buttons greyed with `button.replace_name`.
        const code = String(body.response_code ?? '');
        const card = [...this.cards.cards.values()].find((candidate) => candidate.platform === 'wecom' && candidate.appId === session.app.id && candidate.codes?.has(code));
        if (!card) return send(200, words.error(60140, 'invalid response_code'));
        card.codes!.delete(code);
        const replaced = body.template_card ? (body.template_card as Record<string, unknown>) : { ...card.card, replace_text: (body.button as { replace_name?: string } | undefined)?.replace_name ?? '' };
        this.cards.update('wecom', card.id, replaced);
        return send(200, words.ok({ invaliduser: [] }));
      }
      case 'dingtalk.notification':
      case 'dingtalk.robot.group': {
        const target = route === 'dingtalk.notification' ? `user:${String(body.userid_list)}` : `chat:${String(body.openConversationId)}`;
        // Work notification: `msg` "最长不超过2048个字节" (asyncsend_v2 doc); app robot: msgParam at most
        // 15,000 bytes (the-robot-sends-a-group-message). Both refusals' codes are UNCONFIRMED.
        if (route === 'dingtalk.notification' && Buffer.byteLength(JSON.stringify(body.msg)) > 2048) return send(200, words.error(40035, '不合法的参数: msg 超过2048字节'));
        if (route === 'dingtalk.robot.group' && Buffer.byteLength(String(body.msgParam)) > 15_000) return send(400, words.error('InvalidParameter.MsgParam', 'msgParam must not exceed 15000 bytes'));
        this.messages.push({ platform: 'dingtalk', route, appId: session.app.id, target, body, at: Date.now() });
        return route === 'dingtalk.notification' ? send(200, words.ok({ task_id: this.messages.length })) : send(200, { processQueryKey: `pqk-${this.messages.length}` });
      }
      case 'wecom.message': {
        const known = this.users.some((candidate) => candidate.ids.wecom === body.touser);
        if (!known) return send(200, words.ok({ invaliduser: String(body.touser), msgid: '' }));
        if (tooLongForWecomApp(body)) return send(200, words.error(45002, '消息内容大小超过限制'));
        // In the app's range without a 基础接口许可: "发送仍然执行，但会返回无效的部分" (90236). Whether a
        // lone such recipient gets 81013 ("全部接收人无权限") instead is UNCONFIRMED.
        if (this.unlicensed.has(String(body.touser))) return send(200, words.ok({ unlicenseduser: String(body.touser), msgid: `msg-${this.messages.length}` }));
        if (body.msgtype === 'template_card') {
          const card = body.template_card as { card_type?: string; task_id?: string; button_list?: { key?: string }[] };
          // task_id: unique per app, digits, letters and _-@, at most 128 bytes (42014); at most 6 buttons, keys ≤ 1024 bytes.
          const taskId = String(card.task_id ?? '');
          if (!/^[A-Za-z0-9_\-@]{1,128}$/.test(taskId) || this.cards.cards.has(`wecom:${taskId}`)) return send(200, words.error(42014, 'taskid has existed or empty or exceed max len'));
          if ((card.button_list?.length ?? 0) > 6 || card.button_list?.some((button) => Buffer.byteLength(String(button.key ?? '')) > 1024)) return send(200, words.error(40058, 'invalid button_list'));
          const code = `rc-${randomBytes(8).toString('hex')}`;
          this.messages.push({ platform: 'wecom', route, appId: session.app.id, target: `user:${String(body.touser)}`, body, at: Date.now() });
          this.cards.sent({ platform: 'wecom', appId: session.app.id, id: taskId, target: `user:${String(body.touser)}`, card: card as Record<string, unknown>, codes: new Set([code]) });
          return send(200, words.ok({ msgid: `msg-${this.messages.length}`, response_code: code }));
        }
        this.messages.push({ platform: 'wecom', route, appId: session.app.id, target: `user:${String(body.touser)}`, body, at: Date.now() });
        return send(200, words.ok({ msgid: `msg-${this.messages.length}` }));
      }
      case 'wecom.appchat':
        if (tooLongForWecomApp(body)) return send(200, words.error(45002, '消息内容大小超过限制'));
        this.messages.push({ platform: 'wecom', route, appId: session.app.id, target: `chat:${String(body.chatid)}`, body, at: Date.now() });
        return send(200, words.ok());
      default:
        return this.approvals.handle(route, session.app.id, url, body, send);
    }
  }

  private issueToken(platform: SimPlatform, url: URL, body: Record<string, unknown>, send: (status: number, payload: unknown) => void) {
    const [id, secret] =
      platform === 'feishu'
        ? [body.app_id, body.app_secret]
        : platform === 'dingtalk'
          ? [body.appKey, body.appSecret]
          : [url.searchParams.get('corpid'), url.searchParams.get('corpsecret')];
    const app = this.apps.get(`${platform}:${String(id)}`);
    if (!app || app.secret !== secret) {
      if (platform === 'feishu') return send(200, dialect.feishu.error(10014, 'app secret invalid'));
      if (platform === 'dingtalk') return send(400, { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' });
      return send(200, dialect.wecom.error(40001, 'invalid credential'));
    }
    const token = `${platform}-t-${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, { app, expiresAt: Date.now() + this.tokenTtlSeconds * 1000 });
    if (platform === 'feishu') return send(200, { code: 0, msg: 'ok', tenant_access_token: token, expire: this.tokenTtlSeconds });
    if (platform === 'dingtalk') return send(200, { accessToken: token, expireIn: this.tokenTtlSeconds });
    return send(200, { errcode: 0, errmsg: 'ok', access_token: token, expires_in: this.tokenTtlSeconds });
  }

  private receiveBotMessage(platform: SimPlatform, url: URL, body: Record<string, unknown>, send: (status: number, payload: unknown) => void) {
    const token = platform === 'feishu' ? url.pathname.split('/').pop()! : (url.searchParams.get(platform === 'dingtalk' ? 'access_token' : 'key') ?? '');
    const bot = this.bots.get(`${platform}:${token}`);
    const words = dialect[platform];
    if (!bot) return send(200, platform === 'feishu' ? words.error(19001, 'param invalid: incoming webhook access token invalid') : platform === 'dingtalk' ? words.error(300005, 'token is not exist') : words.error(93000, 'invalid webhook url'));
    const now = Date.now();
    if (bot.secret) {
      if (platform === 'feishu') {
        const timestamp = Number(body.timestamp);
        if (!(Math.abs(now / 1000 - timestamp) < 3600) || body.sign !== feishuBotSign(bot.secret, timestamp)) {
          return send(200, words.error(19021, 'sign match fail or timestamp is not within one hour from current time'));
        }
      } else if (platform === 'dingtalk') {
        const timestamp = Number(url.searchParams.get('timestamp'));
        if (!(Math.abs(now - timestamp) < 3_600_000) || url.searchParams.get('sign') !== dingtalkBotSign(bot.secret, timestamp)) {
          return send(200, words.error(310000, 'sign not match'));
        }
      }
    }
    // Keyword mode checks the text values only, never a link's href (Feishu 自定义机器人使用指南);
    // DingTalk shares 310000 among its three security settings (keyword, sign, IP).
    if (bot.keywords && !bot.keywords.some((keyword) => textValues(body).some((value) => value.includes(keyword)))) {
      return send(200, platform === 'feishu' ? words.error(19024, 'Key Words Not Found') : words.error(310000, 'keywords not in content'));
    }
    // DingTalk: the whole body ≤ 20000 bytes; 460101 as reported by users (UNCONFIRMED in official docs).
    if (platform === 'dingtalk' && Buffer.byteLength(JSON.stringify(body)) > 20_000) return send(200, words.error(460101, 'message too long, exceed 20000 bytes'));
    // WeCom (99110): markdown content ≤ 4096 bytes, text ≤ 2048; 40058 ("参数值的长度超出了限制", 90313)
    // with this errmsg as users report it for markdown; the text case's answer is UNCONFIRMED.
    if (platform === 'wecom') {
      const { markdown, text } = body as { markdown?: { content?: string }; text?: { content?: string } };
      if (Buffer.byteLength(markdown?.content ?? '') > 4096) return send(200, words.error(40058, 'markdown.content exceed max length 4096. invalid Request Parameter'));
      if (Buffer.byteLength(text?.content ?? '') > 2048) return send(200, words.error(40058, 'text.content exceed max length 2048. invalid Request Parameter'));
    }
    // Documented limits: Feishu 5/s and 100/min; DingTalk and WeCom 20/min.
    const minute = 60_000 * this.rateWindowScale;
    const second = 1000 * this.rateWindowScale;
    const lastMinute = bot.sent.filter((message) => now - message.at < minute).length;
    const lastSecond = bot.sent.filter((message) => now - message.at < second).length;
    const throttle = (code: number, message: string) => {
      bot.throttled += 1;
      return send(200, words.error(code, message));
    };
    if (platform === 'feishu' && (lastSecond >= 5 || lastMinute >= 100)) return throttle(11232, 'frequency limited');
    if (platform === 'dingtalk' && lastMinute >= 20) return throttle(130101, 'send too fast, exceed 20 times per minute');
    if (platform === 'wecom' && lastMinute >= 20) return throttle(45009, 'api freq out of limit');
    bot.sent.push({ at: now, body });
    return send(200, platform === 'feishu' ? { code: 0, msg: 'success', data: {}, StatusCode: 0, StatusMessage: 'success' } : words.ok());
  }
}

/**
 * WeCom app messages (message/send 90236, appchat/send 90248): markdown content "最长不超过2048个字节".
 * The answer is 45002 "消息内容大小超过限制" (90313), UNCONFIRMED for markdown (its help names text).
 */
function tooLongForWecomApp(body: Record<string, unknown>) {
  return Buffer.byteLength((body.markdown as { content?: string } | undefined)?.content ?? '') > 2048;
}

/** Every string in a message body except links' targets: what a bot's keyword check reads. */
function textValues(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return /url|href/i.test(key) ? [] : [value];
  if (Array.isArray(value)) return value.flatMap((item) => textValues(item, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([name, item]) => textValues(item, name));
  return [];
}

function routeOf(method: string, path: string): SimRoute | undefined {
  if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') return 'feishu.token';
  if (method === 'POST' && path === '/open-apis/contact/v3/users/batch_get_id') return 'feishu.lookup';
  if (method === 'POST' && path.startsWith('/open-apis/bot/v2/hook/')) return 'feishu.bot';
  if (method === 'POST' && path === '/v1.0/oauth2/accessToken') return 'dingtalk.token';
  if (method === 'POST' && path === '/topapi/v2/user/getbymobile') return 'dingtalk.lookup';
  if (method === 'POST' && path === '/robot/send') return 'dingtalk.bot';
  if (method === 'GET' && path === '/cgi-bin/gettoken') return 'wecom.token';
  if (method === 'POST' && (path === '/cgi-bin/user/getuserid' || path === '/cgi-bin/user/get_userid_by_email')) return 'wecom.lookup';
  if (method === 'POST' && path === '/cgi-bin/webhook/send') return 'wecom.bot';
  if (method === 'POST' && path === '/open-apis/approval/v4/approvals') return 'feishu.approval.create';
  if (method === 'POST' && /^\/open-apis\/approval\/v4\/approvals\/[^/]+\/subscribe$/.test(path)) return 'feishu.approval.subscribe';
  if (method === 'POST' && path === '/open-apis/approval/v4/instances') return 'feishu.instance.create';
  if (method === 'POST' && path === '/open-apis/approval/v4/instances/cancel') return 'feishu.instance.cancel';
  if (method === 'GET' && path.startsWith('/open-apis/approval/v4/instances/')) return 'feishu.instance.get';
  if (method === 'POST' && path === '/v1.0/workflow/forms') return 'dingtalk.form.create';
  if (method === 'POST' && path === '/v1.0/workflow/processInstances') return 'dingtalk.instance.create';
  if (method === 'GET' && path === '/v1.0/workflow/processInstances') return 'dingtalk.instance.get';
  if (method === 'POST' && path === '/v1.0/workflow/processInstances/terminate') return 'dingtalk.instance.terminate';
  if (method === 'POST' && path === '/v1.0/workflow/processes/instanceIds/query') return 'dingtalk.instance.list';
  if (method === 'POST' && path === '/cgi-bin/oa/approval/create_template') return 'wecom.template.create';
  if (method === 'POST' && path === '/cgi-bin/oa/applyevent') return 'wecom.instance.create';
  if (method === 'POST' && path === '/cgi-bin/oa/getapprovaldetail') return 'wecom.instance.get';
  if (method === 'POST' && path === '/cgi-bin/oa/getapprovalinfo') return 'wecom.instance.list';
  if (method === 'POST' && path === '/open-apis/im/v1/messages') return 'feishu.message';
  if (method === 'PATCH' && /^\/open-apis\/im\/v1\/messages\/[^/]+\/urgent_app$/.test(path)) return 'feishu.message.urgent';
  if (method === 'PATCH' && path.startsWith('/open-apis/im/v1/messages/')) return 'feishu.message.update';
  if (method === 'POST' && path === '/cgi-bin/message/update_template_card') return 'wecom.card.update';
  if (method === 'POST' && path === '/v1.0/card/callbacks/register') return 'dingtalk.card.register';
  if (method === 'POST' && path === '/v1.0/robot/ding/send') return 'dingtalk.ding';
  if (method === 'POST' && path === '/v1.0/card/instances/createAndDeliver') return 'dingtalk.card.create';
  if (method === 'PUT' && path === '/v1.0/card/instances') return 'dingtalk.card.update';
  if (method === 'POST' && path === '/topapi/message/corpconversation/asyncsend_v2') return 'dingtalk.notification';
  if (method === 'POST' && path === '/v1.0/robot/groupMessages/send') return 'dingtalk.robot.group';
  if (method === 'POST' && path === '/cgi-bin/message/send') return 'wecom.message';
  if (method === 'POST' && path === '/cgi-bin/appchat/send') return 'wecom.appchat';
  return undefined;
}
