// TLS on both sides of the module. Towards the provider, libcurl must
// verify the certificate chain (against PKCEAuthCACertificate or the system
// CA store) and the host name. Towards the browser, an Apache that serves
// HTTPS through mod_ssl must mark the state and session cookies Secure,
// and the same Apache must not mark them on plain HTTP.
//
// A throwaway CA and its certificates are made with the openssl command at
// the start of the file, in a directory under /tmp that Apache's children
// (www-data) can read.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Client, parseEnvText } from './lib/client.mjs';
import { ALICE, sessionCookiesSet, stateCookiesDeleted, stateCookiesSet } from './lib/flow.mjs';
import { startProvider } from '../op/provider.mjs';
import { Stack } from './lib/stack.mjs';

const MODULE_DIR = process.env.APACHE_MODULE_DIR ?? '/usr/lib/apache2/modules';

/**
 * Writes a CA and two server certificates signed by it into a new
 * directory under /tmp: `server` for 127.0.0.1 and localhost, and `wrong`
 * for wrong.example only. Every file is world-readable.
 * @returns {{dir: string, ca: string, server: {cert: string, key: string},
 *   wrong: {cert: string, key: string}}} file paths
 */
function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkce-e2e-tls-'));
  fs.chmodSync(dir, 0o755);
  const file = (name) => path.join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

  // Only the extensions given here go into the certificates, whatever the
  // system's openssl.cnf sets.
  fs.writeFileSync(file('ext.cnf'), `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1, DNS:localhost
[wrong]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
`);
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...newKey, '-config', file('ext.cnf'), '-extensions', 'ca',
    '-subj', '/CN=mod_pkce_auth e2e test CA', '-days', '2',
    '-keyout', file('ca.key'), '-out', file('ca.pem'));

  // Fixed serial numbers are unique enough, because every run has a new CA.
  const serverCertificate = (name, subject, serial) => {
    openssl('req', '-new', ...newKey, '-config', file('ext.cnf'), '-subj', subject,
      '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
      '-set_serial', serial, '-days', '2',
      '-extfile', file('ext.cnf'), '-extensions', name, '-out', file(`${name}.pem`));
    return { cert: file(`${name}.pem`), key: file(`${name}.key`) };
  };
  const server = serverCertificate('server', '/CN=127.0.0.1', '2');
  const wrong = serverCertificate('wrong', '/CN=wrong.example', '3');

  for (const name of fs.readdirSync(dir)) {
    fs.chmodSync(file(name), 0o644);
  }
  return { dir, ca: file('ca.pem'), server, wrong };
}

const certs = makeCertificates();
const caPem = fs.readFileSync(certs.ca);
const readTls = ({ cert, key }) => ({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });

const stack = new Stack(12, { providerTls: readTls(certs.server), httpsRedirectUris: true });

// A second provider that presents the certificate for wrong.example, on a
// port of this file's provider range that the main provider does not use.
const wrongNamePort = stack.providerPort + 1;
let wrongNameProvider;

// The HTTPS virtual host takes the last port of the range, which the
// sequential ports of startApache() do not reach here.
const httpsPort = stack.apachePorts.at(-1);
const httpsUrl = `https://localhost:${httpsPort}`;

before(async () => {
  await stack.startProvider();
  wrongNameProvider = await startProvider({
    port: wrongNamePort,
    redirectUris: stack.apachePorts.map((p) => stack.redirectUri(p)),
    tls: readTls(certs.wrong),
  });

  await stack.startApache('test-ca', { pkce: { PKCEAuthCACertificate: certs.ca } });
  await stack.startApache('system-ca');
  await stack.startApache('wrong-name', {
    pkce: { PKCEAuthIssuer: wrongNameProvider.issuer, PKCEAuthCACertificate: certs.ca },
  });
  // Plain HTTP on the main port and HTTPS in the virtual host, with the
  // same PKCEAuth* settings apart from the redirect URI.
  await stack.startApache('https', {
    pkce: { PKCEAuthCACertificate: certs.ca },
    extraConfig: `LoadModule socache_shmcb_module ${MODULE_DIR}/mod_socache_shmcb.so
LoadModule ssl_module ${MODULE_DIR}/mod_ssl.so
SSLSessionCache shmcb:ssl_scache(512000)
Listen 127.0.0.1:${httpsPort} https
<VirtualHost 127.0.0.1:${httpsPort}>
    SSLEngine on
    SSLCertificateFile "${certs.server.cert}"
    SSLCertificateKeyFile "${certs.server.key}"
    PKCEAuthRedirectURI ${stack.httpsRedirectUri(httpsPort)}
</VirtualHost>`,
  });
});

after(async () => {
  try {
    await stack.stopAll();
    if (wrongNameProvider) {
      await wrongNameProvider.close();
    }
  } finally {
    if (!process.env.KEEP_E2E_DIRS) {
      fs.rmSync(certs.dir, { recursive: true, force: true });
    }
  }
});

stack.test('provider certificate from configured CA', async () => {
  const apache = stack.apache('test-ca');
  assert.ok(stack.issuer.startsWith('https://'), `issuer ${stack.issuer} is not https`);

  const client = new Client({ ca: caPem });
  const result = await client.login(`${apache.url}/app/`, ALICE);
  assert.equal(result.final.status, 200, result.final.body);
  assert.equal(parseEnvText(result.final.body).REMOTE_USER, 'alice-1001');

  const paths = stack.provider.requests.map((r) => r.path);
  assert.ok(paths.includes('/.well-known/openid-configuration'), `no discovery request over https: ${paths.join(' ')}`);
  assert.ok(paths.some((p) => p.startsWith('/token')), `no token request over https: ${paths.join(' ')}`);
});

