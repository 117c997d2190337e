import { ADMIN, enableHotBackup as enable, expect, hydrated, loginAt, test } from './helpers';
import type { Page } from '@playwright/test';

// Each project has its own pair of MCUs (see playwright.config.ts).
function ports(project: string) {
  return project === 'phone' ? { a: 3104, b: 3105 } : { a: 3102, b: 3103 };
}

test('pair two MCUs, mirror a conference, refuse edits on the Slave, switch over live', async ({ page, context }, info) => {
  test.setTimeout(60_000);
  const { a, b } = ports(info.project.name);
  const master = page;
  const slave = await context.newPage();
  slave.on('pageerror', (e) => { throw e; });
  await loginAt(master, a);
  await loginAt(slave, b);

  // A bad address gets a message next to the field.
  await master.goto(`http://127.0.0.1:${a}/hot-backup`);
  await hydrated(master);
  await master.getByLabel('Paired MCU IP Address').fill('mcu-b.local');
  await master.getByLabel('Your password').fill(ADMIN.password);
  await master.getByRole('button', { name: 'Enable Hot Backup' }).click();
  await expect(master.locator('#hb-peer-error')).toContainText('is not an IP address');

  await enable(slave, b, 'Slave MCU', a);
  await enable(master, a, 'Master MCU', b);
  await expect(master.getByTestId('hb-sync')).toHaveText('OK', { timeout: 15_000 });
  await expect(slave.getByTestId('hb-sync')).toHaveText('OK', { timeout: 15_000 });
  await expect(master.getByTestId('hb-role')).toHaveText('Master MCU');
  await expect(slave.getByTestId('hb-role')).toHaveText('Slave MCU');
  await expect(master.locator('header .hb-badge')).toContainText('Master');
  // Which MCU is which, at a glance: the tab's title, the pill's role in its own colour,
  // and the login page (a fresh browser without a session).
  await expect(master).toHaveTitle('MCU-A · Master · Hot Backup');
  await expect(slave).toHaveTitle('MCU-B · Slave · Hot Backup');
  const chip = (p: Page) => p.locator('[data-testid="hb-badge"] .hb-role');
  await expect(chip(master)).toHaveText('Master');
  await expect(chip(slave)).toHaveText('Slave');
  const colour = async (p: Page) => chip(p).evaluate((e) => getComputedStyle(e).backgroundColor);
  expect(await colour(master)).not.toBe(await colour(slave));
  const anonymous = await context.browser()!.newContext();
  const door = await anonymous.newPage();
  for (const [port, name, role, line] of [[a, 'MCU-A', 'Master', 'changes are made here'], [b, 'MCU-B', 'Slave', 'read-only mirror']] as const) {
    await door.goto(`http://127.0.0.1:${port}/login`);
    await expect(door.getByRole('heading', { name: `Log in to ${name}` })).toBeVisible();
    await expect(door.getByTestId('login-role')).toContainText(line);
    await expect(door).toHaveTitle(`${name} · ${role} · Log in`);
  }
  await anonymous.close();
  // Each pinned the other's peer-link certificate: the fingerprints match crosswise.
  const masterOwn = await master.getByTestId('hb-fingerprint').innerText();
  const slaveOwn = await slave.getByTestId('hb-fingerprint').innerText();
  expect(masterOwn).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  expect(masterOwn).not.toBe(slaveOwn);
  await expect(master.getByTestId('hb-peer-fingerprint')).toHaveText(slaveOwn);
  await expect(slave.getByTestId('hb-peer-fingerprint')).toHaveText(masterOwn);

  // A profile that records to a recording link (both mirrored).
  const linked = await master.request.post(`http://127.0.0.1:${a}/api/save_recording_link`, { form: { id: '', name: 'Recorder 1', address: '10.0.0.9' } });
  expect(linked.status(), await linked.text()).toBe(200);
  const links = await (await master.request.post(`http://127.0.0.1:${a}/api/get_profiles`)).json();
  const recorder = links.recording_links.find((l: { name: string }) => l.name === 'Recorder 1');
  const recorded = await master.request.post(`http://127.0.0.1:${a}/api/save_profile`, {
    form: { id: '', name: 'Recorded HD', line_rate_kbps: '1920', resolution: 'hd720', layout: 'auto', recording_link_id: recorder.id },
  });
  expect(recorded.status(), await recorded.text()).toBe(200);

  // A conference made on the Master appears on the Slave.
  await master.goto(`http://127.0.0.1:${a}/conferences`);
  await hydrated(master);
  await master.getByText('New conference').click();
  await master.getByLabel('Conference name').fill('Board meeting');
  await master.getByLabel('Profile').selectOption({ label: 'Recorded HD' });
  await master.getByLabel('ID', { exact: true }).fill('4711');
  await master.getByRole('button', { name: 'Start conference' }).click();
  await expect(master.locator('tr[data-conference="Board meeting"]')).toBeVisible();

  // Alice dials in on the Master (calls are simulated).
  const dialled = await master.request.post(`http://127.0.0.1:${a}/api/simulate_dial_in`, {
    form: { numeric_id: '4711', name: 'Alice', address: '10.0.0.5', protocol: 'h323' },
  });
  expect(dialled.status(), await dialled.text()).toBe(200);
  // The operator records it, from its page; the list says so.
  await master.locator('tr[data-conference="Board meeting"]').getByRole('link', { name: 'Board meeting' }).click();
  await hydrated(master);
  const boardHref = new URL(master.url()).pathname;
  await expect(master.getByTestId('recording')).toHaveText('Not recording');
  await master.getByRole('button', { name: 'Start recording to Recorder 1' }).click();
  await expect(master.getByTestId('recording')).toContainText('● Recording to Recorder 1');
  await master.getByRole('button', { name: 'Pause recording' }).click();
  await expect(master.getByTestId('recording')).toContainText('Recording paused');
  await master.getByRole('button', { name: 'Resume recording' }).click();
  await expect(master.getByTestId('recording')).toContainText('● Recording to Recorder 1');

  await slave.goto(`http://127.0.0.1:${b}/conferences`);
  await hydrated(slave);
  await expect(slave.locator('tr[data-conference="Board meeting"]')).toContainText('4711');
  await expect(slave.locator('tr[data-conference="Board meeting"]').getByTestId('rec')).toHaveText('REC');
  // The Slave is a read-only mirror: a banner names the Master and links to the same
  // page there, the forms are disabled, and the server refuses anyway (G5).
  const banner = slave.getByTestId('mirror-banner');
  await expect(banner).toContainText('Read-only mirror of MCU-A');
  await expect(banner.getByRole('link', { name: 'Open this page on the Master' })).toHaveAttribute('href', `http://127.0.0.1:${a}/conferences`);
  await slave.getByText('New conference').click();
  await expect(slave.getByLabel('Conference name')).toBeDisabled();
  await expect(slave.getByRole('button', { name: 'Start conference' })).toBeDisabled();
  const refused = await slave.evaluate(async () => {
    const r = await fetch('/api/add_conference', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'name=Not+here&numeric_id=1&profile_id=&duration=',
    });
    return { status: r.status, text: await r.text() };
  });
  expect(refused.status, refused.text).toBe(403);
  expect(refused.text).toContain(`Master MCU (127.0.0.1:${a})`);
  await expect(slave.locator('tr[data-conference="Not here"]')).toHaveCount(0);
  await expect(master.getByTestId('mirror-banner')).toHaveCount(0);
  // Each MCU's Overview says which of the pair it is, whether the other answers, the sync,
  // and what runs (the Slave mirrors it), each part linking to its page.
  for (const [p, port, role, peer] of [[master, a, 'Master', 'MCU-B'], [slave, b, 'Slave', 'MCU-A']] as const) {
    await p.goto(`http://127.0.0.1:${port}/`);
    await hydrated(p);
    const pair = p.getByTestId('overview-pair');
    await expect(pair.locator('.hb-role')).toHaveText(role);
    await expect(pair).toContainText(`${peer} (127.0.0.1:`);
    await expect(pair).toContainText('answers');
    await expect(p.getByTestId('overview-sync')).toHaveText('OK');
    await expect(pair.getByRole('link', { name: 'Hot Backup page' })).toHaveAttribute('href', '/hot-backup');
    await expect(p.getByTestId('overview-conferences').getByRole('link', { name: 'Board meeting' })).toBeVisible();
  }
  // Users stay this MCU's own, but G2 wants the same change on the Master.
  await slave.goto(`http://127.0.0.1:${b}/users`);
  await hydrated(slave);
  await expect(slave.getByTestId('g2-note')).toContainText('must be the same on both MCUs');
  await expect(slave.getByLabel('User name')).toBeEnabled();

  // Trigger Failover on the Master: both pages show the swap without reload.
  await slave.goto(`http://127.0.0.1:${b}/hot-backup`);
  await hydrated(slave);
  await master.goto(`http://127.0.0.1:${a}/hot-backup`);
  await hydrated(master);
  // Both panels say whether the Slave could carry the Master's calls now (Alice's).
  for (const p of [master, slave]) {
    await expect(p.locator('ul.checks')).toContainText('Capacity ✓ passed — MCU-B (the Slave) has 40 video and 0 voice ports; 1 call(s) are up on the Master now', { timeout: 12_000 });
  }
  // The original's dialog on the Master: Hot Backup Enabled ticked, MCU Role locked by G8
  // while a conference runs. Unticking makes Save ask first, in the red dialog (cancelled).
  await expect(master.getByLabel('Hot Backup Enabled')).toBeChecked();
  await expect(master.getByLabel('MCU Role')).toBeDisabled();
  await expect(master.getByTestId('hb-role-lock')).toContainText('G8: This MCU has 1 ongoing conference(s)');
  await master.getByLabel('Hot Backup Enabled').uncheck();
  await master.getByRole('button', { name: 'Save (turns Hot Backup off)…' }).click();
  const off = master.getByRole('dialog', { name: 'Disable Hot Backup?' });
  await expect(off.locator('.consequence')).toContainText('stops mirroring');
  await off.getByRole('button', { name: 'Cancel' }).click();
  await expect(off).toBeHidden();
  await master.getByLabel('Hot Backup Enabled').check();
  await expect(master.getByRole('button', { name: 'Save settings' })).toBeVisible();
  // The header badge and the panel show one state: on each MCU they change together.
  const skew = (p: Page, badge: string, panel: string) => p.evaluate(([badge, panel]) => new Promise<number>((resolve) => {
    const start = performance.now();
    let badgeAt: number | null = null;
    let panelAt: number | null = null;
    const look = () => {
      const b = document.querySelector('[data-testid="hb-badge"]')?.textContent ?? '';
      const r = document.querySelector('[data-testid="hb-role"]')?.textContent ?? '';
      if (badgeAt === null && b.startsWith(badge)) badgeAt = performance.now();
      if (panelAt === null && r === panel) panelAt = performance.now();
      if (badgeAt !== null && panelAt !== null) return resolve(Math.abs(badgeAt - panelAt));
      if (performance.now() - start > 15_000) return resolve(-1);
      setTimeout(look, 5);
    };
    look();
  }), [badge, panel]);
  const alarmsBefore = await slave.locator('ol.events li.alarm').count();
  const masterSkew = skew(master, 'Slave', 'Slave MCU');
  const slaveSkew = skew(slave, 'Master', 'Master MCU');
  // A destructive action: red, apart from the saves, and a dialog that says what happens;
  // it goes only once this MCU's name is typed (a wrong one sends nothing).
  await expect(master.getByRole('button', { name: 'Trigger Failover' })).toHaveCSS('color', 'rgb(179, 38, 30)');
  await master.getByRole('button', { name: 'Trigger Failover' }).click();
  const dialog = master.getByRole('dialog', { name: 'Trigger Failover?' });
  await expect(dialog.locator('.consequence')).toContainText(/^MCU-B becomes the Master and MCU-A its Slave; .*1 participant\(s\) in 1 conference\(s\) are called again from MCU-B/);
  await dialog.getByLabel("Type this MCU's name, MCU-A, to confirm").fill('MCU-B');
  await dialog.getByRole('button', { name: 'Trigger Failover' }).click();
  await expect(dialog).toBeVisible();
  await expect(master.getByTestId('hb-role')).toHaveText('Master MCU');
  await dialog.getByLabel("Type this MCU's name, MCU-A, to confirm").fill('MCU-A');
  await dialog.getByRole('button', { name: 'Trigger Failover' }).click();
  expect(await masterSkew, 'A: badge and panel turn Slave together').toBeGreaterThanOrEqual(0);
  expect(await masterSkew).toBeLessThanOrEqual(300);
  expect(await slaveSkew, 'B: badge and panel turn Master together').toBeGreaterThanOrEqual(0);
  expect(await slaveSkew).toBeLessThanOrEqual(300);
  await expect(slave.getByTestId('hb-role')).toHaveText('Master MCU');
  await expect(master.getByTestId('hb-role')).toHaveText('Slave MCU');
  await expect(master).toHaveTitle('MCU-A · Slave · Hot Backup');
  await expect(slave).toHaveTitle('MCU-B · Master · Hot Backup');
  // Its settings say so too, without a reload; a planned switch-over is not an alarm.
  await expect(master.getByText('This MCU is the Slave MCU of the pair')).toBeVisible();
  await expect(slave.getByText('This MCU is the Master MCU of the pair')).toBeVisible();
  await expect(slave.getByTestId('hb-events')).toContainText('Planned switch-over');
  await expect(master.getByTestId('hb-events')).toContainText('Planned switch-over: MCU-B is now the Master (epoch 2)');
  await slave.waitForTimeout(1_000);
  await expect(slave.locator('ol.events li.alarm')).toHaveCount(alarmsBefore);
  await expect(master.getByTestId('mirror-banner')).toContainText('Read-only mirror of MCU-B');
  await expect(slave.getByTestId('mirror-banner')).toHaveCount(0);
  await expect(master.getByTestId('hb-sync')).toHaveText('OK', { timeout: 15_000 });
  // The new Master's Overview says so, with the switch-over as its last failover.
  await slave.goto(`http://127.0.0.1:${b}/`);
  await hydrated(slave);
  await expect(slave.getByTestId('overview-pair').locator('.hb-role')).toHaveText('Master');
  await expect(slave.getByTestId('overview-failover')).toContainText('is now the Master (epoch 2)');
  // The recording went on on the new Master, and says so; the operator stops it there.
  await slave.goto(`http://127.0.0.1:${b}${boardHref}`);
  await hydrated(slave);
  await expect(slave.getByTestId('recording')).toContainText('● Recording to Recorder 1 (went on after the takeover at');
  await slave.getByRole('button', { name: 'Stop recording' }).click();
  await expect(slave.getByTestId('recording')).toHaveText('Not recording');
  await expect(slave.getByRole('status').filter({ hasText: 'recording stopped' })).toBeVisible();

  // The conference ends on the new Master: its record is in the call history there (with
  // the takeover and Alice) and, mirrored, on the old Master too.
  const list = await slave.request.post(`http://127.0.0.1:${b}/api/list_conferences`);
  const board = (await list.json()).find((r: { conference: { name: string } }) => r.conference.name === 'Board meeting');
  const ended = await slave.request.post(`http://127.0.0.1:${b}/api/terminate_conference`, { form: { id: board.conference.id } });
  expect(ended.status(), await ended.text()).toBeLessThan(400);
  for (const [p, port] of [[slave, b], [master, a]] as const) {
    await p.goto(`http://127.0.0.1:${port}/history?text=board`);
    await hydrated(p);
    const rec = p.locator('table.list tr[data-record="Board meeting"]');
    await expect(rec).toContainText('4711');
    await expect(rec).toContainText(`Terminated by ${ADMIN.name}`);
    await expect(rec).toContainText('failover');
    await expect(rec.locator('td[data-label="Profile"]')).toHaveText('Recorded HD');
    await expect(rec.locator('td[data-label="Ended"]')).toContainText('recorded');
    await expect(rec.locator('details.cdr summary')).toHaveText(/^1 joined/);
    await rec.locator('details.cdr summary').click();
    await expect(rec.locator('ul.cdr-participants')).toContainText('Alice');
    await expect(rec.locator('ul.cdr-events').first()).toContainText('Recording ');
    await expect(rec.getByTestId('recorded')).toContainText('Recorded to Recorder 1');
    await expect(rec.getByTestId('recorded')).toContainText('in 2 span(s)');
    await expect(rec.locator('ul.cdr-events').last()).toContainText('The paired MCU took over');
  }

  // The new Master's audit trail holds the old Master's change, by whom and where; and
  // its own switch-over.
  await slave.goto(`http://127.0.0.1:${b}/audit?kind=change`);
  await hydrated(slave);
  // The oldest (newest first): its creation; the recording's changes came after.
  const made = slave.locator('table.list tr[data-kind="change"]', { hasText: "Conference 'Board meeting' saved" }).last();
  await expect(made).toContainText('MCU-A');
  await expect(made).toContainText(ADMIN.name);
  await slave.goto(`http://127.0.0.1:${b}/audit?kind=failover`);
  await hydrated(slave);
  await expect(slave.locator('table.list tr[data-kind="failover"]').first()).toContainText('Planned switch-over');

  // Settings change while paired, on each MCU, without disabling: the role stays.
  await master.goto(`http://127.0.0.1:${a}/hot-backup`);
  await hydrated(master);
  await master.getByLabel('Isolation check address (optional)').fill('gateway');
  await master.getByRole('button', { name: 'Save settings' }).click();
  await expect(master.locator('#hb-isolation-error')).toContainText('is not an IP address');
  await master.getByLabel('Isolation check address (optional)').fill(`127.0.0.1:${b}`);
  await master.getByLabel('Failure detection time (ms)').fill('1200');
  await master.getByLabel('Redial attempts (1–100)').fill('3');
  await master.getByRole('button', { name: 'Save settings' }).click();
  await expect(master.getByText('Settings saved on this MCU')).toBeVisible();
  await master.reload();
  await hydrated(master);
  await expect(master.getByLabel('Failure detection time (ms)')).toHaveValue('1200');
  await expect(master.getByLabel('Redial attempts (1–100)')).toHaveValue('3');
  await expect(master.getByTestId('hb-role')).toHaveText('Slave MCU');
  await expect(master.getByTestId('hb-sync')).toHaveText('OK', { timeout: 15_000 });
  await expect(master.getByRole('button', { name: 'Disable Hot Backup' })).toBeVisible();

  // On the Slave the role is changed on the Master; on the Master, with nothing scheduled
  // (G8), another MCU Role and Save reverse both MCUs' roles in one step.
  await expect(master.getByLabel('Hot Backup Enabled')).toBeChecked();
  await expect(master.getByLabel('MCU Role')).toBeDisabled();
  await expect(master.getByTestId('hb-role-lock')).toContainText('The roles are changed on the Master, MCU-B');
  await slave.goto(`http://127.0.0.1:${b}/hot-backup`);
  await hydrated(slave);
  await expect(slave.getByLabel('MCU Role')).toBeEnabled();
  await expect(slave.getByLabel('MCU Role')).toHaveValue('master');
  await slave.getByLabel('MCU Role').selectOption({ label: 'Slave MCU' });
  await slave.getByRole('button', { name: 'Save settings' }).click();
  await expect(slave.getByText('Settings saved and roles reversed: MCU-A is now the Master MCU')).toBeVisible();
  await expect(slave.getByTestId('hb-role')).toHaveText('Slave MCU');
  await expect(master.getByTestId('hb-role')).toHaveText('Master MCU', { timeout: 10_000 });
  await expect(master.getByTestId('hb-sync')).toHaveText('OK', { timeout: 15_000 });
});
