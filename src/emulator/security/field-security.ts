import { DataverseError, dataverseCodes } from '../http/dataverse-error.ts';
import type { Caller } from '../http/emulator-request.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import type { EmulatorState } from '../state/emulator-state.ts';

/** 0 = Not Allowed, 4 = Allowed (`field_security_permission_type`, reference §8). */
export interface FieldPermission {
  readonly canRead: number;
  readonly canCreate: number;
  readonly canUpdate: number;
}

const allowed = 4;
const everything: FieldPermission = { canRead: allowed, canCreate: allowed, canUpdate: allowed };
const nothing: FieldPermission = { canRead: 0, canCreate: 0, canUpdate: 0 };

/** Tables only administrators may read or write (reading fieldpermissions needs prvReadFieldPermission). */
const adminOnlyTables = new Set(['fieldsecurityprofile', 'fieldpermission', 'systemuserprofiles']);

/**
 * Field-level security computed from the `fieldpermissions` rows of the profiles a user is associated with
 * (`systemuserprofiles`). System administrators see everything. Results are cached per user until one of
 * the security tables changes.
 */
export class FieldSecurity {
  private readonly state: EmulatorState;
  private cache = new Map<string, Map<string, FieldPermission>>();
  private signature = '';

  constructor(state: EmulatorState) {
    this.state = state;
  }

  /** Permission of a user on one secured attribute (non-secured attributes are always fully allowed). */
  permission(
    userId: string,
    isAdmin: boolean,
    entity: string,
    attribute: AttributeDefinition,
  ): FieldPermission {
    if (!attribute.secured || isAdmin) return everything;
    return this.forUser(userId).get(`${entity}.${attribute.logicalName}`) ?? nothing;
  }

  /**
   * Storage positions of the columns this caller cannot read (they are served as null): write-only columns
   * (IsValidForRead false, such as serviceendpoint.authvalue) for everyone, and secured columns without read
   * permission.
   */
  unreadable(caller: Caller, entity: EntityDefinition): Set<number> {
    const hidden = new Set<number>();
    for (const attribute of entity.attributes) if (!attribute.validForRead) hidden.add(attribute.index);
    if (caller.isAdmin) return hidden;
    for (const attribute of entity.attributes) {
      if (
        attribute.secured &&
        this.permission(caller.userId, false, entity.logicalName, attribute).canRead !== allowed
      ) {
        hidden.add(attribute.index);
      }
    }
    return hidden;
  }

  /** Throws 403 `0x8004f507` when the caller may not write this secured attribute (reference §8). */
  assertWritable(
    caller: Caller,
    entity: EntityDefinition,
    attribute: AttributeDefinition,
    mode: 'create' | 'update',
  ): void {
    const permission = this.permission(caller.userId, caller.isAdmin, entity.logicalName, attribute);
    if ((mode === 'create' ? permission.canCreate : permission.canUpdate) === allowed) return;
    throw new DataverseError(
      403,
      dataverseCodes.securedFieldUpdate,
      `Caller user with Id ${caller.userId} does not have ${mode} permissions to a ${attribute.displayName} ` +
        `secured field on entity ${entity.displayName}. The requested operation could not be completed.`,
    );
  }

  /** Every secured attribute with the user's permission on it (RetrievePrincipalAttributePrivileges). */
  attributePrivileges(
    userId: string,
    isAdmin: boolean,
  ): { attribute: AttributeDefinition; permission: FieldPermission }[] {
    const result: { attribute: AttributeDefinition; permission: FieldPermission }[] = [];
    for (const entity of this.state.catalog.entities.values()) {
      for (const attribute of entity.attributes) {
        if (attribute.secured)
          result.push({
            attribute,
            permission: this.permission(userId, isAdmin, entity.logicalName, attribute),
          });
      }
    }
    return result;
  }

  private forUser(userId: string): Map<string, FieldPermission> {
    const signature = this.currentSignature();
    if (signature !== this.signature) {
      this.cache = new Map();
      this.signature = signature;
    }
    let permissions = this.cache.get(userId);
    if (!permissions) {
      permissions = this.compute(userId);
      this.cache.set(userId, permissions);
    }
    return permissions;
  }

  private compute(userId: string): Map<string, FieldPermission> {
    const memberships = this.state.table('systemuserprofiles');
    const m = memberships.entity.byName;
    const profiles = new Set<string>();
    for (const row of memberships.rows.values()) {
      if (row[m.get('systemuserid')!.index] === userId)
        profiles.add(row[m.get('fieldsecurityprofileid')!.index] as string);
    }
    const permissions = new Map<string, FieldPermission>();
    const table = this.state.table('fieldpermission');
    const p = table.entity.byName;
    const at = (name: string) => p.get(name)!.index;
    for (const row of table.rows.values()) {
      if (!profiles.has(row[at('fieldsecurityprofileid')] as string)) continue;
      const key = `${String(row[at('entityname')])}.${String(row[at('attributelogicalname')])}`;
      const before = permissions.get(key) ?? nothing;
      // A user in several profiles gets the most permissive grant of each kind.
      permissions.set(key, {
        canRead: Math.max(before.canRead, Number(row[at('canread')] ?? 0)),
        canCreate: Math.max(before.canCreate, Number(row[at('cancreate')] ?? 0)),
        canUpdate: Math.max(before.canUpdate, Number(row[at('canupdate')] ?? 0)),
      });
    }
    return permissions;
  }

  private currentSignature(): string {
    return ['fieldpermission', 'systemuserprofiles']
      .map((name) => {
        const table = this.state.table(name);
        return `${table.size}:${table.byVersion.maxKey() ?? 0}:${table.tombstones.length}`;
      })
      .join('|');
  }
}

/** Throws the documented privilege error when a non-administrator touches an administrator-only table. */
export function assertTablePrivilege(
  caller: Caller,
  entity: EntityDefinition,
  access: 'Read' | 'Write' | 'Create' | 'Delete',
): void {
  if (caller.isAdmin || !adminOnlyTables.has(entity.logicalName)) return;
  const privilege = `prv${access}${entity.schemaName}`;
  throw new DataverseError(
    403,
    dataverseCodes.privilegeDenied,
    `Principal user (Id=${caller.userId}, type=8, roleCount=1, privilegeCount=412, accessMode=4), is missing ` +
      `${privilege} privilege (Id=${entity.metadataId}) on OTC=${entity.objectTypeCode} for entity ` +
      `'${entity.logicalName}' (LocalizedName='${entity.displayName}'). context.Caller=${caller.userId}`,
  );
}
