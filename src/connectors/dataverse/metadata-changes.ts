import { CrmError } from '../crm-error.ts';
import type { DataverseHttp } from './dataverse-http.ts';
import { getJson } from './metadata-reader.ts';

/**
 * `RetrieveMetadataChanges` as Microsoft's "Cache schema data" page describes it: one query over the synced
 * entities and the attribute properties the connector caches; the first call (no stamp) answers everything and a
 * `ServerVersionStamp`; later calls send that stamp as `ClientVersionStamp` (with `DeletedMetadataFilters`
 * `Attribute`) and get back only the entities with changed or added attributes, changed option sets and the
 * MetadataIds of deleted attributes. Nothing changed → one small answer with no entities. An expired stamp
 * (`0x80044352`) surfaces as an `expired-cursor` CrmError: the caller starts over without a stamp.
 */

type Json = Record<string, unknown>;

/** What the connector reads through `EntityDefinitions` (metadata-reader.ts) and so must notice changing. */
const entityProperties = [
  'Attributes',
  'SchemaName',
  'EntitySetName',
  'PrimaryIdAttribute',
  'PrimaryNameAttribute',
  'ChangeTrackingEnabled',
  'IsOptimisticConcurrencyEnabled',
];
const attributeProperties = [
  'SchemaName',
  'AttributeType',
  'AttributeTypeName',
  'AttributeOf',
  'IsValidForRead',
  'IsValidForCreate',
  'IsValidForUpdate',
  'IsSecured',
  'IsCustomAttribute',
  'RequiredLevel',
  'MaxLength',
  'Format',
  'DateTimeBehavior',
  'Targets',
  'OptionSet',
];

export interface MetadataChangesAnswer {
  readonly stamp: string;
  /** Logical names of the entities the answer lists (all of them without a stamp; the changed ones with). */
  readonly entities: readonly string[];
  /** MetadataIds of attributes deleted since the stamp (any entity's: Dataverse does not filter them). */
  readonly deletedAttributeIds: readonly string[];
}

/** The `EntityQueryExpression` for the entities (Microsoft's documented `Or` of `LogicalName Equals`). */
export function metadataQuery(entities: readonly string[]): Json {
  return {
    Criteria: {
      FilterOperator: 'Or',
      Conditions: entities.map((name) => ({
        ConditionOperator: 'Equals',
        PropertyName: 'LogicalName',
        Value: { Type: 'System.String', Value: name },
      })),
    },
    Properties: { AllProperties: false, PropertyNames: entityProperties },
    AttributeQuery: { Properties: { AllProperties: false, PropertyNames: attributeProperties } },
  };
}

/** One `RetrieveMetadataChanges` call, shaped like the WebAPIService sample's request. */
export async function fetchMetadataChanges(
  http: DataverseHttp,
  entities: readonly string[],
  stamp: string | undefined,
): Promise<MetadataChangesAnswer> {
  const parameters = ['Query=@p1'];
  const values = [`@p1=${encodeURIComponent(JSON.stringify(metadataQuery(entities)))}`];
  if (stamp !== undefined) {
    parameters.push('DeletedMetadataFilters=@p2', 'ClientVersionStamp=@p3');
    values.push(
      `@p2=${encodeURIComponent("Microsoft.Dynamics.CRM.DeletedMetadataFilters'Attribute'")}`,
      `@p3=${encodeURIComponent(`'${stamp.replace(/'/g, "''")}'`)}`,
    );
  }
  const body = await getJson<{
    ServerVersionStamp?: unknown;
    EntityMetadata?: Json[];
    DeletedMetadata?: { Keys?: unknown[]; Values?: { Items?: unknown[] }[] } | null;
  }>(http, `RetrieveMetadataChanges(${parameters.join(',')})?${values.join('&')}`);
  if (typeof body.ServerVersionStamp !== 'string' || body.ServerVersionStamp === '') {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      'RetrieveMetadataChanges answered without a ServerVersionStamp.',
    );
  }
  const deleted = body.DeletedMetadata;
  const at = deleted?.Keys?.indexOf('Attribute') ?? -1;
  return {
    stamp: body.ServerVersionStamp,
    entities: (body.EntityMetadata ?? []).map((entity) => String(entity.LogicalName).toLowerCase()),
    deletedAttributeIds:
      at < 0 ? [] : (deleted?.Values?.[at]?.Items ?? []).map((id) => String(id).toLowerCase()),
  };
}
