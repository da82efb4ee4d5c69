#!/usr/bin/env node
// http-edge.js - a path-style S3-ish server on 127.0.0.1 that speaks HTTP/1.1
// byte for byte on raw TCP (`net`, no `http` module), so that a client can be
// checked against the corners of the protocol (tests/cli/test-http-wire.sh).
// Node's built-in modules only.
//
//   node tests/servers/http-edge.js [PORT]   # prints the port it listens on, then serves
//
// Requests: GET/HEAD/PUT/DELETE /BUCKET/KEY (no signature checks, any bucket),
// PUT /BUCKET (200), DELETE /BUCKET (204), anything else on a bucket 501.
// Request bodies may be sent with Content-Length or chunked; `Expect: 100-continue`
// gets its 100 Continue. Pipelined requests are answered in order.
//
// Objects: a key that was never PUT has generated content, size bytes of
// AES-128-CTR keystream with key = MD5(KEY) and a zero IV, the same as
//   head -c SIZE /dev/zero | openssl enc -aes-128-ctr -nosalt \
//     -K "$(printf %s KEY | md5sum | cut -c1-32)" -iv 00000000000000000000000000000000
// (KEY is the whole key below the bucket). PUT stores the body (answer 200 with
// ETag "<md5>"), DELETE answers 204 and forgets the object (later GET/HEAD: 404
// NoSuchKey), a GET of a stored key returns what was stored. ETag is the quoted MD5
// of the whole object, Last-Modified always "Wed, 01 Jan 2025 00:00:00 GMT".
// GET takes Range: bytes=a-b | a- | -n (206 + Content-Range; 416 when unsatisfiable).
//
// Wire behaviours, chosen by the tokens of the key's last path part split at '-'
// or '.' ("chunked-8m-curl": chunked, 8 MiB; unknown tokens such as a tag are
// ignored; tokens combine, e.g. "bytewise-chunked"):
//   (none)       Content-Length, keep-alive: the reference
//   N, Nk, Nm    the size of generated content (bytes, KiB, MiB). Default 100000;
//                600000 with chunked, 100 with bytewise, 12345 with head
//   chunked      GET (and PUT's answer): Transfer-Encoding: chunked, chunks of
//                1, 7, 4096, 65536, 10, 3054, 65535, 11, 1000, 16384, 255, 131072,
//                300000 bytes in a cycle (the last one cut to what is left); hex
//                lower-case on even chunks, upper-case on odd ones; size lines with
//                leading zeros, extensions `;name=value`, `;ext;q="a;b"`, bad
//                whitespace ` ; name = "va lue"` (RFC 9112 7.1.1: a recipient must
//                accept it); last chunk `0;end=yes` then the trailers
//                x-amz-checksum-sha256 and X-Edge-Trailer announced by `Trailer:`.
//                HEAD answers Content-Length (S3 does).
//   bytewise     the whole answer, headers and body, one byte per write (setNoDelay)
//                with EDGE_BYTE_MS (1) ms between writes: ~0.3 s for a 100-byte GET
//   close        every answer carries `Connection: close`; the server closes after it
//   idleclose    a keep-alive answer, then the server closes the connection silently
//                (a FIN, no header said so) EDGE_IDLE_CLOSE_MS (50) ms later unless
//                another request came before; a client reusing it later must see the
//                close and use a new connection
//   dropreused   (the race of an idle close, made deterministic) a request that is not
//                the first on its connection is read, then the connection is closed
//                without an answer: a client retries it on a new connection, as
//                RFC 9112 9.3.1 allows for idempotent requests
//   eof          GET: HTTP/1.1 200 with neither Content-Length nor chunked and no
//                `Connection: close`: the body ends when the server closes (RFC 9112
//                6.3 rule 8). HEAD answers Content-Length and stays open
//   continue     an unsolicited `HTTP/1.1 100 Continue\r\n\r\n` before every final
//                answer (RFC 9110 15.2: a client must parse 1xx it did not ask for)
//   bigheaders   ~24 KiB of extra headers: 170 `x-amz-meta-edge-NNN` of ~120 bytes and
//                one `x-amz-meta-long` of 4000 bytes, before ETag and Content-Length
//   errchunked   every method: 404 NoSuchKey, the XML error body sent chunked (small
//                chunks); HEAD: 404 with `Transfer-Encoding: chunked` and no body (a HEAD
//                answer never has one, RFC 9112 6.3 rule 1)
//   short        GET: Content-Length of the whole object, half of it sent, then the
//                connection is closed
//   shortchunked GET: chunked, the body cut at a chunk boundary after about half of it
//                (no 0 chunk), then the connection is closed
//   garbage      every request is answered `hello\r\n\r\n` (not HTTP), then closed
//   head         the size defaults to 12345 (HEAD: Content-Length 12345 and no body)
//   missing      a key that does not exist (404 NoSuchKey with Content-Length)
// short, shortchunked and eof shape GET bodies; PUT's answer has an empty body
// (chunked: just the last chunk and the trailers). DELETE answers 204 without
// framing headers (close, continue, bytewise, bigheaders still apply); garbage and
// errchunked answer every method as said above.
//
// Control endpoints (not counted, no behaviours, any connection):
//   GET  /__stats             {"connections":C,"requests":R,"maxOpen":M,"open":O,
//                             "malformed":X,"keys":{"B/K":{"GET":n,...}}}: connections
//                             that carried at least one S3 request, S3 requests, the most
//                             such connections open at once, open now, since the last
//                             /__reset; malformed: requests that could not be parsed
//                             since the start (never reset)
//   GET  /__stats/B/K[?method=GET]   requests to B/K (all methods or one), text
//   GET  /__object/B/K        the stored or generated bytes of B/K, plainly (404 if none)
//   POST /__reset             zeroes the counts (not malformed); objects stay
// EDGE_LOG=1 logs every request on stderr. The server exits on SIGTERM/SIGINT and when
// the process that started it (or EDGE_PARENT_PID) goes away.
'use strict';
const net = require('net');
const crypto = require('crypto');

