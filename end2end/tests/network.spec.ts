import { ADMIN, expect, hydrated, login, loginAsNewUser, test } from './helpers';

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

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Reset MCU' }).click();
  await expect(page.getByText('The MCU is resetting')).toBeVisible();
  // The page loads again by itself once the MCU is back.
  await expect(page.getByLabel('Host name', { exact: true })).toHaveValue(host, { timeout: 20_000 });
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
