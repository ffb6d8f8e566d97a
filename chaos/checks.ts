import type { PersonEntity } from './crm-admin.ts';
import { crmValueAsPerson, defaultMapping } from './field-mapping.ts';
import { subjectKey, type AcknowledgedWrite, type FieldValue, type History } from './history.ts';

/** A broken invariant, as a sentence naming the seed, the person or record and the field. */
export interface Violation {
  readonly check:
    | 'duplicates'
    | 'fields'
    | 'history'
    | 'conflicts'
    | 'deletes'
    | 'quiescence'
    | 'processes'
    | 'second-engine'
    | 'takeover'
    | 'api';
  readonly message: string;
  /** The person (and field) it is about, when one: its artifacts are written for it. */
  readonly personId?: string;
  readonly field?: string;
  /** What the oracle concluded went wrong, when it can say (known defects are recognised by it). */
  readonly tag?: ViolationTag;
}

export type ViolationTag =
  /** A marketing write that should have won (by order or by B4.3) is on neither side and logged nowhere. */
  | 'marketing-edit-lost'
  /** A CRM edit made after Syncline's push had landed was overwritten (judged a collision). */
  | 'crm-edit-after-push-overwritten'
  /** One collision logged more than once. */
  | 'conflict-logged-twice'
  /** A lead created and qualified by the admin between two passes. */
  | 'created-and-qualified';

/** The final state both sides are read into once the sync has settled. */
export interface FinalState {
  readonly persons: readonly Record<string, any>[];
  readonly leads: readonly Record<string, any>[];
  readonly contacts: readonly Record<string, any>[];
  readonly conflicts: readonly {
    personId: string;
    field: string;
    marketingValue: FieldValue;
    crmValue: FieldValue;
    winner: 'marketing' | 'crm';
    entity: string;
  }[];
  /**
   * When the emulator dropped the answer to one of Syncline's own writes (drop-after-commit faults on its
   * identity, from `GET /_emulator/stats`), epoch ms. Around such a moment Syncline cannot know whether its
   * push landed before a CRM edit it then reads (issue 13 item 6: "only where the order truly cannot be known
   * does the collision rule pick").
   */
  readonly syncAnswersLostAt: readonly number[];
}

const short = (id: string | undefined | null) => id ?? '∅';

function normalise(value: unknown): unknown {
  if (value === undefined || value === '') return null;
  return value;
}

function same(a: unknown, b: unknown): boolean {
  const x = normalise(a);
  const y = normalise(b);
  if (typeof x === 'number' || typeof y === 'number') return Number(x) === Number(y);
  return x === y;
}

const show = (value: unknown) => JSON.stringify(normalise(value));

