import { Type, type Static } from 'typebox';

/** The one error shape every API error answers with (interfaces.md §4). `code` is from src/errors/codes.ts. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable code from the error registry, e.g. UNKNOWN_FIELD.' }),
      message: Type.String({ description: 'Human-readable explanation; never contains a secret.' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { title: 'Error' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** The error statuses every authenticated route can answer with, for the OpenAPI document. */
export const commonErrorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  500: ErrorBody,
} as const;