const LOG = process.env.EDGE_LOG === '1';
const BYTE_MS = Number(process.env.EDGE_BYTE_MS || 1);
const IDLE_CLOSE_MS = Number(process.env.EDGE_IDLE_CLOSE_MS || 50);
const MTIME = 'Wed, 01 Jan 2025 00:00:00 GMT';
const MAX_HEAD = 256 * 1024;

const stored = new Map(); // "b/k" -> Buffer (PUT) or null (DELETEd)
const generatedCache = new Map(); // "k\0size" -> Buffer
const stats = { connections: 0, requests: 0, maxOpen: 0, open: 0, malformed: 0, keys: {} };

const TOKENS = new Set(['chunked', 'bytewise', 'close', 'idleclose', 'dropreused', 'eof',
  'continue', 'bigheaders', 'errchunked', 'short', 'shortchunked', 'garbage', 'head', 'missing']);
const CHUNK_SIZES = [1, 7, 4096, 65536, 10, 3054, 65535, 11, 1000, 16384, 255, 131072, 300000];

function behaviourOf(key) {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const b = {};
  for (const t of name.split(/[-.]/)) {
    if (TOKENS.has(t)) b[t] = true;
    const m = /^(\d+)([km]?)$/.exec(t);
    if (m) b.size = +m[1] * (m[2] === 'k' ? 1024 : m[2] === 'm' ? 1048576 : 1);
  }
  if (b.size === undefined) {
    b.size = b.head ? 12345 : b.bytewise ? 100 : b.chunked || b.shortchunked ? 600000 : 100000;
  }
  return b;
}

function generate(key, size) {
  const id = key + '\0' + size;
  let g = generatedCache.get(id);
  if (!g) {
    const k = crypto.createHash('md5').update(key).digest();
    const c = crypto.createCipheriv('aes-128-ctr', k, Buffer.alloc(16));
    g = Buffer.concat([c.update(Buffer.alloc(size)), c.final()]);
    generatedCache.set(id, g);
  }
  return g;
}

// The object at "b/k": a Buffer, or null when there is none.
function objectOf(path, key, b) {
  if (stored.has(path)) return stored.get(path);
  if (b.missing) return null;
  return generate(key, b.size);
}

