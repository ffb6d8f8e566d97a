import { createFromValues } from '../records/record-writer.ts';
import type { FieldSecurity } from '../security/field-security.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Value } from '../state/row.ts';
import type { DeliveryOutcome } from './webhook-types.ts';

/** asyncoperation state and status reasons ("System Job (AsyncOperation) table/entity reference"). */
const completed = 3;
const succeeded = 30;
const failed = 31;
const systemEvent = 1;

/**
 * Records an asynchronous step's delivery as a System Job, as "Register a WebHook" describes: "When you use
 * asynchronous execution mode a System Job (asyncoperation) will be created to capture the success or failure
 * of the operation", failed ones with status reason 31 and `owningextensionid` = the step; a success is not
 * kept when the step has `asyncautodelete`. Synchronous steps have no system job (their error goes to the
 * caller in Dataverse; the emulator only logs it). Not documented, so the emulator's choice: the job is named
 * after the step, is owned by the user whose change fired it, regards the changed record, and carries the
 * failure reason in `message` and `friendlymessage` with no `errorcode`.
 */
export async function recordSystemJob(
  state: EmulatorState,
  fls: FieldSecurity,
  outcome: DeliveryOutcome,
): Promise<void> {
  const { step, event, error } = outcome;
  if (step.mode !== 1 || (error === undefined && step.asyncAutoDelete === true)) return;
  const entity = state.catalog.entity('asyncoperation');
  if (entity === undefined) return;
  const regarding = entity.byName.get('regardingobjectid')?.targets?.includes(event.entity) ?? false;
  const second = (ms: number) => ms - (ms % 1000);
  const values: Record<string, Value> = {
    name: step.name ?? 'Webhook',
    operationtype: systemEvent,
    owningextensionid: step.id,
    regardingobjectid: regarding ? event.id : null,
    regardingobjecttypecode: regarding ? event.entity : null,
    primaryentitytype: event.entity,
    messagename: event.message,
    message: error ?? null,
    friendlymessage: error ?? null,
    depth: 1,
    correlationid: outcome.correlationId,
    startedon: second(outcome.startedAt),
    completedon: second(outcome.completedAt),
    statecode: completed,
    statuscode: error === undefined ? succeeded : failed,
  };
  // A transaction waits until no $batch changeset is open, so the job is never undone by someone's rollback.
  await state.transaction(async () => {
    createFromValues(
      {
        state,
        fls,
        caller: { userId: event.userId, isAdmin: false },
        entity,
        table: state.table('asyncoperation'),
      },
      values,
    );
  });
}
