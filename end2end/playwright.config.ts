import { defineConfig, devices } from '@playwright/test';

// Debian's Chromium; Playwright never downloads a browser here.
const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
};
const PORT = 3100;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL: `http://127.0.0.1:${PORT}`, trace: 'off' },
  projects: [
    { name: 'desktop', use: { ...devices['Desktop Chrome'], launchOptions } },
    {
      name: 'phone',
      use: { ...devices['Pixel 7'], viewport: { width: 390, height: 844 }, launchOptions },
    },
  ],
  // One MCU for the single-box tests, a pair per project for Hot Backup (desktop: 3102 +
  // 3103, phone: 3104 + 3105), and one whose sessions end after a minute without use
  // (3106), each on a fresh data folder.
  webServer: [
    [PORT, 'MCU-E2E'], [3102, 'MCU-A'], [3103, 'MCU-B'], [3104, 'MCU-A'], [3105, 'MCU-B'],
    [3106, 'MCU-IDLE', '--session-idle-minutes 1'],
  ].map(([port, name, extra]) => ({
    command: `./start-server.sh ${port} ${name} ${extra ?? ''}`.trim(),
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
  })),
});
