// Runs a real Apache httpd (Debian's apache2) with the freshly built
// mod_pkce_auth, each instance in its own directory under /tmp with its own
// ServerRoot, pid file, runtime directory and error log.
//
// Apache's children run as www-data, so everything they read (the CGI,
// htdocs) lives under /tmp with mode 755, never under /work or /root.

import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MODULE_SO = process.env.MOD_PKCE_AUTH_SO ?? path.join(REPO, '.libs/mod_pkce_auth.so');
const APACHE_BIN = process.env.APACHE2 ?? '/usr/sbin/apache2';
const MODULE_DIR = process.env.APACHE_MODULE_DIR ?? '/usr/lib/apache2/modules';

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 15000;

// log_config and unixd are compiled into Debian's apache2 and must not be
// loaded again.
const MODULES = [
  ['mpm_event_module', 'mod_mpm_event.so'],
  ['authz_core_module', 'mod_authz_core.so'],
  ['authz_user_module', 'mod_authz_user.so'],
  ['authn_core_module', 'mod_authn_core.so'],
  ['mime_module', 'mod_mime.so'],
  ['alias_module', 'mod_alias.so'],
  ['cgid_module', 'mod_cgid.so'],
  ['env_module', 'mod_env.so'],
  ['headers_module', 'mod_headers.so'],
  ['proxy_module', 'mod_proxy.so'],
  ['proxy_http_module', 'mod_proxy_http.so'],
  ['dir_module', 'mod_dir.so'],
  ['setenvif_module', 'mod_setenvif.so'],
];

// Prints the CGI environment as NAME=value lines, sorted, with backslashes
// and newlines in values escaped, so that tests see REMOTE_USER, AUTH_TYPE,
// the OIDC_CLAIM_* variables and the HTTP_* request headers.
const PRINTENV_CGI = `#!/usr/bin/perl
use strict;
use warnings;
print "Content-Type: text/plain; charset=utf-8\\r\\n\\r\\n";
for my $name (sort keys %ENV) {
    my $value = $ENV{$name};
    $value =~ s/\\\\/\\\\\\\\/g;
    $value =~ s/\\n/\\\\n/g;
    print "$name=$value\\n";
}
`;

const ERROR_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warn'];
const LOG_LEVEL_RE = /^\[[^\]]*\] \[(?:([\w.-]+):)?(emerg|alert|crit|error|warn|notice|info|debug|trace\d)\]/;

/**
 * Parses one Apache error log line.
 * @returns {{module: string|null, level: string}|null} null for a line that
 *   does not start with the default ErrorLogFormat prefix
 */
export function parseLogLine(line) {
  const m = LOG_LEVEL_RE.exec(line);
  return m ? { module: m[1] ?? null, level: m[2] } : null;
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) {
          reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        } else {
          setTimeout(attempt, 50);
        }
      });
    };
    attempt();
  });
}

/** Resolves to true when a TCP connect to 127.0.0.1:port succeeds. */
export function isPortOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// APACHE_LD_PRELOAD reaches apache2 alone as LD_PRELOAD, so that a module
// built with AddressSanitizer can be tested without preloading the
// sanitizer runtime into node and Chromium too.
const APACHE_ENV = process.env.APACHE_LD_PRELOAD ? { LD_PRELOAD: process.env.APACHE_LD_PRELOAD } : {};

