#!/usr/bin/env node
// faulty.js - a small S3-ish HTTP server on 127.0.0.1 for fault injection
// (tests/cli/test-s3-faults.sh). Node's built-in modules only.
//
//   node tests/servers/faulty.js [PORT]   # prints the port it listens on, then serves
//
// Path-style S3, in memory, no signature checks, buckets need not exist:
//   PUT /b/k (stores the body)   GET /b/k (Range: bytes=a-b, a-, -n -> 206 + Content-Range)
//   HEAD /b/k (Content-Length, ETag, Last-Modified)   DELETE /b/k (204)
//   PUT /b, DELETE /b (buckets: always fine)   GET /b?list-type=2&prefix=&delimiter=
// Errors are S3's XML: <Error><Code>..</Code><Message>..</Message>...</Error>.
//
// Faults, chosen by the key's name (any substring, several may be combined and
// are used in the order they appear):
//   fail<SSS>x<N>   N answers of HTTP SSS (500 InternalError, 502 BadGateway,
//                   503 ServiceUnavailable, 504 GatewayTimeout, 4xx ...), then normal
//   always<SSS>     every answer is HTTP SSS
//   slowdownx<N>    N answers 503 <Code>SlowDown</Code>;  alwaysslowdown: every answer
//   dropx<N>        N times the connection is closed without an answer (the request
//                   body is read first)
//   reset[x<N>]     GET of a stored object: headers and half the body, then the socket
//                   is destroyed; the first N GETs (default 1)
//   hang[x<N>]      GET of a stored object: headers, then nothing for FAULTY_HANG_MS
//                   (default 120000) before the socket is destroyed; N (default: every GET)
// Error faults (fail/always/slowdown/drop) apply to every method; reset and hang to
// GETs that would answer with a body. A request a fault does not apply to does not
// use it up.
//
// Control endpoints (not counted, no faults):
//   GET  /__stats/B/K[?method=GET]   requests to B/K so far (all methods or one), text
//   GET  /__stats                    every count, JSON {"B/K": {"GET": n, ...}}
//   PUT  /__object/B/K               stores an object without faults or counting
//   GET  /__object/B/K               what is stored (404 if nothing)
//   POST /__fault/B/K?kind=error|drop|reset|hang&status=503&code=SlowDown&times=3
//                    &methods=GET,HEAD&ms=HANG_MS&skip=N
//                                    replaces the faults of B/K (names are ignored then):
//                                    after N requests it applies to, the next `times`
//                                    (default: all) get it
//   DELETE /__fault/B/K              no faults for B/K (not even from its name)
//   POST /__reset                    forgets objects, counts and faults
// FAULTY_LOG=1 logs every request on stderr. The server exits on SIGTERM/SIGINT and
// when the process that started it (or FAULTY_PARENT_PID) goes away.
'use strict';
const http = require('http');
const crypto = require('crypto');

const HANG_MS = Number(process.env.FAULTY_HANG_MS || 120000);
const LOG = process.env.FAULTY_LOG === '1';

const objects = new Map(); // "b/k" -> {body: Buffer, etag, mtime: Date}
const counts = new Map();  // "b/k" -> {METHOD: n}
const faults = new Map();  // "b/k" -> [{kind, status, code, left, methods, ms}] (set by control)
const nameFaults = new Map(); // "b/k" -> the same, parsed from the name once (budgets kept)
const hanging = new Set(); // timers of hung answers