function md5(buf) {
  return crypto.createHash('md5').update(buf).digest('hex');
}

function xmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

function errorXml(code, message, resource) {
  return Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + xmlEscape(code) +
    '</Code><Message>' + xmlEscape(message) + '</Message><Resource>' + xmlEscape(resource) +
    '</Resource><RequestId>' + crypto.randomBytes(8).toString('hex').toUpperCase() +
    '</RequestId></Error>');
}

// "bytes=a-b" | "bytes=a-" | "bytes=-n" -> [first, last], null (whole) or 'bad'
function parseRange(h, size) {
  if (!h) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let first, last;
  if (m[1] === '') {
    if (+m[2] === 0) return 'bad';
    first = Math.max(0, size - +m[2]);
    last = size - 1;
  } else {
    first = +m[1];
    last = m[2] === '' ? size - 1 : Math.min(+m[2], size - 1);
    if (m[2] !== '' && +m[2] < first) return null;
  }
  if (first >= size) return 'bad';
  return [first, last];
}

// Chunk i's size line for n bytes.
function chunkLine(i, n) {
  const hex = i % 2 ? n.toString(16).toUpperCase() : n.toString(16);
  switch (i % 5) {
    case 1: return hex + ';name=value\r\n';
    case 2: return '000' + hex + '\r\n';
    case 3: return hex + ';ext;q="a;b"\r\n';
    case 4: return hex + ' ; name = "va lue"\r\n';
    default: return hex + '\r\n';
  }
}

// The chunked encoding of body as a list of Buffers; with cutAt, only the chunks
// until at least cutAt bytes are out (never all of them), without the last chunk.
function chunked(body, opts) {
  const out = [];
  let off = 0;
  for (let i = 0; off < body.length; i++) {
    if (opts.cutAt !== undefined && off >= opts.cutAt) return out;
    const sizes = opts.sizes || CHUNK_SIZES;
    let n = Math.min(sizes[i % sizes.length], body.length - off);
    if (opts.cutAt !== undefined && off + n >= body.length) {
      if (off > 0) return out;
      n = Math.max(1, Math.floor(body.length / 2)); // a tiny body: cut inside
      if (n >= body.length) return out;
    }
    out.push(Buffer.from(opts.plain ? n.toString(16) + '\r\n' : chunkLine(i, n)));
    out.push(body.subarray(off, off + n));
    out.push(Buffer.from('\r\n'));
    off += n;
  }
  if (opts.cutAt !== undefined) return out;
  if (opts.plain) {
    out.push(Buffer.from('0\r\n\r\n'));
  } else {
    const sum = crypto.createHash('sha256').update(body).digest('base64');
    out.push(Buffer.from('0;end=yes\r\nx-amz-checksum-sha256: ' + sum +
      '\r\nX-Edge-Trailer: done\r\n\r\n'));
  }
  return out;
}

const REASONS = { 100: 'Continue', 200: 'OK', 204: 'No Content', 206: 'Partial Content',
  400: 'Bad Request', 404: 'Not Found', 416: 'Range Not Satisfiable', 501: 'Not Implemented' };

function head(status, fields) {
  let s = 'HTTP/1.1 ' + status + ' ' + (REASONS[status] || 'Status') + '\r\n';
  for (const [k, v] of fields) s += k + ': ' + v + '\r\n';
  return Buffer.from(s + '\r\n');
}

