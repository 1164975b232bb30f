#!/usr/bin/env node
// Signs in to the running demo without a browser, following every hop of
// the login (Apache, the provider's login and consent pages, the callback),
// and prints each hop and the text of the protected page.
//
//   node demo/login.mjs [user] [password] [url]
//   node demo/login.mjs bob bob-password http://localhost:8091/app/

import { Client } from '../t/e2e/lib/client.mjs';

const [user = 'alice', password = `${user}-password`, url = 'http://localhost:8091/app/'] = process.argv.slice(2);

const client = new Client();
const result = await client.login(url, { user, password });
for (const hop of client.hops) {
  console.log(`${hop.method} ${hop.url} -> ${hop.status}${hop.location ? ` ${hop.location}` : ''}`);
}
const text = result.final.body
  .replace(/<(script|style)[\s\S]*?<\/\1>/g, '')
  .replace(/<[^>]+>/g, ' ')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
  .replace(/[ \t]+/g, ' ')
  .replace(/\n\s*\n+/g, '\n')
  .trim();
console.log(`\n${result.final.status} ${url}\n${text}`);
