/**
 * Small per-person state that belongs to the person, not to a feed: a marker lives in `person_markers` and is
 * deleted with its person (cascade), so nothing is left behind when a person is deleted or merged away (the
 * survivor of a merge keeps its own markers; the loser's go with it). Before migration 0004 these were named
 * cursors (`flows:qualify:<id>`, `flows:seen:<id>`) that outlived their persons. Part of `Store` (store.ts);
 * both backends pass tests/contract/register-marker-store-tests.ts.
 */

/**
 * Every kind in use, so a new one is declared here rather than invented at a call site:
 * - `qualify`: the lead a *Sync Person to Microsoft* with `syncAs: contact` created and is qualifying (B7.1),
 *   so a retry after a crash resumes the qualify;
 * - `campaign-seen`: JSON of the watched fields' values the campaign runner last saw (`field-changed` `from`,
 *   B7.5).
 */
export const markerKinds = ['qualify', 'campaign-seen'] as const;
export type MarkerKind = (typeof markerKinds)[number];

export interface MarkerStore {
  /** Undefined when the person has no marker of that kind (or does not exist). */
  getMarker(personId: string, kind: MarkerKind): Promise<string | undefined>;
  /**
   * Creates or overwrites one marker. False, and nothing stored, when the person does not exist: a marker
   * never outlives its person, and a person deleted while a flow ran is not an error for that flow.
   */
  setMarker(personId: string, kind: MarkerKind, value: string): Promise<boolean>;
  /** False when there was no such marker. */
  deleteMarker(personId: string, kind: MarkerKind): Promise<boolean>;
  /** Deletes every person's marker of `kind` (state nothing needs any more); returns how many. */
  deleteMarkersOfKind(kind: MarkerKind): Promise<number>;
}
