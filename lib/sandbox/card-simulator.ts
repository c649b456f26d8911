import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { CallbackSubscription } from './approval-simulator.ts';
import type { SimPlatform } from './platform-simulator.ts';
import { feishuSigned, type SignedRequest, wecomSigned } from './platform-signing.ts';

/**
 * Interactive cards as the platforms keep them: each card sent by an app, what it shows now (after
 * every update, from the API or from a click's answer), who has it, and people clicking its
 * buttons, which the platform turns into a signed callback to the app's URL.
 */
export interface SimCard {
  platform: SimPlatform;
  appId: string;
  /** Feishu message id; WeCom task_id. */
  id: string;
  /** `open_id:ou_x`, `chat_id:oc_x`, `user:alice`. */
  target: string;
  /** The card as it now shows (Feishu card JSON; WeCom template_card). */
  card: Record<string, unknown>;
  /** Every version shown, oldest first (the first is the card as sent). */
  history: Record<string, unknown>[];
  /** Toasts shown to people who clicked, in order. */
  toasts: { user: string; type: string; text: string }[];
  /** When the app sent it (ms). */
  sentAt: number;
  /** Every click on its buttons, in order, with the HTTP status the app answered. */
  clicks: { user: string; decision: 'approve' | 'reject'; comment?: string; at: number; status: number }[];
  /** WeCom: the response codes not yet used, each good for one update. */
  codes?: Set<string>;
  /** DingTalk: the callback route its clicks go to. */
  route?: string;
}

export interface ClickResult {
  status: number;
  toast?: { type: string; text: string };
}

export class CardSimulator {
  readonly cards = new Map<string, SimCard>();
  /** DingTalk card callback routes (`card/callbacks/register`), by app and route key. */
  readonly routes = new Map<string, { url: string; apiSecret: string }>();
  /** DingTalk card templates published in the card platform (卡片平台). */
  readonly dingtalkTemplates = new Set<string>();

  constructor(
    private readonly subscriptions: Map<string, CallbackSubscription>,
    private readonly deliver: (url: string, build: () => SignedRequest, options: { attempts?: number; retryAnswered?: boolean }) => Promise<{ status: number; body: string }[]>,
  ) {}

  /** A card the app sent; remembered with what it shows. */
  sent(card: Omit<SimCard, 'history' | 'toasts' | 'sentAt' | 'clicks'>): SimCard {
    const kept: SimCard = { ...card, history: [card.card], toasts: [], sentAt: Date.now(), clicks: [] };
    this.cards.set(`${card.platform}:${card.id}`, kept);
    return kept;
  }

  /** Shows `card` in place of what the card showed. */
  update(platform: SimPlatform, id: string, card: Record<string, unknown>) {
    const kept = this.cards.get(`${platform}:${id}`);
    if (!kept) return false;
    kept.card = card;
    kept.history.push(card);
    return true;
  }

  /** The cards `target` has (`open_id:ou_alice`, `chat_id:oc_ops`, `user:alice`), oldest first. */
  of(platform: SimPlatform, target: string): SimCard[] {
    return [...this.cards.values()].filter((card) => card.platform === platform && card.target === target);
  }

  /** The labels of the buttons a card shows now (none once it cannot be decided). */
  buttons(card: SimCard): string[] {
    if (card.platform === 'feishu') return feishuButtons(card.card).map((button) => button.label);
    // DingTalk: the template shows its two buttons while the `buttons` variable is "true".
    if (card.platform === 'dingtalk') return card.card.buttons === 'true' ? ['Approve', 'Reject'] : [];
    // WeCom: `replace_text` greys every button out.
    return card.card.replace_text ? [] : ((card.card.button_list as { text: string }[] | undefined) ?? []).map((button) => button.text);
  }

  /** Every text a card shows now, joined: what a person reads on it. */
  text(card: SimCard): string {
    if (card.platform === 'dingtalk') return ['title', 'header', 'markdown'].map((key) => String(card.card[key] ?? '')).join('\n');
    return texts(card.card).join('\n');
  }

