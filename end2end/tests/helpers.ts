import { test as base, expect, Page } from '@playwright/test';

export const ADMIN = { name: 'admin', password: 'e2e-admin-pass' };

/** A test whose page fails the test on any uncaught browser error (a broken WASM shows up
 * only there) and on any Content-Security-Policy violation (reported on the console and as
 * a `securitypolicyviolation` event). */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    const violations: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) violations.push(m.text());
      // A Rust panic in the WASM: its message (the page error only says "unreachable").
      if (m.type() === 'error' && /panicked at/.test(m.text())) errors.push(m.text());
    });
    await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { __cspViolation: (v: string) => void }).__cspViolation(
          `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`,
        );
      });
    });
    await use(page);
    expect(errors, 'uncaught errors in the page').toEqual([]);
    expect(violations, 'Content-Security-Policy violations').toEqual([]);
  },
});
export { expect };

export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Logs in on the login page at `path`. By default it then opens the conference list,
 * where most tests start (a plain `/login` opens the Overview). */
export async function login(page: Page, name: string, password: string, path = '/login?next=%2Fconferences') {
  await page.goto(path);
  await hydrated(page);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Adds a user through the API as the logged-in Administrator of `page`'s context. */
export async function addUserViaApi(page: Page, name: string, password: string, role: string) {
  const r = await page.request.post('/api/add_user', { form: { name, password, role } });
  expect(r.status(), await r.text()).toBe(200);
}

/** A user name unique to this test and project (both projects share one server). */
export function uniqueName(prefix: string, project: string) {
  return `${prefix}-${project}-${Date.now() % 100000}`;
}

/** The Administrator adds a user with `role`, then `page` is logged in as that user. */
export async function loginAsNewUser(page: Page, prefix: string, project: string, role: string) {
  const name = uniqueName(prefix, project);
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await addUserViaApi(page, name, 'new-user-pass-1', role);
  await page.context().clearCookies();
  await login(page, name, 'new-user-pass-1');
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  return name;
}

/** The Administrator logged in on `page` creates a conference profile through the API. */
export async function addProfileViaApi(page: Page, name: string, lineRate = '1920') {
  const r = await page.request.post('/api/save_profile', {
    form: { id: '', name, line_rate_kbps: lineRate, resolution: 'hd720', layout: 'auto' },
  });
  expect(r.status(), await r.text()).toBe(200);
}

/** The Administrator logged in on `page` starts the conference `name` (ID `id`, an hour
 * long) through the API, and `callers` dial in to it ([name, address]; a `sip:` address
 * calls over SIP). Returns the address of the conference's page. */
export async function conferenceWithCallers(page: Page, name: string, id: string, callers: [string, string][]): Promise<string> {
  const r = await page.request.post('/api/add_conference', { form: { name, numeric_id: id, profile_id: '', duration: '1:00' } });
  expect(r.status(), await r.text()).toBe(200);
  const href: string = (await r.json()).href;
  for (const [who, address] of callers) {
    const call = await page.request.post('/api/simulate_dial_in', {
      form: { numeric_id: id, name: who, address, protocol: address.startsWith('sip:') ? 'sip' : 'h323' },
    });
    expect(call.status(), await call.text()).toBe(200);
  }
  return href;
}

/** Logs in as the Administrator on the MCU at `port` (Hot Backup tests run two); the
 * conference list opens. */
export async function loginAt(page: Page, port: number) {
  await page.goto(`http://127.0.0.1:${port}/login?next=%2Fconferences`);
  await hydrated(page);
  await page.getByLabel('User name').fill(ADMIN.name);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
}

/** Enables Hot Backup on the MCU at `port` with `peerPort` as its pair (fast timings). */
export async function enableHotBackup(page: Page, port: number, role: 'Master MCU' | 'Slave MCU', peerPort: number) {
  await page.goto(`http://127.0.0.1:${port}/hot-backup`);
  await hydrated(page);
  await page.getByLabel('MCU Role').selectOption({ label: role });
  await page.getByLabel('Paired MCU IP Address').fill(`127.0.0.1:${peerPort}`);
  await page.getByLabel('Heartbeat interval (ms)').fill('100');
  await page.getByLabel('Failure detection time (ms)').fill('800');
  await page.getByLabel('Your password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Enable Hot Backup' }).click();
  await expect(page.getByRole('button', { name: 'Disable Hot Backup' })).toBeVisible({ timeout: 15_000 });
}

/** Runs a destructive action (Trigger Failover, Disable Hot Backup, Reset MCU): its button
 * opens a dialog that says what will happen; the MCU's name is typed, then confirmed.
 * Returns the dialog's consequence text. */
export async function confirmDanger(page: Page, label: string, mcu: string) {
  await page.getByRole('button', { name: label }).click();
  const dialog = page.getByRole('dialog', { name: `${label}?` });
  await expect(dialog).toBeVisible();
  const consequence = await dialog.locator('.consequence').innerText();
  await dialog.getByLabel(`Type this MCU's name, ${mcu}, to confirm`).fill(mcu);
  await dialog.getByRole('button', { name: label }).click();
  return consequence;
}
