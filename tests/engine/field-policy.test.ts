import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useEmulator } from './sync-world.ts';

describe('engine: per-field policy overrides (B4.6)', () => {
  const emulator = useEmulator();

  test('B4.6 a marketing-wins policy on a contact field overrides the entity rule (B4.3) for that field only', () =>
    emulator.run({}, async (world) => {
      const contactId = await world.crmCreate('contact', {
        firstname: 'Poli',
        lastname: 'Cy',
        emailaddress1: 'policy@scenario.test',
        jobtitle: 'Base title',
        telephone1: '+1 555 0000',
      });
      await world.pass();
      const fields = await world.service.saveFields({
        contact: [
          ...(await world.service.listFields())
            .filter((field) => field.entity === 'contact' && field.selected && field.attribute !== 'jobtitle')
            .map((field) => field.attribute),
          { attribute: 'jobtitle', policy: 'marketing-wins' },
        ],
      });
      assert.equal(
        fields.find((field) => field.entity === 'contact' && field.attribute === 'jobtitle')?.policy,
        'marketing-wins',
      );
      const person = await world.linkedPerson('contact', contactId);
      await world.crmUpdate('contact', contactId, { jobtitle: 'CRM title', telephone1: '+1 555 1111' });
      await world.editPerson(person.id, { title: 'Marketing title', phone: '+1 555 2222' });
      await world.pass();
      const after = await world.linkedPerson('contact', contactId);
      const crm = await world.crmGet('contact', contactId, ['jobtitle', 'telephone1']);
      assert.equal(
        after.fields.title,
        'Marketing title',
        'the override: marketing wins jobtitle on a contact',
      );
      assert.equal(crm.jobtitle, 'Marketing title');
      assert.equal(after.fields.phone, '+1 555 1111', 'other fields keep the contact rule: the CRM wins');
      assert.equal(crm.telephone1, '+1 555 1111');
    }));
});