function bigHeaders() {
  const f = [];
  for (let i = 0; i < 170; i++) {
    f.push(['x-amz-meta-edge-' + String(i).padStart(3, '0'),
      crypto.createHash('sha512').update(String(i)).digest('hex').slice(0, 96)]);
  }
  f.push(['x-amz-meta-long', 'L'.repeat(4000)]);
  return f;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- connections ------------------------------------------------------------

class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.busy = false;
    this.closed = false; // no more answers on this connection
    this.counted = false;
    this.served = 0; // S3 requests read on this connection
    this.idle = null;
    this.sentContinue = false;
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      if (this.idle) clearTimeout(this.idle);
      if (this.counted) stats.open--;
    });
    sock.on('end', () => { if (!this.busy) this.finish(); });
  }

  onData(d) {
    if (this.idle) { // a request came before the idle close: serve it
      clearTimeout(this.idle);
      this.idle = null;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.pump();
  }

  finish() {
    this.closed = true;
    this.sock.end();
  }

  // Writes data, one byte per write when bytewise. Resolves false when the socket died.
  async out(data, bytewise) {
    if (this.sock.destroyed) return false;
    if (!bytewise) {
      this.sock.write(data);
      return true;
    }
    for (let i = 0; i < data.length; i++) {
      if (this.sock.destroyed) return false;
      this.sock.write(data.subarray(i, i + 1));
      await sleep(BYTE_MS);
    }
    return true;
  }

  bad(why) {
    stats.malformed++;
    process.stderr.write('http-edge: malformed request: ' + why + '\n');
    const body = errorXml('BadRequest', why, '');
    this.sock.write(head(400, [['Content-Length', body.length], ['Connection', 'close']]));
    this.sock.write(body);
    this.finish();
  }

  // Parses the next whole request out of buf: {method, target, headers, body} or
  // null (more bytes needed) or undefined (malformed, answered).
  parse() {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buf.length > MAX_HEAD) this.bad('request head over ' + MAX_HEAD + ' bytes');
      return this.buf.length > MAX_HEAD ? undefined : null;
    }
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0]);
    if (!m) return this.bad('request line ' + JSON.stringify(lines[0].slice(0, 200)));
    const headers = {};
    for (const l of lines.slice(1)) {
      const h = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(l);
      if (!h) return this.bad('header line ' + JSON.stringify(l.slice(0, 200)));
      const k = h[1].toLowerCase();
      headers[k] = k in headers ? headers[k] + ', ' + h[2] : h[2];
    }
    if (!('host' in headers) && m[3] === '1') return this.bad('no Host header');
    let body, used;
    const te = headers['transfer-encoding'];
    if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) return this.bad('Transfer-Encoding ' + te);
      const r = dechunk(this.buf, end + 4);
      if (r === 'bad') return this.bad('chunked request body');
      if (!r) return this.wantBody(headers);
      [body, used] = r;
    } else {
      const cl = headers['content-length'];
      let n = 0;
      if (cl !== undefined) {
        if (!/^\d+$/.test(cl)) return this.bad('Content-Length ' + cl);
        n = +cl;
      }
      if (this.buf.length < end + 4 + n) return this.wantBody(headers);
      body = this.buf.subarray(end + 4, end + 4 + n);
      used = end + 4 + n;
    }
    this.buf = this.buf.subarray(used);
    this.sentContinue = false;
    return { method: m[1], target: m[2], minor: m[3], headers, body: Buffer.from(body) };
  }

  wantBody(headers) {
    if (!this.sentContinue && /100-continue/i.test(headers.expect || '')) {
      this.sentContinue = true;
      this.sock.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    return null;
  }

  pump() {
    while (!this.busy && !this.closed) {
      const req = this.parse();
      if (!req) return;
      this.busy = true;
      handle(this, req).then((keep) => {
        this.busy = false;
        if (this.closed || this.sock.destroyed) return;
        if (!keep) return this.finish();
        if (this.sock.readableEnded) return this.finish();
        this.pump();
      }, (e) => {
        process.stderr.write('http-edge: ' + (e && e.stack || e) + '\n');
        this.sock.destroy();
      });
    }
  }
}

// A chunked body starting at off: [body, end offset], null (incomplete) or 'bad'.
function dechunk(buf, off) {
  const parts = [];
  for (;;) {
    const eol = buf.indexOf('\r\n', off);
    if (eol < 0) return null;
    const m = /^([0-9a-fA-F]+)[ \t]*(;.*)?$/.exec(buf.subarray(off, eol).toString('latin1'));
    if (!m) return 'bad';
    const n = parseInt(m[1], 16);
    off = eol + 2;
    if (n === 0) {
      for (;;) { // trailers up to the empty line
        const e = buf.indexOf('\r\n', off);
        if (e < 0) return null;
        if (e === off) return [Buffer.concat(parts), e + 2];
        off = e + 2;
      }
    }
    if (buf.length < off + n + 2) return null;
    if (buf[off + n] !== 13 || buf[off + n + 1] !== 10) return 'bad';
    parts.push(buf.subarray(off, off + n));
    off += n + 2;
  }
}

