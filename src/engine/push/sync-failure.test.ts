import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../store/store.ts';
import { recordSyncFailure } from './sync-failure.ts';

/** A store whose sync errors are new until the same (record, code) was seen; keeps what was written. */
function fakeStore() {
  const seen = new Set<string>();
  const errors: Record<string, unknown>[] = [];
  const activities: { personId: string; type: string; attributes: Record<string, unknown> }[] = [];
  const store = {
    recordSyncError: async (error: Record<string, unknown>) => {
      errors.push(error);
      const key = `${String(error.crmId)}:${String(error.code)}`;
      const isNew = !seen.has(key);
      seen.add(key);
      return { isNew };
    },
    appendActivity: async (personId: string, type: string, attributes: Record<string, unknown>) => {
      activities.push({ personId, type, attributes });
    },
  } as unknown as Store;
  return { store, errors, activities };
}

const failure = {
  entity: 'lead',
  crmId: 'c1',
  personId: 'p1',
  operation: 'update',
  code: '0x80040265',
  message: 'Plug-in said no',
};

test('B6.1 a refused write is a toCrm sync error every time and one crm.sync-failed activity per distinct error', async () => {
  const { store, errors, activities } = fakeStore();
  assert.deepEqual(await recordSyncFailure(store, failure), { isNew: true });
  assert.deepEqual(await recordSyncFailure(store, failure), { isNew: false });
  assert.equal(errors.length, 2);
  assert.deepEqual(errors[0], { ...failure, direction: 'toCrm' });
  assert.deepEqual(activities, [
    {
      personId: 'p1',
      type: 'crm.sync-failed',
      attributes: {
        entity: 'lead',
        crmId: 'c1',
        operation: 'update',
        code: '0x80040265',
        message: 'Plug-in said no',
      },
    },
  ]);
});

test('B7.3 a flow failure carries source flow on its activity, not in the sync error', async () => {
  const { store, errors, activities } = fakeStore();
  await recordSyncFailure(store, { ...failure, operation: 'create', source: 'flow' });
  assert.equal('source' in errors[0], false);
  assert.equal(activities[0].attributes.source, 'flow');
  assert.equal(activities[0].attributes.operation, 'create');
});