/** The checks 1–3 of issue 13 on the settled state; 4 and 5 need the processes and run in the runner. */
export function checkFinalState(seed: number, history: History, state: FinalState): Violation[] {
  const violations: Violation[] = [];
  const add = (
    check: Violation['check'],
    message: string,
    tag?: ViolationTag,
    about: { personId?: string; field?: string } = {},
  ) => violations.push({ check, message: `seed ${seed}: ${message}`, ...(tag ? { tag } : {}), ...about });
  const lead = new Map(state.leads.map((row) => [row.leadid as string, row]));
  const contact = new Map(state.contacts.map((row) => [row.contactid as string, row]));
  const rowOf = (entity: PersonEntity, id: string) => (entity === 'lead' ? lead : contact).get(id);
  const personsBy = (key: 'crmLeadId' | 'crmContactId', id: string) =>
    state.persons.filter((person) => person[key] === id);
  const label = (person: Record<string, any>) => `person ${short(person.id)} (${person.email ?? 'no email'})`;

  // 1. Duplicates: one person per CRM record, one per lead→contact chain, one CRM record per flow action.
  for (const key of ['crmLeadId', 'crmContactId'] as const) {
    const groups = Map.groupBy(
      state.persons.filter((person) => person[key] !== null && person[key] !== undefined),
      (person) => person[key] as string,
    );
    for (const [id, persons] of groups)
      if (persons.length > 1)
        add(
          'duplicates',
          `${persons.length} persons are linked to ${key === 'crmLeadId' ? 'lead' : 'contact'} ${short(id)}: ` +
            persons.map(label).join(', '),
        );
  }
  for (const row of state.contacts) {
    const leadId = row._originatingleadid_value as string | null;
    if (!leadId) continue;
    const chain = new Set(
      [...personsBy('crmContactId', row.contactid), ...personsBy('crmLeadId', leadId)].map(
        (p) => p.id as string,
      ),
    );
    const atOnce = history.events.some((e) => e.kind === 'qualified' && e.leadId === leadId && e.atOnce);
    if (chain.size > 1)
      add(
        'duplicates',
        `lead ${short(leadId)} was qualified into contact ${short(row.contactid)}` +
          `${atOnce ? ' (created and qualified by the CRM admin between two passes)' : ''}, and that chain has ` +
          `${chain.size} persons (${[...chain].map(short).join(', ')}) instead of one (B3.4)`,
        atOnce ? 'created-and-qualified' : undefined,
      );
  }
  for (const event of history.events) {
    if (event.kind === 'merged') {
      const persons = new Set(
        [...personsBy('crmContactId', event.masterId), ...personsBy('crmContactId', event.subordinateId)].map(
          (p) => p.id as string,
        ),
      );
      if (persons.size > 1)
        add(
          'duplicates',
          `contact ${short(event.subordinateId)} was merged into ${short(event.masterId)}, yet ${persons.size} ` +
            `persons remain linked to the two (${[...persons].map(short).join(', ')}) (B3.5)`,
        );
    }
    if (event.kind === 'flow-synced') {
      const leads = state.leads.filter((row) => row.emailaddress1 === event.email).length;
      const contacts = state.contacts.filter((row) => row.emailaddress1 === event.email).length;
      const succeeded = event.answers.some((answer) => answer.startsWith('200'));
      const persons = state.persons.filter((p) => p.email === event.email).length;
      const expected = event.syncAs === 'lead' ? { leads: 1, contacts: 0 } : { leads: 1, contacts: 1 };
      if (leads > expected.leads || contacts > expected.contacts)
        add(
          'duplicates',
          `sync-to-crm (syncAs ${event.syncAs}) of person ${short(event.personId)} created ${leads} lead(s) and ` +
            `${contacts} contact(s) in the CRM, expected at most ${expected.leads} and ${expected.contacts} (B7.2); ` +
            `the calls answered: ${event.answers.join(' | ')}`,
        );
      else if (succeeded && (leads < expected.leads || contacts < expected.contacts))
        add(
          'duplicates',
          `sync-to-crm (syncAs ${event.syncAs}) of person ${short(event.personId)} answered 200 but the CRM ` +
            `holds ${leads} lead(s) and ${contacts} contact(s) with its email`,
        );
      if (persons !== 1)
        add('duplicates', `${persons} persons have the email of flow-synced person ${short(event.personId)}`);
    }
    if (event.kind === 'crm-created') {
      const row = rowOf(event.entity, event.crmId);
      if (row === undefined) continue; // deleted later
      const qualifiedInto = state.contacts.find((c) => c._originatingleadid_value === event.crmId);
      const merged = row.merged === true;
      if (merged) continue;
      const linked = qualifiedInto
        ? personsBy('crmContactId', qualifiedInto.contactid)
        : personsBy(event.entity === 'lead' ? 'crmLeadId' : 'crmContactId', event.crmId);
      if (linked.length === 0)
        add(
          'duplicates',
          `the ${event.entity} ${short(event.crmId)} the CRM admin created (${event.email}) has no person` +
            (qualifiedInto ? ` (it was qualified into contact ${short(qualifiedInto.contactid)})` : ''),
        );
    }
  }

  // 3. CRM deletes flag the person, never delete it (B3.6).
  for (const event of history.events) {
    if (event.kind !== 'crm-deleted') continue;
    const key = event.entity === 'lead' ? 'crmLeadId' : 'crmContactId';
    const linked = personsBy(key, event.crmId);
    if (event.personId !== undefined && !state.persons.some((p) => p.id === event.personId))
      add(
        'deletes',
        `person ${short(event.personId)} is gone after its ${event.entity} ${short(event.crmId)} was deleted in the CRM (B3.6: flag, never delete)`,
      );
    for (const person of linked)
      if (person.crmIsDeleted !== true)
        add(
          'deletes',
          `${label(person)} is not flagged crmIsDeleted after its ${event.entity} ${short(event.crmId)} was deleted in the CRM (B3.6)`,
          undefined,
          { personId: person.id },
        );
  }
  for (const person of state.persons) {
    if (person.crmType !== 'lead' && person.crmType !== 'contact') continue;
    const id = person.crmType === 'lead' ? person.crmLeadId : person.crmContactId;
    const row = rowOf(person.crmType, id);
    if (row === undefined && person.crmIsDeleted !== true)
      add(
        'deletes',
        `${label(person)} is linked to ${person.crmType} ${short(id)}, which no longer exists in the CRM, but is not flagged crmIsDeleted`,
        undefined,
        { personId: person.id },
      );
    if (row !== undefined && person.crmIsDeleted === true)
      add(
        'deletes',
        `${label(person)} is flagged crmIsDeleted though its ${person.crmType} ${short(id)} exists`,
        undefined,
        { personId: person.id },
      );
  }

  // 2a. Every synced field equal on both sides (the default mapping, interfaces.md §6).
  for (const person of state.persons) {
    if ((person.crmType !== 'lead' && person.crmType !== 'contact') || person.crmIsDeleted === true) continue;
    const entity = person.crmType as PersonEntity;
    const id = entity === 'lead' ? person.crmLeadId : person.crmContactId;
    const row = rowOf(entity, id);
    if (row === undefined || row.merged === true || row.new_synctomkto === false) continue;
    for (const mapped of defaultMapping[entity]) {
      const crmValue = crmValueAsPerson(row, mapped);
      if (!same(person[mapped.field], crmValue))
        add(
          'fields',
          `${label(person)}, ${entity} ${short(id)}, field ${mapped.field}: marketing has ` +
            `${show(person[mapped.field])}, the CRM (${mapped.attribute}) has ${show(crmValue)}`,
          undefined,
          { personId: person.id, field: mapped.field },
        );
    }
  }

  // 2b. Each written field holds the value the rules pick from the history (B4.2, B4.3), conflicts logged once.
  const bySubjectField = Map.groupBy(
    history.writes,
    (write) => `${subjectKey(write.subject)}|${write.field}`,
  );
  for (const writes of bySubjectField.values()) {
    const subject = writes[0].subject;
    if (history.retired.has(subjectKey(subject))) continue;
    const person =
      subject.kind === 'person'
        ? state.persons.find((p) => p.id === subject.personId)
        : personsBy(subject.entity === 'lead' ? 'crmLeadId' : 'crmContactId', subject.crmId)[0];
    if (person === undefined) continue; // reported by the duplicate / delete checks
    const field = writes[0].field;
    const entity =
      person.crmType === 'lead' || person.crmType === 'contact'
        ? (person.crmType as PersonEntity)
        : undefined;
    const row =
      entity === undefined
        ? undefined
        : rowOf(entity, entity === 'lead' ? person.crmLeadId : person.crmContactId);
    const mapped = entity === undefined ? undefined : defaultMapping[entity].find((m) => m.field === field);
    const crmValue = row === undefined || mapped === undefined ? undefined : crmValueAsPerson(row, mapped);
    const conflicts = state.conflicts.filter(
      (conflict) =>
        conflict.personId === person.id &&
        conflict.field === field &&
        writes.some((w) => w.value === conflict.marketingValue || w.value === conflict.crmValue),
    );
    // Issue 13 item 6, refinement (a): an answer Syncline lost — dropped by the emulator, or received but not yet
    // recorded when its process was SIGKILLed (recording takes milliseconds, up to a second or two on this loaded
    // machine: a kill counts for the answers of the `killLosesMs` before it) — leaves the order unknowable to it.
    const answerLost = (from: number, to: number) =>
      state.syncAnswersLostAt.some((at) => at >= from && at <= to) ||
      history.killedAt.some((at) => at >= from && at - killLosesMs <= to);
    for (const problem of judge(writes, entity, person[field], crmValue, conflicts, answerLost))
      add(
        problem.check,
        `${label(person)}${entity ? `, ${entity} ${short(row?.[`${entity}id`])}` : ''}, field ${field}: ${problem.text}`,
        problem.tag,
        { personId: person.id, field },
      );
  }
  return violations;
}

