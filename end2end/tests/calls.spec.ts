import { test, expect, hydrated, login, ADMIN, addProfileViaApi, uniqueName } from './helpers';
import type { Page } from '@playwright/test';

// Calls as an RMX operator sees them (calls are simulated: the MCU runs with --simulate):
// a meeting room's number starts it, an entry queue's IVR asks for the conference ID and
// password, the Transit EQ takes unknown numbers, a caller the IVR could not place waits
// for an operator, who attends to it; participants move and go back home.

/** Numbers of this project's records (both projects share one MCU). */
function numbers(project: string) {
  const base = project === 'phone' ? 6200 : 6100;
  return { room: `${base + 1}`, queue: `${base + 2}`, conf: `${base + 3}`, other: `${base + 4}`, unknown: `${base + 9}9` };
}

async function post(page: Page, fn: string, form: Record<string, string>) {
  const r = await page.request.post(`/api/${fn}`, { form });
  expect(r.status(), await r.text()).toBe(200);
}

async function profileId(page: Page, name: string) {
  await addProfileViaApi(page, name);
  const v = await (await page.request.post('/api/get_profiles')).json();
  return v.profiles.find((p: { name: string }) => p.name === name).id as string;
}

/** Places a call with the "Simulate a call" form of the conference list. */
async function dialIn(page: Page, number: string, name: string, digits = '') {
  const form = page.locator('#simulate-call');
  if (!(await form.evaluate((d) => (d as HTMLDetailsElement).open))) {
    await form.locator('summary').click();
  }
  await form.getByLabel('Number dialled').fill(number);
  await form.getByLabel('Caller name').fill(name);
  await form.getByLabel('Caller address (IP, alias or SIP URI)').fill('10.20.30.40');
  await form.getByLabel('Keyed in (e.g. 4300#1234#)').fill(digits);
  await form.getByRole('button', { name: 'Place the call' }).click();
}

test('a meeting room starts when its number is dialled, with the caller in it', async ({ page }, info) => {
  const n = numbers(info.project.name);
  const room = uniqueName('Huddle', info.project.name);
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const profile = await profileId(page, uniqueName('P', info.project.name));
  await post(page, 'save_meeting_room', {
    id: '', name: room, numeric_id: n.room, profile_id: profile, conference_password: '', chairperson_password: '4242',
  });
  await page.goto('/meeting-rooms');
  await hydrated(page);
  await expect(page.locator(`tr[data-room="${room}"]`)).toContainText('Passive');

  await page.goto('/conferences');
  await hydrated(page);
  await dialIn(page, n.room, 'Chair Lee', '4242');
  await expect(page.locator('#simulate-call').getByRole('status')).toContainText(`'Chair Lee' joined '${room}' as chairperson (the meeting room started)`);
  // The list shows the room's conference at once (live), with its caller.
  await expect(page.locator(`tr[data-conference="${room}"]`)).toContainText('(1/1)');
  await page.goto('/meeting-rooms');
  await hydrated(page);
  await expect(page.locator(`tr[data-room="${room}"]`)).toContainText('Active');
  await page.goto('/conferences');
  await hydrated(page);
  await page.locator(`tr[data-conference="${room}"]`).getByRole('link', { name: room }).click();
  await expect(page.getByRole('heading', { name: room })).toBeVisible();
  await expect(page.locator('tr[data-participant="Chair Lee"]')).toContainText('Chairperson');
  await expect(page.locator('tr[data-participant="Chair Lee"] td.status')).toHaveText(/^Connected/);
  await hydrated(page);
  // Terminate is red and says what it does before it does it.
  await page.getByRole('button', { name: 'Terminate conference' }).click();
  const end = page.getByRole('dialog', { name: 'Terminate conference?' });
  await expect(end.locator('.consequence')).toHaveText(`'${room}' ends now. Its 1 connected participant(s) are disconnected; it goes to the Call History.`);
  await end.getByRole('button', { name: 'Terminate conference' }).click();
  await expect(page).toHaveURL(/\/conferences(\?ended=\d+)?$/);
  await page.goto('/meeting-rooms');
  await hydrated(page);
  await expect(page.locator(`tr[data-room="${room}"]`)).toContainText('Passive');
});

