#!/usr/bin/env node
// azure-smoke.js: SharedKey-signed Blob requests against a started azurite
// (or any Blob endpoint), as TAP; exits non-zero when a check fails.
//
//   eval "$(tests/servers/azurite.sh start)" && node tests/servers/azure-smoke.js
//
// Reads AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey, BlobEndpoint).
// Node built-ins only: the signer below is the reference for the string to sign.
'use strict';
const http = require('http');
const crypto = require('crypto');

const cs = process.env.AZURE_STORAGE_CONNECTION_STRING;
if (!cs) {
  console.error('AZURE_STORAGE_CONNECTION_STRING is not set: eval "$(tests/servers/azurite.sh start)"');
  process.exit(1);
}
const conf = Object.fromEntries(
  cs.split(';').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const account = conf.AccountName;
const endpoint = new URL(conf.BlobEndpoint.replace(/\/?$/, '/'));

// SharedKey (Blob service, x-ms-version >= 2015-02-21). With the emulator's
// path-style URLs the path already starts with /devstoreaccount1, so the
// canonical resource names the account twice (as the Azure SDKs do).
function sign(key, method, url, headers) {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const len = h['content-length'] && h['content-length'] !== '0' ? h['content-length'] : '';
  const canonHeaders = Object.keys(h)
    .filter((k) => k.startsWith('x-ms-'))
    .sort()
    .map((k) => `${k}:${h[k].trim()}\n`)
    .join('');
  const params = {};
  for (const [k, v] of url.searchParams) (params[k.toLowerCase()] ||= []).push(v);
  const canonResource =
    `/${account}${url.pathname}` +
    Object.keys(params)
      .sort()
      .map((k) => `\n${k}:${params[k].sort().join(',')}`)
      .join('');
  const toSign = [
    method,
    h['content-encoding'] || '',
    h['content-language'] || '',
    len,
    h['content-md5'] || '',
    h['content-type'] || '',
    '', // Date: x-ms-date is used
    h['if-modified-since'] || '',
    h['if-match'] || '',
    h['if-none-match'] || '',
    h['if-unmodified-since'] || '',
    h['range'] || '',
  ].join('\n') + '\n' + canonHeaders + canonResource;
  const sig = crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
  return `SharedKey ${account}:${sig}`;
}

function request(method, path, { body = '', headers = {}, key = conf.AccountKey } = {}) {
  const url = new URL(path, endpoint);
  const hdrs = {
    'x-ms-date': new Date().toUTCString(),
    'x-ms-version': '2021-08-06',
    'content-length': Buffer.byteLength(body),
    ...headers,
  };
  hdrs.authorization = sign(key, method, url, hdrs);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: hdrs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

let n = 0;
let failed = 0;
function check(name, expected, res, extra = true) {
  n += 1;
  if (res.status === expected && extra) {
    console.log(`ok ${n} - ${name} (HTTP ${res.status})`);
  } else {
    failed += 1;
    console.log(`not ok ${n} - ${name} (HTTP ${res.status}, expected ${expected})`);
    for (const line of res.body.split('\n').slice(0, 20)) console.log(`# ${line}`);
  }
}

(async () => {
  const container = `s3dlua-smoke-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const blob = 'dir/hello.txt';
  const text = `hello from s3dlua azure smoke ${container}\n`;
  console.log('1..7');
  check('create container', 201, await request('PUT', `${container}?restype=container`));
  check('put block blob', 201,
    await request('PUT', `${container}/${blob}`, { body: text, headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/plain' } }));
  let r = await request('GET', `${container}/${blob}`);
  check('get blob back, same bytes', 200, r, r.body === text);
  r = await request('GET', `${container}?restype=container&comp=list`);
  check('list blobs shows the blob', 200, r, r.body.includes(`<Name>${blob}</Name>`));
  r = await request('GET', `${container}?restype=container&comp=list`, { key: Buffer.from('wrong key').toString('base64') });
  check('wrong key: 403 AuthorizationFailure (Azure itself says AuthenticationFailed)', 403, r,
    /Auth(orization|entication)Failure|AuthenticationFailed/.test(r.body + (r.headers['x-ms-error-code'] || '')));
  check('delete blob', 202, await request('DELETE', `${container}/${blob}`));
  check('delete container', 202, await request('DELETE', `${container}?restype=container`));
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log(`not ok ${n + 1} - ${e.message}`);
  process.exit(1);
});
