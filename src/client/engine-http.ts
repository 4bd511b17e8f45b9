// One Docker Engine API call with a JSON (or empty) body and a JSON (or empty) answer, over node:http.
// A refusal comes out as an EngineError read by toEngineError from the status and Docker's error body
// ({"message": "…"}), as dockerode's refusals are; a transport failure (ECONNREFUSED …) likewise.
import http from 'node:http';
import type { EngineEndpoint } from './engine-endpoint.js';
import { toEngineError } from './errors.js';

/** Query values as dockerode's modem sends them: an object as JSON (filters), each array element as its
 *  own parameter, booleans as "true"/"false". Undefined values are left out. */
export type QueryValue = string | number | boolean | string[] | object | undefined;

export interface EngineRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  /** sent as JSON */
  body?: unknown;
  /** gives up (ETIMEDOUT, kind "unavailable") when no answer comes in this many ms */
  timeoutMs?: number;
}

export function encodeQuery(query: Record<string, QueryValue>): string {
  const pairs: string[] = [];
  const add = (key: string, value: string) => pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) add(key, String(v));
    else if (value !== null && typeof value === 'object') add(key, JSON.stringify(value));
    else add(key, String(value));
  }
  return pairs.length ? `?${pairs.join('&')}` : '';
}

/** A path segment naming an object: kept as Docker's own clients send it (an image reference keeps its
 *  "/", ":" and "@"), with anything that would end or bend the path ("?", "#", "%", spaces) escaped. */
export const pathPart = (name: string): string =>
  encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/gi, '@');

function parseAnswer(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The engine's answer, parsed as JSON when it is JSON (the text otherwise, undefined when empty). */
export function engineRequest(endpoint: EngineEndpoint, req: EngineRequest): Promise<unknown> {
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  // an empty servername spares Node's agent its net.isIP() check of the host, whose first call compiles a
  // large IPv6 regular expression (~13 ms of a CLI command's start-up); not in Node's RequestOptions type
  const options: http.RequestOptions & { servername: string } = {
    ...endpoint,
    method: req.method,
    path: req.path + encodeQuery(req.query ?? {}),
    headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
    servername: '',
    timeout: req.timeoutMs,
  };
  return new Promise((resolve, reject) => {
    const request = http.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(toEngineError(err)));
      res.on('end', () => {
        const answer = parseAnswer(Buffer.concat(chunks).toString('utf8'));
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(answer);
        // shaped as dockerode's refusals, so toEngineError reads both the same way
        const refusal = Object.assign(new Error(`the engine answered ${status} ${http.STATUS_CODES[status] ?? ''}`.trim()), {
          statusCode: status,
          json: answer,
        });
        reject(toEngineError(refusal));
      });
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('the engine did not answer in time'), { code: 'ETIMEDOUT' })));
    request.on('error', (err) => reject(toEngineError(err)));
    request.end(payload);
  });
}
