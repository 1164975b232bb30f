#!/usr/bin/env node
// A local OpenID provider for mod_pkce_auth's end-to-end tests and demos:
// oidc-provider 8 with fixed test users, two clients (pkce-public and
// pkce-confidential) plus clients that request ES256 and EdDSA ID tokens,
// and simple login and consent pages that check passwords.
//
// It uses version 8, which runs on Debian 12's Node.js 18. Version 9 calls
// crypto.hash(), which Node.js has only since 20.12.
//
// Scope: plain HTTP on a loopback address (HTTPS with a certificate given
// by the caller), keys generated at every start, in-memory storage only.
// Never expose it to a network.
//
//   node t/op/provider.mjs --port 9400 --redirect-uri http://localhost:8091/callback
//   node t/op/provider.mjs --port 9400 --redirect-uri http://localhost:8091/callback \
//       --tls-cert server.pem --tls-key server.key
//   node t/op/provider.mjs --print-users
//
// Tests import startProvider() and run it in their own process.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import Provider from 'oidc-provider';

export const ROLES_CLAIM = 'https://example.com/roles';
export const GROUPS_CLAIM = 'https://example.com/groups';

// carol's groups make her ID token several kilobytes long, so that the
// module must split its session cookie into numbered chunks.
const CAROL_GROUPS = Array.from({ length: 150 }, (_, i) => `group-${String(i).padStart(3, '0')}-with-a-long-name`);

/** Test users: login name -> password and the claims the provider releases. */
export const USERS = {
  alice: {
    password: 'alice-password',
    claims: {
      sub: 'alice-1001',
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice Example',
      given_name: 'Alice',
      family_name: 'Example',
      [ROLES_CLAIM]: ['admin', 'dev'],
    },
  },
  bob: {
    password: 'bob-password',
    claims: {
      sub: 'bob-1002',
      email: 'bob@example.com',
      email_verified: false,
      name: 'Bob Builder',
      given_name: 'Bob',
      family_name: 'Builder',
      [ROLES_CLAIM]: ['dev'],
    },
  },
  carol: {
    password: 'carol-password',
    claims: {
      sub: 'carol-1003',
      email: 'carol@example.com',
      email_verified: true,
      name: 'Carol Manygroups',
      given_name: 'Carol',
      family_name: 'Manygroups',
      [ROLES_CLAIM]: ['viewer'],
      [GROUPS_CLAIM]: CAROL_GROUPS,
    },
  },
};

export const CONFIDENTIAL_CLIENT_SECRET = 'pkce-confidential-secret-0123456789abcdef';

/** Client ids registered by startProvider(), with their ID token algorithm. */
export const CLIENTS = {
  public: 'pkce-public',
  confidential: 'pkce-confidential',
  es256: 'pkce-public-es256',
  eddsa: 'pkce-public-eddsa',
};

