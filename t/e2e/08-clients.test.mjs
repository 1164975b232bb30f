// Client and naming settings: a confidential client (client_secret_basic),
// ID tokens signed with ES256 and EdDSA, a custom cookie name and claim
// prefix, and per-virtual-host settings.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { Client, parseEnvText } from './lib/client.mjs';
import { ALICE, cgiEnv, loginUntilCallback, sessionCookiesSet } from './lib/flow.mjs';
import { CLIENTS, CONFIDENTIAL_CLIENT_SECRET, Stack } from './lib/stack.mjs';

const stack = new Stack(8);
// The virtual host's port is the last of the file's range, which the
// sequential ports of startApache() do not reach here.
const vhostPort = stack.apachePorts.at(-1);

before(async () => {
  await stack.startProvider();
  await stack.startEcho();
  await stack.startApache('confidential', {
    pkce: { PKCEAuthClientID: CLIENTS.confidential, PKCEAuthClientSecret: CONFIDENTIAL_CLIENT_SECRET },
  });
  await stack.startApache('wrong-secret', {
    pkce: { PKCEAuthClientID: CLIENTS.confidential, PKCEAuthClientSecret: 'not-the-secret-of-this-client' },
  });
  await stack.startApache('es256', { pkce: { PKCEAuthClientID: CLIENTS.es256 } });
  await stack.startApache('eddsa', { pkce: { PKCEAuthClientID: CLIENTS.eddsa } });
  await stack.startApache('renamed', {
    pkce: { PKCEAuthCookieName: 'my_app_session', PKCEAuthClaimPrefix: 'X_CLAIM_' },
  });
  await stack.startApache('require-user', {
    extraConfig: `<Location /app/admin>
    Require user alice-1001
</Location>`,
  });
  await stack.startApache('vhost', {
    extraConfig: `Listen 127.0.0.1:${vhostPort}
<VirtualHost 127.0.0.1:${vhostPort}>
    PKCEAuthRedirectURI ${stack.redirectUri(vhostPort)}
    PKCEAuthRemoteUserClaim email
    PKCEAuthCookieName vhost_session
</VirtualHost>`,
  });
});

after(async () => {
  await stack.stopAll();
});

stack.test('confidential client logs in', async () => {
  const apache = stack.apache('confidential');
  const client = new Client();
  const result = await client.login(`${apache.url}/app/`, ALICE);
  assert.equal(result.final.status, 200, result.final.body);
  assert.equal(parseEnvText(result.final.body).REMOTE_USER, 'alice-1001');
  assert.equal(new URL(result.start.location).searchParams.get('client_id'), CLIENTS.confidential);

  const token = stack.provider.requests.filter((r) => r.path.startsWith('/token')).at(-1);
  assert.equal(token.authorization, 'Basic', 'client_secret_basic sends an Authorization: Basic header');
});

stack.test('wrong client secret gives 502', async ({ expectLog }) => {
  expectLog(/\[pkce_auth:error\] .*PKCE\d+: .*token endpoint.*invalid_client/);
  const apache = stack.apache('wrong-secret');
  const client = new Client();
  const { callbackUrl } = await loginUntilCallback(client, `${apache.url}/app/`);
  const res = await client.get(callbackUrl);
  assert.equal(res.status, 502, res.body);
  assert.equal(sessionCookiesSet(res).length, 0);
  assert.ok(!res.body.includes('not-the-secret-of-this-client'), 'error page shows the client secret');
});

for (const name of ['es256', 'eddsa']) {
  stack.test(`ID token signed with ${name} accepted`, async () => {
    const apache = stack.apache(name);
    const client = new Client();
    const result = await client.login(`${apache.url}/app/`, ALICE);
    assert.equal(result.final.status, 200, result.final.body);
    assert.equal(parseEnvText(result.final.body).REMOTE_USER, 'alice-1001');
  });
}

stack.test('custom cookie name and prefix', async () => {
  const apache = stack.apache('renamed');
  const client = new Client();
  const result = await client.login(`${apache.url}/app/`, ALICE);
  assert.ok(sessionCookiesSet(result.callback, 'my_app_session').length >= 1, result.callback.setCookies.join(' | '));
  assert.equal(sessionCookiesSet(result.callback).length, 0, 'the default cookie name must not be used');

  const env = parseEnvText(result.final.body);
  assert.equal(env.X_CLAIM_email, 'alice@example.com');
  assert.equal(env.OIDC_CLAIM_email, undefined);

  const echo = await client.get(`${apache.url}/app/echo/renamed`, {
    headers: { 'X-Claim-Email': 'evil@x', X_CLAIM_sub: 'evil', 'OIDC-CLAIM-email': 'kept@x' },
  });
  assert.equal(echo.status, 200, echo.body);
  const { headers } = JSON.parse(echo.body);
  assert.equal(headers.x_claim_email, 'alice@example.com');
  assert.equal(headers.x_claim_sub, 'alice-1001');
  assert.equal(headers['x-claim-email'], undefined);
  // Only the configured prefix is reserved; other headers pass through.
  assert.equal(headers['oidc-claim-email'], 'kept@x');
  assert.ok(!(headers.cookie ?? '').includes('my_app_session'), `session cookie forwarded: ${headers.cookie}`);
});

stack.test('virtual host overrides settings', async () => {
  const main = stack.apache('vhost');
  const mainEnv = await cgiEnv(await loginAt(main.url), main);
  assert.equal(mainEnv.REMOTE_USER, 'alice-1001');

  const vhostUrl = `http://localhost:${vhostPort}`;
  const client = new Client();
  const result = await client.login(`${vhostUrl}/app/`, ALICE);
  assert.equal(result.final.status, 200, result.final.body);
  assert.equal(new URL(result.start.location).searchParams.get('redirect_uri'), stack.redirectUri(vhostPort));
  assert.ok(sessionCookiesSet(result.callback, 'vhost_session').length >= 1, result.callback.setCookies.join(' | '));
  assert.equal(parseEnvText(result.final.body).REMOTE_USER, 'alice@example.com');
});

stack.test('Require user admits only that user', async ({ expectLog }) => {
  // mod_authz_core logs the refused user at error level.
  expectLog(/\[authz_core:error\] .*AH01631: user bob-1002: authorization failure/);
  const apache = stack.apache('require-user');
  const alice = await loginAt(apache.url);
  assert.equal((await cgiEnv(alice, apache, '/app/admin/x')).REMOTE_USER, 'alice-1001');

  const bob = new Client();
  const result = await bob.login(`${apache.url}/app/`, { user: 'bob', password: 'bob-password' });
  assert.equal(result.final.status, 200, result.final.body);
  const denied = await bob.get(`${apache.url}/app/admin/x`);
  assert.ok([401, 403].includes(denied.status), `bob got ${denied.status} at /app/admin`);
  assert.ok(!/REMOTE_USER=/.test(denied.body), 'the CGI ran for a refused user');
});

async function loginAt(baseUrl) {
  const client = new Client();
  const result = await client.login(`${baseUrl}/app/`, ALICE);
  assert.equal(result.final.status, 200, result.final.body);
  return client;
}
