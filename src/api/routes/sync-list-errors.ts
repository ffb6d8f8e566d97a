import type { Readable } from 'node:stream';
import accepts from 'accepts';
import { Type } from 'typebox';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { pageLimit } from '../contracts/pagination.ts';
import { ListSyncErrorsQuery, SyncErrorList } from '../contracts/sync-error.ts';
import type { RouteRegistration } from './route.ts';
import { pageRequest, requireSyncAdmin } from './sync-admin-required.ts';
import { syncErrorsCsv } from './sync-errors-csv.ts';

const csvType = 'text/csv';

export const registerSyncListErrorsRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/sync/errors',
    {
      schema: {
        summary: 'Record-level sync errors, newest first, or all of them as CSV (B6.1)',
        description:
          'Send `Accept: text/csv` or `?format=csv` for a CSV export of every matching error (from `cursor` on; ' +
          '`limit` does not apply).',
        tags: ['sync'],
        querystring: ListSyncErrorsQuery,
        response: {
          200: {
            description: 'A page of errors, or the CSV export.',
            content: {
              'application/json': { schema: SyncErrorList },
              // Streamed: typed as the stream the handler sends, documented as the text it is.
              [csvType]: { schema: Type.Unsafe<Readable>({ type: 'string' }) },
            },
          },
          503: ErrorBody,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const admin = requireSyncAdmin(dependencies);
      const { entity, q, format } = request.query;
      const filters = { ...(entity === undefined ? {} : { entity }), ...(q === undefined ? {} : { q }) };
      // `format` wins over `Accept`, so a link in a browser (which accepts anything) can ask for CSV.
      const csv =
        format === undefined
          ? accepts(request.raw).type(['application/json', csvType]) === csvType
          : format === 'csv';
      if (!csv) return admin.listErrors({ ...filters, ...pageRequest(request.query) });

      // The export holds every row, so `limit` does not apply: it reads the largest pages the port serves.
      const limit = pageLimit.max;
      const first = await admin.listErrors({ ...filters, ...pageRequest({ ...request.query, limit }) });
      const body = syncErrorsCsv(
        first,
        (cursor) => admin.listErrors({ ...filters, limit, cursor }),
        (error) => request.log.error({ err: error }, 'sync-errors CSV export failed'),
      );
      return reply
        .type(`${csvType}; charset=utf-8`)
        .header('content-disposition', 'attachment; filename="sync-errors.csv"')
        .send(body);
    },
  );
};
