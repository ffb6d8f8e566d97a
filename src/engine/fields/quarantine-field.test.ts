import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CrmConnector } from '../../connectors/connector.ts';
import type { SyncField } from '../../domain/sync-field.ts';
import { silentLogger } from '../../logging/logger.ts';
import type { Store } from '../../store/store.ts';
import type { EngineDeps } from '../engine-deps.ts';
import type { EntityPlan } from './entity-plan.ts';
import { quarantineField } from './quarantine-field.ts';

/** A contact plan that syncs `new_tier` and `jobtitle`, frozen so that any change to it throws. */
function frozenPlan(): EntityPlan {
  const mapping = (logicalName: string, personField: string) =>
    Object.freeze({ entity: 'contact', attribute: { logicalName }, personField, policy: 'two-way' });
  return Object.freeze({
    entity: { name: 'contact' },
    mappings: Object.freeze([mapping('new_tier', 'new_tier'), mapping('jobtitle', 'title')]),
    lookups: Object.freeze([]),
    select: Object.freeze(['new_tier', 'jobtitle', 'ownerid']),
  }) as unknown as EntityPlan;
}

/** A store holding one field's state, recording what the quarantine writes. */
function fakeDeps(state: SyncField['state']) {
  const written = { states: [] as string[], notifications: 0, errors: 0 };
  const store = {
    listSyncFields: async () => [{ attribute: 'new_tier', state } as SyncField],
    setSyncFieldState: async (_entity: string, attribute: string, next: string) => {
      written.states.push(`${attribute}:${next}`);
    },
    addNotification: async (notification: { type: string; message: string }) => {
      written.notifications += 1;
      return { id: 'n1', details: {}, ...notification };
    },
    recordSyncError: async () => {
      written.errors += 1;
      return { isNew: true };
    },
  } as unknown as Store;
  const deps: EngineDeps = {
    store,
    crm: {} as CrmConnector,
    logger: silentLogger(),
    now: () => new Date(),
  };
  return { deps, written };
}

test('B5.6 quarantining a field returns a new plan without it and leaves the shared plan as it was', async () => {
  const plan = frozenPlan();
  const { deps, written } = fakeDeps('synced');
  const next = await quarantineField(deps, plan, 'new_tier', "Could not find a property named 'new_tier'.");
  assert.deepEqual(
    next.mappings.map((mapping) => mapping.attribute.logicalName),
    ['jobtitle'],
  );
  assert.deepEqual(next.select, ['jobtitle', 'ownerid']);
  assert.deepEqual(
    plan.mappings.map((mapping) => mapping.attribute.logicalName),
    ['new_tier', 'jobtitle'],
  );
  assert.deepEqual(plan.select, ['new_tier', 'jobtitle', 'ownerid']);
  assert.deepEqual(written, { states: ['new_tier:quarantined'], notifications: 1, errors: 1 });
});

test('B5.6 a field already quarantined is not announced again, and the plan still goes without it', async () => {
  const { deps, written } = fakeDeps('quarantined');
  const next = await quarantineField(deps, frozenPlan(), 'new_tier', 'gone');
  assert.deepEqual(next.select, ['jobtitle', 'ownerid']);
  assert.deepEqual(written, { states: [], notifications: 0, errors: 0 });
});
