// A provider that cannot be reached or serves a broken discovery document.
// The module returns 502 with a page that gives nothing away, and recovers
// when the provider comes back.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client, parseEnvText } from './lib/client.mjs';
import { FakeProvider } from './lib/fake-op.mjs';
import { ALICE, loginUntilCallback, sessionCookiesSet } from './lib/flow.mjs';
import { ANY_MODULE_LINE, CONFIDENTIAL_CLIENT_SECRET, PASSPHRASE, Stack } from './lib/stack.mjs';

const stack = new Stack(5);
// Ports of the range that nothing listens on, and scripted providers.
const closedPort = stack.providerPort + 1;
const brokenDiscovery = {
  'with HTTP 500': new FakeProvider(stack.providerPort + 2),
  'with HTML body': new FakeProvider(stack.providerPort + 3),
  'with wrong issuer': new FakeProvider(stack.providerPort + 4),
  'without token endpoint': new FakeProvider(stack.providerPort + 5),
};

before(async () => {
  brokenDiscovery['with HTTP 500'].discoveryStatus = 500;
  brokenDiscovery['with HTML body'].discovery = '<html><body>not JSON</body></html>';
  brokenDiscovery['with wrong issuer'].discovery.issuer = 'http://127.0.0.1:1';
  delete brokenDiscovery['without token endpoint'].discovery.token_endpoint;
  for (const fake of Object.values(brokenDiscovery)) {
    await fake.start();
  }

  await stack.startProvider();
  await stack.startApache('main');
  await stack.startApache('closed', {
    pkce: {
      PKCEAuthIssuer: `http://127.0.0.1:${closedPort}`,
      PKCEAuthClientID: 'pkce-confidential',
      PKCEAuthClientSecret: CONFIDENTIAL_CLIENT_SECRET,
    },
  });
  for (const [name, fake] of Object.entries(brokenDiscovery)) {
    await stack.startApache(name, { pkce: { PKCEAuthIssuer: fake.issuer } });
  }
});

after(async () => {
  await stack.stopAll();
  for (const fake of Object.values(brokenDiscovery)) {
    await fake.close();
  }
});

/** Asserts that a 502 page names no secret and shows no internals. */
function assertPlainErrorPage(body) {
  for (const secret of [PASSPHRASE, CONFIDENTIAL_CLIENT_SECRET]) {
    assert.ok(!body.includes(secret), 'error page contains a configured secret');
  }
  assert.doesNotMatch(body, /\.c:\d+|\bat [\w.]+ \(|Traceback|errno|curl/i);
}

stack.test('unreachable provider gives 502', async ({ expectLog }) => {
  expectLog(ANY_MODULE_LINE);
  const res = await new Client().get(`${stack.apache('closed').url}/app/`);
  assert.equal(res.status, 502, res.body);
  assertPlainErrorPage(res.body);
  assert.equal(sessionCookiesSet(res).length, 0);
});

stack.test('unreachable provider stays 502', async ({ expectLog }) => {
  // A second request must not be served from a half-filled cache.
  expectLog(ANY_MODULE_LINE);
  const res = await new Client().get(`${stack.apache('closed').url}/app/again`);
  assert.equal(res.status, 502, res.body);
});

for (const name of Object.keys(brokenDiscovery)) {
  stack.test(`discovery ${name} gives 502`, async ({ expectLog }) => {
    expectLog(ANY_MODULE_LINE);
    const res = await new Client().get(`${stack.apache(name).url}/app/`);
    assert.equal(res.status, 502, res.body);
    assertPlainErrorPage(res.body);
  });
}

stack.test('provider down at callback gives 502', async ({ expectLog }) => {
  expectLog(ANY_MODULE_LINE);
  const apache = stack.apache('main');
  const client = new Client();
  const { callbackUrl } = await loginUntilCallback(client, `${apache.url}/app/`, ALICE);
  await stack.stopProvider();
  try {
    const res = await client.get(callbackUrl);
    assert.equal(res.status, 502, res.body);
    assertPlainErrorPage(res.body);
    assert.equal(sessionCookiesSet(res).length, 0);
  } finally {
    await stack.startProvider();
  }
});

stack.test('login works after provider returns', async () => {
  // The provider restarted with the same keys but lost its sessions and
  // codes; a new login must go through.
  const apache = stack.apache('main');
  const client = new Client();
  const result = await client.login(`${apache.url}/app/back`, ALICE);
  assert.equal(result.final.status, 200, result.final.body);
  assert.equal(parseEnvText(result.final.body).REMOTE_USER, 'alice-1001');
});

stack.test('sessions survive provider outage', async () => {
  const apache = stack.apache('main');
  const client = new Client();
  await client.login(`${apache.url}/app/`, ALICE);
  await stack.stopProvider();
  try {
    const res = await client.get(`${apache.url}/app/during-outage`);
    assert.equal(res.status, 200, res.body);
    assert.equal(parseEnvText(res.body).REMOTE_USER, 'alice-1001');
  } finally {
    await stack.startProvider();
  }
});
