import { ADMIN, conferenceWithCallers, expect, hydrated, login, loginAsNewUser, test, addProfileViaApi } from './helpers';

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
  await expect(page.locator(`tr[data-conference="${name}"]`)).toBeVisible();
  // Started: the form is empty again (nothing to start twice by mistake).
  await expect(page.getByLabel('Conference name')).toHaveValue('');
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

  // The answer shows over the page: the row acted on does not move under the pointer.
  const before = await row.boundingBox();
  await row.getByRole('button', { name: 'Mute audio Lisbon room' }).click();
  await expect(row).toContainText('Muted');
  await expect(page.getByRole('status').filter({ hasText: 'Lisbon room: audio muted.' })).toBeVisible();
  const after = await row.boundingBox();
  expect(after?.y).toBe(before?.y);
  expect(after?.x).toBe(before?.x);
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

  await page.getByRole('button', { name: 'Terminate conference' }).click();
  // Cancel first: nothing ends.
  const end = page.getByRole('dialog', { name: 'Terminate conference?' });
  await end.getByRole('button', { name: 'Cancel' }).click();
  await expect(end).toBeHidden();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await page.getByRole('button', { name: 'Terminate conference' }).click();
  await expect(end.locator('.consequence')).toContainText(`'${name}' ends now.`);
  await end.getByRole('button', { name: 'Terminate conference' }).click();
  await expect(page).toHaveURL(/\/conferences(\?ended=\d+)?$/);
  await expect(page.getByRole('status')).toContainText(`Conference ${id} was terminated`);
  await expect(page.locator(`tr[data-conference="${name}"]`)).toHaveCount(0);
});

