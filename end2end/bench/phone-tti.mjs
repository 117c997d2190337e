// Cold loads of the conference list on a throttled phone (Lighthouse's mobile settings:
// 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, CPU slowed 4×), each in a fresh
// browser context (empty cache), logged in. Prints one JSON line: the time from the start
// of navigation until the page is hydrated, and the bytes that crossed the wire, per load.
// Usage: node phone-tti.mjs <base-url> <user> <password> [runs] [path, default /conferences]
import { chromium } from '@playwright/test';

const [base, user, password, runsArg, pathArg] = process.argv.slice(2);
const path = pathArg && pathArg.startsWith('/') ? pathArg : '/conferences';
const runs = Math.min(Math.max(Number(runsArg) || 5, 1), 20);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { tti_ms: [], wire_bytes: [] };
try {
  // One login (not throttled); its cookie goes into every cold context.
  const setup = await browser.newContext();
  const login = await setup.request.post(`${base}/api/login`, {
    form: { username: user, password, next: '/' },
    headers: { accept: 'application/json' },
  });
  if (!login.ok()) throw new Error(`login: ${login.status()}`);
  const state = await setup.storageState();
  await setup.close();
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext({ storageState: state, viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8),
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    const t0 = Date.now();
    await page.goto(`${base}${path}`, { waitUntil: 'commit', timeout: 60_000 });
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 60_000 });
    result.tti_ms.push(Date.now() - t0);
    // Whatever the hydrated page fetches at once counts too.
    await page.waitForTimeout(300);
    result.wire_bytes.push(bytes);
    await ctx.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
