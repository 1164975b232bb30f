// Session lifetime: PKCEAuthSessionMaxAge accepts 60 seconds at least, so
// this file waits a minute. It has a file of its own so that the test
// runner can run other files meanwhile.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from './lib/client.mjs';
import { cgiEnv, loggedInClient, sleep } from './lib/flow.mjs';
import { ANY_MODULE_LINE, Stack } from './lib/stack.mjs';

const stack = new Stack(10);
const MAX_AGE_SECONDS = 60;

before(async () => {
  await stack.startProvider();
  await stack.startApache('short-session', { pkce: { PKCEAuthSessionMaxAge: MAX_AGE_SECONDS } });
});

after(async () => {
  await stack.stopAll();
});

stack.test('expired session starts a new login', async ({ expectLog }) => {
  expectLog(ANY_MODULE_LINE);
  const apache = stack.apache('short-session');
  const client = await loggedInClient(apache);
  const loggedInAt = Date.now();
  const cookie = client.jar.matching(`${apache.url}/app/`).map((c) => `${c.name}=${c.value}`).join('; ');
  assert.equal((await cgiEnv(client, apache)).REMOTE_USER, 'alice-1001');

  await sleep(MAX_AGE_SECONDS * 1000 / 2);
  const halfway = await new Client().get(`${apache.url}/app/`, { headers: { cookie } });
  assert.equal(halfway.status, 200, `session rejected after ${Date.now() - loggedInAt} ms`);

  await sleep(loggedInAt + (MAX_AGE_SECONDS + 2) * 1000 - Date.now());
  // The cookie is sent by hand in case its own Max-Age made the jar drop
  // it: the module must check the age sealed inside.
  const res = await new Client().get(`${apache.url}/app/`, { headers: { cookie } });
  assert.equal(res.status, 302, res.body);
  assert.ok(res.location.startsWith(`${stack.issuer}/auth?`), res.location);
}, { timeout: 120000 });
