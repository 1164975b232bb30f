// Configuration errors that `apache2 -t` must report, naming the directive,
// and forms of the directives that must be accepted.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { configtest } from './lib/apache.mjs';
import { PASSPHRASE, Stack } from './lib/stack.mjs';

const stack = new Stack(7);
const port = stack.apachePorts[0];
let secretsDir;

before(() => {
  // Apache's parent reads file: passphrases as root before it drops
  // privileges, so the file may be private.
  secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkce-e2e-secrets-'));
  fs.writeFileSync(path.join(secretsDir, 'passphrase'), `${PASSPHRASE}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(secretsDir, 'short'), 'too-short\n', { mode: 0o600 });
  fs.writeFileSync(path.join(secretsDir, 'empty'), '', { mode: 0o600 });
});

after(() => {
  fs.rmSync(secretsDir, { recursive: true, force: true });
});

function settings(overrides = {}) {
  return stack.pkceSettings(port, overrides);
}

async function check(overrides, env) {
  return configtest({ port, pkce: settings(overrides), env });
}

test('complete configuration passes configtest', async () => {
  const result = await check({});
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /Syntax OK/);
});

const ACCEPTED = [
  ['passphrase from env:', () => ({ PKCEAuthCryptoPassphrase: 'env:E2E_PKCE_PASSPHRASE' }), { E2E_PKCE_PASSPHRASE: PASSPHRASE }],
  ['passphrase from file:', () => ({ PKCEAuthCryptoPassphrase: `file:${path.join(secretsDir, 'passphrase')}` })],
  ['two passphrases', () => ({ PKCEAuthCryptoPassphrase: [PASSPHRASE, `${PASSPHRASE}-old`] })],
  ['every optional directive', () => ({
    PKCEAuthClientSecret: 'a-client-secret',
    PKCEAuthScope: 'openid email',
    PKCEAuthStateTimeout: 120,
    PKCEAuthStateMaxCount: 3,
    PKCEAuthSessionMaxAge: 3600,
    PKCEAuthCookieName: 'my_session',
    PKCEAuthRemoteUserClaim: 'email',
    PKCEAuthClaimPrefix: 'X_CLAIM_',
    PKCEAuthClockSkew: 30,
    PKCEAuthHTTPTimeout: [5, 2],
    PKCEAuthCACertificate: '/etc/ssl/certs/ca-certificates.crt',
    PKCEAuthProviderRefresh: 600,
  })],
  ['timeout without connect timeout', () => ({ PKCEAuthHTTPTimeout: 5 })],
];

for (const [name, makeOverrides, env] of ACCEPTED) {
  test(`configtest accepts ${name}`, async () => {
    const result = await check(makeOverrides(), env);
    assert.equal(result.code, 0, result.output);
  });
}

// Each entry is [case, directive overrides, directive the message must name].
const REJECTED = [
  ['missing issuer', { PKCEAuthIssuer: null }, 'PKCEAuthIssuer'],
  ['missing client id', { PKCEAuthClientID: null }, 'PKCEAuthClientID'],
  ['missing redirect URI', { PKCEAuthRedirectURI: null }, 'PKCEAuthRedirectURI'],
  ['missing passphrase', { PKCEAuthCryptoPassphrase: null }, 'PKCEAuthCryptoPassphrase'],
  ['31-character passphrase', { PKCEAuthCryptoPassphrase: 'x'.repeat(31) }, 'PKCEAuthCryptoPassphrase'],
  ['short second passphrase', { PKCEAuthCryptoPassphrase: [PASSPHRASE, 'short'] }, 'PKCEAuthCryptoPassphrase'],
  ['passphrase from unset env', { PKCEAuthCryptoPassphrase: 'env:E2E_PKCE_UNSET_VARIABLE' }, 'PKCEAuthCryptoPassphrase'],
  ['passphrase file missing', { PKCEAuthCryptoPassphrase: 'file:/nonexistent/pkce-passphrase' }, 'PKCEAuthCryptoPassphrase'],
  ['ftp issuer', { PKCEAuthIssuer: 'ftp://x' }, 'PKCEAuthIssuer'],
  ['issuer without scheme', { PKCEAuthIssuer: '127.0.0.1:9400' }, 'PKCEAuthIssuer'],
  // OpenID Connect Discovery 1.0 section 3: the issuer has no query or fragment.
  ['issuer with query', { PKCEAuthIssuer: 'https://op.example/?tenant=1' }, 'PKCEAuthIssuer'],
  ['issuer with fragment', { PKCEAuthIssuer: 'https://op.example/#tenant' }, 'PKCEAuthIssuer'],
  ['relative redirect URI', { PKCEAuthRedirectURI: '/callback' }, 'PKCEAuthRedirectURI'],
  // Browsers resolve dot segments, so such a callback path never arrives.
  ['redirect URI with .. segment', { PKCEAuthRedirectURI: `http://localhost:${port}/a/../callback` }, 'PKCEAuthRedirectURI'],
  ['redirect URI with %2e segment', { PKCEAuthRedirectURI: `http://localhost:${port}/a/%2e%2e/callback` }, 'PKCEAuthRedirectURI'],
  ['redirect URI ending in /.', { PKCEAuthRedirectURI: `http://localhost:${port}/callback/.` }, 'PKCEAuthRedirectURI'],
  ['empty passphrase file', { PKCEAuthCryptoPassphrase: `file:${path.join(secretsDir, 'empty')}` }, 'is shorter or empty'],
  ['state timeout abc', { PKCEAuthStateTimeout: 'abc' }, 'PKCEAuthStateTimeout'],
  ['state timeout with unit', { PKCEAuthStateTimeout: '300s' }, 'PKCEAuthStateTimeout'],
  ['negative state timeout', { PKCEAuthStateTimeout: -5 }, 'PKCEAuthStateTimeout'],
  ['state max count abc', { PKCEAuthStateMaxCount: 'abc' }, 'PKCEAuthStateMaxCount'],
  ['session max age abc', { PKCEAuthSessionMaxAge: 'abc' }, 'PKCEAuthSessionMaxAge'],
  ['clock skew abc', { PKCEAuthClockSkew: 'abc' }, 'PKCEAuthClockSkew'],
  ['HTTP timeout abc', { PKCEAuthHTTPTimeout: 'abc' }, 'PKCEAuthHTTPTimeout'],
  ['provider refresh abc', { PKCEAuthProviderRefresh: 'abc' }, 'PKCEAuthProviderRefresh'],
  ['CA file missing', { PKCEAuthCACertificate: '/nonexistent/ca.pem' }, 'PKCEAuthCACertificate'],
];

for (const [name, overrides, directive] of REJECTED) {
  test(`configtest rejects ${name}`, async () => {
    const result = await check(overrides);
    assert.notEqual(result.code, 0, `apache2 -t passed:\n${result.output}`);
    assert.ok(result.output.includes(directive), `message does not name ${directive}:\n${result.output}`);
  });
}

test('configtest passes without AuthType pkce', async () => {
  // A server that loads the module but protects nothing needs no PKCEAuth
  // directives.
  const result = await configtest({ port, pkce: {}, protectedConfig: '', withoutLocation: true });
  assert.equal(result.code, 0, result.output);
});
