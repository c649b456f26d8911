import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { sdkFeishuReceiver } from '../peers/feishu-sdk-receiver.ts';

/**
 * The peer of the bundle rows: the smallest useful Feishu/Lark callback Lambda on the platform's
 * SDK. EventDispatcher with the Encrypt Key checks the signature and decrypts; no storage, no
 * dedupe, no re-read of the instance. Bundled by the bench exactly as our Lambdas are.
 */
const receive = sdkFeishuReceiver({ encryptKey: process.env.FEISHU_ENCRYPT_KEY ?? '', verificationToken: process.env.FEISHU_VERIFICATION_TOKEN ?? '' }, () => ({ msg: 'success' }));

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const answer = await receive({ headers: event.headers as Record<string, string>, rawBody });
  return answer === undefined ? { statusCode: 401 } : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: answer };
};
