// The servers one test file runs: the OpenID provider, the echo backend and
// one or more Apache instances, on ports of the file's own range. Its
// test() wrapper fails a test when an Apache error log gained lines that
// the test did not declare.

import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';

import { startProvider, CLIENTS, CONFIDENTIAL_CLIENT_SECRET } from '../../op/provider.mjs';
import { Apache, startEchoServer, unexpectedLogLines } from './apache.mjs';

export { CLIENTS, CONFIDENTIAL_CLIENT_SECRET };

/** A passphrase of 48 characters, over the module's 32-character minimum. */
export const PASSPHRASE = 'e2e-test-passphrase-0123456789-abcdefghijklmnopq';

/**
 * The module warns at startup when an http:// issuer is not on loopback.
 * The tests' provider runs on 127.0.0.1, so the warning does not appear
 * there; it stays allowed for tests that point Apache at other issuers.
 */
export const PLAIN_HTTP_ISSUER_WARNING = /\[pkce_auth:warn\] .*PKCE\d+: PKCEAuthIssuer \S+ uses plain http/;

/** Matches any warn or error line of mod_pkce_auth that carries a PKCE tag. */
export const ANY_MODULE_LINE = /\[pkce_auth:(?:warn|error)\] .*PKCE\d+: /;

// Each test file gets a range of 10 ports: Apache on 18100 + 10*index and
// up, the provider on 19400 + 10*index, the echo backend on 19700 + 10*index.
const APACHE_BASE = Number(process.env.E2E_APACHE_PORT_BASE ?? 18100);
const PROVIDER_BASE = Number(process.env.E2E_PROVIDER_PORT_BASE ?? 19400);
const ECHO_BASE = Number(process.env.E2E_ECHO_PORT_BASE ?? 19700);
const PORTS_PER_FILE = 10;

