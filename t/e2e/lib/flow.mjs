// Helpers that several test files share: reading the module's cookies out
// of responses, and the steps of a login split where tests need to cut in.

import assert from 'node:assert/strict';

import { Client, isDeletion, parseEnvText, parseSetCookie } from './client.mjs';

export const ALICE = { user: 'alice', password: 'alice-password' };
export const BOB = { user: 'bob', password: 'bob-password' };
export const CAROL = { user: 'carol', password: 'carol-password' };

export const STATE_COOKIE_PREFIX = 'pkce_state_';
export const SESSION_COOKIE = 'pkce_session';

/** Parses every Set-Cookie header of a response. */
export function setCookies(res) {
  return res.setCookies.map(parseSetCookie);
}

/** Set-Cookie headers that set (not delete) a session cookie or chunk. */
export function sessionCookiesSet(res, name = SESSION_COOKIE) {
  const chunk = new RegExp(`^${name}(?:_\\d+)?$`);
  return setCookies(res).filter((c) => chunk.test(c.name) && !isDeletion(c));
}

/** Set-Cookie headers that set a state cookie. */
export function stateCookiesSet(res) {
  return setCookies(res).filter((c) => c.name.startsWith(STATE_COOKIE_PREFIX) && !isDeletion(c));
}

/** Set-Cookie headers that delete a state cookie. */
export function stateCookiesDeleted(res) {
  return setCookies(res).filter((c) => c.name.startsWith(STATE_COOKIE_PREFIX) && isDeletion(c));
}

/** Returns the query parameters of the module's redirect to the provider. */
export function authorizationParams(res) {
  assert.equal(res.status, 302, `expected a redirect to the provider, got ${res.status}: ${res.body.slice(0, 300)}`);
  return new URL(res.location).searchParams;
}

/**
 * Starts a login at `url` and takes it through the provider, stopping
 * before the callback request.
 * @returns {Promise<{start: object, state: string, callbackUrl: string}>}
 */
export async function loginUntilCallback(client, url, credentials = ALICE, target) {
  const start = await client.get(url, target ? { target } : {});
  const params = authorizationParams(start);
  const { callbackUrl } = await client.authorizeAtProvider(start.location, credentials);
  return { start, state: params.get('state'), callbackUrl };
}

/** Logs in with a fresh client and returns it. */
export async function loggedInClient(apache, credentials = ALICE, path = '/app/') {
  const client = new Client();
  const result = await client.login(`${apache.url}${path}`, credentials);
  assert.equal(result.final.status, 200, `login did not reach the app: ${result.final.status} ${result.final.body.slice(0, 300)}`);
  return client;
}

/** Requests `path` and returns the CGI's environment. */
export async function cgiEnv(client, apache, path = '/app/', options = {}) {
  const res = await client.get(`${apache.url}${path}`, options);
  assert.equal(res.status, 200, `expected the CGI page at ${path}, got ${res.status}: ${res.body.slice(0, 300)}`);
  return parseEnvText(res.body);
}

/**
 * Asserts that a Location header is a path on the same origin: it starts
 * with one "/" and is neither scheme-relative ("//host", "/\host") nor
 * absolute.
 */
export function assertSameOriginPath(location, baseUrl) {
  assert.equal(typeof location, 'string', 'Location header missing');
  assert.ok(location.length > 0, 'Location header empty');
  assert.ok(location.startsWith('/'), `Location ${JSON.stringify(location)} is not a path`);
  assert.ok(!/^\/[/\\]/.test(location), `Location ${JSON.stringify(location)} is scheme-relative`);
  assert.ok(!/[\x00-\x1f\x7f]/.test(location), `Location ${JSON.stringify(location)} contains control characters`);
  assert.equal(new URL(location, baseUrl).origin, new URL(baseUrl).origin, `Location ${JSON.stringify(location)} leaves the origin`);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
