import { ADMIN, expect, hydrated, login, test, addProfileViaApi } from './helpers';

test('a reservation needs a start or "Start now", and then becomes an ongoing conference', async ({ page, context }, info) => {
  const profile = `Res HD ${info.project.name}`;
  const name = `Daily sync ${info.project.name}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await addProfileViaApi(page, profile, '1920');

  // The conference list stays open in a second page: the start must appear there by itself.
  const list = await context.newPage();
  await list.goto('/conferences');
  await hydrated(list);
  await expect(list.locator(`tr[data-conference="${name}"]`)).toHaveCount(0);

  await page.goto('/reservations');
  await hydrated(page);
  const form = page.locator('details.card');
  await form.getByText('New reservation').click();
  await form.getByLabel('Reservation name').fill(name);
  await form.getByLabel('Profile').selectOption({ label: profile });
  await form.getByLabel('Duration (H:MM)').fill('25:00');
  // An empty start is not "now": both mistakes are named at once.
  await form.getByLabel('Date', { exact: true }).fill('');
  await form.getByRole('button', { name: 'Save reservation' }).click();
  await expect(form.getByText('from 1 minute to 24 hours')).toBeVisible();
  await expect(form.getByText('or tick "Start now"')).toBeVisible();
  await form.getByLabel('Duration (H:MM)').fill('0:30');
  await form.getByLabel('Defined participants').fill('Alice, 10.1.1.1\nBob, bob@example.com');
  await form.getByLabel('Start now').check();
  await expect(form.getByLabel('Date', { exact: true })).toBeDisabled();
  await form.getByRole('button', { name: 'Save reservation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Reservation '${name}'` })).toBeVisible();

  // The scheduler starts it at once, dials the two defined participants, and the
  // reservation (a single occurrence) leaves the list.
  const row = list.locator(`tr[data-conference="${name}"]`);
  await expect(row).toContainText('(2/2)', { timeout: 15_000 });
  await expect(page.locator(`tr[data-reservation="${name}"]`)).toHaveCount(0);
  await list.close();
});

