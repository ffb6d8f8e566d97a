/**
 * Stored rows are plain arrays indexed by attribute position (AttributeDefinition.index): far more compact
 * than one object per row with named keys, which is what lets 1,000,000 contacts fit in well under 4 GB.
 *
 * Value encoding by attribute type: strings for text, option-set-multi ("1,2"), EntityName and GUIDs
 * (lower-case); numbers for integers, decimals, money, option values and DateTime (epoch ms, whole seconds);
 * booleans for Boolean. `null`/`undefined`/a missing slot all mean null. Rows are never mutated once stored:
 * an update stores a copy, so readers and the undo journal can keep old rows.
 */
export type Value = string | number | boolean | null | undefined;
export type Row = Value[];
