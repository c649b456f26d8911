import { BadRequestError, PayloadTooLargeError } from '../errors.ts';
import { type ApiMiddleware, type ApiRequest, apiState } from './api-types.ts';
import { parseOrThrow } from './validation.ts';

/** Bodies above this are refused with 413 before they are parsed. */
export const maxBodyBytes = 256 * 1024;

/** Size-checks and parses the JSON body, then validates path, query and body against the route's schemas. */
export const inputParser = (): ApiMiddleware => {
  const inputParserBefore = async (request: ApiRequest) => {
    const state = apiState(request);
    const route = state.route;
    if (!route) return;
    const { event } = request;
    const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8')) : undefined;
    if (raw && raw.length > maxBodyBytes) {
      throw new PayloadTooLargeError(`request body is ${raw.length} bytes; the limit is ${maxBodyBytes} bytes (256 KB)`);
    }
    let body: unknown;
    if (route.body) {
      if (!raw || raw.length === 0) throw new BadRequestError('request body is required: send a JSON object', { code: 'body_required' });
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        // The parser's message quotes the input, which may hold a secret: only its position is repeated.
        const position = /position (\d+)/.exec((error as Error).message)?.[1];
        throw new BadRequestError(`request body is not valid JSON${position ? ` (error at character ${position})` : ''}: send a JSON object`, {
          code: 'malformed_json',
        });
      }
    }
    state.input = {
      raw: { headers: (event.headers ?? {}) as Record<string, string>, query: (event.queryStringParameters ?? {}) as Record<string, string>, body: raw ?? Buffer.alloc(0) },
      params: route.params ? parseOrThrow(route.params, event.pathParameters ?? {}, 'path') : {},
      query: route.query ? parseOrThrow(route.query, event.queryStringParameters ?? {}, 'query string') : {},
      body: route.body ? parseOrThrow(route.body, body, 'request body') : undefined,
    };
  };
  return { before: inputParserBefore };
};
