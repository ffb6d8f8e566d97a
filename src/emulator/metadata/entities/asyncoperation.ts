import {
  dateTime,
  integer,
  lookup,
  memo,
  picklist,
  systemReadOnly,
  text,
  type AttributeSpec,
} from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';

/** Tables a system job's `regardingobjectid` may point at: the emulator's business tables. */
const regardingTargets = ['account', 'contact', 'lead', 'opportunity', 'task', 'new_subscription'];

const createOnly = { validForUpdate: false } as const;

/**
 * System jobs ("System Job (AsyncOperation) table/entity reference", "Asynchronous service"): the emulator
 * writes one per asynchronous webhook step it runs (src/emulator/webhooks/system-jobs.ts), so a failed
 * delivery can be found the way "Register a WebHook" queries it:
 * `asyncoperations?$filter=statuscode eq 31 and _owningextensionid_value eq <step id>`. Only the columns that
 * query and the Asynchronous service article name are modelled.
 */
export const asyncoperation = () =>
  defineEntity({
    logicalName: 'asyncoperation',
    schemaName: 'AsyncOperation',
    entitySetName: 'asyncoperations',
    displayName: 'System Job',
    displayCollectionName: 'System Jobs',
    primaryId: 'asyncoperationid',
    primaryName: 'name',
    objectTypeCode: 4700,
    ownership: 'UserOwned',
    states: [
      { value: 0, label: 'Ready', defaultStatus: 0 },
      { value: 1, label: 'Suspended', defaultStatus: 10 },
      { value: 2, label: 'Locked', defaultStatus: 20 },
      { value: 3, label: 'Completed', defaultStatus: 30 },
    ],
    statuses: [
      { value: 0, label: 'Waiting For Resources', state: 0 },
      { value: 10, label: 'Waiting', state: 1 },
      { value: 20, label: 'In Progress', state: 2 },
      { value: 21, label: 'Pausing', state: 2 },
      { value: 22, label: 'Canceling', state: 2 },
      { value: 30, label: 'Succeeded', state: 3 },
      { value: 31, label: 'Failed', state: 3 },
      { value: 32, label: 'Canceled', state: 3 },
    ],
    attributes: [
      text('name', 'System Job Name', 256, createOnly),
      // The reference lists about a hundred types; the emulator only creates System Event jobs.
      picklist('operationtype', 'System Job Type', [[1, 'System Event']], createOnly),
      lookup('owningextensionid', 'Owning Extension', 'sdkmessageprocessingstep', createOnly),
      {
        ...lookup('regardingobjectid', 'Regarding', regardingTargets[0], createOnly),
        targets: regardingTargets,
        // "With the Web API there is a single-valued navigation property for each table that supports system
        // jobs … `regardingobjectid_<table logical name>`" (Asynchronous service).
        navigation: Object.fromEntries(regardingTargets.map((t) => [t, `regardingobjectid_${t}`])),
        typeColumn: 'regardingobjecttypecode',
      },
      entityNameColumn('primaryentitytype', 'Primary Entity Type'),
      text('messagename', 'Message Name', 160, createOnly),
      memo('message', 'Message', 100000, systemReadOnly),
      memo('friendlymessage', 'Friendly message', 100000, { validForCreate: false }),
      integer('errorcode', 'Error Code', systemReadOnly),
      integer('depth', 'Depth', { ...createOnly, minValue: 0 }),
      integer('retrycount', 'Retry Count', { ...systemReadOnly, minValue: 0 }),
      { ...guid('correlationid', 'Correlation Id'), ...createOnly },
      dateTime('startedon', 'Started On', systemReadOnly),
      dateTime('completedon', 'Completed On', systemReadOnly),
      dateTime('postponeuntil', 'Postpone Until'),
    ],
  });

function entityNameColumn(logicalName: string, displayName: string): AttributeSpec {
  return { ...text(logicalName, displayName, 64, createOnly), type: 'EntityName', format: undefined };
}

function guid(logicalName: string, displayName: string): AttributeSpec {
  return {
    ...text(logicalName, displayName, 36),
    type: 'Uniqueidentifier',
    format: undefined,
    maxLength: undefined,
  };
}
