import type { Static } from 'typebox';
import type { Activity, ActivityList } from '../../../src/api/contracts/activity.ts';
import type { CrmRow, CrmRowList } from '../../../src/api/contracts/crm-row.ts';
import type { ErrorBody } from '../../../src/api/contracts/error-body.ts';
import type { Person, PersonList } from '../../../src/api/contracts/person.ts';
import type { PersonField } from '../../../src/api/contracts/person-field.ts';
import type { SyncConflict, SyncConflictList } from '../../../src/api/contracts/sync-conflict.ts';
import type { SyncError, SyncErrorList } from '../../../src/api/contracts/sync-error.ts';
import type { SyncField, SyncFieldSelection } from '../../../src/api/contracts/sync-field.ts';
import type { SyncNotification, SyncNotificationList } from '../../../src/api/contracts/sync-notification.ts';
import type { SyncPass, SyncPassList } from '../../../src/api/contracts/sync-pass.ts';
import type { ResyncResult } from '../../../src/api/contracts/sync-resync.ts';
import type { SyncEntityStatus, SyncStatus } from '../../../src/api/contracts/sync-status.ts';

/**
 * The API's shapes as the console sees them: derived from the server's TypeBox contracts (type-only imports,
 * so nothing of the server reaches the bundle) and never restated here, so a contract change breaks the
 * console's type check instead of the console.
 */
export type { Activity, ActivityList, CrmRow, CrmRowList, ErrorBody, Person, PersonField, PersonList };
export type { SyncFieldSelection, SyncPassList, SyncStatus };
export type SyncEntityStatusView = Static<typeof SyncEntityStatus>;
export type SyncConflictView = Static<typeof SyncConflict>;
export type SyncConflictPage = Static<typeof SyncConflictList>;
export type SyncErrorView = Static<typeof SyncError>;
export type SyncErrorPage = Static<typeof SyncErrorList>;
export type SyncFieldView = Static<typeof SyncField>;
export type SyncNotificationView = Static<typeof SyncNotification>;
export type SyncNotificationPage = Static<typeof SyncNotificationList>;
export type SyncPassView = Static<typeof SyncPass>;
export type ResyncResultView = Static<typeof ResyncResult>;
