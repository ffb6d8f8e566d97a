import type { FastifyRequest } from 'fastify';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { NewPersonField, PersonField } from '../contracts/person-field.ts';
import { isSystemField } from '../../domain/person-fields.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { RouteRegistration } from './route.ts';

/** Names a person already answers with (interfaces.md §4) besides its fields. */
const reservedNames = new Set(['id', 'createdAt', 'updatedAt']);

/**
 * B5.7: a body asking for a CRM field — a `crm` mapping naming an attribute, or `source: 'crm'` — is refused with
 * its own code rather than the schema's "must NOT have additional properties", so the client learns why.
 */
async function refuseCrmField(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const mapping = body.crm;
  const mapped =
    typeof mapping === 'object' && mapping !== null && Object.values(mapping).some((value) => value != null);
  if (!mapped && body.source !== 'crm') return;
  throw new SynclineError(
    'CRM_FIELD_CREATION_NOT_SUPPORTED',
    'Syncline does not create fields in the CRM (B5.7). Create the column in Dynamics 365, then select it on the ' +
      'Fields page (PUT /api/v1/sync/fields): it becomes a person field by itself. To add a marketing-only ' +
      'field, send {name, type} without "crm" and "source". Nothing was changed.',
    { details: { name: typeof body.name === 'string' ? body.name : null } },
  );
}

export const registerPostPersonFieldRoute: RouteRegistration = (app, { persons }) => {
  app.post(
    '/api/v1/person-fields',
    {
      preValidation: refuseCrmField,
      schema: {
        summary: 'Add a marketing-only person field (never created in the CRM, B5.7)',
        description:
          'A body with a `crm` mapping or `source: "crm"` is refused with 400 CRM_FIELD_CREATION_NOT_SUPPORTED: ' +
          'Syncline never creates CRM fields (B5.7); select an existing CRM attribute with PUT /api/v1/sync/fields.',
        tags: ['person fields'],
        body: NewPersonField,
        response: { 201: PersonField, 409: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { name, type } = request.body;
      // Names compare case-insensitively so a client cannot add `Email` beside `email`.
      const taken = (await persons.listPersonFields()).some(
        (field) => field.name.toLowerCase() === name.toLowerCase(),
      );
      if (taken || isSystemField(name) || reservedNames.has(name)) {
        throw new SynclineError('CONFLICT', `A person field named "${name}" already exists.`, {
          details: { name },
        });
      }
      // The store enforces uniqueness too, for a concurrent add of the same name.
      const field = await persons.addPersonField({ name, type, source: 'marketing' });
      return reply.code(201).send(field);
    },
  );
};