function runApache(args, env = {}) {
  return new Promise((resolve) => {
    execFile(APACHE_BIN, args, { env: { ...process.env, ...APACHE_ENV, ...env }, timeout: START_TIMEOUT_MS }, (error, stdout, stderr) => {
      let code = 0;
      if (error) {
        // error.code is the exit status, or a string such as ETIMEDOUT.
        code = typeof error.code === 'number' ? error.code : 1;
      }
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Renders PKCEAuth* directives from an object; an array value becomes
 * several arguments, null or undefined leaves the directive out. Arguments
 * with spaces are quoted.
 */
export function pkceDirectives(settings) {
  const quote = (v) => {
    const text = String(v);
    return /[\s"]/.test(text) || text === '' ? `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : text;
  };
  return Object.entries(settings)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => `${name} ${(Array.isArray(value) ? value : [value]).map(quote).join(' ')}`)
    .join('\n');
}

/**
 * One Apache instance. Construct it, then start(); stop() in after().
 */
export class Apache {
  /**
   * @param {object} options
   * @param {number} options.port port on 127.0.0.1
   * @param {object} [options.pkce] PKCEAuth* directives at server scope,
   *   rendered by pkceDirectives()
   * @param {number} [options.echoPort] port of the echo backend proxied at /app/echo
   * @param {string} [options.extraConfig] more configuration at server scope
   * @param {string} [options.protectedConfig] more lines inside <Location /app>
   * @param {string} [options.logLevel] LogLevel line arguments
   * @param {Object<string, string>} [options.env] environment for apache2
   * @param {boolean} [options.withoutModule] leave mod_pkce_auth out, to
   *   check the harness itself
   * @param {boolean} [options.withoutLocation] load the module but protect
   *   no location
   */
  constructor(options) {
    this.options = options;
    this.port = options.port;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkce-e2e-'));
    fs.chmodSync(this.dir, 0o755);
    for (const sub of ['conf', 'logs', 'run', 'cgi-bin', 'htdocs']) {
      fs.mkdirSync(path.join(this.dir, sub), { mode: 0o755 });
    }
    fs.writeFileSync(path.join(this.dir, 'cgi-bin/printenv'), PRINTENV_CGI, { mode: 0o755 });
    fs.writeFileSync(path.join(this.dir, 'htdocs/index.html'), '<!DOCTYPE html><title>public</title><p>public page</p>\n', { mode: 0o644 });
    this.confPath = path.join(this.dir, 'conf/httpd.conf');
    this.errorLogPath = path.join(this.dir, 'logs/error.log');
    this.accessLogPath = path.join(this.dir, 'logs/access.log');
    this.pidPath = path.join(this.dir, 'run/httpd.pid');
    this.started = false;
    this.writeConfig(options);
  }

  /** Returns the base URL on host localhost, the host of the redirect URI. */
  get url() {
    return `http://localhost:${this.port}`;
  }

  /** Renders the whole httpd.conf for `options` (see the constructor). */
  renderConfig(options) {
    const d = this.dir;
    const loads = MODULES.map(([name, file]) => `LoadModule ${name} ${MODULE_DIR}/${file}`).join('\n');
    const echo = options.echoPort
      ? `ProxyPass "/app/echo" "http://127.0.0.1:${options.echoPort}/echo"\nProxyPassReverse "/app/echo" "http://127.0.0.1:${options.echoPort}/echo"`
      : '';
    return `# Written by t/e2e/lib/apache.mjs for one test run.
ServerRoot "${d}"
ServerName localhost
Listen 127.0.0.1:${options.port}
PidFile "${d}/run/httpd.pid"
DefaultRuntimeDir "${d}/run"
Mutex file:${d}/run default
ErrorLog "${d}/logs/error.log"
User www-data
Group www-data

${loads}
${options.withoutModule ? '# mod_pkce_auth not loaded (harness check)' : `LoadModule pkce_auth_module "${options.moduleSo ?? MODULE_SO}"`}
# The module's level can be set only once the module is loaded.
LogLevel ${options.logLevel ?? (options.withoutModule ? 'warn' : 'warn pkce_auth:info')}

# Enough worker threads that keep-alive connections are not closed under
# load (AH00484), and MinSpareThreads well under MaxRequestWorkers, which
# httpd otherwise reports as an error (AH10159).
StartServers 1
ServerLimit 4
ThreadLimit 25
ThreadsPerChild 25
MaxRequestWorkers 100
MinSpareThreads 10
MaxSpareThreads 75

LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog "${d}/logs/access.log" common
TypesConfig /etc/mime.types
ScriptSock "${d}/run/cgid.sock"
DocumentRoot "${d}/htdocs"
<Directory "${d}/htdocs">
    Require all granted
</Directory>
<Directory "${d}/cgi-bin">
    Require all granted
</Directory>

${options.withoutModule ? '' : pkceDirectives(options.pkce ?? {})}

# /app/echo goes to the echo backend; mod_proxy translates before mod_alias,
# so the ScriptAliasMatch below does not catch it.
${echo}
ScriptAliasMatch "^/app(/.*)?$" "${d}/cgi-bin/printenv"
ScriptAliasMatch "^/public-cgi(/.*)?$" "${d}/cgi-bin/printenv"

${options.withoutModule || options.withoutLocation ? '' : `<Location /app>
    AuthType pkce
    Require valid-user
${options.protectedConfig ?? ''}
</Location>`}

${options.extraConfig ?? ''}
`;
  }

  writeConfig(options) {
    fs.writeFileSync(this.confPath, this.renderConfig(options), { mode: 0o644 });
  }

  /** Starts Apache and waits until its port accepts connections. */
  async start() {
    if (await isPortOpen(this.port)) {
      throw new Error(`port ${this.port} is in use before Apache starts: a server from an earlier run may still be up`);
    }
    fs.writeFileSync(this.errorLogPath, '');
    const result = await runApache(['-f', this.confPath, '-k', 'start'], this.options.env);
    if (result.code !== 0) {
      throw new Error(`apache2 -k start failed (exit ${result.code}): ${result.output}\n${this.errorLog()}`);
    }
    this.started = true;
    registerForExit(this);
    try {
      await waitForPort(this.port, START_TIMEOUT_MS);
    } catch (error) {
      throw new Error(`${error.message}\nerror log:\n${this.errorLog()}`);
    }
  }

  /** Stops Apache with -k stop and waits for the parent process to exit. */
  async stop() {
    if (!this.started) {
      return;
    }
    const pid = this.pid();
    const result = await runApache(['-f', this.confPath, '-k', 'stop'], this.options.env);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (pid && isAlive(pid) && Date.now() < deadline) {
      await sleep(50);
    }
    this.started = false;
    unregisterForExit(this);
    if (pid && isAlive(pid)) {
      throw new Error(`Apache (pid ${pid}) still runs ${STOP_TIMEOUT_MS} ms after -k stop: ${result.output}`);
    }
  }

  /** Rewrites the configuration with changed options and restarts. */
  async restart(changes) {
    await this.stop();
    this.options = { ...this.options, ...changes };
    this.writeConfig(this.options);
    await this.start();
  }

  stopSync() {
    if (this.started) {
      try {
        execFileSync(APACHE_BIN, ['-f', this.confPath, '-k', 'stop'], {
          env: { ...process.env, ...APACHE_ENV },
          stdio: 'ignore',
          timeout: STOP_TIMEOUT_MS,
        });
      } catch {
        // Nothing more can be done while the process exits.
      }
      this.started = false;
    }
  }

  pid() {
    try {
      return Number(fs.readFileSync(this.pidPath, 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  /** Returns the whole error log text. */
  errorLog() {
    try {
      return fs.readFileSync(this.errorLogPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Returns the error log size in bytes, a mark for errorLogSince(). */
  errorLogSize() {
    try {
      return fs.statSync(this.errorLogPath).size;
    } catch {
      return 0;
    }
  }

  /** Returns the error log text written after `mark` bytes. */
  errorLogSince(mark) {
    return this.errorLog().slice(mark);
  }

  accessLog() {
    try {
      return fs.readFileSync(this.accessLogPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Removes the instance's directory; call after stop(). */
  cleanup() {
    if (!this.started && !process.env.KEEP_E2E_DIRS) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Runs `apache2 -t` on a configuration built like Apache's (same modules,
 * CGI and proxy lines) but with the given options.
 * @returns {Promise<{code: number, output: string}>}
 */
export async function configtest(options) {
  const apache = new Apache({ port: 1, ...options });
  try {
    return await runApache(['-t', '-f', apache.confPath], options.env);
  } finally {
    apache.cleanup();
  }
}

// Apache instances still running when the test process exits (a failed
// before() hook, an interrupted run) are stopped by their own config.
const running = new Set();
let exitHookInstalled = false;

function registerForExit(apache) {
  running.add(apache);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const instance of running) {
        instance.stopSync();
      }
    });
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.once(signal, () => {
        for (const instance of running) {
          instance.stopSync();
        }
        process.exit(130);
      });
    }
  }
}

function unregisterForExit(apache) {
  running.delete(apache);
}

/**
 * Checks the error log lines written since `mark`: every line at warn or
 * above must match one of `expected`, and every line of mod_pkce_auth must
 * carry a PKCE<digits>: tag.
 * @returns {string[]} descriptions of the violations, empty when clean
 */
export function unexpectedLogLines(text, expected = []) {
  const problems = [];
  for (const line of text.split('\n')) {
    const parsed = parseLogLine(line);
    if (!parsed) {
      continue;
    }
    if (parsed.module === 'pkce_auth' && !/\bPKCE\d+: /.test(line)) {
      problems.push(`module line without a PKCEnnn tag: ${line}`);
    }
    if (ERROR_LEVELS.includes(parsed.level) && !expected.some((re) => re.test(line))) {
      problems.push(`unexpected ${parsed.level} line: ${line}`);
    }
  }
  return problems;
}

/**
 * A backend at /echo that returns the request it received as JSON:
 * {method, url, headers (lower-case names), rawHeaders}.
 * @returns {Promise<{port: number, close: () => Promise<void>}>}
 */
export async function startEchoServer(port) {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