/** How far back a SIGKILL of Syncline may have lost answers it had received but not recorded. */
const killLosesMs = 2_000;

interface Problem {
  check: 'history' | 'conflicts';
  text: string;
  tag?: ViolationTag;
}

/**
 * The oracle for one field of one person. Writes on one side are sequential (the harness waits for each
 * answer), so per side the last write is well defined. Between the sides:
 * - one side wrote → its last value, no conflict;
 * - the later write saw the other side's value on its own side (the sync had carried it across) → sequential:
 *   the later write wins, no conflict (issue 13 item 6: a CRM edit made after the push landed must win);
 * - the later write is a CRM edit that did not see the marketing value (under If-Match, so exactly) → a
 *   collision (B4.3): marketing wins for leads, the CRM for contacts, the loser logged exactly once;
 * - the later write is a marketing edit that did not see the CRM value: a pass may have applied it between
 *   the harness's read and its write, so either order is possible: the value must be one the rules allow for
 *   some order, with a conflict logged exactly when it was a collision.
 */
export function judge(
  writes: readonly AcknowledgedWrite[],
  entity: PersonEntity | undefined,
  personValue: unknown,
  crmValue: unknown,
  conflicts: readonly { marketingValue: FieldValue; crmValue: FieldValue; winner: 'marketing' | 'crm' }[],
  /** Whether the answer to one of Syncline's writes was lost between these two moments (epoch ms). */
  answerLost: (from: number, to: number) => boolean = () => false,
): Problem[] {
  const problems: Problem[] = [];
  const ordered = [...writes].sort((a, b) => a.sentAt - b.sentAt);
  const lastOf = (side: 'marketing' | 'crm') => ordered.filter((w) => w.side === side).at(-1);
  const marketing = lastOf('marketing');
  const crm = lastOf('crm');
  const linked = entity !== undefined && crmValue !== undefined;
  const expectValue = (values: readonly FieldValue[], why: string, tag?: ViolationTag) => {
    const matches = (v: unknown) => values.some((value) => same(v, value));
    if (!matches(personValue) || (linked && !matches(crmValue)))
      problems.push({
        check: 'history',
        ...(tag ? { tag } : {}),
        text:
          `expected ${values.map(show).join(' or ')} (${why}), but marketing has ${show(personValue)}` +
          (linked ? ` and the CRM has ${show(crmValue)}` : '') +
          `; writes: ${ordered.map(describeWrite).join(', ')}`,
      });
  };
  const expectConflicts = (
    allowed: readonly number[],
    pair?: { winner: 'marketing' | 'crm' },
    why = '',
    tag?: ViolationTag,
    /**
     * A contact's collision that the CRM won: the marketing value is logged once against the CRM value the
     * sync read, which may be an earlier CRM write of a run the marketing write did not see (the pass read
     * "c-12", the collision logged it, then "c-13" — written after "c-12" — came as a one-side change). PostgreSQL
     * seeds 42 (session 6) and 45 were flagged for that alone.
     */
    againstUnseenCrmRun = false,
  ) => {
    const against = (c: { crmValue: FieldValue }) =>
      same(c.crmValue, crm!.value) ||
      (againstUnseenCrmRun &&
        ordered.some((w) => w.side === 'crm' && same(w.value, c.crmValue) && !same(marketing!.saw, w.value)));
    const matching =
      marketing && crm ? conflicts.filter((c) => same(c.marketingValue, marketing.value) && against(c)) : [];
    // Conflicts of earlier writes are fine when they were collisions too: an earlier CRM value that did not
    // see the marketing value it lost to (or met a push whose answer was lost), each pair logged once, with
    // B4.3's winner (e.g. two CRM edits, each between two passes, both losing to one marketing value on a lead).
    const rest = conflicts.filter((c) => !matching.includes(c));
    const others = rest.filter(
      (c, index) =>
        rest.findIndex((d) => same(d.marketingValue, c.marketingValue) && same(d.crmValue, c.crmValue)) !==
          index || !earlierCollision(c),
    ).length;
    if (!allowed.includes(matching.length) || others > 0)
      problems.push({
        check: 'conflicts',
        ...(matching.length > 1
          ? { tag: 'conflict-logged-twice' as const }
          : tag === undefined
            ? {}
            : { tag }),
        text:
          `the conflict log holds ${matching.length} entr${matching.length === 1 ? 'y' : 'ies'} for this ` +
          `collision${others > 0 ? ` and ${others} other(s) naming these writes` : ''}, expected ` +
          `${allowed.join(' or ')}${why ? ` (${why})` : ''}: ` +
          conflicts
            .map((c) => `{marketing ${show(c.marketingValue)}, crm ${show(c.crmValue)}, winner ${c.winner}}`)
            .join(', '),
      });
    else if (pair && matching.length === 1 && matching[0].winner !== pair.winner)
      problems.push({
        check: 'conflicts',
        text: `the conflict log names ${matching[0].winner} the winner, B4.3 says ${pair.winner}`,
      });
  };

  function earlierCollision(c: {
    marketingValue: FieldValue;
    crmValue: FieldValue;
    winner: string;
  }): boolean {
    const crmWrite = ordered.find((w) => w.side === 'crm' && same(w.value, c.crmValue));
    const marketingWrite = ordered.find((w) => w.side === 'marketing' && same(w.value, c.marketingValue));
    if (crmWrite === undefined || marketingWrite === undefined) return false;
    if (c.winner !== (entity === 'lead' ? 'marketing' : 'crm')) return false;
    if (crmWrite === crm && marketingWrite === marketing) return false;
    return (
      !same(crmWrite.saw, marketingWrite.value) || answerLost(marketingWrite.acknowledgedAt, crmWrite.sentAt)
    );
  }

  if (marketing === undefined || crm === undefined || !linked) {
    const last = ordered.at(-1)!;
    expectValue(
      [last.value],
      linked ? `only ${last.side} wrote it` : 'the last marketing write (not linked)',
      last.side === 'marketing' ? 'marketing-edit-lost' : undefined,
    );
    expectConflicts([0], undefined, 'one side only');
    return problems;
  }
  const later = marketing.sentAt > crm.sentAt ? marketing : crm;
  const earlier = later === marketing ? crm : marketing;
  const ruleWinner: 'marketing' | 'crm' = entity === 'lead' ? 'marketing' : 'crm';
  if (
    same(later.saw, earlier.value) &&
    later.side === 'crm' &&
    answerLost(marketing.acknowledgedAt, crm.sentAt)
  ) {
    // The CRM edit came after Syncline's push landed, but the push's answer was lost: if Syncline could not
    // read the record back before the edit, it cannot tell the edit from a collision, and the rule picks
    // (issue 13 item 6). Either way the loser is logged exactly once.
    const winner = ruleWinner === 'marketing' ? marketing : crm;
    if (same(personValue, crm.value) && (!linked || same(crmValue, crm.value)))
      expectConflicts(ruleWinner === 'crm' ? [0, 1] : [0], undefined, 'the order was learnt: sequential');
    else {
      expectValue([winner.value], `the order was unknowable (push answer lost): ${ruleWinner} wins (B4.3)`);
      expectConflicts([1], { winner: ruleWinner }, 'a collision by the rule logs the loser once');
    }
  } else if (same(later.saw, earlier.value)) {
    expectValue(
      [later.value],
      `the ${later.side} write came after the sync had carried the ${earlier.side} value across`,
      later.side === 'crm' ? 'crm-edit-after-push-overwritten' : 'marketing-edit-lost',
    );
    expectConflicts(
      [0],
      undefined,
      'the writes were sequential, not a collision',
      later.side === 'crm' ? 'crm-edit-after-push-overwritten' : undefined,
    );
  } else if (later.side === 'crm') {
    const winner = ruleWinner === 'marketing' ? marketing : crm;
    expectValue(
      [winner.value],
      `a collision between two passes: ${ruleWinner} wins for a ${entity} (B4.3)`,
      ruleWinner === 'marketing' ? 'marketing-edit-lost' : undefined,
    );
    expectConflicts(
      [1],
      { winner: ruleWinner },
      'the loser is logged exactly once',
      undefined,
      ruleWinner === 'crm',
    );
  } else if (entity === 'lead') {
    expectValue(
      [marketing.value],
      'marketing wins on a lead whichever order the sync saw',
      'marketing-edit-lost',
    );
    expectConflicts([0, 1], { winner: 'marketing' });
  } else if (same(personValue, crm.value)) {
    expectValue([crm.value], 'a collision on a contact: the CRM wins');
    expectConflicts(
      [1],
      { winner: 'crm' },
      'a collision on a contact logs the marketing value once',
      undefined,
      true,
    );
  } else {
    expectValue([marketing.value, crm.value], 'the marketing edit after the pull, or a collision');
    expectConflicts([0], undefined, 'the marketing edit came after the pull');
  }
  return problems;
}

function describeWrite(write: AcknowledgedWrite): string {
  return (
    `${write.side} ${show(write.value)} at ${new Date(write.acknowledgedAt).toISOString().slice(11, 23)}` +
    `${write.dropped ? ' (answer lost)' : ''}${write.saw === undefined ? '' : ` having seen ${show(write.saw)}`}`
  );
}
