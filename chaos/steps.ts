import { setTimeout as sleep } from 'node:timers/promises';
import { entitySets, type CrmAnswer, type PersonEntity } from './crm-admin.ts';
import { attributeOf, editableFields } from './field-mapping.ts';
import { History, subjectKey, type FieldValue, type Subject } from './history.ts';
import { tail, tryStartSecondEngine } from './processes.ts';
import { SeededRandom } from './random.ts';
import type { EpisodeKind, Step } from './schedule.ts';
import type { SyncHolder, World } from './world.ts';

/** A CRM-linked person the harness edits or runs lifecycle operations on. */
export interface LinkedTarget {
  readonly personId: string | undefined;
  readonly entity: PersonEntity;
  readonly crmId: string;
  readonly subject: Subject;
}

/** A problem found while running the steps (before the final checks). */
export interface StepViolation {
  readonly check: 'second-engine' | 'api' | 'takeover';
  readonly message: string;
}

/** How long an episode waits for the sync to carry a value across before writing the other side anyway. */
const carryWaitMs = 8_000;

/** How often the takeover watch asks `GET /api/v1/cluster` after a holder's SIGKILL (issue 15: 100–200 ms). */
const takeoverPollMs = 150;

/**
 * How long after a holder's SIGKILL a takeover may take before the run reports none happened. Failover is due
 * within SYNCLINE_LEASE_SECONDS + one renewal (issue 15); the generous margin is for a loaded machine — the
 * times themselves are reported, and judged there.
 */
const takeoverLimitMs = (leaseSeconds: number) => leaseSeconds * 1000 + 60_000;

/**
 * Runs the schedule's steps one after the other and records every acknowledged write in the history. Targets
 * are resolved from the runner's own bookkeeping with a random source of the seed (never from timing).
 */
export class StepRunner {
  readonly history = new History();
  readonly violations: StepViolation[] = [];
  readonly #world: World;
  readonly #seed: number;
  readonly #random: SeededRandom;
  /** Persons whose fields the episodes edit: never qualified, merged or deleted. */
  readonly #slotTargets: LinkedTarget[];
  /** Records the lifecycle operations may take (initially synced ones, then the ones the admin creates). */
  readonly #lifecycle: LinkedTarget[];
  readonly #usedSlots = new Set<string>();
  /** The takeover watch of the last holder kill, running beside the next steps. */
  #takeover: Promise<void> = Promise.resolve();
  readonly #marketingCreated: { personId: string; email: string; synced: boolean }[] = [];
  #counter = 0;

  constructor(world: World, seed: number, slotTargets: LinkedTarget[], lifecycle: LinkedTarget[]) {
    this.#world = world;
    this.#seed = seed;
    this.#random = new SeededRandom(seed * 7919 + 17);
    this.#slotTargets = slotTargets;
    this.#lifecycle = lifecycle;
  }

