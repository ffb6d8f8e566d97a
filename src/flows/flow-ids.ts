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
