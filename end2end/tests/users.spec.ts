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

test('the password policy set in System is what every new password meets', async ({ page }, info) => {
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await page.goto('/system');
  await hydrated(page);
  const card = page.getByRole('region', { name: 'Password policy' });
  await expect(card.getByTestId('password-policy')).toHaveText('At least 8 characters · common passwords refused · passwords never expire');
  await card.getByLabel('Minimum length (8–64)').fill('3');
  await card.getByLabel('Days a password lasts (0 = never expires)').fill('-5');
  await card.getByRole('button', { name: 'Save password policy' }).click();
  await expect(card.locator('#pp-min-error')).toContainText('from 8 to 64');
  await expect(card.locator('#pp-days-error')).toContainText('0 (never expires)');
  await card.getByLabel('Minimum length (8–64)').fill('14');
  await card.getByLabel('Days a password lasts (0 = never expires)').fill('90');
  await card.getByRole('button', { name: 'Save password policy' }).click();
  await expect(card.getByRole('status')).toContainText('At least 14 characters');
  try {
    await page.goto('/users');
    await hydrated(page);
    const name = uniqueName('policy', info.project.name);
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password', { exact: true }).fill('thirteen-char');
    await page.getByRole('button', { name: 'Add user' }).click();
    await expect(page.locator('#new-user-password-error')).toContainText('at least 14 characters');
    await page.getByLabel('Password', { exact: true }).fill('fourteen-chars');
    await page.getByRole('button', { name: 'Add user' }).click();
    await expect(page.locator(`tr[data-user="${name}"]`)).toBeVisible();
  } finally {
    // Back to the default, for the other tests on this MCU.
    const r = await page.request.post('/api/set_password_policy', { form: { min_length: '8', reject_common: 'on', expiry_days: '0' } });
    expect(r.status()).toBe(200);
  }
});