  /**
   * `user` (the platform's user id) clicks Approve or Reject on `card`, with a comment where the
   * platform's card has an input. The signed callback goes to the app's URL as the platform sends
   * it; the answer's toast and card are shown as the platform shows them. Throws when the card
   * shows no such button (as a person cannot click what is not there).
   */
  async click(card: SimCard, user: string, decision: 'approve' | 'reject', comment?: string): Promise<ClickResult> {
    const subscription = this.subscriptions.get(`${card.platform}:${card.appId}`);
    if (!subscription) throw new Error(`no callback URL is set up for ${card.platform} app ${card.appId}`);
    const at = Date.now();
    const result =
      card.platform === 'feishu'
        ? await this.clickFeishu(card, subscription, user, decision, comment)
        : card.platform === 'wecom'
          ? await this.clickWecom(card, subscription, user, decision)
          : await this.clickDingtalk(card, user, decision, comment);
    // WeCom's cards have no input: a comment never reaches the app there.
    card.clicks.push({ user, decision, ...(comment && card.platform !== 'wecom' ? { comment } : {}), at, status: result.status });
    return result;
  }

  /**
   * DingTalk (card platform, HTTP callback): a JSON POST to the route's URL, signed with the
   * route's apiSecret over the timestamp only; `content` carries the button's params (and the
   * comment input's value). The answer's cardData shows to the clicker.
   */
  private async clickDingtalk(card: SimCard, user: string, decision: 'approve' | 'reject', comment?: string): Promise<ClickResult> {
    if (card.card.buttons !== 'true') throw new Error(`the card shows no ${decision} button`);
    const route = this.routes.get(`${card.appId}:${card.route}`);
    if (!route) throw new Error(`no callback route ${card.route} is registered`);
    const body = JSON.stringify({
      type: 'actionCallback',
      outTrackId: card.id,
      corpId: 'dingcorp',
      userId: user,
      content: JSON.stringify({ cardPrivateData: { actionIds: [`button_${decision}`], params: { action: decision, ...(comment ? { comment } : {}) } } }),
    });
    const build = (): SignedRequest => {
      const timestamp = String(Date.now());
      return { method: 'POST', query: {}, headers: { 'content-type': 'application/json', 'x-ddpaas-signature-timestamp': timestamp, 'x-ddpaas-signature': createHmac('sha256', route.apiSecret).update(timestamp).digest('base64') }, body };
    };
    const [answer] = await this.deliver(route.url, build, { attempts: 1, retryAnswered: false });
    if (!answer || answer.status !== 200) return { status: answer?.status ?? 0 };
    const reply = JSON.parse(answer.body || '{}') as { cardData?: { cardParamMap?: Record<string, string> }; userPrivateData?: { cardParamMap?: Record<string, string> } };
    if (reply.cardData?.cardParamMap) this.update('dingtalk', card.id, { ...card.card, ...reply.cardData.cardParamMap });
    // The clicker's private data: the template shows `notice` to them alone.
    const notice = reply.userPrivateData?.cardParamMap?.notice;
    if (notice) card.toasts.push({ user, type: 'notice', text: notice });
    return { status: answer.status, ...(notice ? { toast: { type: 'notice', text: notice } } : {}) };
  }

  /**
   * Feishu `card.action.trigger` (schema 2.0): the operator, the button's callback value and name,
   * the form's values, the message; never redelivered. The answer's `card` replaces the shared card
   * for everyone who has it, its toast shows to the clicker.
   */
  private async clickFeishu(card: SimCard, subscription: CallbackSubscription, user: string, decision: 'approve' | 'reject', comment?: string): Promise<ClickResult> {
    const button = feishuButtons(card.card).find((candidate) => JSON.stringify(candidate.value).includes(`imhub:${decision}:`));
    if (!button) throw new Error(`the card shows no ${decision} button`);
    const payload = {
      schema: '2.0',
      header: { event_id: randomUUID(), token: subscription.verificationToken, create_time: String(Date.now() * 1000), event_type: 'card.action.trigger', tenant_key: 'tenant', app_id: card.appId },
      event: {
        operator: { tenant_key: 'tenant', open_id: user, union_id: `on_${user}` },
        token: `c-${randomBytes(8).toString('hex')}`,
        action: { tag: 'button', name: button.name, value: button.value, form_value: { comment: comment ?? '' }, timezone: 'Asia/Shanghai' },
        host: 'im_message',
        context: { open_message_id: card.id, open_chat_id: card.target.startsWith('chat_id:') ? card.target.slice('chat_id:'.length) : `oc_p2p_${user}` },
      },
    };
    const [answer] = await this.deliver(subscription.url, () => feishuSigned({ encryptKey: subscription.encryptKey!, payload }), { attempts: 1, retryAnswered: false });
    if (!answer || answer.status !== 200) return { status: answer?.status ?? 0 };
    const body = JSON.parse(answer.body || '{}') as { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };
    if (body.card?.type === 'raw') this.update('feishu', card.id, body.card.data);
    const toast = body.toast ? { type: body.toast.type, text: body.toast.content } : undefined;
    if (toast) card.toasts.push({ user, ...toast });
    return { status: answer.status, ...(toast ? { toast } : {}) };
  }

