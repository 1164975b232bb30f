// Logins that overlap: two users (two cookie jars) interleaved, two tabs
// of one browser (one jar, two state cookies), and the cap on how many
// state cookies one browser keeps.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client, CookieJar, isDeletion } from './lib/client.mjs';
import {
  ALICE, BOB, STATE_COOKIE_PREFIX,
  authorizationParams, cgiEnv, setCookies, stateCookiesSet,
} from './lib/flow.mjs';
import { Stack } from './lib/stack.mjs';

const stack = new Stack(2);

before(async () => {
  await stack.startProvider();
  await stack.startApache('main');
});

after(async () => {
  await stack.stopAll();
});

function stateCookieNames(jar) {
  return jar.forHost('localhost').map((c) => c.name).filter((n) => n.startsWith(STATE_COOKIE_PREFIX));
}

stack.test('interleaved logins in two jars', async () => {
  const apache = stack.apache('main');
  const a = new Client({ name: 'A' });
  const b = new Client({ name: 'B' });

  const startA = await a.get(`${apache.url}/app/from-a`);
  const startB = await b.get(`${apache.url}/app/from-b`);
  assert.equal(startA.status, 302);
  assert.equal(startB.status, 302);

  const providerB = await b.authorizeAtProvider(startB.location, BOB);
  const callbackB = await b.get(providerB.callbackUrl);
  assert.equal(callbackB.status, 302, callbackB.body);
  assert.equal(callbackB.location, '/app/from-b');

  const providerA = await a.authorizeAtProvider(startA.location, ALICE);
  const callbackA = await a.get(providerA.callbackUrl);
  assert.equal(callbackA.status, 302, callbackA.body);
  assert.equal(callbackA.location, '/app/from-a');

  assert.equal((await cgiEnv(a, apache, '/app/from-a')).REMOTE_USER, 'alice-1001');
  assert.equal((await cgiEnv(b, apache, '/app/from-b')).REMOTE_USER, 'bob-1002');
});

stack.test('two tabs in one jar', async () => {
  const apache = stack.apache('main');
  const jar = new CookieJar();
  const tab1 = new Client({ jar, name: 'tab1' });
  const tab2 = new Client({ jar, name: 'tab2' });

  const start1 = await tab1.get(`${apache.url}/app/tab-one`);
  const start2 = await tab2.get(`${apache.url}/app/tab-two`);
  const state1 = authorizationParams(start1).get('state');
  const state2 = authorizationParams(start2).get('state');
  assert.notEqual(state1, state2);
  assert.deepEqual(stateCookieNames(jar).sort(), [`${STATE_COOKIE_PREFIX}${state1}`, `${STATE_COOKIE_PREFIX}${state2}`].sort());

  // Tab 2 logs in first; tab 1 then finds the provider session and skips
  // the login page.
  const provider2 = await tab2.authorizeAtProvider(start2.location, ALICE);
  const callback2 = await tab2.get(provider2.callbackUrl);
  assert.equal(callback2.status, 302, callback2.body);
  assert.equal(callback2.location, '/app/tab-two');
  assert.deepEqual(stateCookieNames(jar), [`${STATE_COOKIE_PREFIX}${state1}`], 'tab 1 state cookie must survive tab 2 login');

  const provider1 = await tab1.authorizeAtProvider(start1.location, ALICE);
  assert.deepEqual(provider1.pages, [], 'the provider should not ask again within its session');
  const callback1 = await tab1.get(provider1.callbackUrl);
  assert.equal(callback1.status, 302, callback1.body);
  assert.equal(callback1.location, '/app/tab-one');
  assert.deepEqual(stateCookieNames(jar), []);

  assert.equal((await cgiEnv(tab1, apache, '/app/tab-one')).REMOTE_USER, 'alice-1001');
});

stack.test('oldest state cookie is evicted', async () => {
  // PKCEAuthStateMaxCount defaults to 5: a sixth pending login in one
  // browser evicts the oldest state cookie, whose callback then fails.
  const apache = stack.apache('main');
  const client = new Client();
  const starts = [];
  for (let i = 0; i < 6; i++) {
    const res = await client.get(`${apache.url}/app/pending-${i}`);
    starts.push({ res, state: authorizationParams(res).get('state') });
  }

  const oldest = `${STATE_COOKIE_PREFIX}${starts[0].state}`;
  const evicted = setCookies(starts[5].res).filter((c) => c.name === oldest && isDeletion(c));
  assert.equal(evicted.length, 1, `sixth redirect should delete ${oldest}: ${starts[5].res.setCookies.join(' | ')}`);
  assert.equal(stateCookiesSet(starts[5].res).length, 1);
  const remaining = stateCookieNames(client.jar);
  assert.equal(remaining.length, 5);
  assert.ok(!remaining.includes(oldest));

  // The newest login still completes.
  const newest = await client.authorizeAtProvider(starts[5].res.location, ALICE);
  const callback = await client.get(newest.callbackUrl);
  assert.equal(callback.status, 302, callback.body);
  assert.equal(callback.location, '/app/pending-5');
});

stack.test('evicted login fails at callback', async ({ expectLog }) => {
  expectLog(/\[pkce_auth:(?:warn|info|error)\] .*PKCE\d+: /);
  const apache = stack.apache('main');
  const client = new Client();
  const first = await client.get(`${apache.url}/app/evicted`);
  for (let i = 0; i < 5; i++) {
    await client.get(`${apache.url}/app/later-${i}`);
  }
  const { callbackUrl } = await client.authorizeAtProvider(first.location, ALICE);
  const callback = await client.get(callbackUrl);
  assert.equal(callback.status, 400, callback.body);
});
