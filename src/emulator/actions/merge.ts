import { invalidArgument } from '../http/dataverse-error.ts';
import {
  emptyResponse,
  type EmulatorRequest,
  type EmulatorResponse,
  type Usage,
} from '../http/emulator-request.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import { isLookup, isProperty, lookupTypeColumn } from '../records/record-serializer.ts';
import { updateWithValues, type WriteContext } from '../records/record-writer.ts';
import type { Row, Value } from '../state/row.ts';
import {
  entityOfParameter,
  readParameters,
  recordOfParameter,
  type ActionDeps,
  type ParameterDeclaration,
} from './action-parameters.ts';

const action = 'Merge';

const parameters: Readonly<Record<string, ParameterDeclaration>> = {
  Target: { type: 'entity', required: true },
  Subordinate: { type: 'entity', required: true },
  // Current Microsoft docs mark UpdateContent optional (older ones required it): accepted either way.
  UpdateContent: { type: 'entity', required: false },
  PerformParentingChecks: { type: 'Edm.Boolean', required: true },
};

/** Tables Merge accepts (incident is not emulated). */
const mergeable = ['account', 'contact', 'lead'];

/** Columns a merge never copies from the subordinate: identity, ownership, state and merge bookkeeping. */
const notCopied = new Set(['ownerid', 'statecode', 'statuscode', 'merged', 'masterid']);

/** Lookups that keep pointing at the subordinate: audit columns, ownership and history. */
const notReparented = new Set([
  'createdby',
  'modifiedby',
  'ownerid',
  'owningbusinessunit',
  'masterid',
  'originatingleadid',
]);

/** The parent a parenting check compares (PerformParentingChecks). */
const parentColumn: Readonly<Record<string, string>> = {
  account: 'parentaccountid',
  contact: 'parentcustomerid',
  lead: 'parentaccountid',
};

/**
 * Unbound `POST Merge` (reference §10). The target gets the subordinate's values where its own are empty
 * (Microsoft: "moves any useful data from the Subordinate … existing data in the Target aren't
 * overwritten"), then `UpdateContent` on top; records pointing at the subordinate are re-parented to the
 * target; the subordinate is deactivated with `merged = true` and `masterid` = target. Change tracking sees
 * updates only, never a delete. Atomic; 204.
 */
export function merge(deps: ActionDeps, request: EmulatorRequest, usage: Usage): EmulatorResponse {
  const { state } = deps;
  const input = readParameters(action, request.body, parameters);
  const targetValue = input.get('Target') as Record<string, unknown>;
  const anyEntity = [...state.catalog.entities.keys()];
  const entity = entityOfParameter(state, action, 'Target', targetValue, anyEntity);
  if (!mergeable.includes(entity.logicalName))
    throw invalidArgument(`This type: ${entity.logicalName} is not supported with merge operation`);
  const subordinateValue = input.get('Subordinate') as Record<string, unknown>;
  const subordinateEntity = entityOfParameter(state, action, 'Subordinate', subordinateValue, anyEntity);
  if (subordinateEntity !== entity)
    throw invalidArgument(
      `The Subordinate (${subordinateEntity.logicalName}) must be of the same entity type as the Target (${entity.logicalName}).`,
    );
  const target = recordOfParameter(state, action, 'Target', targetValue, [entity.logicalName]);
  const subordinate = recordOfParameter(state, action, 'Subordinate', subordinateValue, [entity.logicalName]);
  if (target.id === subordinate.id)
    throw invalidArgument('Merge cannot be performed on master and sub-entities that are identical.');
  const stateOf = (row: Row) => row[entity.byName.get('statecode')!.index];
  if (stateOf(target.row) !== 0)
    throw invalidArgument(`master entity:${entity.logicalName}-${target.id} is deactive`);
  if (stateOf(subordinate.row) !== 0)
    throw invalidArgument(`sub-entity:${entity.logicalName}-${subordinate.id} is deactive`);
  const contentValue = input.get('UpdateContent') as Record<string, unknown> | null | undefined;
  const content: Record<string, unknown> = {};
  if (contentValue) {
    entityOfParameter(state, action, 'UpdateContent', contentValue, [entity.logicalName]);
    for (const [name, value] of Object.entries(contentValue))
      if (name !== '@odata.type' && name !== entity.primaryId) content[name] = value;
  }
  if (input.get('PerformParentingChecks') === true) {
    const parent = entity.byName.get(parentColumn[entity.logicalName]);
    const of = (row: Row) => (parent ? (row[parent.index] ?? null) : null);
    if (of(target.row) !== null && of(subordinate.row) !== null && of(target.row) !== of(subordinate.row))
      throw invalidArgument('Merge warning: sub-entity will be differently parented.');
  }

  const context: WriteContext = {
    state,
    fls: deps.fls,
    caller: request.caller,
    entity,
    table: state.table(entity.logicalName),
  };
  const reparented = state.atomic(() => {
    updateWithValues(context, target.row, blanksFilled(entity, target.row, subordinate.row), content);
    const moved = reparent(deps, request, entity.logicalName, subordinate.id, target.id);
    // A merged lead is closed as Disqualified / Canceled (a Qualified lead would read as converted, B3.4).
    const closed = entity.logicalName === 'lead' ? { statecode: 2, statuscode: 7 } : { statecode: 1 };
    updateWithValues(context, context.table.get(subordinate.id)!, {
      ...closed,
      merged: true,
      masterid: target.id,
    });
    return moved;
  });
  usage.rowsRead += 2;
  usage.rowsWritten += 2 + reparented;
  return emptyResponse(204);
}

