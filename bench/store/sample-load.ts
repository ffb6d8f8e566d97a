import type { PersonValue } from '../../src/domain/person.ts';
import type { Store } from '../../src/store/store.ts';

/** The store benches' data: sample persons, and a page of new contacts as the initial load writes it. */

/** One page of new contacts as the initial load writes it: persons, links, bases, activities. */
export async function writeLoadPage(store: Store, start: number, count: number): Promise<void> {
  const persons = samplePersons(start, count);
  const crmIds = persons.map(
    (_, offset) => `00000000-0000-4000-8000-${String(start + offset).padStart(12, '0')}`,
  );
  await store.withTransaction(async (tx) => {
    const personIds = await tx.createPersonIds(persons, 'sync');
    await tx.upsertLinks(
      crmIds.map((crmId, index) => ({
        entity: 'contact' as const,
        crmId,
        personId: personIds[index],
        state: 'active' as const,
        etag: String(1000 + index),
        version: null,
      })),
    );
    await tx.setBasesOf(
      'contact',
      crmIds.map((crmId, index) => ({ crmId, values: sampleBases(persons[index]) })),
    );
    await tx.appendActivities(
      crmIds.map((crmId, index) => ({
        personId: personIds[index],
        type: 'crm.created-person',
        attributes: { entity: 'contact', crmId },
      })),
    );
  });
}

/** About twenty bases per contact, as the initial load keeps (some empty: null is a base too). */
function sampleBases(person: Record<string, PersonValue>): Record<string, PersonValue> {
  const bases: Record<string, PersonValue> = {};
  for (const [name, value] of Object.entries(person)) bases[`attr_${name}`] = value;
  for (let index = 0; index < 13; index++) bases[`attr_extra${index}`] = index % 3 === 0 ? null : `v${index}`;
  return bases;
}

export function samplePersons(start: number, count: number): Record<string, PersonValue>[] {
  return Array.from({ length: count }, (_, offset) => {
    const n = start + offset;
    return {
      email: `person${n}@example.com`,
      firstName: `First${n % 997}`,
      lastName: `Last${n % 1009}`,
      city: ['Oslo', 'Lyon', 'Austin', 'Osaka'][n % 4],
      company: `Company ${n % 5000}`,
      doNotCall: n % 10 === 0,
      annualRevenue: (n % 1000) * 1000.5,
    };
  });
}
