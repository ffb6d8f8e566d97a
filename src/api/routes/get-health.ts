import { Type } from 'typebox';
import type { RouteRegistration } from './route.ts';

export const registerGetHealthRoute: RouteRegistration = (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness check (no API key needed)',
        tags: ['system'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
};
