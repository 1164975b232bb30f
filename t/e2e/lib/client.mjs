// An HTTP client for the end-to-end tests. Each call sends one request on
// node's http or https module and follows no redirect by itself. A cookie
// jar applies the RFC 6265 rules that matter here, and helpers walk a login
// through the provider's login and consent pages hop by hop.

import * as http from 'node:http';
import * as https from 'node:https';

// Names that the tests use but that must reach servers on this machine
// only. Apache and the provider listen on 127.0.0.1; "localhost" could
// resolve to ::1 first, where nothing listens.
const LOOPBACK_NAMES = new Map([['localhost', '127.0.0.1'], ['127.0.0.1', '127.0.0.1']]);

const REQUEST_TIMEOUT_MS = 15000;

/**
 * Parses one Set-Cookie header value.
 * @returns {{name: string, value: string, attributes: Map<string, string>}}
 *   attribute names are lower case; flags such as HttpOnly map to ''
 */
export function parseSetCookie(header) {
  const [pair, ...rest] = header.split(';');
  const eq = pair.indexOf('=');
  const name = (eq < 0 ? '' : pair.slice(0, eq)).trim();
  const value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
  const attributes = new Map();
  for (const part of rest) {
    const i = part.indexOf('=');
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    const attrValue = i < 0 ? '' : part.slice(i + 1).trim();
    if (key) {
      attributes.set(key, attrValue);
    }
  }
  return { name, value, attributes };
}

/** Tells whether a parsed Set-Cookie deletes its cookie (Max-Age <= 0 or Expires in the past). */
export function isDeletion(cookie, now = Date.now()) {
  if (cookie.attributes.has('max-age')) {
    return Number(cookie.attributes.get('max-age')) <= 0;
  }
  if (cookie.attributes.has('expires')) {
    const expires = Date.parse(cookie.attributes.get('expires'));
    return !Number.isNaN(expires) && expires <= now;
  }
  return false;
}

function defaultCookiePath(requestPath) {
  // RFC 6265 section 5.1.4.
  if (!requestPath.startsWith('/')) {
    return '/';
  }
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}

function pathMatches(requestPath, cookiePath) {
  if (requestPath === cookiePath) {
    return true;
  }
  if (!requestPath.startsWith(cookiePath)) {
    return false;
  }
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(host, cookie) {
  if (cookie.hostOnly) {
    return host === cookie.domain;
  }
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

function isLoopbackHost(host) {
  return LOOPBACK_NAMES.has(host);
}

/**
 * A cookie jar keyed by host name without port, as browsers do: the
 * provider on 127.0.0.1:P and Apache on localhost:Q do not share cookies,
 * but two Apaches on localhost do.
 */
export class CookieJar {
  #cookies = [];

  /** Stores the Set-Cookie headers of a response to `requestUrl`. */
  store(requestUrl, setCookieHeaders, now = Date.now()) {
    const url = new URL(requestUrl);
    for (const header of setCookieHeaders) {
      const parsed = parseSetCookie(header);
      if (!parsed.name) {
        continue;
      }
      let domain = url.hostname;
      let hostOnly = true;
      const domainAttr = parsed.attributes.get('domain');
      if (domainAttr) {
        const wanted = domainAttr.replace(/^\./, '').toLowerCase();
        if (url.hostname !== wanted && !url.hostname.endsWith(`.${wanted}`)) {
          continue; // RFC 6265 section 5.3 step 6: reject a foreign domain
        }
        domain = wanted;
        hostOnly = false;
      }
      const pathAttr = parsed.attributes.get('path');
      const path = pathAttr?.startsWith('/') ? pathAttr : defaultCookiePath(url.pathname);

      let expires = null;
      if (parsed.attributes.has('max-age')) {
        expires = now + Number(parsed.attributes.get('max-age')) * 1000;
      } else if (parsed.attributes.has('expires')) {
        const date = Date.parse(parsed.attributes.get('expires'));
        expires = Number.isNaN(date) ? null : date;
      }

      this.#cookies = this.#cookies.filter(
        (c) => !(c.name === parsed.name && c.domain === domain && c.path === path),
      );
      if (expires !== null && expires <= now) {
        continue;
      }
      this.#cookies.push({
        name: parsed.name,
        value: parsed.value,
        domain,
        hostOnly,
        path,
        expires,
        secure: parsed.attributes.has('secure'),
      });
    }
  }

  /** Returns the Cookie header for a request to `requestUrl`, or '' for none. */
  header(requestUrl, now = Date.now()) {
    return this.matching(requestUrl, now).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** Lists the cookies a request to `requestUrl` would send, longest path first. */
  matching(requestUrl, now = Date.now()) {
    const url = new URL(requestUrl);
    this.#expire(now);
    return this.#cookies
      .filter((c) => domainMatches(url.hostname, c))
      .filter((c) => pathMatches(url.pathname, c.path))
      // Browsers treat http://localhost as a secure context, so Secure
      // cookies still travel to loopback hosts over plain HTTP.
      .filter((c) => !c.secure || url.protocol === 'https:' || isLoopbackHost(url.hostname))
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** Lists every stored cookie of `host` (no port). */
  forHost(host, now = Date.now()) {
    this.#expire(now);
    return this.#cookies.filter((c) => c.domain === host).map((c) => ({ ...c }));
  }

  /** Returns the value of cookie `name` for `host`, or undefined. */
  get(host, name) {
    return this.forHost(host).find((c) => c.name === name)?.value;
  }

  /** Sets a host-only cookie by hand, as an attacker or a test would. */
  set(host, name, value, path = '/') {
    this.remove(host, name);
    this.#cookies.push({ name, value, domain: host, hostOnly: true, path, expires: null, secure: false });
  }

  /** Removes cookie `name` of `host` from the jar. */
  remove(host, name) {
    this.#cookies = this.#cookies.filter((c) => !(c.domain === host && c.name === name));
  }

  /** Removes every cookie of `host`, as logging out of that site would. */
  clearHost(host) {
    this.#cookies = this.#cookies.filter((c) => c.domain !== host);
  }

  #expire(now) {
    this.#cookies = this.#cookies.filter((c) => c.expires === null || c.expires > now);
  }
}

