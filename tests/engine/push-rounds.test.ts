import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator } from './sync-world.ts';

/**
 * The pusher pipelines its rounds (round N+1 prepared and sent while round N is in flight, N settled while N+1
 * is in flight). With rounds of two records and one update per request, a pass over nine edits runs five
 * rounds with a stale ETag in the first: every record must still be written exactly once (twice for the stale
 * one, B4.5), every mark cleared (B2.4) and every base settled (B4.4: the next pass writes nothing).
 */
describe('engine: pipelined push rounds (B2.4, B4.4, B4.5)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`B2.4 B4.5 nine edits in rounds of two: each record written once, the stale one re-read and retried, nothing left pending (${store})`, () =>
      emulator.run(
        { store, seed: { seed: 'empty' }, settings: { pushRoundSize: 2, writeBatchSize: 1 } },
        async (world) => {
          const ids: string[] = [];
          for (let index = 0; index < 9; index += 1) {
            ids.push(
              await world.crmCreate('contact', {
                firstname: `Round${index}`,
                lastname: 'Pipeline',
                emailaddress1: `round${index}@pipeline.test`,
                jobtitle: 'Base title',
                telephone1: '100',
              }),
            );
          }
          await world.pass();
          for (const [index, id] of ids.entries()) {
            const person = await world.linkedPerson('contact', id);
            await world.editPerson(person.id, { title: `Marketing ${index}` });
          }
          const raced = ids[0];
          world.beforeNextWrite(() => world.crmUpdate('contact', raced, { telephone1: '200' }));
          world.calls.length = 0;
          const counts = await world.pass();

          const written = world.writes().map((operation) => operation.id);
          for (const id of ids) {
            const times = written.filter((writtenId) => writtenId === id).length;
            assert.equal(times, id === raced ? 2 : 1, `writes of ${id}: ${JSON.stringify(written)}`);
          }
          assert.ok((counts['contact.toCrm.staleEtag'] ?? 0) >= 1, JSON.stringify(counts));
          assert.equal(counts['contact.toCrm.updated'], 9, JSON.stringify(counts));
          assert.ok(
            world.calls.filter((call) => call.method === 'write').length >= 6,
            'five rounds and one retry',
          );
          for (const [index, id] of ids.entries()) {
            const crm = await world.crmGet('contact', id, ['jobtitle', 'telephone1']);
            assert.equal(crm.jobtitle, `Marketing ${index}`);
            assert.equal(crm.telephone1, id === raced ? '200' : '100', 'the racing CRM edit was kept');
          }
          const pending = await world.testStore.store.listPendingPushes({ limit: 100 });
          assert.deepEqual(pending.items, []);

          world.calls.length = 0;
          await world.pass();
          assert.deepEqual(world.writes(), [], 'settled bases: nothing is pushed again');
        },
      ));
  }
});
