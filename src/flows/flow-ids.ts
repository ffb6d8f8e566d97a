import { v5 as uuidv5 } from 'uuid';

/**
 * Fixed namespace of the CRM ids Syncline derives (UUIDv5, RFC 9562 §5.5). Never change it: a lead created by
 * an earlier version must still be found by the same derivation, or a retry would create a second record.
 */
const flowNamespace = '3f0c1d52-8a7e-4c1b-9a55-6e2f0b9d4a17';

/**
 * The id of the lead Sync Person to Microsoft creates for a person (B7.2). Deterministic, so a retried,
 * concurrent or crash-interrupted action sends the same client-chosen id and the CRM answers "already exists"
 * instead of creating a second lead — across processes too, where the in-process lock does not reach.
 */
export function leadIdForPerson(personId: string): string {
  return uuidv5(`lead:${personId.toLowerCase()}`, flowNamespace);
}

/** The id of a task a campaign step creates: one task per (campaign, change, step), however often it reruns. */
export function taskIdForStep(campaignId: string, changeCursor: string, step: number): string {
  return uuidv5(`task:${campaignId}:${changeCursor}:${step}`, flowNamespace);
}

/**
 * The id of a task Create Task in Microsoft makes through the API (B7.6, B7.2): derived from what the request
 * asks for — the person, the record the task regards, subject, description and the due day (UTC) — so a
 * retried call (a lost answer, a client's timeout) sends the same client-chosen id, the CRM answers "already
 * exists" and the call answers the same task instead of creating a second. The same request again on the same
 * day is the same task; a different subject, description or due day is a new one.
 */
export function taskIdForRequest(
  personId: string,
  regarding: { readonly entity: string; readonly crmId: string },
  request: { readonly subject: string; readonly description?: string; readonly dueDay: string },
): string {
  // JSON keeps the parts apart whatever characters the subject or description holds.
  const key = JSON.stringify([
    personId.toLowerCase(),
    regarding.entity,
    regarding.crmId.toLowerCase(),
    request.subject,
    request.description ?? null,
    request.dueDay,
  ]);
  return uuidv5(`task-request:${key}`, flowNamespace);
}
