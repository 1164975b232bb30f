// A scripted OpenID provider for cases a real provider does not produce:
// broken discovery, failing or slow token endpoints, and ID tokens with a
// bad signature or bad claims. Tests set `discovery` and `onToken` to
// decide each response. It serves plain HTTP on 127.0.0.1 only.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import { generatePrivateJwk } from '../../op/provider.mjs';

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

/**
 * Signs a compact JWS over `payload`.
 * @param {object} payload the JWT claims
 * @param {object} [options]
 * @param {string} [options.alg] RS256 (default), HS256 or none
 * @param {crypto.KeyObject} [options.privateKey] RSA key for RS256
 * @param {string} [options.hmacKey] key for HS256
 * @param {object} [options.header] extra header parameters, e.g. {kid}
 */
export function signJwt(payload, { alg = 'RS256', privateKey, hmacKey, header = {} } = {}) {
  const head = base64url(JSON.stringify({ alg, typ: 'JWT', ...header }));
  const body = base64url(JSON.stringify(payload));
  const input = `${head}.${body}`;
  let signature = '';
  if (alg === 'RS256') {
    signature = crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url');
  } else if (alg === 'HS256') {
    signature = crypto.createHmac('sha256', hmacKey).update(input).digest('base64url');
  } else if (alg !== 'none') {
    throw new Error(`signJwt: unsupported alg ${alg}`);
  }
  return `${input}.${signature}`;
}

/** Generates an RSA private key (see generatePrivateJwk for why through a JWK). */
export function generateRsaKey() {
  return crypto.createPrivateKey({ key: generatePrivateJwk('rsa', { modulusLength: 2048 }), format: 'jwk' });
}

/** Returns the base64url SHA-256 of `verifier`, the S256 code challenge (RFC 7636 section 4.2). */
export function s256(verifier) {
  return crypto.createHash('sha256').update(verifier).digest('base64url');
}

export class FakeProvider {
  constructor(port) {
    this.port = port;
    this.issuer = `http://127.0.0.1:${port}`;
    this.kid = 'fake-rsa-1';
    const privateJwk = generatePrivateJwk('rsa', { modulusLength: 2048 });
    this.privateKey = crypto.createPrivateKey({ key: privateJwk, format: 'jwk' });
    const { kty, n, e } = privateJwk;
    this.publicJwk = { kty, n, e, kid: this.kid, alg: 'RS256', use: 'sig' };
    /** Discovery document; tests may replace or edit it. */
    this.discovery = {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/auth`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic'],
    };
    /** Status of the discovery response; 200 serves `discovery` as JSON. */
    this.discoveryStatus = 200;
    /**
     * Produces the token response from the parsed form body and headers:
     * {status, contentType, body} where body is a string or an object sent
     * as JSON, or {hang: true} to never respond, or {destroy: true} to close
     * the connection.
     */
    this.onToken = () => ({ status: 500, body: { error: 'server_error' } });
    /** Requests received: {method, path, headers, form}. */
    this.requests = [];
    this.hanging = new Set();
  }

  /** Signs an ID token with this provider's key and kid. */
  sign(payload, options = {}) {
    return signJwt(payload, {
      privateKey: this.privateKey,
      ...options,
      header: { kid: this.kid, ...options.header },
    });
  }

  /** Returns valid ID token claims for `clientId` and `nonce`, to be modified by a test. */
  claims(clientId, nonce) {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuer,
      aud: clientId,
      sub: 'fake-user-1',
      email: 'fake@example.com',
      iat: now,
      exp: now + 300,
      nonce,
    };
  }

  async start() {
    this.server = http.createServer((req, res) => this.#handle(req, res));
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', resolve);
    });
  }

  async close() {
    for (const res of this.hanging) {
      res.destroy();
    }
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  async #handle(req, res) {
    let body = '';
    for await (const chunk of req) {
      body += chunk;
    }
    const path = req.url.split('?')[0];
    const form = Object.fromEntries(new URLSearchParams(body));
    this.requests.push({ method: req.method, path, headers: req.headers, form });

    if (path === '/.well-known/openid-configuration') {
      this.#send(res, this.discoveryStatus, 'application/json', this.discovery);
    } else if (path === '/jwks') {
      this.#send(res, 200, 'application/json', { keys: [this.publicJwk] });
    } else if (path === '/token' && req.method === 'POST') {
      const reply = await this.onToken(form, req.headers);
      if (reply.hang) {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      this.#send(res, reply.status ?? 200, reply.contentType ?? 'application/json', reply.body);
    } else {
      this.#send(res, 404, 'text/plain', 'not found');
    }
  }

  #send(res, status, contentType, body) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(text);
  }
}
