import { Type, type Static, type TSchema } from 'typebox';

/** Page sizes: 1–1000, default 100 (interfaces.md §4). */
export const pageLimit = { min: 1, max: 1000, default: 100 } as const;

export const PageLimit = Type.Integer({
  minimum: pageLimit.min,
  maximum: pageLimit.max,
  default: pageLimit.default,
  description: `Items per page (${pageLimit.min}–${pageLimit.max}).`,
});

/** Cursors are opaque; the server rejects one it did not issue with INVALID_CURSOR. */
export const PageCursor = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'The `nextCursor` of the previous page.',
});

export const PageQuery = Type.Object(
  { limit: Type.Optional(PageLimit), cursor: Type.Optional(PageCursor) },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

/** `{items, nextCursor}`; `nextCursor` is null on the last page. */
export const pageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