test('a recurring reservation: weekdays every two weeks until a date, numbered occurrences, local times', async ({ page }, info) => {
  const profile = `Series HD ${info.project.name}`;
  const name = `Standup ${info.project.name}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await addProfileViaApi(page, profile, '1920');
  await page.goto('/reservations');
  await hydrated(page);
  const form = page.locator('details.card');
  await form.getByText('New reservation').click();
  await form.getByLabel('Reservation name').fill(name);
  await form.getByLabel('Profile').selectOption({ label: profile });
  const tomorrow = new Date(Date.now() + 86_400_000);
  const ymd = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await form.getByLabel('Date', { exact: true }).fill(ymd(tomorrow));
  await form.getByLabel('Time (24-hour, HH:MM)').fill('9:5');
  await form.getByLabel('Recurrence').selectOption('weekly');
  await form.getByLabel('Every N weeks (1–52)').fill('2');
  // A new series starts with no weekday ticked (none: the start's weekday); tick two.
  for (const d of ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']) await expect(form.getByLabel(d, { exact: true })).not.toBeChecked();
  for (const d of ['Mon', 'Wed']) await form.getByLabel(d, { exact: true }).check();
  await form.getByLabel('End by').check();
  const until = new Date(Date.now() + 40 * 86_400_000);
  await form.getByLabel('End date').fill(ymd(until));
  await form.getByRole('button', { name: 'Save reservation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Reservation '${name}'` })).toBeVisible();
  const row = page.locator(`tr[data-reservation="${name}"]`);
  await expect(row).toContainText('Every 2 weeks on Mon, Wed');
  await expect(row).toContainText(`until ${ymd(until)}`);
  await expect(row).toContainText(`Next: ${name}_00001`);
  // Shown in the reader's time zone, with UTC on hover; 09:05 as typed.
  await expect(row.locator('td[data-label="Start Time"] time')).toContainText('09:05');
  await expect(row.locator('td[data-label="Start Time"] time')).toHaveAttribute('title', / UTC$/);
  // The week at a glance, on a phone too (a list of days), a week at a time ahead.
  await expect(page.getByRole('region', { name: /next seven days/ })).toBeVisible();
  await expect(page.getByRole('link', { name: '← Previous week' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Next week →' }).click();
  const next = page.getByRole('region', { name: /^Seven days from \d{4}-\d{2}-\d{2}/ });
  await expect(next).toBeVisible();
  await expect(next.locator('li.week-day')).toHaveCount(7);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await page.getByRole('link', { name: '← Previous week' }).click();
  await expect(page.getByRole('region', { name: /next seven days/ })).toBeVisible();
});

test.describe('a reader in Berlin', () => {
  test.use({ timezoneId: 'Europe/Berlin' });

  test('a weekly 09:00 series made in Europe/Berlin stays at 09:00 there after the clocks change; a zone that is not one is named', async ({ page }, info) => {
    const name = `Berlin weekly ${info.project.name}`;
    await login(page, ADMIN.name, ADMIN.password);
    await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
    await page.goto('/reservations');
    await hydrated(page);
    // The calendar counts Berlin's days; the form offers Berlin's zone.
    await expect(page.getByRole('region', { name: /next seven days/ })).toContainText('days in Europe/Berlin');
    const form = page.locator('details.card');
    await form.getByText('New reservation').click();
    const zone = form.getByLabel(/^Time zone/);
    await expect(zone).toHaveValue('Europe/Berlin');
    await form.getByLabel('Reservation name').fill(name);
    // Next Monday in Berlin, 09:00, every week, 30 times: across 28 March 2027.
    const monday = await page.evaluate(() => {
      const d = new Date();
      d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    });
    await form.getByLabel('Date', { exact: true }).fill(monday);
    await form.getByLabel('Time (24-hour, HH:MM)').fill('09:00');
    await form.getByLabel('Recurrence').selectOption('weekly');
    await form.getByLabel('End after').check();
    await form.getByLabel('Occurrences').fill('30');
    await zone.fill('Europe/Atlantis');
    await form.getByRole('button', { name: 'Save reservation' }).click();
    await expect(form.getByText('an IANA name such as Europe/Berlin')).toBeVisible();
    await expect(zone).toHaveAttribute('aria-invalid', 'true');
    await zone.fill('Europe/Berlin');
    await form.getByRole('button', { name: 'Save reservation' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Reservation '${name}'` })).toContainText('09:00 (Europe/Berlin)');
    const row = page.locator(`tr[data-reservation="${name}"]`);
    await expect(row).toContainText('Weekly on Mon');
    // Its Edit form shows the wall time and the zone it was made in.
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.locator('dialog.edit-dialog[open]');
    await expect(edit.getByLabel(/^Time zone/)).toHaveValue('Europe/Berlin');
    await expect(edit.getByLabel('Time (24-hour, HH:MM)')).toHaveValue('09:00');
    await edit.getByRole('button', { name: /Cancel|Close/ }).first().click();
    // Half a year on (summer time, made in winter): still 09:00 in Berlin, on a Monday; the
    // UTC time on hover moves with the offset.
    await page.goto('/reservations?week=26');
    await hydrated(page);
    const week = page.getByRole('region', { name: /^Seven days from/ });
    await expect(week).toContainText('days in Europe/Berlin');
    const entry = week.locator('li.week-day', { hasText: name });
    await expect(entry).toHaveCount(1);
    await expect(entry.locator('h3')).toContainText('Mon ');
    const time = entry.locator('li', { hasText: name }).locator('time');
    await expect(time).toContainText(/ 09:00 UTC\+0[12]:00$/);
    const shown = (await time.textContent()) ?? '';
    await expect(time).toHaveAttribute('title', shown.endsWith('UTC+02:00') ? / 07:00 UTC$/ : / 08:00 UTC$/);
  });
});

test('Fixed Ports and QoS tell what is wrong, and keep what was typed', async ({ page }) => {
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await page.goto('/network');
  await hydrated(page);

  await page.getByRole('tab', { name: 'Fixed Ports' }).click();
  const ports = page.locator('#panel-ports');
  await expect(ports).toBeVisible();
  await ports.getByLabel('Fixed ports').check();
  await ports.getByLabel('First TCP port').fill('80');
  await ports.getByRole('button', { name: 'Save fixed ports' }).click();
  await expect(page.locator('#fp-tcp-first-error')).toContainText('from 1024 to 65535');
  await ports.getByLabel('First TCP port').fill('49152');
  await ports.getByLabel('Last UDP port').fill('49160');
  await ports.getByRole('button', { name: 'Save fixed ports' }).click();
  await expect(page.locator('#fp-udp-last-error')).toContainText('calls need');
  await expect(ports.getByLabel('Last UDP port')).toHaveValue('49160');
  await ports.getByLabel('Last UDP port').fill('50175');
  await ports.getByRole('button', { name: 'Save fixed ports' }).click();
  await expect(ports.getByRole('status')).toContainText('Fixed Ports saved');

  await page.getByRole('tab', { name: 'QoS' }).click();
  const qos = page.locator('#panel-qos');
  await expect(ports).toBeHidden();
  await qos.getByLabel('Type').selectOption('precedence');
  await qos.getByLabel('Audio priority').fill('9');
  await qos.getByRole('button', { name: 'Save QoS' }).click();
  await expect(page.locator('#qos-audio-error')).toContainText('Precedence priority is 0–5');
  await qos.getByLabel('Type').selectOption('diffserv');
  await qos.getByLabel('Audio priority').fill('0x2E');
  await qos.getByLabel('Video priority').fill('64');
  await qos.getByRole('button', { name: 'Save QoS' }).click();
  await expect(page.locator('#qos-video-error')).toContainText('DiffServ code point is 0–63');
  await qos.getByLabel('Video priority').fill('34');
  await qos.getByRole('button', { name: 'Save QoS' }).click();
  await expect(qos.getByRole('status')).toContainText('QoS saved');
});

test('an entry queue uses an IVR service, which then cannot be deleted', async ({ page }, info) => {
  const ivr = `Welcome ${info.project.name}`;
  const queue = `EQ ${info.project.name}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const r = await page.request.post('/api/save_profile', {
    form: { id: '', name: `EQ HD ${info.project.name}`, line_rate_kbps: '384', resolution: 'sd', layout: 'auto' },
  });
  expect(r.status(), await r.text()).toBe(200);

  await page.goto('/ivr-services');
  await hydrated(page);
  let form = page.locator('details.card');
  await form.getByText('New IVR service').click();
  await form.getByLabel('Service name').fill(ivr);
  await form.getByLabel('Welcome message').fill('Welcome. Enter the conference ID.');
  await form.getByRole('button', { name: 'Save IVR service' }).click();
  await expect(page.locator(`tr[data-ivr="${ivr}"]`)).toContainText('Enter the conference ID');

  await page.goto('/entry-queues');
  await hydrated(page);
  form = page.locator('details.card');
  await form.getByText('New entry queue').click();
  await form.getByLabel('Display name').fill(queue);
  await form.getByLabel('Entry queue ID').fill(info.project.name === 'phone' ? '8802' : '8801');
  await form.getByLabel('IVR service').selectOption({ label: ivr });
  await form.getByRole('button', { name: 'Save entry queue' }).click();
  await expect(page.locator(`tr[data-queue="${queue}"]`)).toContainText(ivr);

  await page.goto('/ivr-services');
  await hydrated(page);
  await page.locator(`tr[data-ivr="${ivr}"]`).getByRole('button', { name: `Delete ${ivr}` }).click();
  await page.getByRole('dialog', { name: `Delete the IVR service '${ivr}'?` }).getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: `in use by the entry queue '${queue}'` })).toBeVisible();
});
