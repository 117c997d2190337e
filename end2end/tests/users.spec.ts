import { ADMIN, addUserViaApi, expect, hydrated, login, test, uniqueName } from './helpers';

test('an Administrator unlocks a user locked by failed logins, and disables then enables one', async ({ page, browser }, info) => {
  const name = uniqueName('lockme', info.project.name);
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await addUserViaApi(page, name, 'right-pass-123', 'operator');

  // Five wrong passwords lock the name (from this address).
  const other = await browser.newContext();
  for (let i = 0; i < 5; i++) {
    const r = await other.request.post('/api/login', { form: { username: name, password: 'wrong-pass-000', next: '/' } });
    expect(r.status()).toBe(401);
  }
  await page.goto('/users');
  await hydrated(page);
  const row = page.locator(`tr[data-user="${name}"]`);
  await expect(row.locator('td[data-label="Locked"]')).toContainText(/^Yes \(\d+ s left\)$/);
  await expect(row.locator('td[data-label="Disabled"]')).toHaveText('No');
  await row.getByRole('button', { name: `Unlock ${name}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `User '${name}' unlocked` })).toBeVisible();
  await expect(row.locator('td[data-label="Locked"]')).toHaveText('No');
  const ok = await other.request.post('/api/login', { form: { username: name, password: 'right-pass-123', next: '/' } });
  expect(ok.status(), await ok.text()).toBe(200);

  // Disabled: the right password says so, and the session they had is gone.
  await row.getByRole('button', { name: `Disable ${name}` }).click();
  await expect(row.locator('td[data-label="Disabled"]')).toHaveText('Yes');
  const gone = await other.request.post('/api/list_conferences');
  expect(gone.status()).toBe(401);
  const refused = await other.request.post('/api/login', { form: { username: name, password: 'right-pass-123', next: '/' } });
  expect(refused.status()).toBeGreaterThanOrEqual(400);
  expect(await refused.text()).toContain('is disabled');
  // Nobody disables themselves.
  await page.locator(`tr[data-user="${ADMIN.name}"]`).getByRole('button', { name: `Disable ${ADMIN.name}` }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'You cannot disable the user you are logged in as' })).toBeVisible();
  await row.getByRole('button', { name: `Enable ${name}` }).click();
  await expect(row.locator('td[data-label="Disabled"]')).toHaveText('No');
  const back = await other.request.post('/api/login', { form: { username: name, password: 'right-pass-123', next: '/' } });
  expect(back.status(), await back.text()).toBe(200);
  await other.close();
});