test('the participant grid: a line each, sorted and searched, selection actions, conference actions', async ({ page }, info) => {
  const phone = info.project.name === 'phone';
  const id = phone ? '5512' : '5511';
  const name = `Grid ${info.project.name}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await conferenceWithCallers(page, name, id, [['Zagreb', '10.9.0.1'], ['Athens', '10.9.0.2'], ['Madrid', 'sip:madrid@example.com']]);
  await page.goto('/conferences');
  await hydrated(page);
  await page.locator(`tr[data-conference="${name}"]`).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await hydrated(page);
  const rows = page.locator('table.grid tbody tr');
  await expect(rows).toHaveCount(3);
  // Sorted by name, then the other way round.
  await expect(rows.first()).toHaveAttribute('data-participant', 'Athens');
  if (phone) await page.getByLabel('Sort by').selectOption({ label: 'Name (Z–A)' });
  else await page.getByRole('button', { name: 'Name', exact: true }).click();
  await expect(rows.first()).toHaveAttribute('data-participant', 'Zagreb');
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Name');
  // One line per participant on a desk; no sideways scroll anywhere.
  if (!phone) {
    for (const h of await rows.evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().height))) expect(h).toBeLessThanOrEqual(48);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()!.width);
  // A status dot and the icon toggles with their names and pressed state.
  const athens = page.locator('tr[data-participant="Athens"]');
  await expect(athens.locator('.dot-connected')).toHaveCount(1);
  await athens.getByRole('button', { name: 'Suspend video Athens' }).click();
  await expect(athens.getByRole('button', { name: 'Suspend video Athens' })).toHaveAttribute('aria-pressed', 'true');
  await athens.getByRole('button', { name: 'Chairperson Athens' }).click();
  await expect(athens.getByRole('button', { name: 'Chairperson Athens' })).toHaveAttribute('aria-pressed', 'true');
  // Search narrows the grid.
  await page.getByLabel('Search participants').fill('madr');
  await expect(rows).toHaveCount(1);
  await page.getByLabel('Search participants').fill('');
  await expect(rows).toHaveCount(3);
  // Select two and disconnect them at once: each shows why.
  await page.getByRole('checkbox', { name: 'Select Zagreb' }).check();
  await page.getByRole('checkbox', { name: 'Select Madrid' }).check();
  await expect(page.getByTestId('selected-count')).toHaveText('2 selected');
  await page.getByRole('group', { name: 'Actions on the selected participants' }).getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.locator('tr[data-participant="Zagreb"]')).toContainText('Disconnected · by operator');
  await expect(page.locator('tr[data-participant="Madrid"] .dot-disconnected')).toHaveCount(1);
  await expect(page.getByTestId('selected-count')).toHaveText('0 selected');
  await expect(page.getByTestId('participant-count')).toHaveText('(1/3)');
  // Conference actions: mute all but the chairperson, lock, extend.
  await page.getByRole('button', { name: 'Mute all but the chairperson' }).click();
  await expect(page.getByRole('status')).toContainText('chairpersons keep their audio');
  await expect(page.locator('tr[data-participant="Zagreb"]').getByRole('button', { name: 'Mute audio Zagreb' })).toHaveAttribute('aria-pressed', 'true');
  await expect(athens.getByRole('button', { name: 'Mute audio Athens' })).toHaveAttribute('aria-pressed', 'false');
  await page.getByRole('button', { name: 'Lock (no new dial-ins)' }).click();
  await expect(page.getByTestId('locked')).toBeVisible();
  const late = await page.request.post('/api/simulate_dial_in', { form: { numeric_id: id, name: 'Late', address: '10.9.0.9', protocol: 'h323' } });
  expect(late.status()).toBe(409);
  const endBefore = await page.getByTestId('end-time').innerText();
  await page.getByRole('button', { name: 'Extend by 30 minutes' }).click();
  await expect(page.getByTestId('end-time')).not.toHaveText(endBefore);
  // The confirmation goes away by itself.
  await expect(page.getByRole('status').filter({ hasText: 'extended by 30 minutes' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'extended by 30 minutes' })).toHaveCount(0, { timeout: 8_000 });
  // Delete asks first in a red dialog that says who goes and from where; cancelled,
  // nothing is deleted.
  await athens.getByRole('button', { name: 'Delete Athens' }).click();
  const ask = page.getByRole('dialog', { name: 'Delete Athens?' });
  await expect(ask.locator('.consequence')).toContainText(`'Athens' (`);
  await expect(ask.locator('.consequence')).toContainText(`is disconnected and removed from '${name}'`);
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toBeHidden();
  await expect(rows).toHaveCount(3);
  await athens.getByRole('button', { name: 'Delete Athens' }).click();
  await ask.getByRole('button', { name: 'Delete' }).click();
  await expect(ask).toBeHidden();
  await expect(rows).toHaveCount(2);
});

test('a Chairperson sees only the conferences they run, and opens one with its chairperson password', async ({ page }, info) => {
  const phone = info.project.name === 'phone';
  const room = `Chair room ${info.project.name}`;
  const pin = phone ? '86421' : '86420';
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await addProfileViaApi(page, `Chair HD ${info.project.name}`);
  const profiles = await (await page.request.post('/api/get_profiles', { form: {} })).json();
  const pid = profiles.profiles.find((p: { name: string }) => p.name === `Chair HD ${info.project.name}`).id;
  let r = await page.request.post('/api/save_meeting_room', { form: { id: '', name: room, numeric_id: phone ? '8602' : '8601', profile_id: pid, conference_password: '', chairperson_password: pin } });
  expect(r.status(), await r.text()).toBe(200);
  const rooms = await (await page.request.post('/api/get_meeting_rooms', { form: {} })).json();
  const rid = rooms.rooms.find((m: { name: string }) => m.name === room).id;
  r = await page.request.post('/api/start_meeting_room', { form: { id: rid } });
  expect(r.status(), await r.text()).toBe(200);

  await loginAsNewUser(page, 'chair', info.project.name, 'chairperson');
  await hydrated(page);
  await expect(page.locator(`tr[data-conference="${room}"]`)).toHaveCount(0);
  await page.getByLabel('Chairperson password').fill('999');
  await page.getByRole('button', { name: 'Open' }).click();
  await expect(page.locator('#chair-pw-error')).toContainText('No ongoing conference has that chairperson password');
  await page.getByLabel('Chairperson password').fill(pin);
  await page.getByRole('button', { name: 'Open' }).click();
  await expect(page.locator(`tr[data-conference="${room}"]`)).toBeVisible();
  await page.locator(`tr[data-conference="${room}"]`).getByRole('link', { name: room }).click();
  await expect(page.getByRole('heading', { name: room })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Lock (no new dial-ins)' })).toBeVisible();
});

test('nothing moves under the pointer: after each grid action the other rows and the columns stay where they were', async ({ page }, info) => {
  test.setTimeout(90_000);
  const phone = info.project.name === 'phone';
  const id = phone ? '5532' : '5531';
  const name = `Still ${info.project.name}`;
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const href = await conferenceWithCallers(page, name, id, [['Berlin', '10.7.0.1'], ['Cairo', '10.7.0.2'], ['Dakar', 'sip:dakar@example.com'], ['Evora', '10.7.0.4']]);
  await page.goto(href);
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await hydrated(page);
  await expect(page.locator('table.grid tbody tr')).toHaveCount(4);

  /** Where every row but `except` is, and each of its cells (page coordinates). */
  const layout = (except: string) => page.evaluate((except) => {
    const out: Record<string, number[]> = {};
    const at = (e: Element) => { const b = e.getBoundingClientRect(); return [b.x, b.y + window.scrollY, b.width, b.height].map((v) => Math.round(v * 2) / 2); };
    for (const tr of Array.from(document.querySelectorAll('table.grid tbody tr'))) {
      const who = tr.getAttribute('data-participant') ?? '?';
      if (who === except) continue;
      out[`row ${who}`] = at(tr);
      Array.from(tr.querySelectorAll('td')).forEach((td, i) => { out[`${who} cell ${i} (${td.getAttribute('data-label')})`] = at(td); });
    }
    return out;
  }, except);
  const row = (who: string) => page.locator(`tr[data-participant="${who}"]`);
  const still = async (except: string, act: () => Promise<void>, done: () => Promise<void>) => {
    const before = await layout(except);
    await act();
    await done();
    // The page reloads its data after the change: let that land too.
    await page.waitForTimeout(400);
    expect(await layout(except)).toEqual(before);
  };
  const pressed = (who: string, label: string, on: boolean) => () =>
    expect(row(who).getByRole('button', { name: `${label} ${who}` })).toHaveAttribute('aria-pressed', String(on));

  await still('Cairo', () => row('Cairo').getByRole('button', { name: 'Mute audio Cairo' }).click(), pressed('Cairo', 'Mute audio', true));
  await still('Cairo', () => row('Cairo').getByRole('button', { name: 'Suspend video Cairo' }).click(), pressed('Cairo', 'Suspend video', true));
  await still('Cairo', () => row('Cairo').getByRole('button', { name: 'Chairperson Cairo' }).click(), pressed('Cairo', 'Chairperson', true));
  await still('Dakar', () => row('Dakar').getByRole('button', { name: 'Disconnect Dakar' }).click(),
    () => expect(row('Dakar')).toContainText('Disconnected · by operator'));
  await still('Dakar', () => row('Dakar').getByRole('button', { name: 'Connect Dakar' }).click(),
    () => expect(row('Dakar').getByRole('button', { name: 'Disconnect Dakar' })).toBeVisible());
  await still('Cairo', () => row('Cairo').getByRole('button', { name: 'Mute audio Cairo' }).click(), pressed('Cairo', 'Mute audio', false));
  // The selection and its actions, and the conference's own: no row moves at all.
  await page.getByRole('checkbox', { name: 'Select Berlin' }).check();
  await page.getByRole('checkbox', { name: 'Select Evora' }).check();
  await still('', () => page.getByRole('group', { name: 'Actions on the selected participants' }).getByRole('button', { name: 'Mute', exact: true }).click(),
    pressed('Evora', 'Mute audio', true));
  await still('', () => page.getByRole('button', { name: 'Unmute all' }).click(), pressed('Berlin', 'Mute audio', false));
  await still('', () => page.getByRole('button', { name: 'Extend by 15 minutes' }).click(),
    () => expect(page.getByRole('status').filter({ hasText: 'extended by 15 minutes' })).toBeVisible());
  await still('', () => page.getByRole('button', { name: 'Lock (no new dial-ins)' }).click(), () => expect(page.getByTestId('locked')).toBeVisible());
  // Deleting the selection asks first, in the page's red dialog.
  await page.getByRole('checkbox', { name: 'Select Berlin' }).check();
  await page.getByRole('checkbox', { name: 'Select Evora' }).check();
  await page.getByRole('group', { name: 'Actions on the selected participants' }).getByRole('button', { name: 'Delete' }).click();
  const ask = page.getByRole('dialog', { name: 'Delete 2 selected participant(s)?' });
  await expect(ask.locator('.consequence')).toContainText(`removed from '${name}'`);
  await ask.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.locator('table.grid tbody tr')).toHaveCount(2);
});
