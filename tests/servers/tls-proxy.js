// tls-proxy.js: HTTPS on 127.0.0.1 in front of a plain HTTP server, for the
// TLS tests (certificate verification, --ca-bundle). Node built-ins only.
//   node tls-proxy.js CERT.pem KEY.pem TARGET_PORT   -> prints its port, serves until killed
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const [cert, key, target] = process.argv.slice(2);
const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
  (req, res) => {
    const up = http.request({ host: '127.0.0.1', port: Number(target), method: req.method,
      path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
