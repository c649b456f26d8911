import { randomBytes } from 'node:crypto';
import * as wecom from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import type { RawCallback } from './feishu-sdk-receiver.ts';

/** A signed callback of the WXBizMsgCrypt scheme: the signature, timestamp and nonce come in the query. */
export interface QueryCallback extends RawCallback {
  query: Record<string, string>;
}

/**
 * DingTalk and WeCom receivers built on `@wecom/crypto` (the WeCom team's WXBizMsgCrypt, which
 * DingTalk's callback scheme shares): getSignature to check `msg_signature`, decrypt, check the
 * receiver id it returns, parse. They check what the library offers and nothing more: no
 * timestamp window, a plain `!==` on the signature.
 */
export function wxCryptoDingtalkReceiver(credentials: { appKey: string; aesKey: string; token: string }, onEvent: (event: Record<string, unknown>) => void) {
  return async (request: QueryCallback): Promise<string> => {
    const { signature, timestamp, nonce } = request.query;
    const { encrypt } = JSON.parse(request.rawBody.toString('utf8')) as { encrypt: string };
    if (wecom.getSignature(credentials.token, timestamp ?? '', nonce ?? '', encrypt) !== signature) throw new Error('the signature does not match');
    const { message, id } = wecom.decrypt(credentials.aesKey, encrypt);
    if (id !== credentials.appKey) throw new Error('the event is addressed to another app');
    onEvent(JSON.parse(message) as Record<string, unknown>);
    // DingTalk counts a delivery as received only when the answer is the encrypted word "success".
    const timeStamp = String(Date.now());
    const answerNonce = randomBytes(6).toString('base64url');
    const answer = wecom.encrypt(credentials.aesKey, 'success', credentials.appKey);
    return JSON.stringify({ msg_signature: wecom.getSignature(credentials.token, timeStamp, answerNonce, answer), timeStamp, nonce: answerNonce, encrypt: answer });
  };
}

/** The same XML settings as imhub's receiver (SpNo is a 64-bit number: keep values as text), so only the crypto path differs. */
const xml = new XMLParser({ parseTagValue: false, processEntities: false, ignoreDeclaration: true });

export function wxCryptoWecomReceiver(credentials: { corpId: string; token: string; encodingAesKey: string }, onEvent: (event: Record<string, unknown>) => void) {
  return async (request: QueryCallback): Promise<string> => {
    const { msg_signature: signature, timestamp, nonce } = request.query;
    const envelope = (xml.parse(request.rawBody.toString('utf8')) as { xml: { Encrypt: string } }).xml;
    if (wecom.getSignature(credentials.token, timestamp ?? '', nonce ?? '', envelope.Encrypt) !== signature) throw new Error('msg_signature does not match');
    const { message, id } = wecom.decrypt(credentials.encodingAesKey, envelope.Encrypt);
    if (id !== credentials.corpId) throw new Error('the event is addressed to another corp');
    onEvent((xml.parse(message) as { xml: Record<string, unknown> }).xml);
    return '';
  };
}
