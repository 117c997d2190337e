import AxeBuilder from '@axe-core/playwright';
import { ADMIN, enableHotBackup as enable, expect, hydrated, loginAt, test } from './helpers';
import type { Page } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// This test stops and restarts an MCU, so it runs its own pair (loopback only), on ports
// no server of playwright.config.ts uses: desktop 3110 + 3111, phone 3112 + 3113.
function ports(project: string) {
  return project === 'phone' ? { a: 3112, b: 3113 } : { a: 3110, b: 3111 };
}

const ROOT = resolve(__dirname, '..', '..');
const BIN = process.env.E2E_SERVER_BIN ? resolve(ROOT, process.env.E2E_SERVER_BIN) : join(ROOT, 'target/debug/server');

/** One MCU process on `dir` (kept across restarts). */
function startMcu(port: number, name: string, dir: string): ChildProcess {
  return spawn(BIN, ['--simulate', '--name', name, '--model', 'CS 4000', '--listen', `127.0.0.1:${port}`,
    '--data-dir', dir, '--admin-password', ADMIN.password], {
    cwd: ROOT,
    env: { ...process.env, LEPTOS_SITE_ROOT: 'target/site', RUST_LOG: 'warn' },
    stdio: 'ignore',
  });
}

async function healthy(page: Page, port: number) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await page.request.get(`http://127.0.0.1:${port}/healthz`, { timeout: 1_000 });
      if (r.ok()) return;
    } catch { /* not listening yet */ }
    await page.waitForTimeout(200);
  }
  throw new Error(`MCU on ${port} did not start`);
}

async function stopMcu(p: ChildProcess) {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

test('an alarm appears live in the header when the Slave stops, is acknowledged, and clears when it is back', async ({ page, context }, info) => {
  test.setTimeout(90_000);
  const { a, b } = ports(info.project.name);
  const dirs = [mkdtempSync(join(tmpdir(), 'mcu-alarm-a-')), mkdtempSync(join(tmpdir(), 'mcu-alarm-b-'))];
  let procA = startMcu(a, 'MCU-A', dirs[0]);
  let procB = startMcu(b, 'MCU-B', dirs[1]);
  try {
    await healthy(page, a);
    await healthy(page, b);
    const slave = await context.newPage();
    await loginAt(page, a);
    await loginAt(slave, b);
    await enable(slave, b, 'Slave MCU', a);
    await enable(page, a, 'Master MCU', b);
    await expect(page.getByTestId('hb-sync')).toHaveText('OK', { timeout: 15_000 });
    await slave.close();

    // The Master's operator watches the conference list: no alarm while the pair is well.
    await page.goto(`http://127.0.0.1:${a}/conferences`);
    await hydrated(page);
    const indicator = page.getByTestId('alarm-badge');
    await expect(indicator).toHaveCount(0);

    // Users must match on both MCUs (G2): an Operator added on the Master alone is an
    // alarm, which clears once the same user exists on the Slave.
    const addOperator = async (port: number) => {
      const r = await page.request.post(`http://127.0.0.1:${port}/api/add_user`, {
        form: { name: `op-${info.project.name}`, password: 'operator-pass-1', role: 'operator' },
      });
      expect(r.status(), await r.text()).toBe(200);
    };
    await addOperator(a);
    await expect(indicator).toHaveText('1 alarm', { timeout: 15_000 });
    await expect(indicator).toHaveAttribute('title', /1 active alarm/);
    await addOperator(b);
    await expect(indicator).toHaveCount(0, { timeout: 15_000 });

    // The Slave's process dies: 8200 shows in the header without a reload.
    await stopMcu(procB);
    await expect(indicator).toHaveText('1 alarm', { timeout: 10_000 });
    await indicator.click();
    await expect(page.getByRole('heading', { name: 'Active Alarms' })).toBeVisible();
    await hydrated(page);
    const row = page.locator('table.list tr[data-alarm="8200"]');
    await expect(row).toContainText('Hot Backup: Paired MCU is unreachable');
    await expect(row).toContainText('Major');
    await expect(row).toContainText(`127.0.0.1:${b}`);
    // The list with an alarm in it: readable by assistive technology, no sideways scroll.
    const axe = await new AxeBuilder({ page }).analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

    // An Operator acknowledges it; the header says it is acknowledged, still active.
    const op = await context.browser()!.newContext();
    const opPage = await op.newPage();
    await opPage.goto(`http://127.0.0.1:${a}/login`);
    await hydrated(opPage);
    await opPage.getByLabel('User name').fill(`op-${info.project.name}`);
    await opPage.getByLabel('Password', { exact: true }).fill('operator-pass-1');
    await opPage.getByRole('button', { name: 'Log in' }).click();
    // The Overview opens, with the alarm among the active ones.
    await expect(opPage.getByRole('heading', { name: 'Overview' })).toBeVisible();
    await expect(opPage.getByTestId('overview-alarms')).toContainText('8200');
    await opPage.goto(`http://127.0.0.1:${a}/alarms`);
    await hydrated(opPage);
    await opPage.getByRole('button', { name: 'Acknowledge alarm 8200' }).click();
    await expect(opPage.locator('tr[data-alarm="8200"]')).toContainText(`op-${info.project.name}`);
    await expect(indicator).toHaveText('1 active, acknowledged');
    await op.close();

    // The Slave comes back on its data folder: the alarm clears by itself, live, and
    // goes to the cleared alarms.
    procB = startMcu(b, 'MCU-B', dirs[1]);
    await healthy(page, b);
    await expect(indicator).toHaveCount(0, { timeout: 15_000 });
    await expect(page.getByText('No active alarms.')).toBeVisible();
    await page.locator('details.history summary').click();
    const cleared = page.locator('details.history tr[data-alarm="8200"]').first();
    await expect(cleared).toBeVisible();
    // To the second, and how long it lasted: a blip and an outage never look alike.
    await expect(cleared.locator('td[data-label="First seen"]')).toHaveText(/\d{2}:\d{2}:\d{2}/);
    await expect(cleared.locator('td[data-label="Lasted"]')).toHaveText(/^(\d+\.\d s|\d+ min \d+ s)$/);
    // The event log pairs the outage's start with its end.
    await page.goto(`http://127.0.0.1:${a}/hot-backup`);
    await hydrated(page);
    await expect(page.getByTestId('hb-events')).toContainText(/8200 Hot Backup: Paired MCU is unreachable: over after (\d+\.\d s|\d+ min \d+ s)/);
    await expect(page.getByTestId('hb-events').locator('li time').first()).toHaveText(/\d{2}:\d{2}:\d{2}/);
    // The 24-hour timeline draws the outage in red and says it in words.
    const timeline = page.getByTestId('link-timeline');
    await expect(timeline.locator('rect.tl-down')).not.toHaveCount(0);
    await expect(page.getByTestId('link-summary')).toContainText(/the link was down 1 time\(s\), about (\d+ s|\d+ min \d+ s) in all/);
    await expect(timeline.getByRole('img')).toHaveAttribute('aria-label', /the link was down 1 time/);

    // Alarms are the MCU's own and survive a restart: the Master restarted keeps the history.
    await stopMcu(procA);
    procA = startMcu(a, 'MCU-A', dirs[0]);
    await healthy(page, a);
    await page.goto(`http://127.0.0.1:${a}/alarms`);
    await hydrated(page);
    await page.locator('details.history summary').click();
    await expect(page.locator('details.history tr[data-alarm="8200"]', { hasText: `op-${info.project.name}` })).toHaveCount(1);
  } finally {
    await stopMcu(procA);
    await stopMcu(procB);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
