import AxeBuilder from '@axe-core/playwright';
import { ADMIN, expect, hydrated, login, test, addProfileViaApi, addUserViaApi } from './helpers';
import type { Page } from '@playwright/test';

const PAGES: [string, string][] = [
  ['/', 'Overview'], ['/conferences', 'Conferences'], ['/reservations', 'Reservations'], ['/meeting-rooms', 'Meeting Rooms'],
  ['/profiles', 'Conference Profiles'], ['/entry-queues', 'Entry Queues'], ['/ivr-services', 'IVR Services'],
  ['/recording-links', 'Recording Links'], ['/templates', 'Conference Templates'], ['/address-book', 'Address Book'], ['/network', 'Network'], ['/users', 'Users'], ['/hot-backup', 'Hot Backup'],
  ['/system', 'System'], ['/alarms', 'Active Alarms'], ['/audit', 'Audit Trail'], ['/history', 'Call History'],
  ['/resource-report', 'Resource Report'], ['/account', 'My password'],
];

/** Visible controls smaller than 44×44 px (a checkbox counts by its label, which takes the tap). */
async function smallTargets(page: Page) {
  return page.evaluate(() => {
    const out: string[] = [];
    const seen = document.querySelectorAll('main a, main button, main input, main select, main summary, header a, header button');
    for (const el of Array.from(seen)) {
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      if ((el as HTMLInputElement).type === 'hidden') continue;
      let target = box;
      if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) {
        const label = el.closest('label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`) : null);
        const cell = el.closest('td, th');
        target = (label ?? cell ?? el).getBoundingClientRect();
      }
      // Links inside running text are exempt (WCAG 2.5.5); list links are not.
      if (el.tagName === 'A' && el.closest('p, dd, li.note') && !el.closest('nav')) continue;
      if (target.height < 44 || target.width < 44) {
        out.push(`${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(target.width)}×${Math.round(target.height)}`);
      }
    }
    return out;
  });
}

test('every page: no sideways scroll, no serious accessibility violation, big enough tap targets on a phone', async ({ page, isMobile }) => {
  // Nineteen pages, each checked by axe: more than the default 30 s on a busy machine.
  test.setTimeout(120_000);
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  for (const [path, heading] of PAGES) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: heading, exact: true })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    const axe = await new AxeBuilder({ page }).analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), `${path}`).toEqual([]);
    if (isMobile) expect(await smallTargets(page), `${path} tap targets`).toEqual([]);
  }
});

test('the menu is grouped and stays on one line on a 1280 px desk', async ({ page, isMobile }) => {
  test.skip(isMobile, 'a desk layout');
  await page.setViewportSize({ width: 1280, height: 800 });
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await hydrated(page);
  const tops = await page.locator('nav ul.menu > li').evaluateAll((items) => items.map((i) => Math.round(i.getBoundingClientRect().top)));
  expect(new Set(tops).size, `menu rows at ${tops}`).toBe(1);
  const header = await page.locator('header.top').boundingBox();
  expect(header!.height).toBeLessThan(80);
  // A group opens, its page opens, the group folds again.
  const resources = page.locator('nav').getByRole('button', { name: 'Resources' });
  await resources.click();
  await page.locator('nav').getByRole('link', { name: 'Profiles' }).click();
  await expect(page.getByRole('heading', { name: 'Conference Profiles' })).toBeVisible();
  await expect(resources).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('nav li.group.current')).toContainText('Resources');
  // The content uses the width of the desk.
  const main = await page.locator('main').boundingBox();
  expect(main!.width).toBeGreaterThan(1200);
});

