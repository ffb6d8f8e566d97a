import { randomUUID } from 'node:crypto';
import { emulatorFixtures } from '../emulator-fixtures.ts';
import {
  DataverseError,
  dataverseCodes,
  duplicateKey,
  invalidArgument,
  notFound,
  unknownProperty,
} from '../http/dataverse-error.ts';
import type { Caller } from '../http/emulator-request.ts';
import { normalizeGuid, parseKey, parseResourcePath } from '../http/odata-path.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import type { FieldSecurity } from '../security/field-security.ts';
import type { EmulatorState, PluginRule } from '../state/emulator-state.ts';
import type { Row, Value } from '../state/row.ts';
import type { Table } from '../state/table.ts';
import { isLookup, isProperty, lookupTypeColumn } from './record-serializer.ts';
import { resolveKey } from './record-key.ts';
import { decodeValue } from './value-codec.ts';

export interface WriteContext {
  readonly state: EmulatorState;
  readonly fls: FieldSecurity;
  readonly caller: Caller;
  readonly entity: EntityDefinition;
  readonly table: Table;
}

type Mode = 'create' | 'update';

/** Creates a row from a JSON body (reference §3.1). `preset` carries a URL id or alternate-key values. */
export function createRecord(
  ctx: WriteContext,
  body: Record<string, unknown>,
  preset: { id?: string; keyValues?: ReadonlyMap<string, Value> } = {},
): Row {
  const row: Row = new Array(ctx.entity.columnCount).fill(null);
  const set = applyBody(ctx, body, 'create', row);
  return insertRow(ctx, row, set, preset);
}

/**
 * Creates a row from values already in storage form (logical name → value; polymorphic lookups name their
 * companion type column too). For platform operations such as QualifyLead: no JSON decoding and no
 * valid-for-create filter, but the same defaults, checks, versioning and change events as a create.
 */
export function createFromValues(ctx: WriteContext, values: Readonly<Record<string, Value>>): Row {
  const row: Row = new Array(ctx.entity.columnCount).fill(null);
  return insertRow(ctx, row, assign(ctx.entity, row, values), {});
}

function insertRow(
  ctx: WriteContext,
  row: Row,
  set: Map<AttributeDefinition, Value>,
  preset: { id?: string; keyValues?: ReadonlyMap<string, Value> },
): Row {
  const { entity, table } = ctx;
  // Alternate-key values from the URL are used when the body has none (reference §3.3).
  for (const [name, value] of preset.keyValues ?? []) {
    const attribute = entity.byName.get(name)!;
    if (row[attribute.index] === null) row[attribute.index] = value;
  }
  const pk = table.pk;
  const id = (preset.id ?? (row[pk] as string | null)) || randomUUID();
  if (table.get(id)) throw duplicateKey();
  row[pk] = id;
  applyDefaults(ctx, row);
  finishRow(ctx, row, set, 'create');
  const now = nowSeconds();
  const at = (name: string) => entity.byName.get(name)?.index;
  row[at('createdon')!] = now;
  row[at('modifiedon')!] = now;
  row[at('createdby')!] = ctx.caller.userId;
  row[at('modifiedby')!] = ctx.caller.userId;
  const version = ctx.state.nextVersion();
  row[table.versionIndex] = version;
  table.put(row);
  emit(ctx, 'Create', id, set, version);
  return row;
}

/** Applies a JSON body to an existing row (reference §3.2). Key values from the URL win over the body. */
export function updateRecord(
  ctx: WriteContext,
  existing: Row,
  body: Record<string, unknown>,
  keyValues?: ReadonlyMap<string, Value>,
): Row {
  const row = copyOf(ctx.entity, existing);
  const set = applyBody(ctx, body, 'update', row);
  for (const [name, value] of keyValues ?? []) {
    const attribute = ctx.entity.byName.get(name)!;
    row[attribute.index] = value;
    set.delete(attribute);
  }
  return replaceRow(ctx, existing, row, set);
}

