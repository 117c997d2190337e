import { ADMIN, conferenceWithCallers, expect, hydrated, login, test } from './helpers';

test('the address book: an entry added, a CSV imported (all or nothing), exported, and a group dialled into a conference', async ({ page }, info) => {
  const p = info.project.name;
  const group = `Board ${p}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await page.goto('/address-book');
  await hydrated(page);
  const form = page.locator('details.card').first();
  await form.getByText('New entry').click();
  await form.getByLabel('Name').fill(`Alice ${p}`);
  await form.getByLabel('Address (IP, H.323 alias or SIP URI)').fill('999.1.1.1');
  await form.getByLabel('Numeric alias (optional)').fill('12a');
  await form.getByRole('button', { name: 'Save entry' }).click();
  await expect(form.getByText('is not a valid IP address')).toBeVisible();
  await expect(form.getByText('digits only')).toBeVisible();
  await form.getByLabel('Address (IP, H.323 alias or SIP URI)').fill('10.7.0.1');
  await form.getByLabel('Numeric alias (optional)').fill('7001');
  await form.getByLabel('Group (optional)').fill(group);
  await form.getByRole('button', { name: 'Save entry' }).click();
  await expect(page.locator(`tr[data-entry="Alice ${p}"]`)).toContainText('10.7.0.1');

  const io = page.getByRole('region', { name: 'Import and export (CSV)' });
  const csv = io.getByLabel('CSV to import');
  await csv.fill(`name,protocol,address,alias,group,notes\nBob ${p},sip,bob@example.com,,${group},\nCarl ${p},fax,1.2.3.4,,,\n`);
  await io.getByRole('button', { name: 'Import' }).click();
  await expect(io.locator('#ab-csv-error')).toContainText('Nothing was imported. line 3:');
  await expect(page.locator(`tr[data-entry="Bob ${p}"]`)).toHaveCount(0);
  await csv.fill(`name,protocol,address,alias,group,notes\nBob ${p},sip,bob@example.com,,${group},"desk, 2nd floor"\n`);
  await io.getByRole('button', { name: 'Import' }).click();
  await expect(io.getByRole('status')).toContainText('1 entries imported');
  await expect(page.locator(`tr[data-entry="Bob ${p}"]`)).toContainText('desk, 2nd floor');
  await io.getByRole('button', { name: 'Export CSV' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), io.getByTestId('address-book-file').click()]);
  expect(download.suggestedFilename()).toBe('address-book.csv');

  // The group dialled into a conference in one action.
  const href = await conferenceWithCallers(page, `Book call ${p}`, p === 'phone' ? '6702' : '6701', []);
  await page.goto(href);
  await hydrated(page);
  await page.getByText('Add from Address Book').click();
  await page.getByLabel('Group', { exact: true }).selectOption(group);
  await page.getByRole('button', { name: 'Dial group' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Group '${group}' dialled` })).toContainText('2 of 2 connected');
  await expect(page.getByTestId('participant-count')).toHaveText('(2/2)');
  await page.request.post('/api/terminate_conference', { form: { id: href.split('/').pop()! } });
});
