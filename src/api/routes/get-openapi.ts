import type { RouteRegistration } from './route.ts';

/**
 * The OpenAPI document at the path interfaces.md §4 names (@fastify/swagger-ui also serves it under /docs).
 * Public (interfaces.md §4): it describes the API, holds no data, and a browser opening `/docs` cannot send
 * the bearer key.
 */
export const registerGetOpenApiRoute: RouteRegistration = (app) => {
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
};