/** The subordinate's values for the target's empty columns (lookups bring their target-type column). */
function blanksFilled(entity: EntityDefinition, target: Row, subordinate: Row): Record<string, Value> {
  const keyColumns = new Set(entity.keys.flatMap((k) => k.attributes));
  const values: Record<string, Value> = {};
  const empty = (value: Value) => value === null || value === undefined || value === '';
  for (const attribute of entity.attributes) {
    if (!copyable(entity, attribute) || keyColumns.has(attribute.logicalName)) continue;
    const value = subordinate[attribute.index];
    if (!empty(target[attribute.index]) || empty(value)) continue;
    values[attribute.logicalName] = value;
    const typeColumn = lookupTypeColumn(entity, attribute);
    if (typeColumn !== undefined)
      values[entity.attributes.find((a) => a.index === typeColumn)!.logicalName] = subordinate[typeColumn];
  }
  return values;
}

function copyable(entity: EntityDefinition, attribute: AttributeDefinition): boolean {
  return (
    isProperty(attribute) &&
    attribute.validForUpdate &&
    attribute.logicalName !== entity.primaryId &&
    !notCopied.has(attribute.logicalName)
  );
}

/** Points every lookup that refers to the subordinate at the target instead; returns how many rows changed. */
function reparent(
  deps: ActionDeps,
  request: EmulatorRequest,
  entityName: string,
  from: string,
  to: string,
): number {
  const { state } = deps;
  let count = 0;
  for (const table of state.tables.values()) {
    const entity = table.entity;
    const lookups = entity.attributes.filter(
      (a) => isLookup(a) && !notReparented.has(a.logicalName) && (a.targets ?? []).includes(entityName),
    );
    if (lookups.length === 0) continue;
    const pointing = (row: Row, attribute: AttributeDefinition) => {
      const typeColumn = lookupTypeColumn(entity, attribute);
      return row[attribute.index] === from && (typeColumn === undefined || row[typeColumn] === entityName);
    };
    const changes: { id: string; values: Record<string, Value> }[] = [];
    for (const [id, row] of table.rows) {
      // The subordinate keeps its own links; the target must not become its own parent.
      if (entity.logicalName === entityName && (id === from || id === to)) continue;
      const values: Record<string, Value> = {};
      for (const attribute of lookups) if (pointing(row, attribute)) values[attribute.logicalName] = to;
      if (Object.keys(values).length > 0) changes.push({ id, values });
    }
    const context: WriteContext = { state, fls: deps.fls, caller: request.caller, entity, table };
    for (const { id, values } of changes) updateWithValues(context, table.get(id)!, values);
    count += changes.length;
  }
  return count;
}
