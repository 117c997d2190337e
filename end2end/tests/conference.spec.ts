import { ADMIN, expect, hydrated, login, test } from './helpers';

test('start a conference, dial out, mute, disconnect, see a dial-in arrive on another page, terminate', async ({ page, context }, info) => {
  const name = `Weekly ${info.project.name}`;
  const id = info.project.name === 'phone' ? '5502' : '5501';
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await hydrated(page);
  await page.getByText('New conference').click();
  await page.getByLabel('Conference name').fill(name);
  await page.getByLabel('ID', { exact: true }).fill(id);
  await page.getByRole('button', { name: 'Start conference' }).click();
  await page.locator(`tr[data-conference="${name}"]`).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await hydrated(page);

  await page.getByText('Add participant (dial out)').click();
  await page.getByLabel('Participant name').fill('Lisbon room');
  await page.getByLabel('Address (IP, H.323 alias or SIP URI)').fill('not an address');
  await page.getByRole('button', { name: 'Add and dial' }).click();
  await expect(page.locator('#p-addr-error')).toContainText('is not an IP address or H.323 alias');
  await page.getByLabel('Address (IP, H.323 alias or SIP URI)').fill('10.20.30.40');
  await page.getByRole('button', { name: 'Add and dial' }).click();
  const row = page.locator('tr[data-participant="Lisbon room"]');
  await expect(row).toContainText('Connected');
  await expect(page.getByTestId('participant-count')).toHaveText('(1/1)');

  await row.getByRole('button', { name: 'Mute audio Lisbon room' }).click();
  await expect(row).toContainText('Muted');
  await row.getByRole('button', { name: 'Disconnect Lisbon room' }).click();
  await expect(row).toContainText('Disconnected');
  await expect(page.getByTestId('participant-count')).toHaveText('(0/1)');

  // A participant calls in (simulation endpoint) while a second page is open: it appears there by itself.
  const other = await context.newPage();
  await other.goto(page.url());
  await hydrated(other);
  const r = await page.request.post('/api/simulate_dial_in', {
    form: { numeric_id: id, name: 'Caller from Oslo', address: 'sip:oslo@example.com', protocol: 'sip' },
  });
  expect(r.status(), await r.text()).toBe(200);
  await expect(other.locator('tr[data-participant="Caller from Oslo"]')).toContainText('Dial-in', { timeout: 5_000 });

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Terminate conference' }).click();
  await expect(page).toHaveURL(/\/conferences(\?ended=\d+)?$/);
  await expect(page.getByRole('status')).toContainText(`Conference ${id} was terminated`);
  await expect(page.locator(`tr[data-conference="${name}"]`)).toHaveCount(0);
});
