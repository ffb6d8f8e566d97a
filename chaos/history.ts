import type { PersonEntity } from './crm-admin.ts';

export type Side = 'marketing' | 'crm';
export type FieldValue = string | number | boolean | null;

/**
 * Whose field a write changed. A person the harness knows by id, or a CRM record whose person the sync is to
 * create (resolved when the checks run).
 */
export type Subject =
  | { readonly kind: 'person'; readonly personId: string }
  | { readonly kind: 'record'; readonly entity: PersonEntity; readonly crmId: string };

/** One acknowledged write of the harness (a person in marketing through the API, or the CRM admin). */
export interface AcknowledgedWrite {
  readonly side: Side;
  readonly subject: Subject;
  /** The person field (interfaces.md §6); for a CRM write, the attribute it maps to was written. */
  readonly field: string;
  /** Every value the harness writes is unique in the run, so a value seen anywhere names its write. */
  readonly value: FieldValue;
  readonly sentAt: number;
  /** When the answer came (for a dropped CRM write: when the connection dropped; it committed). */
  readonly acknowledgedAt: number;
  readonly dropped: boolean;
  /**
   * The value the writer saw on its own side right before writing: a CRM write is made with `If-Match` on
   * the read, so for it this is exact; a marketing write reads the person first (a pass could apply in the
   * few milliseconds between, which the oracle allows for). `undefined` for creates.
   */
  readonly saw: FieldValue | undefined;
}

/** CRM lifecycle operations and flow actions, for the duplicate and delete checks. */
export type LifecycleEvent =
  | {
      readonly kind: 'crm-created';
      readonly entity: PersonEntity;
      readonly crmId: string;
      readonly email: string;
    }
  | {
      readonly kind: 'qualified';
      readonly leadId: string;
      readonly personId: string | undefined;
      /** Created and qualified by the admin right away, between two passes. */
      readonly atOnce: boolean;
    }
  | {
      readonly kind: 'merged';
      readonly masterId: string;
      readonly subordinateId: string;
      readonly masterPersonId: string | undefined;
    }
  | {
      readonly kind: 'crm-deleted';
      readonly entity: PersonEntity;
      readonly crmId: string;
      readonly personId: string | undefined;
    }
  | { readonly kind: 'marketing-created'; readonly personId: string; readonly email: string }
  | {
      readonly kind: 'flow-synced';
      readonly personId: string;
      readonly email: string;
      readonly syncAs: PersonEntity;
      /** What each call answered (status and body), in order. */
      readonly answers: readonly string[];
    };

/** A holder of the `sync` lease SIGKILLed, and the replica that took the lease over (issue 15). */
export interface Takeover {
  readonly killed: string;
  readonly killedEpoch: number;
  readonly by: string;
  readonly epoch: number;
  /** Epoch ms: right before the SIGKILL; when `GET /api/v1/cluster` answered with the new holder. */
  readonly killedAt: number;
  readonly seenAt: number;
}

/** Counts for the per-seed line. */
export interface RunCounts {
  kills: number;
  /** Kills that hit the holder of the `sync` lease (replicas > 1). */
  holderKills: number;
  secondEngineAttempts: number;
  secondEngineRefused: number;
  secondEngineRan: number;
  faultSettings: number;
  limitSettings: number;
  tokenExpiries: number;
  marketingWrites: number;
  crmWrites: number;
}

/** Everything the harness did and was told, in order: the input of the checks. */
export class History {
  readonly writes: AcknowledgedWrite[] = [];
  readonly events: LifecycleEvent[] = [];
  /** Things that went wrong in a step but are not violations by themselves (printed with --verbose). */
  readonly notes: string[] = [];
  /** Subjects whose fields a lifecycle operation rewrote (qualify, merge, delete): no field expectations. */
  readonly retired = new Set<string>();
  readonly takeovers: Takeover[] = [];
  /** When a Syncline process was SIGKILLed (epoch ms): it lost every answer it had not recorded yet. */
  readonly killedAt: number[] = [];
  readonly counts: RunCounts = {
    kills: 0,
    holderKills: 0,
    secondEngineAttempts: 0,
    secondEngineRefused: 0,
    secondEngineRan: 0,
    faultSettings: 0,
    limitSettings: 0,
    tokenExpiries: 0,
    marketingWrites: 0,
    crmWrites: 0,
  };

  record(write: AcknowledgedWrite): void {
    this.writes.push(write);
    if (write.side === 'marketing') this.counts.marketingWrites += 1;
    else this.counts.crmWrites += 1;
  }
}

export function subjectKey(subject: Subject): string {
  return subject.kind === 'person' ? `person:${subject.personId}` : `${subject.entity}:${subject.crmId}`;
}