  /** A value no other write of the run uses (short: some CRM columns are 20 characters). */
  #nextValue(side: 'm' | 'c'): string {
    this.#counter += 1;
    return `${side}${this.#seed}-${this.#counter}`;
  }

  #note(text: string): void {
    this.history.notes.push(text);
  }

  async run(step: Step): Promise<void> {
    switch (step.kind) {
      case 'episode':
        return this.#episode(step.episode, step.edits);
      case 'crm-create':
        return this.#crmCreate(step.entity, step.qualifyAtOnce);
      case 'marketing-create': {
        const created = await this.#marketingCreate();
        if (created !== undefined && step.syncAtOnce !== undefined)
          await this.#flowSync(created, step.syncAtOnce, false);
        return;
      }
      case 'flow-sync': {
        const person =
          this.#marketingCreated.find((candidate) => !candidate.synced) ?? (await this.#marketingCreate());
        if (person !== undefined) await this.#flowSync(person, step.syncAs, step.twice);
        return;
      }
      case 'qualify': {
        const lead = this.#takeLifecycle('lead');
        if (lead !== undefined) await this.#qualify(lead, false);
        return;
      }
      case 'merge':
        return this.#merge();
      case 'crm-delete': {
        const target = this.#takeLifecycle(step.entity);
        if (target !== undefined) await this.#crmDelete(target);
        return;
      }
      case 'faults': {
        const { kind: _kind, ...faults } = step;
        await this.#world.crm.control('PUT', 'faults', faults);
        // With the HTTP faults, webhooks get lost and arrive out of order (B2.8: the pass repairs both).
        await this.#world.crm.control('PUT', 'webhooks', {
          seed: this.#seed,
          dropRate: 0.3,
          order: 'shuffle',
          holdMs: 300,
        });
        this.history.counts.faultSettings += 1;
        return;
      }
      case 'faults-off':
        await this.#world.crm.control('PUT', 'faults', {});
        await this.#world.crm.control('PUT', 'webhooks', {});
        return;
      case 'limits':
        await this.#world.crm.control('PUT', 'limits', {
          requestsPerWindow: step.requestsPerWindow,
          windowSeconds: step.windowSeconds,
        });
        this.history.counts.limitSettings += 1;
        return;
      case 'limits-off':
        await this.#world.crm.control('PUT', 'limits', {});
        return;
      case 'expire-delta-tokens':
        await this.#world.crm.control(
          'POST',
          'expire-delta-tokens',
          step.entity === undefined ? {} : { entity: step.entity },
        );
        this.history.counts.tokenExpiries += 1;
        return;
      case 'kill': {
        const index = this.#random.int(0, this.#world.replicas.length - 1);
        this.history.counts.kills += 1;
        this.history.killedAt.push(Date.now());
        // One replica: the binary only (its engine child must stop by itself, B2.9); a cluster: the holder whole.
        let killed = index;
        if (this.#world.replicas.length > 1) killed = await this.#killHolder(index);
        else await this.#world.kill(index);
        await sleep(step.pauseMs);
        await this.#world.start(killed);
        return;
      }
      case 'second-engine':
        return this.#secondEngine(step.command);
      case 'pause':
        await sleep(step.ms);
        return;
    }
  }

  /** Waits for the takeover watch of the last holder kill (before settling, and before the next kill). */
  takeoverSettled(): Promise<void> {
    return this.#takeover;
  }

  // ── the holder of the leases killed (issue 15) ───────────────────────────────────────────────────────────

  /**
   * SIGKILL of the replica that holds the `sync` lease, whole (engine child and binary), and a watch of
   * `GET /api/v1/cluster` until another replica holds it with a higher epoch: the takeover time. When no live
   * replica holds it (a takeover still under way), the drawn replica is killed instead and nothing is timed.
   */
  async #killHolder(drawn: number): Promise<number> {
    await this.#takeover;
    const holder = await this.#world.syncHolder().catch((error: unknown) => {
      this.#note(`GET /api/v1/cluster before the kill: ${(error as Error).message}`);
      return undefined;
    });
    const index = holder?.index ?? drawn;
    if (holder?.index === undefined)
      this.#note(
        `no live replica held the sync lease (holder ${holder?.holder ?? 'none'}): killed replica ${index} instead`,
      );
    const killedAt = Date.now();
    await this.#world.killWhole(index);
    if (holder?.index !== undefined) {
      this.history.counts.holderKills += 1;
      this.#takeover = this.#watchTakeover(holder, killedAt);
    }
    return index;
  }

  async #watchTakeover(killed: SyncHolder, killedAt: number): Promise<void> {
    const deadline = killedAt + takeoverLimitMs(this.#world.leaseSeconds);
    while (Date.now() < deadline) {
      const now = await this.#world.syncHolder().catch(() => undefined);
      const seenAt = Date.now();
      if (now !== undefined && now.holder !== killed.holder && now.epoch > killed.epoch) {
        this.history.takeovers.push({
          killed: killed.holder,
          killedEpoch: killed.epoch,
          by: now.holder,
          epoch: now.epoch,
          killedAt,
          seenAt,
        });
        return;
      }
      await sleep(takeoverPollMs);
    }
    this.violations.push({
      check: 'takeover',
      message:
        `no replica took the sync lease over within ${takeoverLimitMs(this.#world.leaseSeconds) / 1000} s of ` +
        `the SIGKILL of its holder ${killed.holder} (epoch ${killed.epoch}) (B2.9, issue 15)`,
    });
  }

  // ── field episodes ────────────────────────────────────────────────────────────────────────────────────

  async #episode(kind: EpisodeKind, edits: 1 | 2): Promise<void> {
    const slot = this.#pickSlot();
    if (slot === undefined) return this.#note('no free slot left for an episode');
    const { target, field } = slot;
    const marketing = () => this.#marketingWrite(target, field);
    const crm = () => this.#crmWrite(target, field);
    const twice = async (write: () => Promise<FieldValue | undefined>) => {
      const first = await write();
      return edits === 2 ? write() : first;
    };
    switch (kind) {
      case 'marketing':
        await twice(marketing);
        return;
      case 'crm':
        await twice(crm);
        return;
      case 'marketing-then-crm': {
        const value = await twice(marketing);
        if (value !== undefined) await this.#waitForCrm(target, field, value);
        await crm();
        return;
      }
      case 'crm-then-marketing': {
        const value = await twice(crm);
        if (value !== undefined) await this.#waitForPerson(target, field, value);
        await marketing();
        return;
      }
      case 'collide-marketing-first':
        await twice(marketing);
        await crm();
        return;
      case 'collide-crm-first':
        await twice(crm);
        await marketing();
        return;
    }
  }

  #pickSlot(): { target: LinkedTarget; field: string } | undefined {
    const free = this.#slotTargets.flatMap((target) =>
      editableFields
        .filter((field) => !this.#usedSlots.has(`${target.crmId}:${field}`))
        .map((field) => ({ target, field })),
    );
    if (free.length === 0) return undefined;
    const slot = this.#random.pick(free);
    this.#usedSlots.add(`${slot.target.crmId}:${slot.field}`);
    return slot;
  }

  /** A marketing user edits the field through the API (reading the person first: what it saw). */
  async #marketingWrite(target: LinkedTarget, field: string): Promise<FieldValue | undefined> {
    const personId = target.personId!;
    const before = await this.#world.api.request('GET', `/api/v1/persons/${personId}`);
    if (!this.#apiOk(before, `GET person ${personId}`)) return undefined;
    const value = this.#nextValue('m');
    const answer = await this.#world.api.request('PATCH', `/api/v1/persons/${personId}`, { [field]: value });
    if (!this.#apiOk(answer, `PATCH person ${personId} ${field}`)) return undefined;
    this.history.record({
      side: 'marketing',
      subject: target.subject,
      field,
      value,
      sentAt: answer.sentAt,
      acknowledgedAt: answer.answeredAt,
      dropped: false,
      saw: normalise(before.json[field]),
    });
    return value;
  }

  /** The CRM admin edits the column with `If-Match` on what it just read, so `saw` is exact. */
  async #crmWrite(target: LinkedTarget, field: string): Promise<FieldValue | undefined> {
    const attribute = attributeOf(target.entity, field);
    const path = `${entitySets[target.entity]}(${target.crmId})`;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const read = await this.#world.crm.request('GET', `${path}?$select=${attribute}`);
      if (read.status !== 200) {
        this.#note(`reading ${target.entity} ${target.crmId}: ${read.status}`);
        return undefined;
      }
      const value = this.#nextValue('c');
      const answer = await this.#world.crm.request(
        'PATCH',
        path,
        { [attribute]: value },
        { 'if-match': read.json['@odata.etag'] },
      );
      if (answer.status === 412) continue; // the sync wrote the record meanwhile: read again
      if (!answer.dropped && answer.status !== 204) {
        this.#note(
          `CRM edit of ${target.entity} ${target.crmId}: ${answer.status} ${JSON.stringify(answer.json)}`,
        );
        return undefined;
      }
      this.history.record({
        side: 'crm',
        subject: target.subject,
        field,
        value,
        sentAt: answer.sentAt,
        acknowledgedAt: answer.answeredAt,
        dropped: answer.dropped,
        saw: normalise(read.json[attribute]),
      });
      return value;
    }
    this.#note(`CRM edit of ${target.entity} ${target.crmId} ${field}: 20 precondition failures in a row`);
    return undefined;
  }

  async #waitForCrm(target: LinkedTarget, field: string, value: FieldValue): Promise<void> {
    const attribute = attributeOf(target.entity, field);
    const deadline = Date.now() + carryWaitMs;
    while (Date.now() < deadline) {
      const read = await this.#world.crm.request(
        'GET',
        `${entitySets[target.entity]}(${target.crmId})?$select=${attribute}`,
      );
      if (read.status === 200 && read.json[attribute] === value) return;
      await sleep(150);
    }
  }

  async #waitForPerson(target: LinkedTarget, field: string, value: FieldValue): Promise<void> {
    const deadline = Date.now() + carryWaitMs;
    while (Date.now() < deadline) {
      const person = await this.#world.api.request('GET', `/api/v1/persons/${target.personId}`);
      if (person.status === 200 && person.json[field] === value) return;
      await sleep(150);
    }
  }

  #apiOk(answer: { status: number; json: any }, what: string): boolean {
    if (answer.status < 300) return true;
    const text = `${what} answered ${answer.status}: ${JSON.stringify(answer.json)}`;
    if (answer.status >= 500) this.violations.push({ check: 'api', message: `the API failed: ${text}` });
    else this.#note(text);
    return false;
  }

  // ── creates, flow actions, lifecycle ────────────────────────────────────────────────────────────────

  #takeLifecycle(entity: PersonEntity): LinkedTarget | undefined {
    const candidates = this.#lifecycle.filter((target) => target.entity === entity);
    if (candidates.length === 0) {
      this.#note(`no ${entity} left for a lifecycle operation`);
      return undefined;
    }
    const target = this.#random.pick(candidates);
    this.#lifecycle.splice(this.#lifecycle.indexOf(target), 1);
    this.history.retired.add(subjectKey(target.subject));
    return target;
  }

  async #crmCreate(entity: PersonEntity, qualifyAtOnce: boolean): Promise<void> {
    this.#counter += 1;
    const email = `chaos-${this.#seed}-${this.#counter}@chaos.test`;
    const title = this.#nextValue('c');
    const values: Record<string, unknown> = {
      firstname: 'Chaos',
      lastname: `Created ${this.#counter}`,
      emailaddress1: email,
      jobtitle: title,
      ...(entity === 'lead' ? { subject: `Chaos lead ${this.#counter}` } : {}),
    };
    const set = entitySets[entity];
    const answer = await this.#world.crm.request('POST', `${set}?$select=${entity}id`, values, {
      prefer: 'return=representation',
    });
    let crmId: string | undefined = answer.json?.[`${entity}id`];
    if (answer.dropped) crmId = await this.#findByEmail(entity, email);
    else if (answer.status !== 201)
      return this.#note(`creating a ${entity}: ${answer.status} ${JSON.stringify(answer.json)}`);
    if (crmId === undefined) return this.#note(`the created ${entity} ${email} cannot be found`);
    const subject: Subject = { kind: 'record', entity, crmId };
    this.history.events.push({ kind: 'crm-created', entity, crmId, email });
    this.history.record({
      side: 'crm',
      subject,
      field: 'title',
      value: title,
      sentAt: answer.sentAt,
      acknowledgedAt: answer.answeredAt,
      dropped: answer.dropped,
      saw: undefined,
    });
    const target: LinkedTarget = { personId: undefined, entity, crmId, subject };
    if (entity === 'lead' && qualifyAtOnce) {
      this.history.retired.add(subjectKey(subject));
      await this.#qualify(target, true);
    } else {
      this.#lifecycle.push(target);
    }
  }

  async #findByEmail(entity: PersonEntity, email: string): Promise<string | undefined> {
    const found = await this.#world.crm.request(
      'GET',
      `${entitySets[entity]}?$select=${entity}id&$filter=emailaddress1 eq '${email}'`,
    );
    return found.json?.value?.[0]?.[`${entity}id`];
  }

  async #marketingCreate(): Promise<{ personId: string; email: string; synced: boolean } | undefined> {
    this.#counter += 1;
    const email = `chaos-${this.#seed}-${this.#counter}@marketing.test`;
    const title = this.#nextValue('m');
    const answer = await this.#world.api.request('POST', '/api/v1/persons', {
      email,
      firstName: 'Chaos',
      lastName: `Marketing ${this.#counter}`,
      title,
    });
    if (!this.#apiOk(answer, `POST person ${email}`)) return undefined;
    const created = { personId: answer.json.id as string, email, synced: false };
    this.#marketingCreated.push(created);
    this.history.events.push({ kind: 'marketing-created', personId: created.personId, email });
    this.history.record({
      side: 'marketing',
      subject: { kind: 'person', personId: created.personId },
      field: 'title',
      value: title,
      sentAt: answer.sentAt,
      acknowledgedAt: answer.answeredAt,
      dropped: false,
      saw: undefined,
    });
    return created;
  }

  /** The flow action (B7.1), once or twice at the same time (B7.2), retried while the CRM fails (B6.2). */
  async #flowSync(
    person: { personId: string; email: string; synced: boolean },
    syncAs: PersonEntity,
    twice: boolean,
  ): Promise<void> {
    person.synced = true;
    const path = `/api/v1/persons/${person.personId}/actions/sync-to-crm`;
    const answers: string[] = [];
    const call = async () => {
      for (let attempt = 0; attempt < 8; attempt += 1) {
        const answer = await this.#world.api.request('POST', path, { syncAs });
        answers.push(`${answer.status} ${JSON.stringify(answer.json)}`);
        if (answer.status !== 502 && answer.status !== 503) return;
        await sleep(300);
      }
    };
    await (twice ? Promise.all([call(), call()]) : call());
    this.history.events.push({
      kind: 'flow-synced',
      personId: person.personId,
      email: person.email,
      syncAs,
      answers,
    });
    if (answers.every((answer) => !answer.startsWith('200')))
      this.#note(`sync-to-crm (${syncAs}) of ${person.personId} never succeeded: ${answers.join(' | ')}`);
  }

  async #qualify(lead: LinkedTarget, atOnce: boolean): Promise<void> {
    const answer = await this.#world.crm.request(
      'POST',
      `leads(${lead.crmId})/Microsoft.Dynamics.CRM.QualifyLead`,
      { CreateAccount: false, CreateContact: true, CreateOpportunity: false, Status: 3 },
    );
    if (!answer.dropped && answer.status !== 200)
      return this.#note(`QualifyLead ${lead.crmId}: ${describe(answer)}`);
    this.history.events.push({ kind: 'qualified', leadId: lead.crmId, personId: lead.personId, atOnce });
  }

  async #merge(): Promise<void> {
    const master = this.#takeLifecycle('contact');
    const subordinate = master === undefined ? undefined : this.#takeLifecycle('contact');
    if (master === undefined || subordinate === undefined) {
      if (master !== undefined) this.#lifecycle.push(master);
      return;
    }
    const answer = await this.#world.crm.request('POST', 'Merge', {
      Target: { '@odata.type': 'Microsoft.Dynamics.CRM.contact', contactid: master.crmId },
      Subordinate: { '@odata.type': 'Microsoft.Dynamics.CRM.contact', contactid: subordinate.crmId },
      UpdateContent: { '@odata.type': 'Microsoft.Dynamics.CRM.contact' },
      PerformParentingChecks: false,
    });
    if (!answer.dropped && answer.status !== 204)
      return this.#note(`Merge ${master.crmId} ← ${subordinate.crmId}: ${describe(answer)}`);
    this.history.events.push({
      kind: 'merged',
      masterId: master.crmId,
      subordinateId: subordinate.crmId,
      masterPersonId: master.personId,
    });
  }

  async #crmDelete(target: LinkedTarget): Promise<void> {
    const answer = await this.#world.crm.request('DELETE', `${entitySets[target.entity]}(${target.crmId})`);
    if (!answer.dropped && answer.status !== 204)
      return this.#note(`deleting ${target.entity} ${target.crmId}: ${describe(answer)}`);
    this.history.events.push({
      kind: 'crm-deleted',
      entity: target.entity,
      crmId: target.crmId,
      personId: target.personId,
    });
  }

  // ── a second engine on purpose (B2.9) ───────────────────────────────────────────────────────────────

  async #secondEngine(command: 'start' | 'sync --once'): Promise<void> {
    this.history.counts.secondEngineAttempts += 1;
    const postgres = this.#world.database.backend === 'postgres';
    // A refusal comes after the engine hold's 12 s wait (B2.9); the watch is extended once the process says it
    // waits, so this only bounds a slow start.
    const outcome = await tryStartSecondEngine(
      command,
      this.#world.anyPortEnv,
      25_000,
      this.#world.secondEngineLogFile(),
    );
    if (outcome.refused) this.history.counts.secondEngineRefused += 1;
    else if (outcome.ran) this.history.counts.secondEngineRan += 1;
    const exited = `exit code ${outcome.exitCode}:\n${tail(outcome.output, 5)}`;
    if (postgres) {
      // On PostgreSQL, replicas form a cluster (B2.9): `start` joins it and serves the API; `sync --once` waits
      // 12 s for the `sync` lease and refuses while the cluster keeps it — or runs its pass if it got the lease
      // (fenced like any holder; the data checks judge the outcome).
      if (command === 'start' && !outcome.ran)
        this.violations.push({
          check: 'second-engine',
          message: `\`syncline start\` on the PostgreSQL schema of a running cluster did not join it (B2.9): ${exited}`,
        });
      else if (command === 'sync --once' && !outcome.refused && !outcome.ran)
        this.violations.push({
          check: 'second-engine',
          message:
            `\`syncline sync --once\` beside a running cluster neither ran a pass nor refused with ` +
            `ENGINE_ALREADY_RUNNING (B2.9): ${exited}`,
        });
      else
        this.#note(
          `second engine (${command}) on PostgreSQL ${outcome.refused ? 'refused: the cluster holds the sync lease' : 'ran as a cluster member'} (allowed)`,
        );
      return;
    }
    if (outcome.refused) return;
    if (outcome.ran) {
      this.violations.push({
        check: 'second-engine',
        message:
          `second engine ran: \`syncline ${command}\` on the SQLite database of a running \`syncline start\` ` +
          `did sync work instead of refusing with ENGINE_ALREADY_RUNNING (B2.9); exit code ${outcome.exitCode}`,
      });
      return;
    }
    this.violations.push({
      check: 'second-engine',
      message: `second engine neither refused with ENGINE_ALREADY_RUNNING nor ran: \`syncline ${command}\` ${exited}`,
    });
  }
}

function describe(answer: CrmAnswer): string {
  return `${answer.status} ${JSON.stringify(answer.json)}`;
}

/** Empty strings and absent values are the same "no value" on both sides. */
export function normalise(value: unknown): FieldValue {
  if (value === undefined || value === '') return null;
  return value as FieldValue;
}