/**
 * Updates a row with values in storage form, including columns clients cannot write (statecode of a
 * qualified lead, `merged`, `masterid`): platform operations only (QualifyLead, Merge). A JSON `body`
 * (Merge's UpdateContent) is applied after them, with the checks of a client update, in the same write.
 */
export function updateWithValues(
  ctx: WriteContext,
  existing: Row,
  values: Readonly<Record<string, Value>>,
  body: Record<string, unknown> = {},
): Row {
  const row = copyOf(ctx.entity, existing);
  const set = assign(ctx.entity, row, values);
  for (const [attribute, value] of applyBody(ctx, body, 'update', row)) set.set(attribute, value);
  return replaceRow(ctx, existing, row, set);
}

function copyOf(entity: EntityDefinition, existing: Row): Row {
  const row = existing.slice();
  while (row.length < entity.columnCount) row.push(null);
  return row;
}

function replaceRow(ctx: WriteContext, existing: Row, row: Row, set: Map<AttributeDefinition, Value>): Row {
  const { entity, table } = ctx;
  row[table.pk] = existing[table.pk];
  const stateIndex = entity.byName.get('statecode')?.index;
  const statusIndex = entity.byName.get('statuscode')?.index;
  if (stateIndex !== undefined && statusIndex !== undefined && row[stateIndex] !== existing[stateIndex]) {
    if (![...set.keys()].some((a) => a.logicalName === 'statuscode'))
      row[statusIndex] = defaultStatus(entity, row[stateIndex] as number);
  }
  finishRow(ctx, row, set, 'update');
  row[entity.byName.get('modifiedon')!.index] = nowSeconds();
  row[entity.byName.get('modifiedby')!.index] = ctx.caller.userId;
  const version = ctx.state.nextVersion();
  row[table.versionIndex] = version;
  table.put(row);
  emit(ctx, 'Update', row[table.pk] as string, set, version);
  return row;
}

/** Writes storage-form values into a row; returns the attributes set (companion type columns excluded). */
function assign(
  entity: EntityDefinition,
  row: Row,
  values: Readonly<Record<string, Value>>,
): Map<AttributeDefinition, Value> {
  const set = new Map<AttributeDefinition, Value>();
  for (const [name, value] of Object.entries(values)) {
    const attribute = entity.byName.get(name);
    if (!attribute) throw new Error(`${entity.logicalName} has no attribute '${name}'`);
    row[attribute.index] = value ?? null;
    if (attribute.attributeOf === undefined) set.set(attribute, value ?? null);
  }
  return set;
}

export function deleteRecord(ctx: WriteContext, id: string): void {
  const version = ctx.state.nextVersion();
  if (!ctx.table.remove(id, version)) throw notFound(ctx.entity.logicalName, id);
  emit(ctx, 'Delete', id, new Map(), version);
}

function applyBody(
  ctx: WriteContext,
  body: Record<string, unknown>,
  mode: Mode,
  row: Row,
): Map<AttributeDefinition, Value> {
  const { entity } = ctx;
  const set = new Map<AttributeDefinition, Value>();
  for (const [key, value] of Object.entries(body)) {
    if (key.endsWith('@odata.bind')) {
      bind(ctx, key.slice(0, -'@odata.bind'.length), value, mode, row, set);
      continue;
    }
    if (key.includes('@')) continue; // instance annotations (@odata.type, …) carry no data
    const navigation = entity.navigation.get(key);
    if (navigation) {
      if (value !== null)
        throw invalidArgument(`Deep insert through '${key}' is not supported by the emulator.`);
      bind(ctx, key, null, mode, row, set);
      continue;
    }
    const attribute = entity.byName.get(key);
    if (!attribute || !isProperty(attribute) || isLookup(attribute))
      throw unknownProperty(key, entity.logicalName);
    if (attribute.logicalName === entity.primaryId) {
      if (mode === 'create') row[attribute.index] = decodeValue(entity, attribute, value);
      continue;
    }
    // The platform ignores columns that are not valid for the operation (createdon, fullname…).
    if (mode === 'create' ? !attribute.validForCreate : !attribute.validForUpdate) continue;
    if (attribute.secured) ctx.fls.assertWritable(ctx.caller, entity, attribute, mode);
    const decoded = decodeValue(entity, attribute, value);
    row[attribute.index] = decoded;
    set.set(attribute, decoded);
  }
  return set;
}

