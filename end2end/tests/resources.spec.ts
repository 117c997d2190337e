import { ADMIN, expect, hydrated, login, test } from './helpers';

test('create a profile, then a meeting room on it, then start the room as a conference', async ({ page }, info) => {
  const suffix = info.project.name;
  const profile = `HD ${suffix}`;
  const room = `Board room ${suffix}`;
  const id = suffix === 'phone' ? '7702' : '7701';
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();

  await page.goto('/profiles');
  await hydrated(page);
  // The "New" form (each row also has its own edit form).
  let form = page.locator('details.card');
  await form.getByText('New profile').click();
  await form.getByLabel('Profile name').fill(profile);
  await form.getByLabel('Line rate (kbps)').selectOption('4096');
  await form.getByLabel('Layout').selectOption('2x2');
  await form.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.locator(`tr[data-profile="${profile}"]`)).toContainText('4096 kbps');

  await page.goto('/meeting-rooms');
  await hydrated(page);
  form = page.locator('details.card');
  await form.getByText('New meeting room').click();
  await form.getByLabel('Display name').fill(room);
  await form.getByLabel('Meeting room ID').fill('77a');
  await form.getByLabel('Profile').selectOption({ label: profile });
  await form.getByRole('button', { name: 'Save meeting room' }).click();
  await expect(form.getByRole('alert').filter({ hasText: 'The ID is 1–8 digits.' })).toBeVisible();
  await form.getByLabel('Meeting room ID').fill(id);
  await form.getByRole('button', { name: 'Save meeting room' }).click();
  const row = page.locator(`tr[data-room="${room}"]`);
  await expect(row).toContainText('Passive');

  await row.getByRole('button', { name: `Start ${room}` }).click();
  await expect(row).toContainText('Active');
  await page.goto('/conferences');
  await expect(page.locator(`tr[data-conference="${room}"]`)).toContainText(id);

  // A profile in use cannot be deleted, and the page says by what.
  await page.goto('/profiles');
  await hydrated(page);
  await page.locator(`tr[data-profile="${profile}"]`).getByRole('button', { name: `Delete ${profile}` }).click();
  const ask = page.getByRole('dialog', { name: `Delete the profile '${profile}'?` });
  await expect(ask.locator('.consequence')).toContainText('This cannot be undone.');
  await ask.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: `in use by meeting room '${room}'` })).toBeVisible();
});