stack.test('system CA store rejects test CA', async ({ expectLog }) => {
  expectLog(/\[pkce_auth:error\] .*PKCE011: cannot use the provider https:\/\/127\.0\.0\.1:\d+: .*SSL certificate problem/);
  const apache = stack.apache('system-ca');
  const before = stack.providerRequestCount();

  const res = await new Client().get(`${apache.url}/app/`);
  assert.equal(res.status, 502, res.body);
  assert.equal(stateCookiesSet(res).length, 0, res.setCookies.join(' | '));
  // The TLS handshake fails, so no HTTP request reaches the provider.
  assert.equal(stack.providerRequestCount(), before, 'the provider received a request over an unverified connection');

  const lines = apache.errorLog().split('\n').filter((line) => line.includes('PKCE011'));
  assert.ok(lines.length >= 1, `no PKCE011 line in the error log:\n${apache.errorLog()}`);
  assert.match(lines.at(-1), /certificate/, `PKCE011 line does not name the certificate problem: ${lines.at(-1)}`);
});

// The first test logs in with the same CA file and a certificate for
// 127.0.0.1, so a failure here comes from the host name, not the chain.
stack.test('provider certificate for another host', async ({ expectLog }) => {
  expectLog(/\[pkce_auth:error\] .*PKCE011: cannot use the provider https:\/\/127\.0\.0\.1:\d+: .*(?:subject name|host name)/);
  const apache = stack.apache('wrong-name');
  const before = wrongNameProvider.requests.length;

  const res = await new Client().get(`${apache.url}/app/`);
  assert.equal(res.status, 502, res.body);
  assert.equal(stateCookiesSet(res).length, 0, res.setCookies.join(' | '));
  assert.equal(wrongNameProvider.requests.length, before, 'the provider received a request over a connection to the wrong host');

  const lines = apache.errorLog().split('\n').filter((line) => line.includes('PKCE011'));
  assert.ok(lines.length >= 1, `no PKCE011 line in the error log:\n${apache.errorLog()}`);
  assert.match(lines.at(-1), /127\.0\.0\.1/, `PKCE011 line does not name the host: ${lines.at(-1)}`);
});

stack.test('https cookies carry Secure', async () => {
  const client = new Client({ ca: caPem });

  const start = await client.get(`${httpsUrl}/app/`);
  assert.equal(start.status, 302, start.body);
  const authorization = new URL(start.location);
  assert.equal(authorization.origin, stack.issuer);
  assert.equal(authorization.searchParams.get('redirect_uri'), stack.httpsRedirectUri(httpsPort));
  const stateCookies = stateCookiesSet(start);
  assert.equal(stateCookies.length, 1, start.setCookies.join(' | '));
  assert.ok(stateCookies[0].attributes.has('secure'), `state cookie without Secure: ${start.setCookies.join(' | ')}`);

  const { callbackUrl } = await client.authorizeAtProvider(start.location, ALICE);
  assert.ok(callbackUrl.startsWith(stack.httpsRedirectUri(httpsPort)), `callback ${callbackUrl}`);

  const callback = await client.get(callbackUrl);
  assert.equal(callback.status, 302, callback.body);
  const sessionCookies = sessionCookiesSet(callback);
  assert.ok(sessionCookies.length >= 1, `no session cookie: ${callback.setCookies.join(' | ')}`);
  for (const cookie of sessionCookies) {
    assert.ok(cookie.attributes.has('secure'), `session cookie ${cookie.name} without Secure: ${callback.setCookies.join(' | ')}`);
  }
  const deleted = stateCookiesDeleted(callback);
  assert.equal(deleted.length, 1, callback.setCookies.join(' | '));
  assert.ok(deleted[0].attributes.has('secure'), `state cookie deletion without Secure: ${callback.setCookies.join(' | ')}`);

  const final = await client.get(new URL(callback.location, callbackUrl).href);
  assert.equal(final.status, 200, final.body);
  const env = parseEnvText(final.body);
  assert.equal(env.REMOTE_USER, 'alice-1001');
  assert.equal(env.HTTPS, 'on', 'the CGI did not run behind mod_ssl');
});

stack.test('plain http cookies lack Secure', async () => {
  // The main port of the Apache whose virtual host serves HTTPS.
  const apache = stack.apache('https');
  const client = new Client({ ca: caPem });

  const start = await client.get(`${apache.url}/app/`);
  assert.equal(start.status, 302, start.body);
  const stateCookies = stateCookiesSet(start);
  assert.equal(stateCookies.length, 1, start.setCookies.join(' | '));
  assert.ok(!stateCookies[0].attributes.has('secure'), `state cookie with Secure on http: ${start.setCookies.join(' | ')}`);

  const { callbackUrl } = await client.authorizeAtProvider(start.location, ALICE);
  assert.ok(callbackUrl.startsWith(stack.redirectUri(apache.port)), `callback ${callbackUrl}`);
  const callback = await client.get(callbackUrl);
  assert.equal(callback.status, 302, callback.body);
  const sessionCookies = sessionCookiesSet(callback);
  assert.ok(sessionCookies.length >= 1, `no session cookie: ${callback.setCookies.join(' | ')}`);
  for (const cookie of sessionCookies) {
    assert.ok(!cookie.attributes.has('secure'), `session cookie ${cookie.name} with Secure on http: ${callback.setCookies.join(' | ')}`);
  }

  const final = await client.get(new URL(callback.location, callbackUrl).href);
  assert.equal(final.status, 200, final.body);
  assert.equal(parseEnvText(final.body).REMOTE_USER, 'alice-1001');
});
