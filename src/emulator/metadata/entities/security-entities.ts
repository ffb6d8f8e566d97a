import { lookup, memo, picklist, text, type AttributeSpec } from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';

/** Field-level security tables (reference §8). Readable by administrators only. */

const permission = [
  [0, 'Not Allowed'],
  [4, 'Allowed'],
] as const;

export const fieldsecurityprofile = () =>
  defineEntity({
    logicalName: 'fieldsecurityprofile',
    schemaName: 'FieldSecurityProfile',
    entitySetName: 'fieldsecurityprofiles',
    displayName: 'Field Security Profile',
    displayCollectionName: 'Field Security Profiles',
    primaryId: 'fieldsecurityprofileid',
    primaryName: 'name',
    objectTypeCode: 1200,
    ownership: 'OrganizationOwned',
    attributes: [
      text('name', 'Name', 100, { required: 'SystemRequired' }),
      memo('description', 'Description', 2000),
    ],
  });

export const fieldpermission = () =>
  defineEntity({
    logicalName: 'fieldpermission',
    schemaName: 'FieldPermission',
    entitySetName: 'fieldpermissions',
    displayName: 'Field Permission',
    displayCollectionName: 'Field Permissions',
    primaryId: 'fieldpermissionid',
    primaryName: 'attributelogicalname',
    objectTypeCode: 1201,
    ownership: 'OrganizationOwned',
    attributes: [
      text('entityname', 'Entity Name', 128, { required: 'SystemRequired' }),
      text('attributelogicalname', 'Attribute Logical Name', 128, { required: 'SystemRequired' }),
      picklist('canread', 'Can Read', permission, {
        defaultValue: 0,
        optionSetName: 'field_security_permission_type',
      }),
      picklist('cancreate', 'Can Create', permission, {
        defaultValue: 0,
        optionSetName: 'field_security_permission_type',
      }),
      picklist('canupdate', 'Can Update', permission, {
        defaultValue: 0,
        optionSetName: 'field_security_permission_type',
      }),
      picklist(
        'canreadunmasked',
        'Can Read Unmasked',
        [
          [0, 'Not Allowed'],
          [1, 'One Record'],
          [3, 'All Records'],
        ],
        { defaultValue: 0, optionSetName: 'field_security_permission_readunmasked' },
      ),
      lookup('fieldsecurityprofileid', 'Field Security Profile', 'fieldsecurityprofile', {
        required: 'SystemRequired',
      }),
    ],
  });

const guidColumn = (logicalName: string, displayName: string): AttributeSpec => ({
  logicalName,
  displayName,
  type: 'Uniqueidentifier',
  required: 'SystemRequired',
  validForCreate: false,
  validForUpdate: false,
  validForRead: true,
  secured: false,
  custom: false,
});

/** The N:N intersect table behind `systemuserprofiles_association`; written only by associate/disassociate. */
export const systemuserprofiles = () =>
  defineEntity({
    logicalName: 'systemuserprofiles',
    schemaName: 'SystemUserProfiles',
    entitySetName: 'systemuserprofilescollection',
    displayName: 'System User Profiles',
    displayCollectionName: 'System User Profiles',
    primaryId: 'systemuserprofileid',
    primaryName: 'systemuserprofileid',
    objectTypeCode: 1202,
    ownership: 'None',
    changeTracking: false,
    attributes: [guidColumn('systemuserid', 'System User'), guidColumn('fieldsecurityprofileid', 'Profile')],
  });
