import { type AttributeMetadata, type EntityMetadata } from '../connector.ts';
import { isLookupValue, type CrmRecord, type CrmValue } from '../../domain/crm-record.ts';
import { ObjectBuilder } from '../../domain/object-builder.ts';

/**
 * Translation between the engine's logical names and the Web API's wire names: lookups are read as
 * `_<name>_value` (+ the `lookuplogicalname` annotation for polymorphic ones) and written through a navigation
 * property with `@odata.bind` (protocol reference §1.4, §3.4).
 */
export interface EntityShape {
  readonly entity: EntityMetadata;
  readonly attributes: ReadonlyMap<string, AttributeMetadata>;
}

const lookupTypes = new Set(['Lookup', 'Customer', 'Owner']);
const lookupAnnotation = '@Microsoft.Dynamics.CRM.lookuplogicalname';

/** Only the lookup-target annotation: formatted values would multiply the payload for nothing. */
export const readPreferences = `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`;

export function isLookup(attribute: AttributeMetadata | undefined): boolean {
  return attribute !== undefined && lookupTypes.has(attribute.attributeType);
}

/** Wire column names for `$select`; the primary key is always included. */
export function wireColumns(shape: EntityShape, select: readonly string[]): string[] {
  const columns = new Set<string>([shape.entity.primaryIdAttribute]);
  for (const name of select) columns.add(isLookup(shape.attributes.get(name)) ? `_${name}_value` : name);
  return [...columns];
}

/**
 * What to do with one wire key of a row: drop it (annotations), take it as it is, or turn `_x_value` into the
 * lookup `x`. Decided once per distinct key and shape, not per row: a 5,000-row page repeats the same ~35 keys
 * on every row, and the per-key regex and annotation-name concatenation were a quarter of the read path's CPU.
 */
type KeyPlan =
  | { readonly kind: 'skip' }
  | { readonly kind: 'plain'; readonly name: string }
  | {
      readonly kind: 'lookup';
      readonly name: string;
      readonly annotation: string;
      readonly onlyTarget: string | undefined;
    };

const skip: KeyPlan = { kind: 'skip' };

/**
 * The plans of one shape: by key, and in the order of the last row read. Rows of a page come from one
 * serializer with one `$select`, so their keys come in the same order; comparing each key with the one at its
 * position (the parser interns keys, so the comparison is a pointer check) skips the hash lookup per key.
 */
interface ShapePlans {
  readonly byKey: Map<string, KeyPlan>;
  readonly keys: string[];
  readonly plans: KeyPlan[];
  readonly values: ObjectBuilder<CrmValue>;
}

const shapePlans = new WeakMap<EntityShape, ShapePlans>();

function plansOf(shape: EntityShape): ShapePlans {
  let plans = shapePlans.get(shape);
  if (plans === undefined) {
    plans = { byKey: new Map(), keys: [], plans: [], values: new ObjectBuilder() };
    shapePlans.set(shape, plans);
  }
  return plans;
}

function planKey(shape: EntityShape, key: string): KeyPlan {
  if (key.includes('@')) return skip;
  const lookup = /^_(.+)_value$/.exec(key);
  if (!lookup) return { kind: 'plain', name: sanitizeCrmText(key) };
  const targets = shape.attributes.get(lookup[1])?.targets;
  return {
    kind: 'lookup',
    name: sanitizeCrmText(lookup[1]),
    annotation: `${key}${lookupAnnotation}`,
    onlyTarget: targets?.length === 1 ? targets[0] : undefined,
  };
}

/** How a row is read: `clean` when its strings are known to need no `sanitizeCrmText` (see `ODataPage.clean`). */
export interface ToRecordOptions {
  readonly clean?: boolean;
}