const LOG_SETTLE_MS = 50;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Stack {
  /**
   * @param {number} index this test file's number, unique in t/e2e
   * @param {object} [options]
   * @param {{cert: string|Buffer, key: string|Buffer}} [options.providerTls]
   *   PEM certificate and key, with which the provider serves HTTPS and
   *   the issuer is https://127.0.0.1:PORT
   * @param {boolean} [options.httpsRedirectUris] also register
   *   httpsRedirectUri(port) of every port of the range at the provider,
   *   for Apaches that serve HTTPS
   */
  constructor(index, { providerTls = null, httpsRedirectUris = false } = {}) {
    this.index = index;
    this.providerTls = providerTls;
    this.httpsRedirectUris = httpsRedirectUris;
    this.providerPort = PROVIDER_BASE + PORTS_PER_FILE * index;
    this.echoPort = ECHO_BASE + PORTS_PER_FILE * index;
    this.apachePorts = Array.from({ length: PORTS_PER_FILE }, (_, i) => APACHE_BASE + PORTS_PER_FILE * index + i);
    this.apaches = new Map();
    this.provider = null;
    this.signingKeys = undefined;
    this.echo = null;
  }

  get issuer() {
    return `${this.providerTls ? 'https' : 'http'}://127.0.0.1:${this.providerPort}`;
  }

  /** Returns the redirect URI of the Apache on port `port`. */
  redirectUri(port) {
    return `http://localhost:${port}/callback`;
  }

  /** Returns the redirect URI of an Apache that serves HTTPS on port `port`. */
  httpsRedirectUri(port) {
    return `https://localhost:${port}/callback`;
  }

  /**
   * Starts the provider with the redirect URIs of every port in the range.
   * A restart keeps the signing keys of the previous instance.
   */
  async startProvider() {
    const redirectUris = this.apachePorts.map((p) => this.redirectUri(p));
    if (this.httpsRedirectUris) {
      redirectUris.push(...this.apachePorts.map((p) => this.httpsRedirectUri(p)));
    }
    this.provider = await startProvider({
      port: this.providerPort,
      redirectUris,
      signingKeys: this.signingKeys,
      tls: this.providerTls ?? undefined,
    });
    this.signingKeys = this.provider.signingKeys;
    return this.provider;
  }

  async stopProvider() {
    if (this.provider) {
      await this.provider.close();
      this.provider = null;
    }
  }

  async startEcho() {
    this.echo = await startEchoServer(this.echoPort);
    return this.echo;
  }

  /** Returns the PKCEAuth* directives of a working public-client setup on `port`. */
  pkceSettings(port, overrides = {}) {
    return {
      PKCEAuthIssuer: this.issuer,
      PKCEAuthClientID: CLIENTS.public,
      PKCEAuthRedirectURI: this.redirectUri(port),
      PKCEAuthCryptoPassphrase: PASSPHRASE,
      PKCEAuthScope: 'openid profile email',
      ...overrides,
    };
  }

  /**
   * Starts an Apache on the next free port of the range.
   * @param {string} name key for apache(name)
   * @param {object} [options] pkce: directive overrides (null drops one);
   *   any other option of the Apache constructor
   * @param {RegExp[]} [startupExpected] warn/error lines allowed at startup
   */
  async startApache(name, options = {}, startupExpected = []) {
    const port = this.apachePorts[this.apaches.size];
    if (port === undefined) {
      throw new Error(`test file ${this.index} has used all ${PORTS_PER_FILE} Apache ports`);
    }
    const { pkce, ...rest } = options;
    const apache = new Apache({
      port,
      echoPort: this.echo?.port,
      ...rest,
      pkce: this.pkceSettings(port, pkce),
    });
    this.apaches.set(name, apache);
    await apache.start();
    const problems = unexpectedLogLines(apache.errorLog(), [PLAIN_HTTP_ISSUER_WARNING, ...startupExpected]);
    assert.deepEqual(problems, [], `Apache ${name} logged at startup:\n${problems.join('\n')}`);
    return apache;
  }

  apache(name) {
    const apache = this.apaches.get(name);
    if (!apache) {
      throw new Error(`no Apache named ${name} in this test file`);
    }
    return apache;
  }

  /** Stops everything that was started; safe to call twice. */
  async stopAll() {
    const errors = [];
    for (const apache of this.apaches.values()) {
      try {
        await apache.stop();
        apache.cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    await this.stopProvider();
    if (this.echo) {
      await this.echo.close();
      this.echo = null;
    }
    if (errors.length) {
      throw errors[0];
    }
  }

  /** Counts the requests the provider has received so far. */
  providerRequestCount() {
    return this.provider ? this.provider.requests.length : 0;
  }

  /**
   * Defines a test whose Apache error logs are checked afterwards. The body
   * receives {expectLog(re), t}; expectLog declares a warn/error line the
   * test expects, so that it does not fail the test.
   */
  test(name, fn, options = {}) {
    nodeTest(name, { timeout: 60000, ...options }, async (t) => {
      const expected = [];
      const marks = new Map([...this.apaches].map(([key, apache]) => [key, apache.errorLogSize()]));
      try {
        await fn({ t, expectLog: (re) => expected.push(re) });
      } catch (error) {
        // Show what Apache logged during the failed test next to the failure.
        const logs = [...this.apaches]
          .map(([key, apache]) => `--- Apache ${key} error log during the test:\n${apache.errorLogSince(marks.get(key) ?? 0)}`)
          .join('\n');
        if (error instanceof Error) {
          error.message = `${error.message}\n${logs}`;
        }
        throw error;
      }
      await sleep(LOG_SETTLE_MS);
      const problems = [];
      for (const [key, apache] of this.apaches) {
        const text = apache.errorLogSince(marks.get(key) ?? 0);
        for (const problem of unexpectedLogLines(text, expected)) {
          problems.push(`Apache ${key}: ${problem}`);
        }
      }
      assert.deepEqual(problems, [], `error log lines the test did not expect:\n${problems.join('\n')}`);
    });
  }
}
