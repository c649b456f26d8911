import { randomBytes } from 'node:crypto';
import * as wecom from '@wecom/crypto';
import { feishuEncrypt, feishuSignature } from '../providers/crypto/feishu-cipher.ts';

/**
 * How each platform signs and encrypts what it sends to imhub. DingTalk and WeCom payloads are
 * made by `@wecom/crypto` (the WeCom team's library, which passes both platforms' official
 * vectors); Feishu's SDK exports no encryptor, so Feishu payloads use the documented scheme, which
 * the contract tests check against the SDK's own decryptor.
 */
export interface SignedRequest {
  method: 'GET' | 'POST';
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
}

const nonce = () => randomBytes(6).toString('hex');

export function feishuSigned(options: { encryptKey: string; payload: unknown; timestamp?: number; signed?: boolean }): SignedRequest {
  const body = JSON.stringify({ encrypt: feishuEncrypt(options.encryptKey, JSON.stringify(options.payload)) });
  if (options.signed === false) return { method: 'POST', query: {}, headers: { 'content-type': 'application/json' }, body };
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const requestNonce = nonce();
  return {
    method: 'POST',
    query: {},
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': requestNonce,
      'x-lark-signature': feishuSignature(timestamp, requestNonce, options.encryptKey, body),
    },
    body,
  };
}

export function feishuPlain(payload: unknown): SignedRequest {
  return { method: 'POST', query: {}, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) };
}

export function dingtalkSigned(options: { token: string; aesKey: string; receiverId: string; payload: unknown; timestamp?: number }): SignedRequest {
  const encrypt = wecom.encrypt(options.aesKey, JSON.stringify(options.payload), options.receiverId);
  const timestamp = String(options.timestamp ?? Date.now());
  const requestNonce = nonce();
  return {
    method: 'POST',
    query: { signature: wecom.getSignature(options.token, timestamp, requestNonce, encrypt), timestamp, nonce: requestNonce },
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ encrypt }),
  };
}

export function wecomUrlCheck(options: { token: string; encodingAesKey: string; corpId: string; echo: string; timestamp?: number }): SignedRequest {
  const echostr = wecom.encrypt(options.encodingAesKey, options.echo, options.corpId);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const requestNonce = nonce();
  return {
    method: 'GET',
    query: { msg_signature: wecom.getSignature(options.token, timestamp, requestNonce, echostr), timestamp, nonce: requestNonce, echostr },
    headers: {},
  };
}

export function wecomSigned(options: { token: string; encodingAesKey: string; corpId: string; agentId: string; xml: string; timestamp?: number }): SignedRequest {
  const encrypt = wecom.encrypt(options.encodingAesKey, options.xml, options.corpId);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const requestNonce = nonce();
  return {
    method: 'POST',
    query: { msg_signature: wecom.getSignature(options.token, timestamp, requestNonce, encrypt), timestamp, nonce: requestNonce },
    headers: { 'content-type': 'text/xml' },
    body: `<xml><ToUserName><![CDATA[${options.corpId}]]></ToUserName><AgentID><![CDATA[${options.agentId}]]></AgentID><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
  };
}

/** A `sys_approval_change` event as WeCom sends it (decrypted form). */
export function wecomApprovalXml(options: { corpId: string; agentId: string; spNo: string; status: number; change: number; createTime?: number }): string {
  const createTime = options.createTime ?? Math.floor(Date.now() / 1000);
  return [
    '<xml>',
    `<ToUserName><![CDATA[${options.corpId}]]></ToUserName>`,
    '<FromUserName><![CDATA[sys]]></FromUserName>',
    `<CreateTime>${createTime}</CreateTime>`,
    '<MsgType><![CDATA[event]]></MsgType>',
    '<Event><![CDATA[sys_approval_change]]></Event>',
    `<AgentID>${options.agentId}</AgentID>`,
    '<ApprovalInfo>',
    `<SpNo>${options.spNo}</SpNo><SpNoStr><![CDATA[${options.spNo}]]></SpNoStr>`,
    '<SpName><![CDATA[imhub]]></SpName>',
    `<SpStatus>${options.status}</SpStatus>`,
    '<TemplateId><![CDATA[tpl]]></TemplateId>',
    `<ApplyTime>${createTime}</ApplyTime>`,
    '<Applyer><UserId><![CDATA[requester]]></UserId><Party><![CDATA[1]]></Party></Applyer>',
    `<SpRecord><SpStatus>${options.status}</SpStatus><ApproverAttr>1</ApproverAttr><Details><Approver><UserId><![CDATA[approver]]></UserId></Approver><Speech><![CDATA[ok]]></Speech><SpStatus>${options.status}</SpStatus><SpTime>${createTime}</SpTime></Details></SpRecord>`,
    `<StatuChangeEvent>${options.change}</StatuChangeEvent>`,
    '</ApprovalInfo>',
    '</xml>',
  ].join('');
}

/** Sends a signed request to imhub over real HTTP. */
export async function deliver(baseUrl: string, path: string, request: SignedRequest) {
  const query = new URLSearchParams(request.query).toString();
  const response = await fetch(`${baseUrl}${path}${query ? `?${query}` : ''}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}
