import { readFileSync } from 'node:fs';
import { ADMIN, expect, hydrated, login, test } from './helpers';

test('a backup is downloaded from the System page; an upload is checked, kept for the System Reset, and can be discarded', async ({ page }) => {
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  await page.goto('/system');
  await hydrated(page);
  const card = page.getByRole('region', { name: 'Backup and restore' });
  await expect(card).toBeVisible();
  await expect(card).toContainText('No user, password, session, pairing or certificate is in it.');

  // Download: an SQLite file named after the MCU.
  const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('link', { name: 'Download backup' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^MCU-E2E-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\.mcu-backup\.sqlite3$/);
  const path = await download.path();
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 15).toString()).toBe('SQLite format 3');

  // A file that is not a backup: refused, with the reason, nothing kept.
  const file = card.getByLabel('Backup file to restore');
  await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a backup at all') });
  await card.getByRole('button', { name: 'Upload backup' }).click();
  await expect(card.locator('#restore-file-error')).toContainText('not an MCU backup');
  await expect(card.locator('#restore-file-error')).toHaveClass(/error/);
  await expect(card.getByTestId('pending-restore')).toHaveCount(0);

  // The downloaded one: kept for the next System Reset, said on the page.
  await file.setInputFiles({ name: 'mcu.sqlite3', mimeType: 'application/vnd.sqlite3', buffer: bytes });
  await card.getByRole('button', { name: 'Upload backup' }).click();
  await expect(card.locator('#restore-file-error')).toContainText('restored at the next System Reset');
  await expect(card.getByTestId('pending-restore')).toContainText('the backup of MCU-E2E');

  // Discarded: the next reset restores nothing.
  await card.getByRole('button', { name: 'Discard this backup' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Discarded' })).toBeVisible();
  await expect(card.getByTestId('pending-restore')).toHaveCount(0);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
});
