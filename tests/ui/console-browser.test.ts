import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import type {
  SyncErrorView,
  SyncFieldView,
  SyncNotificationPage,
  SyncStatus,
} from '../../web/src/api/types.ts';
import type { Person, PersonList } from '../../src/api/contracts/person.ts';
import {
  eventually,
  screenshotFolder,
  skipBrowserTests,
  startConsoleWorld,
  type ConsoleWorld,
} from './console-world.ts';

// The admin console in Debian's chromium against the real product in demo mode (issue 6, acceptance 1–3).
// The tests share one browser page and run in order: the later ones build on the state the earlier ones left.
let world: ConsoleWorld;
let page: Page;
const pageErrors: string[] = [];

// A laptop screen.
const viewport = { width: 1280, height: 800 };

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotFolder, `${name}.png`) });
  await page.screenshot({ path: join(screenshotFolder, `${name}-full.png`), fullPage: true });
}

async function openPage(path: string, heading: string | RegExp): Promise<void> {
  await page.goto(`${world.app.url}${path}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

async function contactPerson(): Promise<Person> {
  const list = await world.api<PersonList>('GET', '/api/v1/persons?crmType=contact&limit=1');
  assert.equal(list.status, 200);
  return list.body.items[0]! as Person;
}

describe('the admin console in a browser (issue 6)', { skip: skipBrowserTests }, () => {
  before(async () => {
    world = await startConsoleWorld();
    const context = await world.browser.newContext({ viewport, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  after(async () => {
    await world?.stop();
  });

  test('a wrong key is refused with a clear message and no data is shown or fetched', async () => {
    const apiCalls: { url: string; status: number }[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/api/'))
        apiCalls.push({ url: response.url(), status: response.status() });
    });
    await page.goto(`${world.app.url}/persons`);
    await page.getByLabel('API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('This API key was refused').waitFor();
    await screenshot('login-refused');

    assert.ok(apiCalls.length >= 1, 'the key was checked against the API');
    assert.deepEqual(
      apiCalls.filter((call) => call.status !== 401),
      [],
      'every API call made with the wrong key was refused',
    );
    assert.equal(await page.getByRole('navigation').count(), 0, 'no page of the console is shown');
    assert.equal(await page.getByRole('table').count(), 0);
    const anEmail = String((await contactPerson()).email);
    assert.ok(!(await page.content()).includes(anEmail), 'no person data in the page');
    page.removeAllListeners('response');
  });

  test('the right key logs in; the dashboard shows a finished pass and the backlog (B6.5)', async () => {
    await page.getByLabel('API key').fill(world.apiKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Persons' }).waitFor();
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();

    // The demo's first pass (the initial load) finishes; the page polls the status.
    await page.getByTestId('passes-completed').filter({ hasNotText: /^0$/ }).waitFor({ timeout: 60_000 });
    const initialLoad = page.getByRole('progressbar', { name: 'Initial load' });
    await initialLoad.waitFor();
    const recent = page.getByRole('table', { name: 'Recent passes' });
    await recent.getByText('succeeded').first().waitFor();

    const backlog = page.getByRole('table', { name: 'Backlog per entity' });
    for (const entity of ['contact', 'lead', 'account'])
      await backlog.getByRole('rowheader', { name: entity, exact: true }).waitFor();
    const contactRow = backlog.locator('tr[data-entity="contact"]');
    const status = (await world.api<SyncStatus>('GET', '/api/v1/sync/status')).body;
    assert.ok(status.entities.contact!.syncedLast24h > 0);
    assert.match(
      (await contactRow.textContent()) ?? '',
      new RegExp(String(status.entities.contact!.syncedLast24h)),
    );
    // B6.5: the initial load's bar has the CRM's record-count snapshot as its total, and says what it is.
    assert.ok(
      status.initialLoad.total !== null && status.initialLoad.total > 0,
      JSON.stringify(status.initialLoad),
    );
    assert.match(
      (await initialLoad.getAttribute('aria-valuetext')) ?? '',
      new RegExp(`of ${status.initialLoad.total.toLocaleString('en-US')}`),
    );
    assert.match(
      (await page.getByTestId('initial-load-total').textContent()) ?? '',
      /RetrieveTotalRecordCount.*within the last 24 hours/,
    );
    // Pending from the CRM is a count with its explanation, no longer "n/a".
    assert.equal(status.entities.contact!.fromCrm.basis, 'delta-token');
    const pendingCell = contactRow.locator('td').nth(2);
    assert.equal((await pendingCell.textContent())?.trim(), String(status.entities.contact!.fromCrm.pending));
    assert.match((await pendingCell.getAttribute('title')) ?? '', /since the last pass/);
    assert.match(
      (await page.getByTestId('pending-explained').textContent()) ?? '',
      /counted by the CRM.*after every pass/s,
    );
    // B4.5: the demo emulator ignores UpdateMultiple's ETags, so updates go through $batch.
    assert.equal(status.entities.contact!.writePath, 'batch');
    assert.match(
      (await page.getByTestId('write-paths').textContent()) ?? '',
      /contact: \$batch with If-Match/,
    );
    // B2.8: the latency panel, one row per direction, read from the status's `latency`.
    const latency = page.getByRole('table', { name: 'Latency per direction, last hour' });
    for (const direction of ['From the CRM', 'To the CRM'])
      await latency.getByRole('rowheader', { name: direction }).waitFor();
    assert.equal(typeof status.latency.toCrm.count, 'number');
    await page.getByRole('img', { name: /records written in the last 24 hours/ }).waitFor();
    await page.getByText('initial-load-done').first().waitFor();
    await screenshot('dashboard');
  });

  test('toggling the sync off and on (B8.1)', async () => {
    const toggle = page.getByRole('switch', { name: 'Sync enabled' });
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
    await toggle.click();
    await page.locator('[role=switch][aria-checked=false]').waitFor();
    await page.getByText('The sync is disabled').waitFor();
    assert.equal((await world.api<SyncStatus>('GET', '/api/v1/sync/status')).body.enabled, false);
    await page.getByText('paused').waitFor();

    // B6.5: while the sync is off, changes made in the CRM show as pending from the CRM once counted again
    // (at most 15 s later), with the count's explanation.
    for (const n of [1, 2, 3]) {
      const created = await world.crm('POST', '/api/data/v9.2/contacts', {
        lastname: `Waiting ${n}`,
        emailaddress1: `waiting${n}@example.com`,
      });
      assert.equal(created.status, 204);
    }
    const pendingCell = page
      .getByRole('table', { name: 'Backlog per entity' })
      .locator('tr[data-entity="contact"] td')
      .nth(2);
    await pendingCell.filter({ hasText: /^3$/ }).waitFor({ timeout: 40_000 });
    await screenshot('dashboard-pending');

    // And back on from the keyboard.
    await toggle.focus();
    await page.keyboard.press('Space');
    await page.locator('[role=switch][aria-checked=true]').waitFor();
    assert.equal((await world.api<SyncStatus>('GET', '/api/v1/sync/status')).body.enabled, true);
  });

  test('selecting a new CRM attribute and watching its backfill reach done (B5.4, B5.5)', async () => {
    await page.getByRole('link', { name: 'Fields' }).click();
    await page.getByRole('heading', { level: 1, name: 'Fields' }).waitFor();
    await page.getByRole('group', { name: 'Entity' }).getByRole('button', { name: 'lead' }).click();
    const checkbox = page.getByRole('checkbox', { name: 'Sync lead.new_tier' });
    assert.equal(await checkbox.isChecked(), false, 'the demo does not sync new_tier');
    // Inaccessible attributes cannot be selected (B5.1).
    await page.getByRole('group', { name: 'Entity' }).getByRole('button', { name: 'contact' }).click();
    assert.equal(
      await page.getByRole('checkbox', { name: 'Sync contact.new_creditscore' }).isDisabled(),
      true,
    );
    await page.getByRole('group', { name: 'Entity' }).getByRole('button', { name: 'lead' }).click();

    await checkbox.check();
    await page.getByRole('button', { name: 'Save selection' }).click();
    await page.getByText('The schema was refreshed from the CRM metadata').waitFor();

    const row = page.locator('tr[data-attribute="new_tier"]');
    await row.getByText('synced', { exact: true }).waitFor({ timeout: 90_000 });
    assert.equal(await checkbox.isChecked(), true);
    assert.equal(await checkbox.isDisabled(), false, 'a synced field can be deselected again');
    const fields = (await world.api<SyncFieldView[]>('GET', '/api/v1/sync/fields')).body;
    assert.equal(
      fields.find((field) => field.entity === 'lead' && field.attribute === 'new_tier')?.state,
      'synced',
    );
    const status = (await world.api<SyncStatus>('GET', '/api/v1/sync/status')).body;
    assert.ok(
      status.backfills.every(
        (backfill) => !backfill.attributes.includes('new_tier') || backfill.status === 'done',
      ),
    );
    await screenshot('fields');
  });

  test('an error appears after a CRM rule rejection; its CSV export; a retry resolves it (B6.1)', async () => {
    const message = 'UI test policy: this job title is not allowed';
    const rules = await world.crm('PUT', '/_emulator/rules', [
      {
        entity: 'contact',
        attribute: 'jobtitle',
        on: 'update',
        check: 'forbidden',
        value: 'Forbidden Title',
        message,
      },
    ]);
    assert.equal(rules.status, 200, JSON.stringify(rules.body));
    const person = await contactPerson();
    const patched = await world.api('PATCH', `/api/v1/persons/${person.id}`, { title: 'Forbidden Title' });
    assert.equal(patched.status, 200);

    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('button', { name: 'Run a pass now' }).click();
    await page.getByText('A pass was requested').waitFor();
    await eventually('the rejection to be recorded', async () => {
      const errors = await world.api<{ items: SyncErrorView[] }>(
        'GET',
        '/api/v1/sync/errors?q=UI%20test%20policy',
      );
      return errors.body.items.length > 0 ? true : undefined;
    });

    await page.getByRole('link', { name: 'Errors' }).click();
    await page.getByRole('heading', { level: 1, name: 'Errors' }).waitFor();
    const table = page.getByRole('table', { name: 'Sync errors' });
    await table.getByText(message).waitFor();
    await table.getByText('0x80040265').first().waitFor();

    // Filter by entity and search: it stays; a search for something else hides it.
    await page.getByLabel('Entity').selectOption('contact');
    await page.getByLabel('Search').fill('job title');
    await page.getByRole('button', { name: 'Apply' }).click();
    await table.getByText(message).waitFor();
    await screenshot('errors');
    await page.getByLabel('Search').fill('no error has this text');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No sync error matches.').waitFor();
    await page.getByLabel('Search').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await table.getByText(message).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^syncline-errors-.*\.csv$/);
    const rows = parse(await readFile((await download.path())!, 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    const exported = rows.find((row) => row.message === message);
    assert.ok(exported, `the export holds the error: ${JSON.stringify(rows)}`);
    assert.equal(exported.entity, 'contact');
    assert.equal(exported.crmId, person.crmContactId);
    assert.equal(exported.code, '0x80040265');

    // The CRM stops rejecting it: a retry pushes the record again and resolves the error.
    assert.equal((await world.crm('PUT', '/_emulator/rules', [])).status, 200);
    await table.getByRole('button', { name: `Retry contact ${person.crmContactId}` }).click();
    await page.getByRole('status').getByText('it went through').waitFor();
    // The list shows open errors only (B6.1): the resolved one leaves it.
    await page.getByRole('table', { name: 'Sync errors' }).getByText(message).waitFor({ state: 'detached' });
    const contact = await world.crm<{ jobtitle: string }>(
      'GET',
      `/api/data/v9.2/contacts(${person.crmContactId})`,
    );
    assert.equal(contact.body.jobtitle, 'Forbidden Title');
  });

  test("a person's activity log shows the CRM creation and the rejected push (B6.4); resync (B8.2)", async () => {
    const person = await contactPerson();
    await page.getByRole('link', { name: 'Persons' }).click();
    await page.getByRole('heading', { level: 1, name: 'Persons' }).waitFor();
    await page.getByLabel('Email').fill(String(person.email).toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    const table = page.getByRole('table', { name: 'Persons' });
    await table.getByText(String(person.email)).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1, 'the search found exactly this person');
    await screenshot('persons');

    await table.getByRole('link').first().click();
    await page.getByRole('heading', { level: 2, name: 'Activity log' }).waitFor();
    const timeline = page.getByRole('list', { name: 'Activity log, newest first' });
    await timeline.locator('[data-type="crm.created-person"]').waitFor();
    await timeline.locator('[data-type="crm.sync-failed"]').first().waitFor();
    await timeline.getByText('UI test policy').first().waitFor();
    const crm = page.getByRole('region', { name: 'CRM link' });
    await crm.getByText(String(person.crmContactId)).waitFor();
    await crm.getByText('contact', { exact: true }).waitFor();
    await screenshot('person');

    await page.getByRole('button', { name: 'Resync' }).click();
    await page.getByRole('status').getByText(`Resynced contact ${person.crmContactId}`).waitFor();
  });

  test('a collision on a contact shows on the conflicts page: both values, the CRM as winner (B4.3)', async () => {
    const list = await world.api<PersonList>('GET', '/api/v1/persons?crmType=contact&limit=2');
    const person = list.body.items[1]! as Person;
    // Both sides change the same field between two passes.
    assert.equal((await world.api('POST', '/api/v1/sync/disable')).status, 200);
    assert.equal(
      (await world.api('PATCH', `/api/v1/persons/${person.id}`, { city: 'Marketing City' })).status,
      200,
    );
    const crmEdit = await world.crm('PATCH', `/api/data/v9.2/contacts(${person.crmContactId})`, {
      address1_city: 'CRM City',
    });
    assert.equal(crmEdit.status, 204);
    assert.equal((await world.api('POST', '/api/v1/sync/enable')).status, 200);
    await eventually('the conflict to be recorded', async () => {
      const conflicts = await world.api<{ items: unknown[] }>(
        'GET',
        `/api/v1/sync/conflicts?personId=${person.id}`,
      );
      return conflicts.body.items.length > 0 ? true : undefined;
    });

    await openPage('/conflicts', 'Conflicts');
    const row = page
      .getByRole('table', { name: 'Conflicts' })
      .getByRole('row')
      .filter({ hasText: 'Marketing City' });
    await row.getByText('CRM City').waitFor();
    await row.getByText('city', { exact: true }).waitFor();
    // A contact: the CRM's value wins; the marketing value is kept here.
    await row.locator('td.winner').getByText('CRM City').waitFor();
    await row.getByText('CRM', { exact: true }).waitFor();
    await screenshot('conflicts');
  });

  test('the notifications page lists what happened, each with its delivery to the notification URL (B6.6)', async () => {
    // The page reads the list once: wait until the backfill's notification has had a failed attempt.
    await eventually('a failed attempt to send the backfill notification', async () => {
      const { body } = await world.api<SyncNotificationPage>('GET', '/api/v1/notifications?limit=50');
      const backfill = body.items.find((n) => n.type === 'backfill-done');
      return backfill?.delivery !== null && (backfill?.delivery?.attempts ?? 0) >= 1 ? true : undefined;
    });
    await openPage('/notifications', 'Notifications');
    await page.getByText('initial-load-done').first().waitFor();
    await page.getByText('backfill-done').first().waitFor();
    // The receiver took the initial load's notification and answers the others 500 (console-world.ts).
    const initialLoad = page.getByRole('listitem').filter({ hasText: 'initial-load-done' }).first();
    await initialLoad.getByLabel('Delivery').getByText('sent', { exact: true }).waitFor();
    const backfill = page.getByRole('listitem').filter({ hasText: 'backfill-done' }).first();
    await backfill.getByText('retrying', { exact: true }).waitFor();
    await backfill.getByText(/failed, the last with HTTP 500 from the receiver: receiver is busy/).waitFor();
    await screenshot('notifications');
  });

  test('the campaigns editor creates, edits and deletes a trigger campaign (B7.5)', async () => {
    await openPage('/campaigns', 'Campaigns');
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { level: 1, name: 'New campaign' }).waitFor();
    await page.getByLabel('Name').fill('Web leads to Sam');
    const filters = page.getByRole('group', { name: /Filters/ });
    await filters.getByRole('button', { name: 'Add filter' }).click();
    await filters.getByLabel('Field').selectOption('leadSource');
    await filters.getByLabel('Condition').selectOption('equals');
    await filters.getByLabel('Value').fill('Web');
    const steps = page.getByRole('group', { name: /Flow steps/ });
    await steps.getByLabel('Owner', { exact: true }).selectOption({ label: 'Sam Seller' });
    await steps.getByRole('button', { name: 'Add step' }).click();
    await steps.getByLabel('Action').nth(1).selectOption('create-task');
    await steps.getByLabel('Subject').fill('Call the new web lead');
    await page.getByRole('button', { name: 'Create campaign' }).click();

    const table = page.getByRole('table', { name: 'Campaigns' });
    await table.getByRole('link', { name: 'Web leads to Sam' }).waitFor();
    await table.getByText('Sync Person to Microsoft → Create Task').waitFor();
    const stored = await world.api<{
      items: { id: string; name: string; filters: unknown; steps: unknown }[];
    }>('GET', '/api/v1/campaigns');
    assert.equal(stored.body.items.length, 1);
    assert.deepEqual(stored.body.items[0]!.filters, [
      { field: 'leadSource', operator: 'equals', value: 'Web' },
    ]);
    assert.deepEqual(stored.body.items[0]!.steps, [
      { action: 'sync-to-crm', syncAs: 'lead', ownerId: 'b2b2b2b2-0000-4000-8000-000000000001' },
      { action: 'create-task', subject: 'Call the new web lead', dueInDays: 5 },
    ]);
    await screenshot('campaigns');

    await table.getByRole('link', { name: 'Web leads to Sam' }).click();
    await page.getByRole('heading', { level: 1, name: 'Web leads to Sam' }).waitFor();
    await page.getByLabel('When').selectOption('field-changed');
    await page.getByRole('group', { name: 'Trigger' }).getByLabel('Field').selectOption('leadSource');
    await page.getByLabel('To (optional)').fill('Web');
    await screenshot('campaign-editor');
    await page.getByRole('button', { name: 'Save campaign' }).click();
    await table.getByText('leadSource changes to Web').waitFor();

    // Issue 16 item 6: a trigger on what the sync does — a lead qualified into a contact.
    await table.getByRole('link', { name: 'Web leads to Sam' }).click();
    await page.getByRole('heading', { level: 1, name: 'Web leads to Sam' }).waitFor();
    await page.getByLabel('When').selectOption('crm-type-changed');
    await page.getByLabel('From', { exact: true }).selectOption('lead');
    await page.getByLabel('To', { exact: true }).selectOption('contact');
    await page.getByRole('button', { name: 'Save campaign' }).click();
    await table.getByText('CRM type changes from lead to contact').waitFor();
    const qualified = await world.api<{ items: { trigger: unknown }[] }>('GET', '/api/v1/campaigns');
    assert.deepEqual(qualified.body.items[0]!.trigger, {
      type: 'crm-type-changed',
      from: 'lead',
      to: 'contact',
    });

    await table.getByRole('link', { name: 'Web leads to Sam' }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No campaign yet.').waitFor();
    assert.deepEqual((await world.api<{ items: unknown[] }>('GET', '/api/v1/campaigns')).body.items, []);
  });

  test('long values wrap or are cut: no page scrolls sideways', async () => {
    const long = 'Unbroken'.repeat(60);
    const email = `${'long'.repeat(40)}@example.com`;
    const created = await world.api<{ id: string }>('POST', '/api/v1/persons', {
      email,
      firstName: long,
      lastName: 'Longvalue',
      company: `${long} Ltd`,
      notes: `${'word '.repeat(300)}${long}`,
    });
    assert.equal(created.status, 201);
    const fitsTheWindow = () =>
      page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

    await openPage('/persons', 'Persons');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('table', { name: 'Persons' }).getByTitle(`${long} Longvalue`).waitFor();
    assert.equal(await fitsTheWindow(), true, 'the persons list fits the window');

    await openPage(`/persons/${created.body.id}`, `${long} Longvalue`);
    await page.getByRole('heading', { level: 2, name: 'Fields' }).waitFor();
    await screenshot('person-long-values');
    assert.equal(await fitsTheWindow(), true, 'the person page fits the window');
  });

  test('logging out forgets the key', async () => {
    await openPage('/', 'Dashboard');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API key').waitFor();
    await page.getByText('You are logged out.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.reload();
    await page.getByLabel('API key').waitFor();
    await page.getByLabel('API key').fill(world.apiKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  });

  test('running Sync Person to Microsoft from the person page (B7.1)', async () => {
    const created = await world.api<{ id: string }>('POST', '/api/v1/persons', {
      email: 'ui.flow.action@example.com',
      firstName: 'Flora',
      lastName: 'Flowaction',
      company: 'Flow Action Ltd',
    });
    assert.equal(created.status, 201);
    await openPage(`/persons/${created.body.id}`, 'Flora Flowaction');
    const crm = page.getByRole('region', { name: 'CRM link' });
    await crm.getByText('This person is not linked').waitFor();

    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByRole('radio', { name: 'lead' }).check();
    await actions.getByLabel('Owner', { exact: true }).selectOption({ label: 'Sam Seller' });
    await actions.getByRole('button', { name: 'Sync Person to Microsoft' }).click();
    const outcome = await actions.getByRole('status').filter({ hasText: /Created in the CRM as lead/ });
    await outcome.waitFor({ timeout: 30_000 });
    const leadId = /lead ([0-9a-f-]{36})/.exec((await outcome.textContent()) ?? '')?.[1];
    assert.ok(leadId, 'the answer names the new lead');

    const lead = await world.crm<Record<string, unknown>>('GET', `/api/data/v9.2/leads(${leadId})`);
    assert.equal(lead.status, 200);
    assert.equal(lead.body.emailaddress1, 'ui.flow.action@example.com');
    assert.equal(lead.body._ownerid_value, 'b2b2b2b2-0000-4000-8000-000000000001');
    await crm.getByText(leadId).waitFor();
    await page
      .getByRole('list', { name: 'Activity log, newest first' })
      .locator('[data-type="crm.pushed"]')
      .waitFor();
    await screenshot('person-synced');

    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });
});