  /**
   * WeCom `template_card_event` (XML, encrypted and signed like every app callback): the member who
   * clicked, the button's key, the card's task id and a fresh ResponseCode, good for one update.
   * WeCom answers nothing on the card itself; the app updates it with the API.
   */
  private async clickWecom(card: SimCard, subscription: CallbackSubscription, user: string, decision: 'approve' | 'reject'): Promise<ClickResult> {
    const button = ((card.card.button_list as { text: string; key: string }[] | undefined) ?? []).find((candidate) => candidate.key.startsWith(`imhub:${decision}:`));
    if (!button || card.card.replace_text) throw new Error(`the card shows no ${decision} button`);
    const code = `rc-${randomBytes(8).toString('hex')}`;
    card.codes?.add(code);
    const now = Math.floor(Date.now() / 1000);
    const xml = [
      '<xml>',
      `<ToUserName><![CDATA[${subscription.receiverId}]]></ToUserName>`,
      `<FromUserName><![CDATA[${user}]]></FromUserName>`,
      `<CreateTime>${now}</CreateTime>`,
      '<MsgType><![CDATA[event]]></MsgType>',
      '<Event><![CDATA[template_card_event]]></Event>',
      `<EventKey><![CDATA[${button.key}]]></EventKey>`,
      `<TaskId><![CDATA[${card.id}]]></TaskId>`,
      '<CardType><![CDATA[button_interaction]]></CardType>',
      `<ResponseCode><![CDATA[${code}]]></ResponseCode>`,
      `<AgentID>${subscription.agentId}</AgentID>`,
      '</xml>',
    ].join('');
    const build = () => wecomSigned({ token: subscription.token!, encodingAesKey: subscription.aesKey!, corpId: subscription.receiverId!, agentId: subscription.agentId ?? '1', xml });
    const answers = await this.deliver(subscription.url, build, { retryAnswered: false });
    return { status: answers.at(-1)?.status ?? 0 };
  }
}

/** The callback buttons of a Feishu card 2.0, wherever they sit (forms, column sets). */
function feishuButtons(card: unknown): { label: string; name?: string; value: unknown }[] {
  const found: { label: string; name?: string; value: unknown }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const element = node as Record<string, unknown>;
    const callback = (element.behaviors as { type: string; value?: unknown }[] | undefined)?.find((behavior) => behavior.type === 'callback');
    if (element.tag === 'button' && callback) found.push({ label: String((element.text as { content?: string } | undefined)?.content ?? ''), ...(typeof element.name === 'string' ? { name: element.name } : {}), value: callback.value });
    Object.values(element).forEach(walk);
  };
  walk(card);
  return found;
}

/** Every string value a card shows (not its keys, callback values or names). */
function texts(node: unknown, key = ''): string[] {
  if (typeof node === 'string') return ['content', 'title', 'desc', 'value', 'text', 'sub_title_text', 'keyname', 'replace_text'].includes(key) ? [node] : [];
  if (Array.isArray(node)) return node.flatMap((item) => texts(item, key));
  if (typeof node === 'object' && node !== null) return Object.entries(node).flatMap(([name, value]) => (name === 'behaviors' ? [] : texts(value, name)));
  return [];
}
