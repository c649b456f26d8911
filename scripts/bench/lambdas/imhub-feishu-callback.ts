import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isAppError } from '../../../lib/errors.ts';
import { statusOfKind } from '../../../lib/http/status-of-kind.ts';
import { verifyFeishuCallback } from '../../../lib/providers/callbacks/feishu-callback.ts';

/**
 * The same minimal Lambda as `sdk-feishu-callback.ts`, on imhub's own Feishu verifier instead of
 * the SDK: what the verification code itself weighs, apart from everything else imhub's callbacks
 * Lambda carries (HTTP layer, DynamoDB, KMS, the four providers).
 */
const credentials = { appId: process.env.FEISHU_APP_ID ?? '', encryptKey: process.env.FEISHU_ENCRYPT_KEY ?? '', verificationToken: process.env.FEISHU_VERIFICATION_TOKEN ?? '' };

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  try {
    const outcome = verifyFeishuCallback({ method: 'POST', headers: event.headers as Record<string, string>, query: {}, rawBody, now: new Date() }, credentials);
    const response = outcome.kind === 'card' ? outcome.answer({ toast: { type: 'info', text: '' } }) : outcome.response;
    return { statusCode: response.status, headers: { 'content-type': response.contentType }, body: response.body };
  } catch (error) {
    return { statusCode: isAppError(error) ? statusOfKind[error.kind] : 500 };
  }
};
