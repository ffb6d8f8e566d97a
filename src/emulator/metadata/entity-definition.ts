import {
  dateTime,
  entityName,
  lookup,
  type AttributeDefinition,
  type AttributeSpec,
  type OptionDefinition,
  versionNumber,
} from './attribute-definition.ts';
import { metadataId } from './metadata-id.ts';

export type OwnershipType = 'UserOwned' | 'BusinessOwned' | 'OrganizationOwned' | 'None';

export interface AlternateKeyDefinition {
  readonly logicalName: string;
  readonly displayName: string;
  readonly attributes: readonly string[];
  readonly metadataId: string;
}

export interface EntityDefinition {
  readonly logicalName: string;
  readonly schemaName: string;
  readonly entitySetName: string;
  readonly displayName: string;
  readonly displayCollectionName: string;
  readonly primaryId: string;
  readonly primaryName: string;
  readonly objectTypeCode: number;
  readonly ownership: OwnershipType;
  /** Mutable: the control API switches it (`PUT /_emulator/change-tracking`); a reset restores it. */
  changeTracking: boolean;
  readonly optimisticConcurrency: boolean;
  readonly custom: boolean;
  readonly metadataId: string;
  readonly keys: readonly AlternateKeyDefinition[];
  /**
   * The live attributes. Grows when custom attributes are created through the metadata API and shrinks when
   * they are deleted; an attribute's storage `index` is never reused (see `columnCount`).
   */
  readonly attributes: AttributeDefinition[];
  readonly byName: Map<string, AttributeDefinition>;
  /** Single-valued navigation property → the lookup attribute and the target entity it binds. */
  readonly navigation: Map<string, { attribute: AttributeDefinition; target: string }>;
  /** Computed name columns (fullname = firstname + lastname). */
  readonly computedName?: { readonly from: readonly string[] };
  /**
   * Storage slots handed out so far: the next attribute's `index`. Deleting an attribute leaves its slot
   * unused, so rows stored before keep their layout and a re-created attribute of the same name starts empty.
   */
  columnCount: number;
}

export interface EntitySpec {
  readonly logicalName: string;
  readonly schemaName?: string;
  readonly entitySetName: string;
  readonly displayName: string;
  readonly displayCollectionName: string;
  readonly primaryId: string;
  readonly primaryName: string;
  readonly objectTypeCode: number;
  readonly ownership: OwnershipType;
  readonly changeTracking?: boolean;
  readonly states?: readonly OptionDefinition[];
  readonly statuses?: readonly OptionDefinition[];
  readonly attributes: readonly AttributeSpec[];
  readonly keys?: readonly { logicalName: string; displayName: string; attributes: readonly string[] }[];
  readonly computedName?: { readonly from: readonly string[] };
}

/**
 * Builds an entity from its spec, adding the columns every Dataverse table has (primary key, created/modified
 * on/by, versionnumber, owner and state/status where the table has them) so definition files list only what
 * is specific to them.
 */
