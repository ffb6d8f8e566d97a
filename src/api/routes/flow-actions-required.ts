import type { TSchema } from 'typebox';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { FlowActions } from '../../flows/flow-service.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { PersonIdParams } from '../contracts/person.ts';
import type { RouteDependencies } from './route.ts';

/** The flow actions, or 503 FLOWS_UNAVAILABLE when this process has no CRM connection for them. */
export function requireFlowActions(dependencies: RouteDependencies): FlowActions {
  if (dependencies.flows === undefined) {
    throw new SynclineError(
      'FLOWS_UNAVAILABLE',
      'Flow actions are unavailable: this process runs without a CRM connection.',
    );
  }
  return dependencies.flows;
}

/**
 * The schema every `POST /api/v1/persons/{id}/actions/…` route shares: 404 unknown person, 409 not linked or
 * record deleted, 422 refused by the CRM or a value it cannot take, 502/503 the CRM did not answer.
 */
export function flowActionSchema<Body extends TSchema, Result extends TSchema>(
  summary: string,
  body: Body,
  result: Result,
) {
  return {
    summary,
    tags: ['flow actions'],
    params: PersonIdParams,
    body,
    response: {
      200: result,
      404: ErrorBody,
      409: ErrorBody,
      422: ErrorBody,
      502: ErrorBody,
      503: ErrorBody,
      ...commonErrorResponses,
    },
  };
}
