// One login in a real browser: Debian's headless Chromium, driven by
// playwright-core, types alice's password into the provider's form and
// lands on the protected CGI page.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

import { chromium } from 'playwright-core';

import { parseEnvText } from './lib/client.mjs';
import { ALICE } from './lib/flow.mjs';
import { Stack } from './lib/stack.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The machine has no internet: switch off every background request.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const stack = new Stack(9);
let browser;

before(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)`);
  }
  await stack.startProvider();
  await stack.startApache('main');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await stack.stopAll();
});

stack.test('browser login reaches the CGI', async () => {
  const apache = stack.apache('main');
  const context = await browser.newContext();
  const page = await context.newPage();
  // Only this machine's test servers may be contacted.
  await page.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    return ['localhost', '127.0.0.1'].includes(hostname) ? route.continue() : route.abort();
  });

  await page.goto(`${apache.url}/app/browser?from=chromium`);
  await page.waitForSelector('form#login');
  assert.ok(page.url().startsWith(`${stack.issuer}/interaction/`), page.url());
  await page.fill('input[name="login"]', ALICE.user);
  await page.fill('input[name="password"]', ALICE.password);
  await Promise.all([page.waitForNavigation(), page.click('form#login button[type="submit"]')]);

  if (await page.$('form#consent')) {
    await Promise.all([page.waitForNavigation(), page.click('form#consent button[type="submit"]')]);
  }

  await page.waitForURL(`${apache.url}/app/browser?from=chromium`);
  const env = parseEnvText(await page.innerText('body'));
  assert.equal(env.REMOTE_USER, 'alice-1001');
  assert.equal(env.OIDC_CLAIM_email, 'alice@example.com');

  const cookies = await context.cookies(apache.url);
  assert.ok(cookies.some((c) => c.name.startsWith('pkce_session')), JSON.stringify(cookies.map((c) => c.name)));
  assert.ok(!cookies.some((c) => c.name.startsWith('pkce_state_')), 'state cookie left after login');
  const session = cookies.find((c) => c.name.startsWith('pkce_session'));
  assert.equal(session.httpOnly, true);

  // A reload is served from the session cookie.
  const before = stack.providerRequestCount();
  await page.reload();
  assert.equal(parseEnvText(await page.innerText('body')).REMOTE_USER, 'alice-1001');
  assert.equal(stack.providerRequestCount(), before);
  await context.close();
});
