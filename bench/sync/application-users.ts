import { defaultEngineSettings } from '../../src/engine/engine.ts';
import { emulatorFixtures, syncUserIdAt } from '../../src/emulator/emulator-fixtures.ts';
import { createTestDatabase } from '../../tests/helpers/test-store.ts';
import { describeThrottling, fmt, perSecond, seconds, type BenchPlan } from './backend-scenarios.ts';
import { result, type Backend, type BenchResult } from './bench-result.ts';
import { costModel, idealPushMs, type CostModel } from './cost-model.ts';
import type { CrmControl } from './crm-control.ts';
import { EngineProcess } from './engine-process.ts';
import type { PassMeasurement } from './worker-protocol.ts';

/** The second application user's token: the bench's emulator is started with both when S9 runs. */
export const secondSyncToken = 'emulator-sync-token-2';
const bothUsers = [emulatorFixtures.defaultSyncToken, secondSyncToken] as const;

/**
 * The cost model as an ideal client with `users` application users meets it: Dataverse's limits are per user,
 * so every per-window budget and the concurrency limit are there `users` times (each user its own window).
 */
function modelFor(users: number): CostModel {
  const { limits } = costModel;
  return {
    ...costModel,
    limits: {
      ...limits,
      requestsPerWindow: limits.requestsPerWindow * users,
      executionMsPerWindow: limits.executionMsPerWindow * users,
      maxConcurrent: limits.maxConcurrent * users,
    },
  };
}

interface Push {
  readonly users: number;
  readonly edited: number;
  readonly pushed: number;
  readonly pass: PassMeasurement;
  readonly rate: number;
  readonly idealMs: number;
  readonly note: string;
}

/**
 * S9 (issue 15 item 4): S4's push under the cost model with one application user, then with two, in the same
 * run and world (one initial load, then each push in an engine process of its own). Two users push twice S4's
 * updates, so both pushes span the same number of the model's windows — the limits are step functions of the
 * rows (cost-model.ts `idealPushMs`), and the same rows over twice the budget would fit fewer windows and
 * flatter the ratio. An ideal client then needs the same time for both, so the rate ratio's ceiling is 2.
 */
export async function runApplicationUsers(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
): Promise<BenchResult[]> {
  await crm.reset(plan.contacts);
  await crm.useModel(undefined);
  const database = await createTestDatabase(backend);
  try {
    plan.log(`${backend}: S9 initial load of ${fmt(plan.contacts)} contacts…`);
    let engine = await EngineProcess.open(database.config, crm.url, [...plan.engineNodeOptions]);
    let one: Push;
    try {
      await engine.pass();
      one = await push(plan, backend, crm, engine, 1);
    } finally {
      await engine.close();
    }
    engine = await EngineProcess.open(database.config, crm.url, [...plan.engineNodeOptions], bothUsers);
    let two: Push;
    try {
      await engine.pass(); // a running engine has its metadata cached (as in S4)
      two = await push(plan, backend, crm, engine, 2);
    } finally {
      await engine.close();
    }
    const ratio = one.rate > 0 ? two.rate / one.rate : 0;
    plan.log(
      `${backend}: S9 ${two.rate.toFixed(1)}/s with two users ÷ ${one.rate.toFixed(1)}/s with one = ${ratio.toFixed(2)}×`,
    );
    const efficiency = (p: Push) => (p.pass.writeMs > 0 ? (100 * p.idealMs) / p.pass.writeMs : 0);
    return [
      result({
        backend,
        scale: plan.scale,
        id: 'S9',
        metric: 'push, two application users ÷ one',
        value: ratio,
        unit: '×',
        target: { op: '>=', limit: 1.8 },
        note:
          `one user: ${one.note}; two users: ${two.note}; ` +
          `efficiency against an ideal client with as many users: ${efficiency(one).toFixed(1)} % and ` +
          `${efficiency(two).toFixed(1)} %, so the ideal ratio is 2`,
      }),
    ];
  } finally {
    await crm.useModel(undefined);
    await database.dispose();
  }
}

/** Marketing users edit `users × 100,000 × scale` persons; one pass pushes them under the cost model. */
async function push(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
  engine: EngineProcess,
  users: number,
): Promise<Push> {
  const edited = await engine.editPersons(users * Math.round(100_000 * plan.scale), `S9-${users}`);
  // A new configuration starts every user's window afresh, so each push meets full budgets.
  await crm.useModel(costModel);
  plan.log(`${backend}: S9 pushing ${fmt(edited)} updates as ${users} application user(s)…`);
  const before = await crm.served();
  const beforePerUser = await crm.servedPerUser();
  const pass = await engine.pass(plan.budgetMs);
  const after = await crm.served();
  const afterPerUser = await crm.servedPerUser();
  await crm.useModel(undefined);
  const pushed = pass.counts['contact.toCrm.updated'] ?? 0;
  const rate = perSecond(pushed, pass.writeMs);
  const idealMs = idealPushMs(modelFor(users), pushed, defaultEngineSettings.writeBatchSize);
  const perUser = Array.from({ length: users }, (_, i) => {
    const user = syncUserIdAt(i);
    const delta = (counts: Record<string, number>, earlier: Record<string, number>) =>
      (counts[user] ?? 0) - (earlier[user] ?? 0);
    return (
      `user #${i + 1} ${fmt(delta(afterPerUser.admitted, beforePerUser.admitted))} requests admitted, ` +
      `${fmt(delta(afterPerUser.throttled, beforePerUser.throttled))} 429s`
    );
  });
  const stopped = pass.status === 'aborted' ? `, stopped after the ${seconds(plan.budgetMs)} s budget` : '';
  const note =
    `${fmt(pushed)} of ${fmt(edited)} updates in ${seconds(pass.writeMs)} s of pushing = ${rate.toFixed(1)}/s ` +
    `(ideal ${seconds(idealMs)} s; ${describeThrottling(before, after, pass)}; ${perUser.join(', ')}${stopped})`;
  plan.log(`${backend}: S9 ${note}`);
  return { users, edited, pushed, pass, rate, idealMs, note };
}