function count(path, method) {
  const c = stats.keys[path] || (stats.keys[path] = {});
  c[method] = (c[method] || 0) + 1;
}

function plainAnswer(c, status, type, body) {
  c.sock.write(head(status, [['Content-Type', type], ['Content-Length', body.length]]));
  c.sock.write(body);
  return true;
}

function control(c, req, url) {
  const p = url.pathname;
  if (req.method === 'GET' && p === '/__stats') {
    return plainAnswer(c, 200, 'application/json', Buffer.from(JSON.stringify(stats) + '\n'));
  }
  if (req.method === 'GET' && p.startsWith('/__stats/')) {
    const k = stats.keys[decodeURIComponent(p.slice(9))] || {};
    const m = url.searchParams.get('method');
    const n = m ? k[m.toUpperCase()] || 0 : Object.values(k).reduce((a, b) => a + b, 0);
    return plainAnswer(c, 200, 'text/plain', Buffer.from(n + '\n'));
  }
  if (req.method === 'GET' && p.startsWith('/__object/')) {
    const path = decodeURIComponent(p.slice(10));
    const key = path.slice(path.indexOf('/') + 1);
    const o = objectOf(path, key, behaviourOf(key));
    if (!o) return plainAnswer(c, 404, 'text/plain', Buffer.from('no such object\n'));
    return plainAnswer(c, 200, 'application/octet-stream', o);
  }
  if (req.method === 'POST' && p === '/__reset') {
    Object.assign(stats, { connections: 0, requests: 0, maxOpen: 0, keys: {} });
    return plainAnswer(c, 200, 'text/plain', Buffer.from('ok\n'));
  }
  return plainAnswer(c, 404, 'text/plain', Buffer.from('no such control endpoint\n'));
}