function buildClients(redirectUris, clientSecret) {
  const common = {
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // application_type "web" (the default) accepts http://localhost
    // redirect URIs for the code flow; only implicit web clients need https.
    application_type: 'web',
  };
  return [
    { ...common, client_id: CLIENTS.public, token_endpoint_auth_method: 'none' },
    {
      ...common,
      client_id: CLIENTS.confidential,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      ...common,
      client_id: CLIENTS.es256,
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
    {
      ...common,
      client_id: CLIENTS.eddsa,
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'EdDSA',
    },
  ];
}

/**
 * Generates a private key and returns it as a JWK.
 *
 * The key leaves generateKeyPairSync() as PEM and is parsed again before the
 * JWK export. Exporting the generated KeyObject directly can deadlock the
 * process when garbage collection runs during the export (seen with Node.js
 * 20.20: the key generation job's destructor waits for a mutex that the
 * export holds).
 */
export function generatePrivateJwk(type, options = {}) {
  const { privateKey } = crypto.generateKeyPairSync(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return crypto.createPrivateKey(privateKey).export({ format: 'jwk' });
}

function generateSigningKeys() {
  // The RSA key comes first so that it signs whenever a client does not ask
  // for another algorithm.
  return [
    { ...generatePrivateJwk('rsa', { modulusLength: 2048 }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...generatePrivateJwk('ec', { namedCurve: 'P-256' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    { ...generatePrivateJwk('ed25519'), kid: 'ed-1', alg: 'EdDSA', use: 'sig' },
  ];
}

function findUserBySub(sub) {
  return Object.values(USERS).find((user) => user.claims.sub === sub);
}

function escapeHtml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

// Pages load nothing from other hosts, because the browser test runs
// without a network.
function renderPage(title, body) {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function renderLogin(uid, message) {
  const notice = message ? `<p class="error">${escapeHtml(message)}</p>\n` : '';
  return renderPage('Sign-in', `${notice}<form id="login" method="post" action="/interaction/${escapeHtml(uid)}/login">
  <label>Username <input type="text" name="login" autofocus required></label>
  <label>Password <input type="password" name="password" required></label>
  <button type="submit">Sign-in</button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p>`);
}

function renderConsent(uid, clientId, scopes) {
  const items = scopes.map((scope) => `  <li>${escapeHtml(scope)}</li>`).join('\n');
  return renderPage('Authorize', `<p>${escapeHtml(clientId)} requests access to:</p>
<ul>
${items}
</ul>
<form id="consent" method="post" action="/interaction/${escapeHtml(uid)}/confirm">
  <button type="submit">Continue</button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p>`);
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

const MAX_FORM_BYTES = 16 * 1024;

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) {
      throw new Error(`form body larger than ${MAX_FORM_BYTES} bytes`);
    }
  }
  return new URLSearchParams(body);
}

async function grantConsent(provider, details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) {
    grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  }
  if (prompt.details.missingOIDCClaims) {
    grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  }
  if (prompt.details.missingResourceScopes) {
    for (const [indicator, scope] of Object.entries(prompt.details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
  }
  return grant.save();
}

// Serves /interaction/<uid>[/login|/confirm|/abort]. Returns false when the
// path is not an interaction path.
async function handleInteraction(provider, req, res) {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/.exec(req.url.split('?')[0]);
  if (!match) {
    return false;
  }
  const [, uid, action] = match;
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    sendHtml(res, 400, renderPage('Error', '<p>This sign-in request does not match the interaction cookie.</p>'));
    return true;
  }

  if (!action && req.method === 'GET') {
    if (details.prompt.name === 'login') {
      sendHtml(res, 200, renderLogin(uid));
    } else {
      sendHtml(res, 200, renderConsent(uid, details.params.client_id, String(details.params.scope).split(' ')));
    }
    return true;
  }

  if (action === 'abort' && req.method === 'GET') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return true;
  }

  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const user = USERS[form.get('login')];
    if (!user || !crypto.timingSafeEqual(
      crypto.createHash('sha256').update(user.password).digest(),
      crypto.createHash('sha256').update(form.get('password') ?? '').digest(),
    )) {
      sendHtml(res, 200, renderLogin(uid, 'Invalid username or password.'));
      return true;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.claims.sub } },
      { mergeWithLastSubmission: false });
    return true;
  }

  if (action === 'confirm' && req.method === 'POST') {
    await readForm(req);
    const grantId = await grantConsent(provider, details);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return true;
  }

  sendHtml(res, 405, renderPage('Error', '<p>Method not allowed.</p>'));
  return true;
}

/**
 * Starts the provider and resolves once it listens.
 * @param {object} options
 * @param {number} options.port TCP port on `host`
 * @param {string} [options.host] listen address, 127.0.0.1 by default
 * @param {string} [options.issuer] issuer URL, http://host:port by default
 *   (https://host:port with options.tls)
 * @param {{cert: string|Buffer, key: string|Buffer}} [options.tls] PEM
 *   certificate chain and private key, with which the provider serves
 *   HTTPS instead of HTTP
 * @param {string[]} options.redirectUris redirect URIs registered for every client
 * @param {string} [options.clientSecret] secret of pkce-confidential
 * @param {(line: string) => void} [options.log] receives one line per request
 * @param {object[]} [options.signingKeys] private JWKs to sign with, e.g. the
 *   signingKeys of an earlier instance; new keys are generated by default
 * @returns {Promise<{issuer: string,
 *   requests: {method: string, path: string, authorization?: string}[],
 *   signingKeys: object[],
 *   provider: Provider, close: () => Promise<void>}>}
 */
export async function startProvider(options) {
  const host = options.host ?? '127.0.0.1';
  const port = options.port;
  const scheme = options.tls ? 'https' : 'http';
  const issuer = options.issuer ?? `${scheme}://${host}:${port}`;
  if (!options.redirectUris?.length) {
    throw new Error('startProvider: at least one redirect URI is required');
  }

  const signingKeys = options.signingKeys ?? generateSigningKeys();
  const provider = new Provider(issuer, {
    clients: buildClients(options.redirectUris, options.clientSecret ?? CONFIDENTIAL_CLIENT_SECRET),
    jwks: { keys: signingKeys },
    // Release profile and email claims in the ID token itself, as Auth0 and
    // most hosted providers do, and not only from the userinfo endpoint.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', ROLES_CLAIM, GROUPS_CLAIM],
    },
    async findAccount(ctx, sub) {
      const user = findUserBySub(sub);
      if (!user) {
        return undefined;
      }
      return {
        accountId: sub,
        async claims() {
          return structuredClone(user.claims);
        },
      };
    },
    features: {
      devInteractions: { enabled: false },
    },
    // The tests rely on the provider to enforce PKCE. Every authorization
    // request of every client must carry an S256 code_challenge, and every
    // token request the matching code_verifier. These are version 8's
    // defaults too, set here so that a version change cannot weaken them.
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    interactions: {
      url(ctx, interaction) {
        return `/interaction/${interaction.uid}`;
      },
    },
    // The module's cookies are pkce_session* and pkce_state_*; cookies are
    // not scoped by port, so the provider's names must differ from those.
    cookies: {
      names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' },
      // Version 8 marks its long-lived session cookie SameSite=None and
      // writes a second copy without SameSite (op_session.legacy). Chromium
      // rejects SameSite=None without Secure, which plain HTTP cannot set, so
      // use Lax, the default of version 9.
      long: { httpOnly: true, sameSite: 'lax' },
      keys: [crypto.randomBytes(32).toString('base64url')],
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      const rows = Object.entries(out)
        .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
        .join('\n');
      ctx.body = renderPage('Error', rows);
    },
    ttl: {
      AccessToken: 3600,
      IdToken: 3600,
      RefreshToken: 86400,
      Interaction: 3600,
      Session: 86400,
      Grant: 86400,
    },
  });

  const requests = [];
  const log = options.log ?? (() => {});
  const providerCallback = provider.callback();

  const handleRequest = async (req, res) => {
    // Only the scheme of an Authorization header is kept, never the secret.
    const authorization = req.headers.authorization?.split(' ')[0];
    requests.push({ method: req.method, path: req.url, authorization });
    log(`${req.method} ${req.url}`);
    try {
      if (!(await handleInteraction(provider, req, res))) {
        providerCallback(req, res);
      }
    } catch (error) {
      log(`error on ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) {
        sendHtml(res, 400, renderPage('Error', `<p>${escapeHtml(error.message)}</p>`));
      } else {
        res.end();
      }
    }
  };
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handleRequest)
    : http.createServer(handleRequest);

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });

  return {
    issuer,
    requests,
    provider,
    signingKeys,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Formats USERS as a table for people trying the module by hand. */
export function describeUsers() {
  const lines = ['login  password         email               sub'];
  for (const [login, user] of Object.entries(USERS)) {
    lines.push(`${login.padEnd(6)} ${user.password.padEnd(16)} ${user.claims.email.padEnd(19)} ${user.claims.sub}`);
  }
  return lines.join('\n');
}

const USAGE = `Usage: node t/op/provider.mjs [options]

Runs a local OpenID provider (oidc-provider) for mod_pkce_auth.

  --port N               TCP port (default 9400, or env OP_PORT)
  --host ADDR            listen address (default 127.0.0.1, or env OP_HOST)
  --issuer URL           issuer (default http://HOST:PORT, or https://HOST:PORT
                         with --tls-cert; or env OP_ISSUER)
  --redirect-uri URL     redirect URI of every client; repeat for more
                         (or env OP_REDIRECT_URIS, space-separated)
  --client-secret S      secret of pkce-confidential (or env OP_CLIENT_SECRET)
  --tls-cert FILE        PEM certificate chain; serve HTTPS instead of HTTP
                         (needs --tls-key)
  --tls-key FILE         PEM private key of --tls-cert
  --log-requests         print one line per request
  --print-users          print the test users and clients, then exit
  --help                 print this text
`;

function describeClients(clientSecret) {
  return [
    `client ${CLIENTS.public}: public, PKCE, no client secret (ID token RS256)`,
    `client ${CLIENTS.confidential}: client_secret_basic, secret ${clientSecret}`,
    `client ${CLIENTS.es256}: public, ID token ES256`,
    `client ${CLIENTS.eddsa}: public, ID token EdDSA`,
  ].join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      issuer: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'client-secret': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'log-requests': { type: 'boolean' },
      'print-users': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const clientSecret = values['client-secret'] ?? process.env.OP_CLIENT_SECRET ?? CONFIDENTIAL_CLIENT_SECRET;
  if (values['print-users']) {
    console.log(describeUsers());
    console.log(describeClients(clientSecret));
    return;
  }

  const port = Number(values.port ?? process.env.OP_PORT ?? 9400);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid --port ${values.port}: expected an integer from 1 to 65535`);
  }
  const redirectUris = values['redirect-uri']
    ?? (process.env.OP_REDIRECT_URIS ?? '').split(/\s+/).filter(Boolean);
  if (redirectUris.length === 0) {
    throw new Error('missing --redirect-uri: give the PKCEAuthRedirectURI of every Apache that will log in');
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw new Error('--tls-cert and --tls-key must be given together: HTTPS needs both the certificate and its private key');
  }
  const tls = values['tls-cert']
    ? { cert: fs.readFileSync(values['tls-cert']), key: fs.readFileSync(values['tls-key']) }
    : undefined;

  const op = await startProvider({
    port,
    host: values.host ?? process.env.OP_HOST,
    issuer: values.issuer ?? process.env.OP_ISSUER,
    redirectUris,
    clientSecret,
    tls,
    log: values['log-requests'] ? (line) => console.log(`provider request: ${line}`) : undefined,
  });
  console.log(describeUsers());
  console.log(describeClients(clientSecret));
  console.log(`redirect URIs: ${redirectUris.join(' ')}`);
  console.log(`provider ready on ${op.issuer}`);

  const stop = async (signal) => {
    console.log(`provider stopping on ${signal}`);
    await op.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(`provider failed: ${error.message}`);
    process.exit(1);
  });
}