/** `<nav>@odata.bind: "/contacts(<id>)"` (or null to clear), reference §3.4. */
function bind(
  ctx: WriteContext,
  nav: string,
  value: unknown,
  mode: Mode,
  row: Row,
  set: Map<AttributeDefinition, Value>,
): void {
  const { entity, state } = ctx;
  const navigation = entity.navigation.get(nav);
  if (!navigation) throw unknownProperty(nav, entity.logicalName);
  const { attribute } = navigation;
  if (mode === 'create' ? !attribute.validForCreate : !attribute.validForUpdate) return;
  const typeColumn =
    lookupTypeColumn(entity, attribute) ??
    (attribute.type === 'Owner' ? entity.byName.get('owneridtype')?.index : undefined);
  if (value === null) {
    row[attribute.index] = null;
    if (typeColumn !== undefined) row[typeColumn] = null;
    set.set(attribute, null);
    return;
  }
  if (typeof value !== 'string')
    throw invalidArgument(`The value of '${nav}@odata.bind' must be a string URL.`);
  const path = value.replace(/^.*\/api\/data\/v\d+\.\d+\//, '').replace(/^\//, '');
  const [segment] = parseResourcePath(decodeURIComponent(path));
  const target = state.catalog.entitySet(segment?.name ?? '');
  if (!target || segment.key === undefined)
    throw invalidArgument(`The URL '${value}' in '${nav}@odata.bind' does not identify a record.`);
  const allowedTargets = attribute.type === 'Owner' ? attribute.targets! : [navigation.target];
  if (!allowedTargets.includes(target.logicalName)) {
    throw invalidArgument(
      `'${nav}@odata.bind' cannot refer to a ${target.logicalName}; expected ${allowedTargets.join(' or ')}.`,
    );
  }
  const table = state.table(target.logicalName);
  const key = parseKey(segment.key);
  const id = resolveKey(table, key);
  if (!id || !table.get(id)) throw notFound(target.logicalName, key.kind === 'id' ? key.id : segment.key);
  row[attribute.index] = id;
  if (typeColumn !== undefined) row[typeColumn] = target.logicalName;
  set.set(attribute, id);
}

function applyDefaults(ctx: WriteContext, row: Row): void {
  const { entity } = ctx;
  for (const attribute of entity.attributes) {
    if (attribute.defaultValue !== undefined && row[attribute.index] === null)
      row[attribute.index] = attribute.defaultValue;
  }
  const owner = entity.byName.get('ownerid');
  if (owner && row[owner.index] === null) {
    row[owner.index] = ctx.caller.userId;
    row[entity.byName.get('owneridtype')!.index] = 'systemuser';
  }
  const businessUnit = entity.byName.get('owningbusinessunit');
  if (businessUnit) row[businessUnit.index] = emulatorFixtures.businessUnitId;
  const state = entity.byName.get('statecode');
  const status = entity.byName.get('statuscode');
  if (state && status && row[status.index] === null)
    row[status.index] = defaultStatus(entity, row[state.index] as number);
}

/** Checks and derived columns shared by create and update. */
function finishRow(ctx: WriteContext, row: Row, set: Map<AttributeDefinition, Value>, mode: Mode): void {
  const { entity, table } = ctx;
  if (entity.computedName) {
    const parts = entity.computedName.from
      .map((name) => row[entity.byName.get(name)!.index])
      .filter((v) => v);
    row[entity.byName.get(entity.primaryName)!.index] = parts.length > 0 ? parts.join(' ') : null;
  }
  for (const attribute of entity.attributes) {
    if (attribute.isSetFlagOf === undefined) continue;
    const value = row[entity.byName.get(attribute.isSetFlagOf)!.index];
    row[attribute.index] = value !== null && value !== '';
  }
  const state = entity.byName.get('statecode');
  const status = entity.byName.get('statuscode');
  if (state && status && row[status.index] !== null) {
    const option = status.options?.find((o) => o.value === row[status.index]);
    if (option && option.state !== row[state.index]) {
      throw new DataverseError(
        400,
        dataverseCodes.optionOutOfRange,
        `${String(row[status.index])} is not a valid status code for state code ${entity.schemaName}State.` +
          `${state.options?.find((o) => o.value === row[state.index])?.label ?? String(row[state.index])} on ` +
          `${entity.logicalName} with Id ${String(row[table.pk] ?? '')}.`,
      );
    }
  }
  const currency = entity.byName.get('transactioncurrencyid');
  if (currency && row[currency.index] === null && [...set.keys()].some((a) => a.type === 'Money')) {
    row[currency.index] = emulatorFixtures.usdCurrencyId;
  }
  for (const attribute of entity.attributes) {
    if (
      attribute.required === 'SystemRequired' &&
      attribute.validForCreate &&
      (row[attribute.index] === null || row[attribute.index] === '')
    ) {
      if (attribute.logicalName === entity.primaryId) continue;
      throw new DataverseError(
        400,
        dataverseCodes.requiredFieldMissing,
        `A validation error occurred. A value for the required attribute '${attribute.logicalName}' of entity ` +
          `'${entity.logicalName}' was not provided.`,
      );
    }
  }
  for (const rule of ctx.state.rules) applyRule(ctx, rule, row, set, mode);
  if (table.keyConflict(row)) throw duplicateKey();
}

/** A plug-in registered through `PUT /_emulator/rules`: rejects with 0x80040265 and the rule's message. */
function applyRule(
  ctx: WriteContext,
  rule: PluginRule,
  row: Row,
  set: Map<AttributeDefinition, Value>,
  mode: Mode,
): void {
  if (rule.entity !== ctx.entity.logicalName || (rule.on !== 'both' && rule.on !== mode)) return;
  const attribute = rule.attribute === undefined ? undefined : ctx.entity.byName.get(rule.attribute);
  const reject = () => {
    throw new DataverseError(400, dataverseCodes.pluginRule, rule.message);
  };
  if (rule.check === 'forbidden') {
    if (!attribute) reject();
    else if (set.has(attribute) && (rule.value === undefined || String(set.get(attribute)) === rule.value))
      reject();
    return;
  }
  if (!attribute) return;
  const value = row[attribute.index];
  if (rule.check === 'required') {
    if (value === null || value === undefined || value === '') reject();
  } else if (rule.check === 'regex' && set.has(attribute) && value !== null && value !== undefined) {
    if (!new RegExp(rule.value ?? '').test(String(value))) reject();
  }
}

function defaultStatus(entity: EntityDefinition, state: number): number | null {
  return entity.byName.get('statecode')?.options?.find((o) => o.value === state)?.defaultStatus ?? null;
}

function emit(
  ctx: WriteContext,
  message: 'Create' | 'Update' | 'Delete',
  id: string,
  set: Map<AttributeDefinition, Value>,
  version: number,
): void {
  const attributes: Record<string, Value> = {};
  for (const [attribute, value] of set) attributes[attribute.logicalName] = value;
  ctx.state.recordChanged({
    message,
    entity: ctx.entity.logicalName,
    id,
    attributes,
    userId: ctx.caller.userId,
    version,
    at: new Date(),
  });
}

function nowSeconds(): number {
  const now = Date.now();
  return now - (now % 1000);
}

/** Normalises a client-supplied primary key (body or URL). */
export function requireGuid(text: string): string {
  const id = normalizeGuid(text);
  if (!id) throw invalidArgument(`'${text}' is not a valid GUID.`);
  return id;
}