export function defineEntity(spec: EntitySpec): EntityDefinition {
  const specs: AttributeSpec[] = [
    {
      logicalName: spec.primaryId,
      displayName: spec.displayName,
      type: 'Uniqueidentifier',
      required: 'SystemRequired',
      validForCreate: true,
      validForUpdate: false,
      validForRead: true,
      secured: false,
      custom: false,
    },
    ...spec.attributes,
    dateTime('createdon', 'Created On', { validForCreate: false, validForUpdate: false }),
    dateTime('modifiedon', 'Modified On', { validForCreate: false, validForUpdate: false }),
    lookup('createdby', 'Created By', 'systemuser', { validForCreate: false, validForUpdate: false }),
    lookup('modifiedby', 'Modified By', 'systemuser', { validForCreate: false, validForUpdate: false }),
    versionNumber(),
  ];
  if (spec.ownership === 'UserOwned') {
    specs.push(
      {
        logicalName: 'ownerid',
        displayName: 'Owner',
        type: 'Owner',
        required: 'SystemRequired',
        validForCreate: true,
        validForUpdate: true,
        validForRead: true,
        secured: false,
        custom: false,
        targets: ['systemuser', 'team'],
        navigation: { systemuser: 'ownerid', team: 'ownerid' },
      },
      entityName('owneridtype', 'ownerid'),
      lookup('owningbusinessunit', 'Owning Business Unit', 'businessunit', {
        validForCreate: false,
        validForUpdate: false,
      }),
    );
  }
  if (spec.states && spec.statuses) {
    specs.push(
      {
        logicalName: 'statecode',
        displayName: 'Status',
        type: 'State',
        required: 'SystemRequired',
        validForCreate: false,
        validForUpdate: true,
        validForRead: true,
        secured: false,
        custom: false,
        options: spec.states,
        defaultValue: 0,
      },
      {
        logicalName: 'statuscode',
        displayName: 'Status Reason',
        type: 'Status',
        required: 'None',
        validForCreate: true,
        validForUpdate: true,
        validForRead: true,
        secured: false,
        custom: false,
        options: spec.statuses,
      },
    );
  }
  // Polymorphic lookups store their target table in a companion EntityName column.
  for (const s of [...specs]) {
    if ((s.type === 'Customer' || s.type === 'Lookup') && (s.targets?.length ?? 0) > 1) {
      specs.push(entityName(s.typeColumn ?? `${s.logicalName}type`, s.logicalName));
    }
  }
  const custom = spec.logicalName.startsWith('new_');
  const entity: EntityDefinition = {
    logicalName: spec.logicalName,
    schemaName: spec.schemaName ?? schemaNameOf(spec.logicalName),
    entitySetName: spec.entitySetName,
    displayName: spec.displayName,
    displayCollectionName: spec.displayCollectionName,
    primaryId: spec.primaryId,
    primaryName: spec.primaryName,
    objectTypeCode: spec.objectTypeCode,
    ownership: spec.ownership,
    changeTracking: spec.changeTracking ?? true,
    optimisticConcurrency: true,
    custom,
    metadataId: metadataId('entity', spec.logicalName),
    keys: (spec.keys ?? []).map((key) => ({
      ...key,
      metadataId: metadataId('key', spec.logicalName, key.logicalName),
    })),
    attributes: [],
    byName: new Map(),
    navigation: new Map(),
    columnCount: 0,
    ...(spec.computedName ? { computedName: spec.computedName } : {}),
  };
  for (const s of specs) addAttribute(entity, s);
  return entity;
}

/**
 * Appends an attribute (definition time, or a custom attribute created through the metadata API, which may
 * bring its own MetadataId).
 */
export function addAttribute(
  entity: EntityDefinition,
  spec: AttributeSpec,
  id = metadataId('attribute', entity.logicalName, spec.logicalName),
): AttributeDefinition {
  const attribute: AttributeDefinition = {
    ...spec,
    schemaName: spec.schemaName ?? schemaNameOf(spec.logicalName),
    metadataId: id,
    index: entity.columnCount,
  };
  entity.columnCount += 1;
  entity.attributes.push(attribute);
  entity.byName.set(attribute.logicalName, attribute);
  for (const [target, nav] of Object.entries(attribute.navigation ?? {})) {
    entity.navigation.set(nav, { attribute, target });
  }
  return attribute;
}

/** Removes an attribute (metadata API delete); its storage slot is not reused. */
export function removeAttribute(entity: EntityDefinition, attribute: AttributeDefinition): void {
  const at = entity.attributes.indexOf(attribute);
  if (at >= 0) entity.attributes.splice(at, 1);
  entity.byName.delete(attribute.logicalName);
  for (const [nav, target] of [...entity.navigation]) {
    if (target.attribute === attribute) entity.navigation.delete(nav);
  }
}

/** Dataverse schema names are PascalCase-ish; `new_contactid` → `new_ContactId` matters for custom lookups. */
function schemaNameOf(logicalName: string): string {
  const [prefix, rest] =
    logicalName.includes('_') && logicalName.startsWith('new_')
      ? ['new_', logicalName.slice(4)]
      : ['', logicalName];
  return prefix + rest.charAt(0).toUpperCase() + rest.slice(1);
}