test('an entry queue asks the ID again after a wrong one; a lost caller waits and is attended; move and back home', async ({ page }, info) => {
  const n = numbers(info.project.name);
  const [conf, other, queue] = ['Weekly', 'Sales', 'Lobby'].map((p) => uniqueName(p, info.project.name));
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const profile = await profileId(page, uniqueName('Q', info.project.name));
  const ivrName = uniqueName('IVR', info.project.name);
  await post(page, 'save_ivr_service', { id: '', name: ivrName, welcome_message: 'Welcome', ask_conference_password: 'on', attempts: '2' });
  const ivrs = await (await page.request.post('/api/get_ivr_services')).json();
  const ivr = ivrs.services.find((i: { name: string }) => i.name === ivrName).id as string;
  await post(page, 'save_entry_queue', {
    id: '', name: queue, numeric_id: n.queue, profile_id: profile, ivr_service_id: ivr,
    conference_password: '', chairperson_password: '', transit: 'on',
  });
  await post(page, 'add_conference', { name: conf, numeric_id: n.conf, profile_id: '', duration: '' });
  await post(page, 'add_conference', { name: other, numeric_id: n.other, profile_id: '', duration: '' });

  await page.goto('/conferences');
  await hydrated(page);
  // A wrong conference ID, then the right one: in.
  await dialIn(page, n.queue, 'Ann', `1#${n.conf}`);
  await expect(page.locator('#simulate-call').getByRole('status')).toContainText(`'Ann' joined '${conf}'.`);
  // Two wrong IDs use up this IVR's two attempts; an unknown number lands in the Transit EQ.
  await dialIn(page, n.queue, 'Bob', '1#2');
  await expect(page.locator('#simulate-call').getByRole('status')).toContainText(`'Bob' is awaiting operator assistance in '${queue}'`);
  await dialIn(page, n.unknown, 'Cy', '');
  await expect(page.locator('#simulate-call').getByRole('status')).toContainText(`'Cy' is awaiting operator assistance in '${queue}'`);
  // The header counts them as participant alerts, linking to the list of them.
  await expect(page.getByTestId('participant-alerts')).toContainText(/\d+ participant alerts?/, { timeout: 5_000 });
  await page.getByTestId('participant-alerts').click();
  await expect(page.locator('#participant-alerts tr[data-alert="Bob"]')).toContainText('Awaiting Operator Assistance');
  await hydrated(page);
  const lobbyRow = page.locator(`tr[data-conference="${queue}"]`);
  await expect(lobbyRow).toContainText('Entry queue · awaiting operator');
  await expect(lobbyRow).toContainText('(2/2)');

  await lobbyRow.getByRole('link', { name: queue }).click();
  await expect(page.getByTestId('entry-queue')).toBeVisible();
  await hydrated(page);
  const bob = page.locator('tr[data-participant="Bob"]');
  await expect(bob.locator('td.status')).toContainText('Awaiting Operator Assistance');
  // Its properties: the address, the call up since it arrived, the IVR path it took.
  await bob.getByRole('button', { name: 'Properties of Bob' }).click();
  const bobProps = page.getByRole('dialog', { name: 'Properties of Bob' });
  await expect(bobProps).toContainText('10.20.30.40');
  await expect(bobProps).toContainText('Conference ID 2: no such conference (attempt 2 of 2)');
  await expect(bobProps.locator('dt:text-is("Connected") + dd')).toHaveText(/\d{2}:\d{2}/);
  await bobProps.getByRole('button', { name: 'Close' }).click();
  await expect(bobProps).toBeHidden();
  // From the queue the operator picks the conference to admit to.
  await bob.getByLabel('Admit Bob to').selectOption({ label: `${conf} (${n.conf})` });
  await bob.getByRole('button', { name: 'Attend' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Bob admitted to '${conf}'.` })).toBeVisible();
  await expect(page.locator('tr[data-participant="Bob"]')).toHaveCount(0);

  // In the conference: Bob is connected; moved to another conference and back home.
  await page.goto('/conferences');
  await hydrated(page);
  await page.locator(`tr[data-conference="${conf}"]`).getByRole('link', { name: conf }).click();
  await hydrated(page);
  const bobHere = page.locator('tr[data-participant="Bob"]');
  await expect(bobHere.locator('td.status')).toHaveText(/^Connected/);
  // Muted by the operator: the properties say who.
  await bobHere.getByRole('button', { name: 'Mute audio Bob' }).click();
  await expect(bobHere.getByRole('button', { name: 'Mute audio Bob' })).toHaveAttribute('aria-pressed', 'true');
  await bobHere.getByRole('button', { name: 'Properties of Bob' }).click();
  await expect(page.getByRole('dialog', { name: 'Properties of Bob' }).locator('dt:text-is("Audio muted by") + dd')).toHaveText(ADMIN.name);
  await page.keyboard.press('Escape');
  // The audit trail says what changed, to whom, where.
  const confUrl = page.url();
  await page.goto('/audit?kind=change');
  await hydrated(page);
  await expect(page.locator('table.list tr[data-kind="change"]', { hasText: `Participant 'Bob' (10.20.30.40) in '${conf}': audio muted` })).toContainText(ADMIN.name);
  await page.goto(confUrl);
  await hydrated(page);
  await bobHere.locator('details.row-more summary').click();
  await bobHere.getByLabel('Move Bob to').selectOption({ label: `${other} (${n.other})` });
  await bobHere.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Bob moved to '${other}'.` })).toBeVisible();
  await expect(page.locator('tr[data-participant="Bob"]')).toHaveCount(0);
  await page.goto('/conferences');
  await hydrated(page);
  await page.locator(`tr[data-conference="${other}"]`).getByRole('link', { name: other }).click();
  await hydrated(page);
  const bobThere = page.locator('tr[data-participant="Bob"]');
  await bobThere.getByRole('button', { name: 'Properties of Bob' }).click();
  await expect(page.getByRole('dialog', { name: 'Properties of Bob' }).locator('dt:text-is("Home conference") + dd')).toHaveText(conf);
  await page.keyboard.press('Escape');
  await bobThere.locator('details.row-more summary').click();
  await bobThere.getByRole('button', { name: 'Back to Home' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Bob is back in '${conf}'.` })).toBeVisible();
  await expect(page.locator('tr[data-participant="Bob"]')).toHaveCount(0);

  // The last caller waiting is sent away: the queue's holding place closes by itself.
  const lobby = await (await page.request.post('/api/list_conferences')).json();
  const lobbyId = lobby.find((r: { conference: { name: string } }) => r.conference.name === queue).conference.id as string;
  const detail = await (await page.request.post('/api/get_conference', { form: { id: lobbyId } })).json();
  await post(page, 'participant_action', { participant_id: detail.participants[0].id, action: 'delete' });
  await page.goto('/conferences');
  await hydrated(page);
  await expect(page.locator(`tr[data-conference="${queue}"]`)).toHaveCount(0, { timeout: 10_000 });
  for (const c of [conf, other]) {
    const rows = await (await page.request.post('/api/list_conferences')).json();
    const id = rows.find((r: { conference: { name: string } }) => r.conference.name === c).conference.id as string;
    await post(page, 'terminate_conference', { id });
  }
});

test('the header gauge follows the calls, and the port alarm comes at the threshold and goes', async ({ page }, info) => {
  const base = info.project.name === 'phone' ? 6200 : 6100;
  const conf = uniqueName('Busy', info.project.name);
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await post(page, 'set_port_threshold', { port_threshold: '50' });
  await post(page, 'add_conference', { name: conf, numeric_id: `${base + 5}`, profile_id: '', duration: '' });
  await page.goto('/conferences');
  await hydrated(page);
  const gauge = page.getByTestId('ports');
  const [used, capacity] = ((await gauge.innerText()).match(/(\d+)\/(\d+)/) ?? []).slice(1).map(Number);
  expect(capacity).toBeGreaterThan(0);
  const dial = async (i: number) =>
    post(page, 'simulate_dial_in', { numeric_id: `${base + 5}`, name: `Site ${i}`, address: `10.50.0.${i + 1}`, protocol: 'h323' });
  await dial(0);
  // Live: the gauge moves without a reload.
  await expect(gauge).toContainText(`${used + 1}/${capacity}`, { timeout: 6_000 });
  await expect(gauge.locator('meter')).toHaveAttribute('value', `${used + 1}`);
  const alarmActive = async () => {
    const v = await (await page.request.post('/api/get_alarms')).json();
    return v.active.some((a: { code: string }) => a.code === 'PortsHigh');
  };
  expect(await alarmActive()).toBe(false);
  // Up to half the ports: alarm 8217.
  const need = Math.ceil(capacity / 2) - used - 1;
  for (let i = 1; i <= need; i++) await dial(i);
  await expect.poll(alarmActive, { timeout: 12_000 }).toBe(true);
  await page.goto('/alarms');
  await hydrated(page);
  await expect(page.locator('main')).toContainText('Port usage above the threshold');
  // The calls end: the alarm clears by itself.
  const rows = await (await page.request.post('/api/list_conferences')).json();
  const id = rows.find((r: { conference: { name: string } }) => r.conference.name === conf).conference.id as string;
  await post(page, 'terminate_conference', { id });
  await expect.poll(alarmActive, { timeout: 12_000 }).toBe(false);
  await post(page, 'set_port_threshold', { port_threshold: '80' });
});

test('a stream down shows Faulty Connection in red and counts as a participant alert until it is back', async ({ page }, info) => {
  const base = info.project.name === 'phone' ? 6200 : 6100;
  const conf = uniqueName('Media', info.project.name);
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await post(page, 'add_conference', { name: conf, numeric_id: `${base + 6}`, profile_id: '', duration: '' });
  await post(page, 'simulate_dial_in', { numeric_id: `${base + 6}`, name: 'Dee', address: '10.60.0.1', protocol: 'sip' });
  await page.goto('/conferences');
  await hydrated(page);
  await page.locator(`tr[data-conference="${conf}"]`).getByRole('link', { name: conf }).click();
  await hydrated(page);
  // The header's count (no link when there is none).
  const alerts = async () => {
    const link = page.getByTestId('participant-alerts');
    if ((await link.count()) === 0) return 0;
    return Number(((await link.innerText()).match(/\d+/) ?? ['0'])[0]);
  };
  const before = await alerts();
  const dee = page.locator('tr[data-participant="Dee"]');
  await expect(dee.locator('td.status')).toHaveText(/^Connected/);
  // The demo's simulation, from the participant's properties: a stream goes down.
  await dee.getByRole('button', { name: 'Properties of Dee' }).click();
  await page.getByRole('dialog', { name: 'Properties of Dee' }).getByRole('button', { name: 'A stream down' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Dee: Faulty Connection.' })).toBeVisible();
  await expect(dee.locator('td.status')).toHaveText(/^Faulty Connection/);
  await expect(dee.locator('td.status')).toHaveCSS('color', 'rgb(166, 27, 27)');
  await expect(dee.locator('.dot')).toHaveClass(/dot-faulty/);
  await expect.poll(alerts, { timeout: 6_000 }).toBe(before + 1);
  // Audio only: Partially Connected (no alert); all streams up again: Connected.
  await dee.getByRole('button', { name: 'Properties of Dee' }).click();
  await page.getByRole('dialog', { name: 'Properties of Dee' }).getByRole('button', { name: 'Audio only' }).click();
  await expect(dee.locator('td.status')).toHaveText(/^Partially Connected/);
  await expect.poll(alerts, { timeout: 6_000 }).toBe(before);
  await dee.getByRole('button', { name: 'Properties of Dee' }).click();
  await page.getByRole('dialog', { name: 'Properties of Dee' }).getByRole('button', { name: 'All streams up' }).click();
  await expect(dee.locator('td.status')).toHaveText(/^Connected/);
  const rows = await (await page.request.post('/api/list_conferences')).json();
  const id = rows.find((r: { conference: { name: string } }) => r.conference.name === conf).conference.id as string;
  await post(page, 'terminate_conference', { id });
});