function decodeHtmlEntities(text) {
  return text
    .replace(/&#(\d+);/g, (_, code) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code) => String.fromCodePoint(parseInt(code, 16)))
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function htmlAttributes(tag) {
  const attributes = {};
  const re = /([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  const inner = tag.replace(/^<\s*[A-Za-z]+/, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(re)) {
    attributes[m[1].toLowerCase()] = decodeHtmlEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attributes;
}

/**
 * Extracts the forms of an HTML page.
 * @returns {{id: string, action: string, method: string, fields: Object<string, string>}[]}
 */
export function parseForms(html) {
  const forms = [];
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const attributes = htmlAttributes(m[0].match(/<form\b[^>]*>/i)[0]);
    const fields = {};
    for (const input of m[1].matchAll(/<input\b[^>]*>/gi)) {
      const a = htmlAttributes(input[0]);
      if (a.name && !['submit', 'button', 'image'].includes(a.type)) {
        fields[a.name] = a.value ?? '';
      }
    }
    forms.push({
      id: attributes.id ?? '',
      action: attributes.action ?? '',
      method: (attributes.method ?? 'get').toUpperCase(),
      fields,
    });
  }
  return forms;
}

/**
 * Parses the text/plain output of the test CGI: one NAME=value line per
 * environment variable, with newlines in values written as \n.
 */
export function parseEnvText(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) {
      env[line.slice(0, eq)] = line.slice(eq + 1).replaceAll('\\n', '\n').replaceAll('\\\\', '\\');
    }
  }
  return env;
}

/**
 * Sends one HTTP/1.1 request and reads the whole response.
 * @param {string} url absolute http or https URL whose host is a loopback
 *   name
 * @param {object} [options]
 * @param {string} [options.method] GET by default
 * @param {Object<string, string|string[]>} [options.headers]
 * @param {string} [options.body]
 * @param {string} [options.target] raw request-target sent instead of the
 *   URL's path and query, e.g. '//app/' or 'http://evil.example/app/'
 * @param {string|Buffer} [options.ca] PEM CA certificates that an https
 *   server's certificate must chain to, in place of node's bundled CAs
 */
export function rawRequest(url, options = {}) {
  const parsed = new URL(url);
  const address = LOOPBACK_NAMES.get(parsed.hostname);
  const secure = parsed.protocol === 'https:';
  if (!(secure || parsed.protocol === 'http:') || !address) {
    return Promise.reject(new Error(`request to ${url} rejected: the tests send requests only to http and https servers on 127.0.0.1 and localhost`));
  }
  const target = options.target ?? `${parsed.pathname}${parsed.search}`;
  const requestOptions = {
    host: address,
    port: parsed.port || (secure ? 443 : 80),
    method: options.method ?? 'GET',
    path: target,
    headers: { host: parsed.host, ...options.headers },
    agent: false,
    timeout: REQUEST_TIMEOUT_MS,
  };
  if (secure) {
    // node's https agent takes the SNI name and the name that the
    // certificate must match from the Host header, not from `address`.
    requestOptions.ca = options.ca;
  }
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(requestOptions, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const setCookies = res.headers['set-cookie'] ?? [];
        resolve({
          url,
          target,
          method: options.method ?? 'GET',
          status: res.statusCode,
          headers: res.headers,
          location: res.headers.location,
          setCookies,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (options.body !== undefined) {
      req.write(options.body);
    }
    req.end();
  });
}

/**
 * One user agent: a cookie jar plus a record of every hop. Nothing is
 * followed automatically; login() and authorizeAtProvider() follow hops
 * explicitly and record each one.
 */
export class Client {
  /**
   * @param {object} [options]
   * @param {string|Buffer} [options.ca] PEM CA certificates for every https
   *   request of this client (see rawRequest)
   */
  constructor({ jar = new CookieJar(), name = 'client', ca } = {}) {
    this.jar = jar;
    this.name = name;
    this.ca = ca;
    /** @type {{method: string, url: string, status: number, location?: string, setCookies: string[]}[]} */
    this.hops = [];
  }

  /**
   * Sends one request with the jar's cookies (unless options.cookies is
   * false) and stores the response's cookies.
   */
  async request(url, options = {}) {
    const headers = { ...options.headers };
    if (options.cookies !== false) {
      const cookie = this.jar.header(url);
      if (cookie) {
        headers.cookie = headers.cookie ? `${headers.cookie}; ${cookie}` : cookie;
      }
    }
    const res = await rawRequest(url, { ca: this.ca, ...options, headers });
    this.jar.store(url, res.setCookies);
    this.hops.push({ method: res.method, url, target: res.target, status: res.status, location: res.location, setCookies: res.setCookies });
    return res;
  }

  get(url, options = {}) {
    return this.request(url, { ...options, method: 'GET' });
  }

  postForm(url, fields, options = {}) {
    return this.request(url, {
      ...options,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /**
   * Follows an authorization URL through the provider: redirects on the
   * provider's origin, its login form (with `user`/`password`) and its
   * consent form, until a redirect leaves the provider's origin.
   * @param {string} authorizationUrl the Location of the module's first redirect
   * @param {{user: string, password: string, consent?: boolean}} credentials
   *   consent false presses Cancel on the consent page
   * @returns {Promise<{callbackUrl: string, pages: string[]}>} the URL the
   *   provider sends the browser back to, not requested yet, and the titles
   *   of the forms that were submitted
   */
  async authorizeAtProvider(authorizationUrl, { user, password, consent = true }) {
    const providerOrigin = new URL(authorizationUrl).origin;
    const pages = [];
    let url = authorizationUrl;
    let loginsSubmitted = 0;
    for (let hop = 0; hop < 20; hop++) {
      const res = await this.get(url);
      if (res.status >= 300 && res.status < 400 && res.location) {
        const next = new URL(res.location, url).href;
        if (new URL(next).origin !== providerOrigin) {
          return { callbackUrl: next, pages };
        }
        url = next;
        continue;
      }
      if (res.status !== 200) {
        throw new Error(`provider returned ${res.status} for ${url}: ${res.body.slice(0, 500)}`);
      }
      const forms = parseForms(res.body);
      const login = forms.find((f) => f.id === 'login');
      const consentForm = forms.find((f) => f.id === 'consent');
      let submitted;
      if (login) {
        if (loginsSubmitted++ > 0) {
          throw new Error(`provider rejected the login of ${user}: ${res.body.slice(0, 300)}`);
        }
        pages.push('login');
        submitted = await this.postForm(new URL(login.action, url).href, { ...login.fields, login: user, password });
      } else if (consentForm && consent) {
        pages.push('consent');
        submitted = await this.postForm(new URL(consentForm.action, url).href, consentForm.fields);
      } else if (consentForm) {
        pages.push('consent-cancel');
        const cancel = res.body.match(/href="([^"]*\/abort)"/);
        submitted = await this.get(new URL(decodeHtmlEntities(cancel[1]), url).href);
      } else {
        throw new Error(`provider page at ${url} has no login or consent form: ${res.body.slice(0, 300)}`);
      }
      if (!(submitted.status >= 300 && submitted.status < 400 && submitted.location)) {
        if (submitted.status === 200) {
          // The login page again, with an error message.
          throw new Error(`provider rejected the login of ${user}: ${submitted.body.slice(0, 300)}`);
        }
        throw new Error(`provider answered the form at ${url} with ${submitted.status}`);
      }
      url = new URL(submitted.location, url).href;
      if (new URL(url).origin !== providerOrigin) {
        return { callbackUrl: url, pages };
      }
    }
    throw new Error(`no redirect back from the provider after 20 hops starting at ${authorizationUrl}`);
  }

  /**
   * Runs a whole login: the protected URL, the provider, the callback and
   * the redirect back, each as a separate recorded hop.
   * @returns {Promise<{start: object, callbackUrl: string, callback: object, final: object}>}
   */
  async login(protectedUrl, credentials, options = {}) {
    const start = await this.get(protectedUrl, options);
    if (start.status !== 302 || !start.location) {
      throw new Error(`expected 302 to the provider from ${protectedUrl}, got ${start.status}: ${start.body.slice(0, 300)}`);
    }
    const { callbackUrl } = await this.authorizeAtProvider(new URL(start.location, protectedUrl).href, credentials);
    const callback = await this.get(callbackUrl);
    if (callback.status !== 302 || !callback.location) {
      throw new Error(`expected 302 from the callback ${callbackUrl}, got ${callback.status}: ${callback.body.slice(0, 300)}`);
    }
    const final = await this.get(new URL(callback.location, callbackUrl).href);
    return { start, callbackUrl, callback, final };
  }
}
