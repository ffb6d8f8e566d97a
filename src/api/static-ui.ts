import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { SynclineError } from '../errors/syncline-error.ts';
import type { ApiApp } from './routes/route.ts';

/** Where `npm run build:web` writes the admin console (web/vite.config.ts). */
export const builtConsoleRoot = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface StaticUiOptions {
  /** The folder holding the built console: index.html and assets/. */
  readonly root: string;
}

/**
 * The console's client-side routes (web/src/routes.ts): each answers with index.html, so a reload or a
 * bookmarked deep link works. Listed one by one rather than as a catch-all, so the API's own paths (`/api`,
 * `/health`, `/metrics`, `/openapi.json`, `/docs`) and unknown paths keep their answers (401 before 404).
 */
export const consoleRoutes = [
  '/',
  '/fields',
  '/errors',
  '/conflicts',
  '/persons',
  '/persons/:id',
  '/campaigns',
  '/campaigns/:id',
  '/notifications',
] as const;

/**
 * Kept strict because the page holds the API key: scripts, styles and data come only from this server (no
 * CDN, it works offline), nothing may frame it, and no URL leaks through a Referer. React sets inline styles
 * through the CSSOM, which `style-src 'self'` allows.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the admin console (interfaces.md §5) at `/`: its HTML shell and hashed assets are public, because a
 * browser cannot send the bearer key before the page that asks for it has loaded. They hold no data: every
 * piece of data comes from the API, which requires the key.
 */
export async function addStaticUi(app: ApiApp, options: StaticUiOptions): Promise<void> {
  await app.register(fastifyStatic, { root: options.root, serve: false, wildcard: false });
  const indexFile = join(options.root, 'index.html');

  const sendIndex = (reply: FastifyReply) => {
    secure(reply);
    if (!existsSync(indexFile)) {
      // Checked per request, so building the console while the server runs is enough.
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Syncline</title><p>The admin console is not built: run <code>npm run build:web</code>.</p>',
        );
    }
    // Not cached: a new build must be picked up on the next load; the assets it names are cached instead.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };

  for (const url of consoleRoutes) {
    app.get(url, { config: { public: true }, schema: { hide: true } }, (_request, reply) => sendIndex(reply));
  }
  // In a plugin of its own, so a missing asset gets a plain 404 from this not-found handler instead of the
  // API's "405: the path exists with another method".
  await app.register(
    async (assets) => {
      assets.setNotFoundHandler({}, () => {
        throw new SynclineError('NOT_FOUND', 'No such file of the admin console.');
      });
      assets.get<{ Params: { '*': string } }>(
        '/*',
        { config: { public: true }, schema: { hide: true } },
        (request, reply) => {
          secure(reply);
          // Vite puts a content hash into every asset name, so an asset never changes under its name.
          return reply.sendFile(join('assets', request.params['*']), { maxAge: '365d', immutable: true });
        },
      );
    },
    { prefix: '/assets' },
  );
}

function secure(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}
