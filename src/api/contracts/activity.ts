import { Type, type Static } from 'typebox';
import { pageOf } from './pagination.ts';

/** One entry of a person's activity log (B6.4), e.g. `data-value-changed`, `crm.conflict`. */
export const Activity = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    at: Type.String({ format: 'date-time' }),
    attributes: Type.Record(Type.String(), Type.Unknown()),
  },
  { title: 'Activity' },
);
export type Activity = Static<typeof Activity>;

/** Newest first. */
export const ActivityList = pageOf(Activity);
export type ActivityList = Static<typeof ActivityList>;
