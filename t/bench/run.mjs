#!/usr/bin/env node
// Measures what mod_pkce_auth costs per request: wrk against a static file
// that Apache serves unprotected, then against a static file behind
// AuthType pkce with a valid session cookie, in one run on one Apache. The
// ratio of the two rates is the figure to compare, because absolute rates
// vary with the machine and its load.
//
//   node t/bench/run.mjs [seconds per run, default 10] [connections, default 16]
//
// Needs wrk (Debian package wrk) and the built module. It uses the e2e
// harness's provider and Apache on ports of their own (stack index 90,
// whose ports no e2e test file uses).

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Stack } from '../e2e/lib/stack.mjs';
import { loggedInClient } from '../e2e/lib/flow.mjs';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 16);

/** Runs wrk on `url` and returns requests/s, the 99th percentile latency and the count of non-2xx responses. */
function wrk(url, cookie) {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency'];
  if (cookie) {
    args.push('-H', `Cookie: ${cookie}`);
  }
  const output = execFileSync('wrk', [...args, url], { encoding: 'utf8' });
  return {
    rate: Number(output.match(/Requests\/sec:\s+([\d.]+)/)[1]),
    p99: output.match(/99%\s+(\S+)/)?.[1] ?? '?',
    failures: Number(output.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
  };
}

const stack = new Stack(90);
try {
  await stack.startProvider();
  const apache = await stack.startApache('bench', {
    logLevel: 'warn',
    extraConfig: '<Location /protected.html>\n    AuthType pkce\n    Require valid-user\n</Location>',
  });
  const page = fs.readFileSync(path.join(apache.dir, 'htdocs/index.html'));
  fs.writeFileSync(path.join(apache.dir, 'htdocs/protected.html'), page, { mode: 0o644 });

  const client = await loggedInClient(apache);
  const cookie = client.jar.header(`${apache.url}/protected.html`);
  const check = await client.get(`${apache.url}/protected.html`);
  if (check.status !== 200) {
    throw new Error(`the session cookie does not open /protected.html: ${check.status}`);
  }

  // wrk connects to 127.0.0.1 directly. A request with a valid session is
  // served on any host name; only a login moves to the redirect URI's host.
  const base = `http://127.0.0.1:${apache.port}`;
  const before = stack.providerRequestCount();
  const plain = wrk(`${base}/index.html`);
  const guarded = wrk(`${base}/protected.html`, cookie);
  console.log(`unprotected static file:  ${plain.rate.toFixed(0)} requests/s, p99 ${plain.p99}, ${plain.failures} failures`);
  console.log(`protected, with session:  ${guarded.rate.toFixed(0)} requests/s, p99 ${guarded.p99}, ${guarded.failures} failures`);
  console.log(`protected / unprotected:  ${(guarded.rate / plain.rate).toFixed(2)}`);
  console.log(`session cookie size:      ${cookie.length} bytes; provider requests during the runs: ${stack.providerRequestCount() - before}`);
  if (guarded.failures > 0) {
    process.exitCode = 1;
  }
} finally {
  await stack.stopAll();
}