test('every list searches and sorts, and keeps both when it reloads', async ({ page, isMobile }, info) => {
  const tag = `S${info.project.name}${Date.now() % 100000}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  for (const [name, rate] of [[`${tag} B`, '1920'], [`${tag} A`, '384'], [`${tag} C`, '768']]) {
    await addProfileViaApi(page, name, rate);
  }
  await page.goto('/profiles');
  await hydrated(page);
  await page.getByLabel('Search profiles').fill(tag);
  const rows = page.locator('table.list tbody tr:not([hidden])');
  await expect(rows).toHaveCount(3);
  // A desk sorts by the column headers; a phone by its "Sort by" list.
  const sortBy = async (label: string, asc: boolean) => {
    if (isMobile) await page.getByLabel('Sort by').selectOption({ label: `${label} (${asc ? 'A–Z, 0–9' : 'Z–A, 9–0'})` });
    else await page.getByRole('button', { name: label, exact: true }).click();
  };
  await sortBy('Line Rate', true);
  await expect(rows.first()).toHaveAttribute('data-profile', `${tag} A`);
  await expect(rows.last()).toHaveAttribute('data-profile', `${tag} B`);
  await sortBy('Line Rate', false);
  await expect(rows.first()).toHaveAttribute('data-profile', `${tag} B`);
  if (!isMobile) await expect(page.locator('th[aria-sort="descending"]')).toContainText('Line Rate');
  // A change made elsewhere reloads the list: the search and the order stay.
  await addProfileViaApi(page, `${tag} D`, '8192');
  await expect(rows).toHaveCount(4);
  await expect(rows.first()).toHaveAttribute('data-profile', `${tag} D`);
  await expect(page.getByLabel('Search profiles')).toHaveValue(tag);
});

test('a form shows its own errors, all of them at once, and names a tampered choice', async ({ page }, info) => {
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await hydrated(page);
  // New conference: three wrong fields, three messages from one submit; then it starts,
  // the form empties and the confirmation links to the new conference.
  const conf = page.locator('details.card', { hasText: 'New conference' });
  await conf.getByText('New conference').click();
  await conf.getByLabel('Conference name').fill('   ');
  await conf.getByLabel('ID', { exact: true }).fill('12a');
  await conf.getByLabel('Duration (H:MM; empty = until terminated)').fill('forever');
  await conf.getByRole('button', { name: 'Start conference' }).click();
  await expect(page.locator('#conf-name-error')).not.toBeEmpty();
  await expect(page.locator('#conf-id-error')).not.toBeEmpty();
  await expect(page.locator('#conf-duration-error')).not.toBeEmpty();
  const confName = `All at once ${info.project.name} ${Date.now() % 100000}`;
  await conf.getByLabel('Conference name').fill(confName);
  await conf.getByLabel('ID', { exact: true }).fill('');
  await conf.getByLabel('Duration (H:MM; empty = until terminated)').fill('0:30');
  await conf.getByRole('button', { name: 'Start conference' }).click();
  const started = conf.getByRole('status').filter({ hasText: `Conference '${confName}'` });
  await expect(started).toBeVisible();
  await expect(conf.getByLabel('Conference name')).toHaveValue('');
  await expect(page.locator('#conf-name-error')).toBeEmpty();
  await started.getByRole('link', { name: 'Open the conference' }).click();
  await expect(page.getByRole('heading', { name: confName })).toBeVisible();

  await addProfileViaApi(page, `Forms ${info.project.name}`, '768');
  await page.goto('/profiles');
  await hydrated(page);
  const form = page.locator('details.card');
  await form.getByText('New profile').click();
  await form.getByLabel('Profile name').fill('');
  // A value the list does not offer (as a tampered page would send).
  await form.getByLabel('Layout').evaluate((s: HTMLSelectElement) => { s.options[0].value = '7x7'; s.selectedIndex = 0; });
  await form.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.locator('#pf-new-name-error')).not.toBeEmpty();
  await expect(page.locator('#pf-new-layout-error')).toContainText('Choose a layout');
  // Only under the form that was sent: no row's Edit form shows them.
  await expect(page.locator('table.list .field-error:not(:empty)')).toHaveCount(0);

  await page.goto('/network');
  await hydrated(page);
  await page.getByRole('tab', { name: 'Fixed Ports' }).click();
  const ports = page.locator('#panel-ports');
  await ports.getByLabel('First TCP port').fill('-1');
  await ports.getByLabel('Last TCP port').fill('1.5');
  await ports.getByRole('button', { name: 'Save fixed ports' }).click();
  await expect(page.locator('#fp-tcp-first-error')).not.toBeEmpty();
  await expect(page.locator('#fp-tcp-last-error')).not.toBeEmpty();
});

test('the Overview opens the day: the pair, ports, conferences now, next reservations, alarms, each linking to its page', async ({ page, context }, info) => {
  const tag = `${info.project.name}${Date.now() % 100000}`;
  const [conf, res, profile] = [`Overview ${tag}`, `Next ${tag}`, `Overview HD ${tag}`];
  const id = info.project.name === 'phone' ? '8702' : '8701';
  await login(page, ADMIN.name, ADMIN.password, '/login');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await hydrated(page);
  await expect(page).toHaveTitle('MCU-E2E · Overview');
  await expect(page.locator('nav a[href="/"]')).toHaveAttribute('aria-current', 'page');
  // Alone, the MCU says what that means.
  await expect(page.getByTestId('overview-hb-off')).toContainText('no other MCU takes over');
  await expect(page.getByTestId('overview-failover')).toBeVisible();

  // A conference with a caller and a reservation for tomorrow appear without a reload.
  let r = await page.request.post('/api/add_conference', { form: { name: conf, numeric_id: id, profile_id: '', duration: '1:00' } });
  expect(r.status(), await r.text()).toBe(200);
  r = await page.request.post('/api/simulate_dial_in', { form: { numeric_id: id, name: 'Olga', address: '10.8.7.1', protocol: 'h323' } });
  expect(r.status(), await r.text()).toBe(200);
  await addProfileViaApi(page, profile);
  const profiles = await (await page.request.post('/api/get_profiles')).json();
  const profileId = profiles.profiles.find((p: { name: string }) => p.name === profile).id;
  const start = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
  r = await page.request.post('/api/save_reservation', {
    form: { id: '', name: res, numeric_id: '', profile_id: profileId, start, duration: '0:30', recurrence: 'none', participants: '' },
  });
  expect(r.status(), await r.text()).toBe(200);
  const confs = page.getByTestId('overview-conferences');
  await expect(confs.locator('li', { hasText: conf })).toContainText('1 of 1 connected');
  await expect(confs).toContainText(/\d+ ongoing, \d+ participant\(s\) connected\./);
  await expect(page.getByTestId('overview-next').locator('li', { hasText: res })).toContainText('30 min');
  const video = page.getByTestId('overview-ports').getByRole('meter', { name: 'Video ports in use' });
  // The ports follow the live state (every other second).
  await expect.poll(async () => Number(await video.getAttribute('value')), { timeout: 10_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('overview-alarms')).toContainText(/No active alarms\.|\d+ active/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // Each part links to its page.
  for (const [part, link, heading] of [
    ['overview-ports', 'Resource Report', 'Resource Report'], ['overview-next', 'Reservations', 'Reservations'],
    ['overview-alarms', 'All alarms', 'Active Alarms'], ['overview-conferences', 'All conferences', 'Conferences'],
  ]) {
    await page.goto('/');
    await page.getByTestId(part).getByRole('link', { name: link, exact: true }).click();
    await expect(page.getByRole('heading', { name: heading, exact: true })).toBeVisible();
  }
  await page.goto('/');
  await confs.getByRole('link', { name: conf }).click();
  await expect(page.getByRole('heading', { name: conf })).toBeVisible();

  // A Chairperson sees the conferences, not the setup: no alarms, no reservations, no
  // link to the Hot Backup page.
  const chair = await context.browser()!.newContext();
  const chairPage = await chair.newPage();
  const name = `ov-chair-${tag}`;
  await addUserViaApi(page, name, 'chair-pass-1', 'chairperson');
  await login(chairPage, name, 'chair-pass-1', '/login');
  await expect(chairPage.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(chairPage.getByTestId('overview-conferences')).toBeVisible();
  await expect(chairPage.getByTestId('overview-alarms')).toHaveCount(0);
  await expect(chairPage.getByTestId('overview-next')).toHaveCount(0);
  await expect(chairPage.getByTestId('overview-failover')).toHaveCount(0);
  await expect(chairPage.getByTestId('overview-pair').getByRole('link')).toHaveCount(0);
  await chair.close();
});

test('every Delete asks in a red dialog that says what goes: a user', async ({ page }, info) => {
  const name = `del-${info.project.name}-${Date.now() % 100000}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await addUserViaApi(page, name, 'delete-me-pass-1', 'operator');
  await page.goto('/users');
  await hydrated(page);
  const row = page.locator(`tr[data-user="${name}"]`);
  const remove = row.getByRole('button', { name: `Delete ${name}` });
  await expect(remove).toHaveClass(/danger/);
  await remove.click();
  const ask = page.getByRole('dialog', { name: `Delete the user '${name}'?` });
  await expect(ask.locator('.consequence')).toContainText('can no longer log in to this MCU');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toBeHidden();
  await expect(row).toHaveCount(1);
  await remove.click();
  await ask.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: name })).toBeVisible();
});

test('editing a row opens its form on its own, over the list, and the row shows the change', async ({ page }, info) => {
  const name = `Edit me ${info.project.name} ${Date.now() % 100000}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await addProfileViaApi(page, name, '768');
  await page.goto('/profiles');
  await hydrated(page);
  const row = page.locator(`tr[data-profile="${name}"]`);
  const before = await row.boundingBox();
  await row.getByRole('button', { name: `Edit ${name}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit the profile '${name}'` });
  await expect(edit).toBeVisible();
  // The row did not grow a form inside it.
  expect((await row.boundingBox())!.height).toBe(before!.height);
  await edit.getByLabel('Line rate (kbps)').selectOption('1920');
  await edit.getByRole('button', { name: 'Save profile' }).click();
  await expect(edit).toBeHidden();
  await expect(row.locator('td[data-label="Line Rate"]')).toHaveText('1920 kbps');
  // Close leaves it as it was.
  await row.getByRole('button', { name: `Edit ${name}` }).click();
  await edit.getByRole('button', { name: 'Close' }).click();
  await expect(edit).toBeHidden();
});