export function toRecord(
  shape: EntityShape,
  row: Readonly<Record<string, unknown>>,
  options?: ToRecordOptions,
): CrmRecord {
  const shapeKeys = plansOf(shape);
  const clean = options?.clean === true;
  const values = shapeKeys.values;
  values.begin();
  let index = 0;
  // `for…in` walks a parsed row's own keys without allocating the [key, value] pairs `Object.entries` would.
  for (const key in row) {
    let plan: KeyPlan | undefined;
    if (shapeKeys.keys[index] === key) plan = shapeKeys.plans[index];
    else {
      plan = shapeKeys.byKey.get(key);
      if (plan === undefined) {
        plan = planKey(shape, key);
        shapeKeys.byKey.set(key, plan);
      }
      // This row's order from here on: the next row of the page most likely has it too.
      shapeKeys.keys[index] = key;
      shapeKeys.plans[index] = plan;
    }
    index += 1;
    if (plan.kind === 'skip') continue;
    const value = row[key];
    if (plan.kind === 'plain') {
      values.set(plan.name, (clean ? (value ?? null) : sanitizeCrmValue(value ?? null)) as CrmValue);
      continue;
    }
    if (typeof value !== 'string') {
      values.set(plan.name, null);
      continue;
    }
    const annotated = row[plan.annotation];
    values.set(plan.name, {
      id: clean ? value : sanitizeCrmText(value),
      entity:
        typeof annotated === 'string' ? (clean ? annotated : sanitizeCrmText(annotated)) : plan.onlyTarget,
    });
  }
  const etag = row['@odata.etag'];
  const id = String(row[shape.entity.primaryIdAttribute]);
  return {
    id: clean ? id : sanitizeCrmText(id),
    etag: typeof etag === 'string' ? (clean ? etag : sanitizeCrmText(etag)) : undefined,
    values: values.build(),
  };
}

/**
 * A CRM string as the store can hold it: U+0000 removed, lone UTF-16 surrogates replaced by U+FFFD. Dataverse
 * stores both (imports, API clients), and PostgreSQL refuses both in text and jsonb, so one such value used to
 * fail the commit of its whole page (mirror rows refuse NUL too).
 *
 * Sanitised, not rejected: a read cannot be refused row by row the way an API request is (400). Rejecting would
 * fail the page, the cursor would not advance (B2.4), and every later change of the entity would be stuck behind
 * one stray character — the opposite of B6.1's "other records keep syncing". Losing a NUL or an unpaired half of
 * a surrogate pair loses no meaning. No echo follows (B4.4): the base and the person hold the same sanitised
 * value, so the next read of the unchanged CRM value maps to what the base holds and nothing is pushed back.
 *
 * Every read path goes through `toRecord` (full, change-tracked and watermark reads, retrieve, findByLookup),
 * so this is the one place CRM values are cleaned. The clean common case allocates nothing.
 */
export function sanitizeCrmText(text: string): string {
  const withoutNul = text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
  return withoutNul.isWellFormed() ? withoutNul : withoutNul.toWellFormed();
}

/** `sanitizeCrmText` for any wire value: strings, and strings and keys inside objects and arrays at any depth. */
export function sanitizeCrmValue(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeCrmText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(sanitizeCrmValue);
  const clean: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) clean[sanitizeCrmText(key)] = sanitizeCrmValue(inner);
  return clean;
}

/**
 * A create/update body. Lookups bind through their navigation property: the attribute's name for single-target
 * lookups and owners (`ownerid@odata.bind` takes systemusers or teams), `<name>_<entity>` for customer and other
 * polymorphic lookups (`parentcustomerid_account`). `LookupValue.navigationProperty` overrides the rule.
 */
export function toBody(
  shape: EntityShape,
  values: Readonly<Record<string, CrmValue>>,
  entitySetOf: (entity: string) => string,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const attribute = shape.attributes.get(name);
    if (isLookupValue(value)) {
      if (value.entity === undefined) throw new Error(`Lookup ${name} needs the target entity.`);
      const polymorphic =
        attribute !== undefined &&
        attribute.attributeType !== 'Owner' &&
        (attribute.attributeType === 'Customer' || (attribute.targets?.length ?? 0) > 1);
      const navigation = value.navigationProperty ?? (polymorphic ? `${name}_${value.entity}` : name);
      body[`${navigation}@odata.bind`] = `/${entitySetOf(value.entity)}(${value.id})`;
    } else {
      body[name] = value;
    }
  }
  return body;
}

/** Entities a body's lookups point at (their entity set names must be known before `toBody`). */
export function lookupTargets(values: Readonly<Record<string, CrmValue>>): string[] {
  return Object.values(values).flatMap((value) =>
    isLookupValue(value) && value.entity !== undefined ? [value.entity] : [],
  );
}

/** The id at the end of an `OData-EntityId` header: `…/contacts(<guid>)`. */
export function idFromEntityUrl(url: string | undefined): string | undefined {
  const match = url === undefined ? null : /\(([0-9a-fA-F-]{36})\)\s*$/.exec(url);
  return match ? match[1].toLowerCase() : undefined;
}
