import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

/**
 * `$filter` details a third-party client found (issue 16 item 9): Microsoft's In example with single-quoted
 * values, and SQL Server's three-valued logic for null columns (filter-rows: "Records aren't returned if the
 * expression evaluates to false or null").
 */
describe('emulator $filter: array literals and null semantics', () => {
  let ctx: EmulatorContext;
  // lastname → jobtitle; two rows without a job title.
  const people: Record<string, string | null> = {
    Ames: 'Engineer',
    "O'Brian": 'Manager',
    Byrd: null,
    Cole: 'Engineer',
    Dunn: null,
  };
  before(async () => {
    ctx = await openEmulator({ seed: 'empty' });
    for (const [lastname, jobtitle] of Object.entries(people)) {
      const created = await ctx.request('POST', 'contacts', { body: { lastname, jobtitle } });
      assert.equal(created.status, 204, created.text);
    }
  });
  after(() => ctx.close());

  const names = async (query: string): Promise<string[]> => {
    const response = await ctx.request('GET', `contacts?$select=lastname&${query}`);
    assert.equal(response.status, 200, `${query}: ${response.text}`);
    return (response.json.value as { lastname: string }[]).map((c) => c.lastname).sort();
  };
  const filtered = (filter: string) => names(`$filter=${encodeURIComponent(filter)}`);

  test("In with Microsoft's single-quoted example values, with parameter aliases and inline", async () => {
    const aliased =
      '$filter=' +
      encodeURIComponent('Microsoft.Dynamics.CRM.In(PropertyName=@p1,PropertyValues=@p2)') +
      `&@p1=${encodeURIComponent("'lastname'")}&@p2=${encodeURIComponent("['Ames','cole']")}`;
    assert.deepEqual(await names(aliased), ['Ames', 'Cole']);
    assert.deepEqual(
      await filtered(`Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=[ 'Byrd' , "Dunn" ])`),
      ['Byrd', 'Dunn'],
      'single and double quotes mix; spaces around items',
    );
    assert.deepEqual(
      await filtered(`Microsoft.Dynamics.CRM.NotIn(PropertyName='jobtitle',PropertyValues=['Engineer'])`),
      ["O'Brian"],
      'NotIn leaves out null job titles',
    );
    assert.deepEqual(
      await filtered(
        `lastname eq '[x]' or Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=['Ames'])`,
      ),
      ['Ames'],
      'a bracket inside a quoted literal is not an array',
    );
    assert.deepEqual(await filtered(`startswith(lastname,'[a-c]')`), ['Ames', 'Byrd', 'Cole'], 'LIKE sets');
    assert.deepEqual(await filtered(`not(startswith(lastname,'[^a-c]'))`), ['Ames', 'Byrd', 'Cole']);
  });

  test('apostrophes in array values: double quotes or a backslash escape; a doubled quote is the documented error', async () => {
    assert.deepEqual(
      await filtered(
        `Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=["O'Brian","OBryan"])`,
      ),
      ["O'Brian"],
    );
    assert.deepEqual(
      await filtered(`Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=['O\\'Brian'])`),
      ["O'Brian"],
    );
    const response = await ctx.request(
      'GET',
      `contacts?$filter=${encodeURIComponent(`Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=['O''Brian'])`)}`,
    );
    assert.equal(response.status, 400);
    assert.deepEqual(errorOf(response), {
      code: '0x80060888',
      message:
        "Invalid JSON. A comma character ',' was expected in scope 'Array'. Every two elements in an array and properties of an object must be separated by commas.",
    });
  });

  test('ne, not(eq), not(contains) and the negated functions leave out rows where the column is null', async () => {
    assert.deepEqual(await filtered(`jobtitle ne 'Engineer'`), ["O'Brian"]);
    assert.deepEqual(await filtered(`not(jobtitle eq 'Engineer')`), ["O'Brian"]);
    assert.deepEqual(await filtered(`not contains(jobtitle,'eng')`), ["O'Brian"]);
    assert.deepEqual(await filtered(`not startswith(jobtitle,'M')`), ['Ames', 'Cole']);
    assert.deepEqual(await filtered(`not(jobtitle gt 'F')`), ['Ames', 'Cole']);
    assert.deepEqual(
      await filtered(`Microsoft.Dynamics.CRM.NotBetween(PropertyName='jobtitle',PropertyValues=['A','F'])`),
      ["O'Brian"],
    );
    // Unknown or true is true; unknown and false is false; not(unknown or false) stays unknown.
    assert.deepEqual(await filtered(`jobtitle ne 'Engineer' or lastname eq 'Dunn'`), ['Dunn', "O'Brian"]);
    assert.deepEqual(await filtered(`not(jobtitle eq 'Engineer' or lastname eq 'Zed')`), ["O'Brian"]);
  });

  test('eq null and ne null are IS NULL and IS NOT NULL', async () => {
    assert.deepEqual(await filtered(`jobtitle eq null`), ['Byrd', 'Dunn']);
    assert.deepEqual(await filtered(`jobtitle ne null`), ['Ames', 'Cole', "O'Brian"]);
    assert.deepEqual(await filtered(`not(jobtitle eq null)`), ['Ames', 'Cole', "O'Brian"]);
    assert.deepEqual(await filtered(`jobtitle ne null and jobtitle ne 'Manager'`), ['Ames', 'Cole']);
  });
});
