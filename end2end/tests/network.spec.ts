import { ADMIN, confirmDanger, expect, hydrated, login, loginAsNewUser, test } from './helpers';

test('a setting that needs a System Reset goes pending, then applies after Reset MCU', async ({ page }, info) => {
  const host = `mcu-e2e-${info.project.name}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await page.goto('/network');
  await hydrated(page);

  await page.getByLabel('Control unit IP address').fill('10.0.0.300');
  await page.getByRole('button', { name: 'Save management network' }).click();
  await expect(page.locator('#mg-addr-error')).toContainText('is not an IPv4 or IPv6 address');
  await page.getByLabel('Control unit IP address').fill('10.0.0.7');
  await page.getByLabel('Host name', { exact: true }).fill('not a host');
  await page.getByRole('button', { name: 'Save management network' }).click();
  await expect(page.locator('#mg-host-error')).toContainText('is not a valid host name');

  await page.getByLabel('Host name', { exact: true }).fill(host);
  await page.getByRole('button', { name: 'Save management network' }).click();
  await expect(page.getByText('takes effect after a System Reset')).toBeVisible();
  await expect(page.getByText('Waiting for a System Reset: management network.')).toBeVisible();

  // A second tab of the same MCU stays open (its live-update stream too): the reset must
  // not wait for it.
  const second = await page.context().newPage();
  await second.goto('/conferences');
  await hydrated(second);

  expect(await confirmDanger(page, 'Reset MCU', 'MCU-E2E')).toContain('MCU-E2E restarts and applies the settings waiting for a reset.');
  await expect(page.getByText('The MCU is resetting')).toBeVisible();
  // The page loads again by itself once the MCU is back (4 s after the answer).
  await expect(page.getByLabel('Host name', { exact: true })).toHaveValue(host, { timeout: 10_000 });
  await second.reload();
  await expect(second.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await second.close();
  await expect(page.getByText('Waiting for a System Reset')).toHaveCount(0);
  await expect(page.getByText(`Host name (registered)`)).toBeVisible();
});

test('an Operator sees the network settings but cannot change them', async ({ page }, info) => {
  await loginAsNewUser(page, 'netop', info.project.name, 'operator');
  await page.goto('/network');
  await hydrated(page);
  await expect(page.getByLabel('Host name', { exact: true })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Save management network' })).toHaveCount(0);
  const r = await page.request.post('/api/set_management_network', {
    form: { control_unit_address: '10.0.0.8', host_name: 'sneaky', dns: '' },
  });
  expect(r.status()).toBe(403);
  expect(await r.text()).toContain('Administrator only');
});

test('the Administrator backs up the configuration from the System page', async ({ page }) => {
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await page.goto('/system');
  await hydrated(page);
  await page.getByRole('button', { name: 'Backup configuration' }).click();
  await expect(page.getByText(/Backup written to .*backups\/mcu-.*\.sqlite3/)).toBeVisible();
});

test('an Operator has no backup or reset on the System page', async ({ page }, info) => {
  await loginAsNewUser(page, 'sysop', info.project.name, 'operator');
  await page.goto('/system');
  await hydrated(page);
  await expect(page.getByTestId('system-name')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Backup configuration' })).toHaveCount(0);
  const r = await page.request.post('/api/backup_configuration');
  expect(r.status()).toBe(403);
});

test('a page of another origin cannot change anything, even with the session cookie', async ({ page }, info) => {
  const forgedName = `Forged from elsewhere ${info.project.name}`;
  const ownName = `Made on its own page ${info.project.name}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const forged = await page.request.post('/api/add_conference', {
    form: { name: forgedName, numeric_id: '' },
    headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
  });
  expect(forged.status()).toBe(403);
  const own = await page.request.post('/api/add_conference', {
    form: { name: ownName, numeric_id: '' },
    headers: { Origin: new URL(page.url()).origin, 'Sec-Fetch-Site': 'same-origin' },
  });
  expect(own.status(), await own.text()).toBe(200);
  await page.goto('/conferences');
  await expect(page.getByText(ownName)).toBeVisible();
  await expect(page.getByText(forgedName)).toHaveCount(0);
});
