import { standardFieldsByName } from '../../domain/person-fields.ts';
import type { Store } from '../../store/store.ts';
import type { EntityPlan } from './entity-plan.ts';

/**
 * B5.2: a selected attribute that is not a standard field becomes a person field named by its logical name.
 * It must exist before a value is written to it (the store rejects unknown fields).
 */
export async function ensurePersonFields(
  store: Store,
  plans: readonly Pick<EntityPlan, 'entity' | 'mappings'>[],
): Promise<void> {
  const existing = new Set((await store.listPersonFields()).map((field) => field.name));
  for (const plan of plans) {
    for (const mapping of plan.mappings) {
      const name = mapping.personField;
      if (name === undefined || existing.has(name) || standardFieldsByName.has(name)) continue;
      if (mapping.personFieldType === undefined) continue;
      await store.addPersonField({
        name,
        type: mapping.personFieldType,
        source: 'crm',
        crm: { [plan.entity.name]: mapping.attribute.logicalName },
      });
      existing.add(name);
    }
  }
}