const CODES = {
  400: ['BadRequest', 'Bad Request'],
  403: ['AccessDenied', 'Access Denied'],
  404: ['NoSuchKey', 'The specified key does not exist.'],
  409: ['Conflict', 'Conflict'],
  429: ['SlowDown', 'Please reduce your request rate.'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  501: ['NotImplemented', 'A header you provided implies functionality that is not implemented.'],
  502: ['BadGateway', 'Bad Gateway'],
  503: ['ServiceUnavailable', 'Please reduce your request rate.'],
  504: ['GatewayTimeout', 'Gateway Timeout'],
};

function parseNameFaults(name) {
  const out = [];
  const re = /fail(\d{3})x(\d+)|always(\d{3})|alwaysslowdown|slowdownx(\d+)|dropx(\d+)|reset(?:x(\d+))?|hang(?:x(\d+))?/g;
  let m;
  while ((m = re.exec(name))) {
    if (m[1]) out.push({ kind: 'error', status: +m[1], left: +m[2] });
    else if (m[3]) out.push({ kind: 'error', status: +m[3], left: Infinity });
    else if (m[0] === 'alwaysslowdown')
      out.push({ kind: 'error', status: 503, code: 'SlowDown', left: Infinity });
    else if (m[4]) out.push({ kind: 'error', status: 503, code: 'SlowDown', left: +m[4] });
    else if (m[5]) out.push({ kind: 'drop', left: +m[5] });
    else if (m[0].startsWith('reset')) out.push({ kind: 'reset', left: m[6] ? +m[6] : 1 });
    else out.push({ kind: 'hang', left: m[7] ? +m[7] : Infinity });
  }
  return out;
}

function faultsOf(path) {
  if (faults.has(path)) return faults.get(path);
  if (!nameFaults.has(path)) nameFaults.set(path, parseNameFaults(path));
  return nameFaults.get(path);
}

// The first fault with budget left that applies to this request (used up by it).
function pickFault(path, method, hasBody) {
  for (const f of faultsOf(path)) {
    if (f.left <= 0) continue;
    if (f.methods && !f.methods.includes(method)) continue;
    if ((f.kind === 'reset' || f.kind === 'hang') && !(method === 'GET' && hasBody)) continue;
    if (f.skip > 0) { // lets this many applicable requests through first
      f.skip--;
      continue;
    }
    f.left--;
    return f;
  }
  return null;
}

function xmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

function sendError(req, res, status, code, message, resource) {
  const [dcode, dmsg] = CODES[status] || ['Error' + status, 'HTTP ' + status];
  code = code || dcode;
  message = message || (code === 'SlowDown' ? 'Please reduce your request rate.' : dmsg);
  const id = crypto.randomBytes(8).toString('hex').toUpperCase();
  const body = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + xmlEscape(code) +
    '</Code><Message>' + xmlEscape(message) + '</Message><Resource>' +
    xmlEscape(resource || req.url) + '</Resource><RequestId>' + id +
    '</RequestId></Error>');
  res.writeHead(status, {
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
    'x-amz-request-id': id,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

// "bytes=a-b" | "bytes=a-" | "bytes=-n" -> [first, last] or null (no range) or 'bad'
function parseRange(h, size) {
  if (!h) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // S3 ignores what it cannot read
  let first, last;
  if (m[1] === '') {
    const n = +m[2];
    if (n === 0) return 'bad';
    first = Math.max(0, size - n);
    last = size - 1;
  } else {
    first = +m[1];
    last = m[2] === '' ? size - 1 : Math.min(+m[2], size - 1);
    if (m[2] !== '' && +m[2] < first) return null;
  }
  if (first >= size) return 'bad';
  return [first, last];
}

function count(path, method) {
  let c = counts.get(path);
  if (!c) counts.set(path, (c = {}));
  c[method] = (c[method] || 0) + 1;
}

function objectHeaders(o, extra) {
  return Object.assign({
    'Content-Type': 'application/octet-stream',
    ETag: o.etag,
    'Last-Modified': o.mtime.toUTCString(),
    'Accept-Ranges': 'bytes',
  }, extra);
}

function listObjects(res, bucket, q) {
  const prefix = q.get('prefix') || '';
  const delim = q.get('delimiter') || '';
  const max = Math.min(+(q.get('max-keys') || 1000), 1000);
  const after = q.get('continuation-token') || q.get('start-after') || '';
  const keys = [...objects.keys()]
    .filter((p) => p.startsWith(bucket + '/'))
    .map((p) => p.slice(bucket.length + 1))
    .filter((k) => k.startsWith(prefix) && k > after)
    .sort();
  const contents = [], prefixes = new Set();
  let truncated = false, last = '';
  for (const k of keys) {
    if (contents.length + prefixes.size >= max) { truncated = true; break; }
    const rest = k.slice(prefix.length);
    const d = delim ? rest.indexOf(delim) : -1;
    if (d >= 0) {
      const p = prefix + rest.slice(0, d + delim.length);
      if (!prefixes.has(p)) prefixes.add(p);
      last = p + '\uffff';
      continue;
    }
    contents.push(k);
    last = k;
  }
  let x = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>' +
    xmlEscape(bucket) + '</Name><Prefix>' + xmlEscape(prefix) + '</Prefix><KeyCount>' +
    (contents.length + prefixes.size) + '</KeyCount><MaxKeys>' + max + '</MaxKeys>' +
    '<IsTruncated>' + truncated + '</IsTruncated>';
  if (truncated) x += '<NextContinuationToken>' + xmlEscape(last) + '</NextContinuationToken>';
  for (const k of contents) {
    const o = objects.get(bucket + '/' + k);
    x += '<Contents><Key>' + xmlEscape(k) + '</Key><LastModified>' + o.mtime.toISOString() +
      '</LastModified><ETag>' + xmlEscape(o.etag) + '</ETag><Size>' + o.body.length +
      '</Size><StorageClass>STANDARD</StorageClass></Contents>';
  }
  for (const p of prefixes) x += '<CommonPrefixes><Prefix>' + xmlEscape(p) + '</Prefix></CommonPrefixes>';
  x += '</ListBucketResult>';
  const body = Buffer.from(x);
  res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': body.length });
  res.end(body);
}

function store(path, body) {
  const o = {
    body,
    etag: '"' + crypto.createHash('md5').update(body).digest('hex') + '"',
    mtime: new Date(Math.floor(Date.now() / 1000) * 1000),
  };
  objects.set(path, o);
  return o;
}

function text(res, status, s, type) {
  const b = Buffer.from(s);
  res.writeHead(status, { 'Content-Type': type || 'text/plain', 'Content-Length': b.length });
  res.end(b);
}

async function control(req, res, url) {
  const p = url.pathname;
  const key = (prefix) => decodeURIComponent(p.slice(prefix.length));
  if (req.method === 'GET' && p === '/__stats') {
    return text(res, 200, JSON.stringify(Object.fromEntries(counts)) + '\n', 'application/json');
  }
  if (req.method === 'GET' && p.startsWith('/__stats/')) {
    const c = counts.get(key('/__stats/')) || {};
    const m = url.searchParams.get('method');
    const n = m ? c[m.toUpperCase()] || 0 : Object.values(c).reduce((a, b) => a + b, 0);
    return text(res, 200, n + '\n');
  }
  if (p.startsWith('/__object/')) {
    const k = key('/__object/');
    if (req.method === 'PUT') {
      const o = store(k, await readBody(req));
      res.writeHead(200, { ETag: o.etag, 'Content-Length': 0 });
      return res.end();
    }
    if (req.method === 'GET') {
      const o = objects.get(k);
      if (!o) return sendError(req, res, 404);
      res.writeHead(200, objectHeaders(o, { 'Content-Length': o.body.length }));
      return res.end(o.body);
    }
  }
  if (p.startsWith('/__fault/')) {
    const k = key('/__fault/');
    await readBody(req);
    if (req.method === 'DELETE') {
      faults.set(k, []);
      return text(res, 200, 'ok\n');
    }
    if (req.method === 'POST') {
      const q = url.searchParams;
      const times = q.get('times');
      const f = {
        kind: q.get('kind') || 'error',
        status: +(q.get('status') || 503),
        code: q.get('code') || undefined,
        left: times === null || times === 'always' ? Infinity : +times,
        methods: q.get('methods') ? q.get('methods').toUpperCase().split(',') : undefined,
        ms: q.get('ms') ? +q.get('ms') : undefined,
        skip: +(q.get('skip') || 0),
      };
      if (!['error', 'drop', 'reset', 'hang'].includes(f.kind) || !(f.left >= 0)) {
        return text(res, 400, 'bad fault\n');
      }
      faults.set(k, [f]);
      return text(res, 200, 'ok\n');
    }
  }
  if (req.method === 'POST' && p === '/__reset') {
    await readBody(req);
    objects.clear();
    counts.clear();
    faults.clear();
    nameFaults.clear();
    return text(res, 200, 'ok\n');
  }
  return text(res, 404, 'no such control endpoint\n');
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/__')) return control(req, res, url);
  const path = decodeURIComponent(url.pathname.slice(1)); // "bucket/key" or "bucket"
  const slash = path.indexOf('/');
  const bucket = slash < 0 ? path : path.slice(0, slash);
  const key = slash < 0 ? '' : path.slice(slash + 1);
  const method = req.method;
  const body = await readBody(req); // every answer comes after the whole request
  if (LOG) process.stderr.write(`faulty: ${method} ${req.url} ${req.headers.range || ''}\n`);
  if (!bucket) return sendError(req, res, 501, 'NotImplemented', 'ListBuckets is not implemented');
  count(path, method);

  const obj = key ? objects.get(path) : undefined;
  const f = pickFault(path, method, !!(obj && obj.body.length));
  if (f && f.kind === 'error') return sendError(req, res, f.status, f.code, undefined, '/' + path);
  if (f && f.kind === 'drop') return req.socket.destroy();

  if (!key) {
    if (method === 'PUT' || method === 'DELETE') {
      res.writeHead(method === 'PUT' ? 200 : 204, { 'Content-Length': 0 });
      return res.end();
    }
    if (method === 'GET' || method === 'HEAD') {
      if (url.searchParams.has('list-type') || method === 'GET') return listObjects(res, bucket, url.searchParams);
    }
    return sendError(req, res, 501, 'NotImplemented');
  }
  if (url.searchParams.has('uploads') || url.searchParams.has('uploadId')) {
    return sendError(req, res, 501, 'NotImplemented', 'multipart uploads are not implemented');
  }
  switch (method) {
    case 'PUT': {
      const o = store(path, body);
      res.writeHead(200, { ETag: o.etag, 'Content-Length': 0 });
      return res.end();
    }
    case 'DELETE':
      objects.delete(path);
      res.writeHead(204);
      return res.end();
    case 'HEAD':
    case 'GET': {
      if (!obj) return sendError(req, res, 404, 'NoSuchKey', undefined, '/' + path);
      const size = obj.body.length;
      const r = parseRange(req.headers.range, size);
      if (r === 'bad') {
        res.setHeader('Content-Range', 'bytes */' + size);
        return sendError(req, res, 416, 'InvalidRange', 'The requested range is not satisfiable');
      }
      const [first, last] = r || [0, size - 1];
      const part = obj.body.subarray(first, last + 1);
      const headers = objectHeaders(obj, { 'Content-Length': part.length });
      if (r) headers['Content-Range'] = `bytes ${first}-${last}/${size}`;
      res.writeHead(r ? 206 : 200, headers);
      if (method === 'HEAD') return res.end();
      if (f && f.kind === 'reset') {
        // headers and half the body reach the client, then the connection dies
        const half = part.subarray(0, Math.floor(part.length / 2));
        return res.write(half, () => req.socket.destroy());
      }
      if (f && f.kind === 'hang') {
        res.flushHeaders();
        const t = setTimeout(() => {
          hanging.delete(t);
          req.socket.destroy();
        }, f.ms !== undefined ? f.ms : HANG_MS);
        hanging.add(t);
        req.socket.on('close', () => { clearTimeout(t); hanging.delete(t); });
        return;
      }
      return res.end(part);
    }
    default:
      return sendError(req, res, 501, 'NotImplemented');
  }
}

const server = http.createServer({ keepAliveTimeout: 30000, requestTimeout: 0 }, (req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write('faulty: ' + (e && e.stack || e) + '\n');
    if (!res.headersSent) sendError(req, res, 500, 'InternalError', String(e));
    else req.socket.destroy();
  });
});
server.on('clientError', (err, socket) => socket.destroy());
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});

function quit() {
  for (const t of hanging) clearTimeout(t);
  process.exit(0);
}
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
// the test that started us died without stopping us (SIGKILL): go too
const parent = Number(process.env.FAULTY_PARENT_PID) || process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    quit();
  }
  if (!process.env.FAULTY_PARENT_PID && process.ppid !== parent) quit();
}, 500).unref();
