import {
  bool,
  decimal,
  lookup,
  memo,
  picklist,
  systemReadOnly,
  text,
  type AttributeSpec,
} from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';

/** Users, teams, business units and currencies: the identities and references every record points at. */

export const systemuser = () =>
  defineEntity({
    logicalName: 'systemuser',
    schemaName: 'SystemUser',
    entitySetName: 'systemusers',
    displayName: 'User',
    displayCollectionName: 'Users',
    primaryId: 'systemuserid',
    primaryName: 'fullname',
    objectTypeCode: 8,
    ownership: 'BusinessOwned',
    computedName: { from: ['firstname', 'lastname'] },
    attributes: [
      text('firstname', 'First Name', 64),
      text('lastname', 'Last Name', 64),
      text('fullname', 'Full Name', 200, systemReadOnly),
      text('internalemailaddress', 'Primary Email', 100, { format: 'Email' }),
      text('domainname', 'User Name', 1024),
      text('title', 'Title', 128),
      {
        logicalName: 'applicationid',
        displayName: 'Application ID',
        type: 'Uniqueidentifier',
        required: 'None',
        validForCreate: true,
        validForUpdate: true,
        validForRead: true,
        secured: false,
        custom: false,
      } satisfies AttributeSpec,
      bool('isdisabled', 'Status', { true: 'Disabled', false: 'Enabled' }),
      picklist('accessmode', 'Access Mode', [
        [0, 'Read-Write'],
        [1, 'Administrative'],
        [2, 'Read'],
        [3, 'Support User'],
        [4, 'Non-interactive'],
        [5, 'Delegated Admin'],
      ]),
      lookup('businessunitid', 'Business Unit', 'businessunit'),
    ],
  });

export const team = () =>
  defineEntity({
    logicalName: 'team',
    entitySetName: 'teams',
    displayName: 'Team',
    displayCollectionName: 'Teams',
    primaryId: 'teamid',
    primaryName: 'name',
    objectTypeCode: 9,
    ownership: 'BusinessOwned',
    attributes: [
      text('name', 'Team Name', 160, { required: 'SystemRequired' }),
      picklist(
        'teamtype',
        'Team Type',
        [
          [0, 'Owner'],
          [1, 'Access'],
          [2, 'Security Group'],
          [3, 'Office Group'],
        ],
        { defaultValue: 0 },
      ),
      text('emailaddress', 'Email', 100, { format: 'Email' }),
      memo('description', 'Description', 2000),
      lookup('businessunitid', 'Business Unit', 'businessunit'),
      lookup('administratorid', 'Administrator', 'systemuser'),
    ],
  });

export const businessunit = () =>
  defineEntity({
    logicalName: 'businessunit',
    schemaName: 'BusinessUnit',
    entitySetName: 'businessunits',
    displayName: 'Business Unit',
    displayCollectionName: 'Business Units',
    primaryId: 'businessunitid',
    primaryName: 'name',
    objectTypeCode: 10,
    ownership: 'BusinessOwned',
    attributes: [text('name', 'Name', 160, { required: 'SystemRequired' })],
  });

export const transactioncurrency = () =>
  defineEntity({
    logicalName: 'transactioncurrency',
    schemaName: 'TransactionCurrency',
    entitySetName: 'transactioncurrencies',
    displayName: 'Currency',
    displayCollectionName: 'Currencies',
    primaryId: 'transactioncurrencyid',
    primaryName: 'currencyname',
    objectTypeCode: 9105,
    ownership: 'OrganizationOwned',
    attributes: [
      text('currencyname', 'Currency Name', 100, { required: 'SystemRequired' }),
      text('isocurrencycode', 'Currency Code', 5, { required: 'SystemRequired' }),
      text('currencysymbol', 'Currency Symbol', 13),
      decimal('exchangerate', 'Exchange Rate', 10),
    ],
  });
