import { ADMIN, conferenceWithCallers, expect, hydrated, login, test } from './helpers';

test('a running conference saved as a template starts again from Templates with its participants dialled', async ({ page }, info) => {
  const name = `Weekly ops ${info.project.name}`;
  const id = info.project.name === 'phone' ? '6602' : '6601';
  await login(page, ADMIN.name, ADMIN.password);
  await expect(page.getByRole('heading', { name: 'Conferences' })).toBeVisible();
  const href = await conferenceWithCallers(page, name, id, [['Alice', '10.6.0.1'], ['Bob', 'sip:bob@example.com']]);
  await page.goto(href);
  await hydrated(page);
  await page.getByText('Save as template').first().click();
  const form = page.locator('details.card', { hasText: 'Template name' });
  await expect(form.getByLabel('Template name')).toHaveValue(name);
  await form.getByLabel('Template name').fill('');
  await form.getByRole('button', { name: 'Save as template' }).click();
  await expect(form.locator('#tpl-name-error')).not.toBeEmpty();
  await form.getByLabel('Template name').fill(`${name} template`);
  await form.getByRole('button', { name: 'Save as template' }).click();
  await expect(form.getByRole('status')).toContainText(`Template '${name} template' saved: 2 participant(s)`);

  // The conference ends; the template starts it again, with both called.
  const ended = await page.request.post('/api/terminate_conference', { form: { id: href.split('/').pop()! } });
  expect(ended.status()).toBeLessThan(400);
  await page.goto('/templates');
  await hydrated(page);
  const row = page.locator(`tr[data-template="${name} template"]`);
  await expect(row).toContainText('Alice, Bob');
  await expect(row.locator('td[data-label="Duration"]')).toHaveText('1:00');
  await row.getByRole('button', { name: `Start ${name} template` }).click();
  const started = page.getByRole('status').filter({ hasText: 'started from its template' });
  await expect(started).toContainText('2 of 2 participant(s) connected');
  await started.getByRole('link', { name: 'Open the conference' }).click();
  await hydrated(page);
  await expect(page.getByRole('heading', { name: `${name} template`, level: 1 })).toBeVisible();
  await expect(page.getByTestId('participant-count')).toHaveText('(2/2)');

  // Deleted after the red dialog.
  await page.goto('/templates');
  await hydrated(page);
  await page.locator(`tr[data-template="${name} template"]`).getByRole('button', { name: `Delete ${name} template` }).click();
  const dialog = page.getByRole('dialog', { name: `Delete the template '${name} template'?` });
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(page.locator(`tr[data-template="${name} template"]`)).toHaveCount(0);
  await page.request.post('/api/terminate_conference', { form: { id: (await page.request.post('/api/list_conferences').then((r) => r.json())).find((r: { conference: { name: string } }) => r.conference.name === `${name} template`).conference.id } });
});
