import { ADMIN, addUserViaApi, expect, hydrated, login, test, uniqueName } from './helpers';

test('an Auditor finds an Administrator\'s change in the trail, filters it and exports it as CSV', async ({ page }, info) => {
  // The Administrator makes a change and adds the Auditor.
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const conf = uniqueName('Audited', info.project.name);
  const id = String(50000 + (Date.now() % 10000));
  const made = await page.request.post('/api/add_conference', { form: { name: conf, numeric_id: id } });
  expect(made.status(), await made.text()).toBe(200);
  const auditor = uniqueName('aud', info.project.name);
  await addUserViaApi(page, auditor, 'auditor-pass-1', 'auditor');
  await page.context().clearCookies();

  await login(page, auditor, 'auditor-pass-1');
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  // An Auditor reads; the form that starts a conference is not shown to them.
  await hydrated(page);
  await expect(page.getByText('New conference')).toHaveCount(0);
  await page.goto('/audit');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Audit Trail' })).toBeVisible();
  // Filter by user and kind: the page's query, so it can be bookmarked.
  await page.getByLabel('User').fill(ADMIN.name);
  await page.getByLabel('Kind').selectOption({ label: 'Change' });
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/kind=change/);
  await hydrated(page);
  const row = page.locator('table.list tr[data-kind="change"]', { hasText: `Conference '${conf}' saved` });
  await expect(row).toContainText('Administrator');
  await expect(row).toContainText('127.0.0.1');
  await expect(page.locator('table.list tr[data-kind="login"]')).toHaveCount(0);
  // Times are to the second.
  await expect(row.locator('td[data-label="Time"]')).toHaveText(/\d{2}:\d{2}:\d{2}/);

  // Export: the same filter, as a CSV download.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^audit-.*\.csv$/);
  const path = await file.path();
  const csv = require('node:fs').readFileSync(path, 'utf8') as string;
  expect(csv.split('\r\n')[0]).toBe('time_utc,mcu,user,role,client,kind,summary,result,seq');
  expect(csv).toContain(`Conference '${conf}' saved,ok,`);
  expect(csv).not.toContain(',Login,');
  // Logins and logouts are left out unless asked for.
  await page.goto('/audit');
  await hydrated(page);
  await expect(page.getByLabel('Show logins and logouts')).not.toBeChecked();
  await expect(page.locator('table.list tr[data-kind="login"]')).toHaveCount(0);
  await page.getByLabel('Show logins and logouts').check();
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/logins=1/);
  await expect(page.locator('table.list tr[data-kind="login"]').first()).toBeVisible();

  // The menu offers it to an Auditor; an Operator gets neither the page nor the file.
  await page.context().clearCookies();
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const operator = uniqueName('op', info.project.name);
  await addUserViaApi(page, operator, 'operator-pass-1', 'operator');
  await page.context().clearCookies();
  await login(page, operator, 'operator-pass-1');
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await page.goto('/audit');
  await hydrated(page);
  await expect(page.getByText('does not allow this: reading the audit trail')).toBeVisible();
  expect((await page.request.get('/api/audit.csv')).status()).toBe(403);
});