// Answers one request; resolves true to keep the connection for the next one.
async function handle(c, req) {
  const url = new URL(req.target, 'http://127.0.0.1');
  if (url.pathname.startsWith('/__')) return control(c, req, url);
  const method = req.method;
  const path = decodeURIComponent(url.pathname.slice(1)); // "bucket/key" or "bucket"
  const slash = path.indexOf('/');
  const key = slash < 0 ? '' : path.slice(slash + 1);
  if (LOG) process.stderr.write(`http-edge: ${method} ${req.target} ${req.headers.range || ''}\n`);
  if (!c.counted) {
    c.counted = true;
    stats.connections++;
    stats.open++;
    if (stats.open > stats.maxOpen) stats.maxOpen = stats.open;
  }
  stats.requests++;
  count(path, method);
  c.served++;
  const wantClose = /(^|,)\s*close\s*(,|$)/i.test(req.headers.connection || '') || req.minor === '0';

  const common = [['Date', new Date().toUTCString()], ['Server', 'http-edge'],
    ['x-amz-request-id', crypto.randomBytes(8).toString('hex').toUpperCase()]];
  if (!key) { // bucket-level
    const status = method === 'PUT' ? 200 : method === 'DELETE' ? 204 : 501;
    const body = status === 501 ? errorXml('NotImplemented', 'not implemented here', '/' + path)
      : Buffer.alloc(0);
    const f = common.slice();
    if (status !== 204) f.push(['Content-Length', body.length]);
    await c.out(head(status, f));
    await c.out(body);
    return !wantClose;
  }

  const b = behaviourOf(key);
  if (b.dropreused && c.served > 1) {
    c.closed = true;
    c.sock.destroy();
    return false;
  }
  const bw = !!b.bytewise;
  if (b.garbage) {
    await c.out(Buffer.from('hello\r\n\r\n'), bw);
    return false;
  }
  if (b.continue && !(await c.out(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'), bw))) return false;

  const fields = common.slice();
  if (b.bigheaders) fields.push(...bigHeaders());
  if (b.close) fields.push(['Connection', 'close']);
  let keep = !b.close && !wantClose;
  let status, body = Buffer.alloc(0), framing = 'length', cutAt;

  if (b.errchunked) {
    status = 404;
    fields.push(['Content-Type', 'application/xml']);
    body = errorXml('NoSuchKey', 'The specified key does not exist.', '/' + path);
    framing = 'errchunked';
  } else if (method === 'PUT') {
    stored.set(path, req.body);
    status = 200;
    fields.push(['ETag', '"' + md5(req.body) + '"']);
    if (b.chunked) framing = 'chunked';
  } else if (method === 'DELETE') {
    stored.set(path, null);
    status = 204;
    framing = 'none';
  } else if (method === 'GET' || method === 'HEAD') {
    const o = objectOf(path, key, b);
    if (!o) {
      status = 404;
      fields.push(['Content-Type', 'application/xml']);
      body = errorXml('NoSuchKey', 'The specified key does not exist.', '/' + path);
    } else {
      const r = parseRange(req.headers.range, o.length);
      if (r === 'bad') {
        status = 416;
        fields.push(['Content-Range', 'bytes */' + o.length], ['Content-Type', 'application/xml']);
        body = errorXml('InvalidRange', 'The requested range is not satisfiable', '/' + path);
      } else {
        status = r ? 206 : 200;
        body = r ? o.subarray(r[0], r[1] + 1) : o;
        fields.push(['Last-Modified', MTIME], ['ETag', '"' + md5(o) + '"'],
          ['Accept-Ranges', 'bytes'], ['Content-Type', 'application/octet-stream']);
        if (r) fields.push(['Content-Range', `bytes ${r[0]}-${r[1]}/${o.length}`]);
        if (b.chunked) framing = 'chunked';
        else if (b.shortchunked) framing = 'chunked', cutAt = Math.floor(body.length / 2);
        else if (b.eof) framing = 'eof';
        else if (b.short) framing = 'short';
      }
    }
  } else {
    status = 501;
    fields.push(['Content-Type', 'application/xml']);
    body = errorXml('NotImplemented', method + ' is not implemented here', '/' + path);
  }

  const isHead = method === 'HEAD';
  let parts;
  if (framing === 'errchunked') {
    fields.push(['Transfer-Encoding', 'chunked']);
    parts = isHead ? [] : chunked(body, { plain: true, sizes: [5, 17, 1, 64, 300] });
  } else if (framing === 'chunked' && !isHead) {
    fields.push(['Transfer-Encoding', 'chunked']);
    if (cutAt === undefined) fields.push(['Trailer', 'x-amz-checksum-sha256, X-Edge-Trailer']);
    parts = chunked(body, cutAt === undefined ? {} : { cutAt });
    if (cutAt !== undefined) keep = false;
  } else if (framing === 'eof' && !isHead) {
    parts = [body];
    keep = false;
  } else if (framing === 'short' && !isHead) {
    fields.push(['Content-Length', body.length]);
    parts = [body.subarray(0, Math.floor(body.length / 2))];
    keep = false;
  } else if (framing === 'none') {
    parts = [];
  } else {
    fields.push(['Content-Length', body.length]);
    parts = isHead ? [] : [body];
  }
  if (!(await c.out(head(status, fields), bw))) return false;
  if (bw) {
    if (!(await c.out(Buffer.concat(parts), true))) return false;
  } else {
    c.sock.cork();
    for (const p of parts) c.sock.write(p);
    c.sock.uncork();
  }
  if (keep && b.idleclose) {
    c.idle = setTimeout(() => {
      c.idle = null;
      if (!c.busy) c.finish();
    }, IDLE_CLOSE_MS);
  }
  return keep;
}

const server = net.createServer({ allowHalfOpen: true }, (sock) => new Conn(sock));
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});

function quit() {
  process.exit(0);
}
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
// the test that started us died without stopping us (SIGKILL): go too
const parent = Number(process.env.EDGE_PARENT_PID) || process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    quit();
  }
  if (!process.env.EDGE_PARENT_PID && process.ppid !== parent) quit();
}, 500).unref();
