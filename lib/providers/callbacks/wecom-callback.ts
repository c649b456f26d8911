import { XMLParser } from 'fast-xml-parser';
import { BadRequestError, UnauthorizedError } from '../../errors.ts';
import { hexDigestEquals } from '../crypto/feishu-cipher.ts';
import { CallbackCipherError, callbackDecrypt, callbackSignature } from '../crypto/wx-biz-msg-crypt.ts';
import { parseCardChoice } from '../../domain/approval-cards.ts';
import type { CallbackOutcome, CallbackRequest } from './callback-types.ts';
import { assertFresh } from './freshness.ts';

export interface WecomCallbackCredentials {
  corpId: string;
  token: string;
  encodingAesKey: string;
}

/** Elements that repeat in `sys_approval_change`, always read as lists. */
const repeated = new Set(['SpRecord', 'Details', 'Notifyer', 'NodeList', 'SubNodeList', 'Comments', 'MediaIds', 'Attach']);
const xml = new XMLParser({
  parseTagValue: false, // SpNo is a 64-bit number: keep every value as text
  processEntities: false,
  ignoreDeclaration: true,
  isArray: (name) => repeated.has(name),
});

/**
 * The largest body accepted from WeCom, checked before any crypto. An envelope is small, but a
 * `sys_approval_change` carries the whole approval: every approver twice (SpRecord/Details and
 * ProcessList/SubNodeList, ~300 bytes each) plus the comments. imhub's largest approval (10 stages
 * of 50 approvers) comes to ~150 KB of XML, ~200 KB encrypted, so a smaller cap would refuse
 * genuine events. It is safe because nothing is parsed before the signature is checked: an unsigned
 * body costs one scan and one SHA-1.
 */
export const wecomCallbackMaxBytes = 256 * 1024;

const declaresEntities = (source: string) => /<!DOCTYPE|<!ENTITY/i.test(source);

function parseXml(source: string, what: string): Record<string, unknown> {
  if (declaresEntities(source)) throw new BadRequestError(`${what} must not declare a DOCTYPE or entities`);
  try {
    const root = (xml.parse(source) as Record<string, unknown>).xml;
    if (typeof root !== 'object' || root === null) throw new Error('no <xml> root');
    return root as Record<string, unknown>;
  } catch {
    throw new BadRequestError(`${what} is not the expected XML`);
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * Takes `<Encrypt>` out of a POST envelope with two string searches and no XML parser: the
 * signature covers only that value, so it is checked before a byte of the request is parsed, and
 * nothing else in the envelope (ToUserName, AgentID: unsigned, repeated inside the ciphertext) is read.
 */
function encryptOf(envelope: string): string | undefined {
  const start = envelope.indexOf('<Encrypt>');
  const end = start < 0 ? -1 : envelope.indexOf('</Encrypt>', start);
  if (end < 0) return undefined;
  let value = envelope.slice(start + '<Encrypt>'.length, end).trim();
  if (value.startsWith('<![CDATA[') && value.endsWith(']]>')) value = value.slice('<![CDATA['.length, -']]>'.length).trim();
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? value : undefined;
}

/**
 * WeCom's URL check echoes a random number string. The same key encrypts every event, so an event's
 * ciphertext replayed as `echostr` would come back decrypted: a plaintext with markup is an event
 * envelope (all WeCom callbacks are XML), never an echo string, and is not answered.
 */
function echoOf(plain: string): string {
  if (plain.includes('<')) throw new BadRequestError('echostr decrypts to a message, not to a URL check’s echo string; it is not answered');
  return plain;
}

function decrypt(credentials: WecomCallbackCredentials, encrypt: string): string {
  try {
    return callbackDecrypt(credentials.encodingAesKey, encrypt, [credentials.corpId]).message;
  } catch (error) {
    if (error instanceof CallbackCipherError && error.reason === 'receiver') throw new UnauthorizedError('the event is addressed to another corp');
    throw new UnauthorizedError('the message does not decrypt with this integration’s EncodingAESKey');
  }
}

/**
 * WeCom: the GET URL check (answer the decrypted echostr, bare) and POST XML envelopes, both signed
 * with msg_signature over the encrypted value; the receiver id is the corpId. The signature is
 * checked before anything is parsed or decrypted. Events answer an empty 200.
 */
export function verifyWecomCallback(request: CallbackRequest, credentials: WecomCallbackCredentials): CallbackOutcome {
  const { msg_signature: signature, timestamp, nonce } = request.query;
  if (!signature || !timestamp || !nonce) throw new UnauthorizedError('msg_signature, timestamp and nonce query parameters are required');
  assertFresh(timestamp, request.now, 'timestamp');
  const verify = (encrypt: string) => {
    if (!hexDigestEquals(signature, callbackSignature(credentials.token, timestamp, nonce, encrypt))) {
      throw new UnauthorizedError('msg_signature does not match');
    }
  };

  if (request.method === 'GET') {
    const received = request.query.echostr;
    if (!received) throw new BadRequestError('echostr is required for the URL check');
    // A '+' the platform left unencoded arrives decoded as a space; base64 has no spaces.
    const echostr = received.replace(/ /g, '+');
    verify(echostr);
    return { kind: 'handshake', response: { status: 200, contentType: 'text/plain; charset=utf-8', body: echoOf(decrypt(credentials, echostr)) } };
  }

  const envelope = request.rawBody.toString('utf8');
  if (declaresEntities(envelope)) throw new BadRequestError('the body must not declare a DOCTYPE or entities');
  const encrypt = encryptOf(envelope);
  if (!encrypt) throw new BadRequestError('the body has no <Encrypt> element');
  verify(encrypt);
  const payload = parseXml(decrypt(credentials, encrypt), 'the decrypted message');

  const type = text(payload.Event) ?? text(payload.MsgType) ?? 'unknown';
  const empty = { status: 200, contentType: 'text/plain; charset=utf-8', body: '' };
  if (type === 'template_card_event') {
    // A click on one of imhub's button cards: who clicked is FromUserName (the member's userid),
    // the button's key names the choice, and ResponseCode updates that card once. Answered with an
    // empty 200: WeCom's passive card update is documented, but its own page lists card events
    // among those it ignores replies to (docs/platforms/wecom.md); the card is updated through the API.
    const choice = parseCardChoice(text(payload.EventKey));
    const operator = text(payload.FromUserName);
    if (choice && operator) {
      const ref = text(payload.TaskId);
      const fresh = text(payload.ResponseCode);
      // WeCom's events have no id: the docs dedupe events by FromUserName + CreateTime; the card and button make it one click.
      const id = [operator, text(payload.CreateTime), ref, text(payload.EventKey)].join(':');
      return { kind: 'card', click: { id, choice, operator, ...(ref ? { ref } : {}), ...(fresh ? { freshHandle: fresh } : {}), noticeByMessage: true }, answer: () => empty };
    }
  }
  const approval = typeof payload.ApprovalInfo === 'object' && payload.ApprovalInfo !== null ? (payload.ApprovalInfo as Record<string, unknown>) : undefined;
  const instanceId = text(approval?.SpNoStr) ?? text(approval?.SpNo);
  const id = approval
    ? `${instanceId}:${text(approval.StatuChangeEvent)}:${text(payload.CreateTime)}`
    : (text(payload.MsgId) ?? `${text(payload.FromUserName)}:${text(payload.CreateTime)}:${type}`);
  return {
    kind: 'event',
    event: { id, type, payload, ...(instanceId ? { instanceId } : {}) },
    response: { status: 200, contentType: 'text/plain; charset=utf-8', body: '' },
  };
}
