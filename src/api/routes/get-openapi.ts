import type { RouteRegistration } from './route.ts';

/** The OpenAPI document at the path interfaces.md §4 names (@fastify/swagger-ui also serves it under /docs). */
export const registerGetOpenApiRoute: RouteRegistration = (app) => {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
