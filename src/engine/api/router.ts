// A small Docker-Engine-API router: "/v1.43/containers/{id}/json" and "/containers/{id}/json" both match
// the pattern "/containers/:id/json". The route modules in api/ register theirs with `router.add`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  path: string; // without the /vX.Y prefix
  /** set when the client asked to upgrade the connection (attach, exec start): the raw socket to hijack */
  upgrade?: { socket: Duplex; head: Buffer };
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export class Router {
  private routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method: method.toUpperCase(), parts: pattern.split('/').filter(Boolean), handler });
  }

  match(method: string, rawPath: string): { handler: Handler; params: Record<string, string>; path: string } | undefined {
    const path = rawPath.replace(/^\/v\d+(\.\d+)?(?=\/)/, '');
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const params = matchParts(route.parts, parts);
      if (params) return { handler: route.handler, params, path };
    }
    return undefined;
  }
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith('*')) {
      // rest parameter, e.g. image names with slashes: /images/*name/json
      const restLen = parts.length - i - (pattern.length - 1 - i);
      if (restLen < 1) return undefined;
      params[p.slice(1)] = decodeURIComponent(parts.slice(i, i + restLen).join('/'));
      const tail = matchParts(pattern.slice(i + 1), parts.slice(i + restLen));
      return tail ? { ...params, ...tail } : undefined;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(part);
    else if (p !== part) return undefined;
  }
  return parts.length === pattern.length ? params : undefined;
}
