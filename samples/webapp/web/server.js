// The webapp: every GET / records a visit in PostgreSQL and counts a hit in Redis, and answers both
// numbers as JSON; GET /health answers ok when both are reachable. No npm dependencies: the two
// protocols are spoken directly (PostgreSQL's simple query protocol with SCRAM-SHA-256, md5 or
// cleartext passwords; Redis' RESP), so the same file runs on node:alpine and on Debian's nodejs.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');

const port = Number(process.argv[process.argv.indexOf('--port') + 1] || 3000);
const database = new URL(process.env.DATABASE_URL || 'postgres://app@db:5432/app');
const redis = new URL(process.env.REDIS_URL || 'redis://cache:6379/0');
const passwordFile = process.env.DATABASE_PASSWORD_FILE;
const dbPassword = decodeURIComponent(database.password) || (passwordFile ? fs.readFileSync(passwordFile, 'utf8').trim() : '');

/** Reads whole messages off a socket: `parse(buffer)` returns [message, bytesUsed] or undefined. */
function messageReader(socket, parse) {
  let buffer = Buffer.alloc(0);
  const queue = [];
  const waiting = [];
  let failure;
  const fail = (err) => {
    failure = err;
    for (const w of waiting.splice(0)) w.reject(err);
  };
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let m = parse(buffer); m; m = parse(buffer)) {
      buffer = buffer.subarray(m[1]);
      const w = waiting.shift();
      if (w) w.resolve(m[0]); else queue.push(m[0]);
    }
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  return () => queue.length ? Promise.resolve(queue.shift())
    : failure ? Promise.reject(failure)
      : new Promise((resolve, reject) => waiting.push({ resolve, reject }));
}

function connect(url, defaultPort) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port || defaultPort), url.hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

// ---- PostgreSQL: startup, authentication, simple queries ----

const pgMessage = (type, body) => {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const cstring = (s) => Buffer.from(`${s}\0`);
const pgParse = (b) => {
  if (b.length < 5) return undefined;
  const length = b.readInt32BE(1);
  if (b.length < 1 + length) return undefined;
  return [{ type: String.fromCharCode(b[0]), body: b.subarray(5, 1 + length) }, 1 + length];
};
const pgError = (body) => {
  const fields = {};
  for (let i = 0; body[i]; ) {
    const end = body.indexOf(0, i + 1);
    fields[String.fromCharCode(body[i])] = body.subarray(i + 1, end).toString();
    i = end + 1;
  }
  return new Error(`postgres: ${fields.M || 'error'}`);
};

async function pgConnect() {
  const socket = await connect(database, 5432);
  const next = messageReader(socket, pgParse);
  const user = decodeURIComponent(database.username) || 'postgres';
  const params = Buffer.concat([cstring('user'), cstring(user), cstring('database'), cstring(database.pathname.slice(1) || user), Buffer.from([0])]);
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  socket.write(Buffer.concat([startup, params]));
  let scram;
  for (;;) {
    const m = await next();
    if (m.type === 'E') { socket.destroy(); throw pgError(m.body); }
    if (m.type === 'Z') break;
    if (m.type !== 'R') continue;
    const code = m.body.readInt32BE(0);
    if (code === 3) socket.write(pgMessage('p', cstring(dbPassword)));
    else if (code === 5) {
      const inner = crypto.createHash('md5').update(dbPassword + user).digest('hex');
      socket.write(pgMessage('p', cstring(`md5${crypto.createHash('md5').update(inner).update(m.body.subarray(4, 8)).digest('hex')}`)));
    } else if (code === 10) {
      scram = { nonce: crypto.randomBytes(18).toString('base64') };
      scram.clientFirstBare = `n=*,r=${scram.nonce}`;
      const first = Buffer.from(`n,,${scram.clientFirstBare}`);
      const length = Buffer.alloc(4);
      length.writeInt32BE(first.length);
      socket.write(pgMessage('p', Buffer.concat([cstring('SCRAM-SHA-256'), length, first])));
    } else if (code === 11) {
      const serverFirst = m.body.subarray(4).toString();
      const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
      if (!attrs.r.startsWith(scram.nonce)) throw new Error('postgres: SCRAM nonce mismatch');
      const salted = crypto.pbkdf2Sync(dbPassword, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
      const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
      const clientKey = hmac(salted, 'Client Key');
      const finalBare = `c=biws,r=${attrs.r}`;
      const authMessage = `${scram.clientFirstBare},${serverFirst},${finalBare}`;
      const signature = hmac(crypto.createHash('sha256').update(clientKey).digest(), authMessage);
      const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
      socket.write(pgMessage('p', Buffer.from(`${finalBare},p=${proof.toString('base64')}`)));
    } else if (code !== 0 && code !== 12) throw new Error(`postgres: unsupported authentication method ${code}`);
  }
  /** Runs one statement; resolves to its rows (arrays of text values). */
  const query = async (sql) => {
    socket.write(pgMessage('Q', cstring(sql)));
    const rows = [];
    let error;
    for (;;) {
      const m = await next();
      if (m.type === 'D') {
        const row = [];
        for (let i = 0, at = 2; i < m.body.readInt16BE(0); i++) {
          const n = m.body.readInt32BE(at);
          row.push(n < 0 ? null : m.body.subarray(at + 4, at + 4 + n).toString());
          at += 4 + Math.max(n, 0);
        }
        rows.push(row);
      } else if (m.type === 'E') error = pgError(m.body);
      else if (m.type === 'Z') break;
    }
    if (error) throw error;
    return rows;
  };
  return { query, close: () => socket.end(pgMessage('X', Buffer.alloc(0))) };
}

// ---- Redis: RESP commands ----

const respParse = (b) => {
  const eol = b.indexOf('\r\n');
  if (eol < 0) return undefined;
  const line = b.subarray(1, eol).toString();
  if (b[0] === 0x24 /* $ */) {
    const n = Number(line);
    if (n < 0) return [null, eol + 2];
    return b.length < eol + 2 + n + 2 ? undefined : [b.subarray(eol + 2, eol + 2 + n).toString(), eol + 2 + n + 2];
  }
  if (b[0] === 0x2d /* - */) return [new Error(`redis: ${line}`), eol + 2];
  return [b[0] === 0x3a /* : */ ? Number(line) : line, eol + 2];
};

async function redisConnect() {
  const socket = await connect(redis, 6379);
  const next = messageReader(socket, respParse);
  const command = async (...args) => {
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
    const reply = await next();
    if (reply instanceof Error) throw reply;
    return reply;
  };
  const dbIndex = redis.pathname.slice(1);
  if (dbIndex) await command('SELECT', dbIndex);
  return { command, close: () => socket.end() };
}

// ---- the app ----

async function withBoth(fn) {
  const [pg, cache] = await Promise.all([pgConnect(), redisConnect()]);
  try { return await fn(pg, cache); } finally { pg.close(); cache.close(); }
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.url === '/health') {
      await withBoth(async (pg, cache) => { await pg.query('SELECT 1'); await cache.command('PING'); });
      res.end('ok');
    } else if (req.url === '/' && req.method === 'GET') {
      const body = await withBoth(async (pg, cache) => {
        await pg.query('INSERT INTO visits DEFAULT VALUES');
        const [[visits]] = await pg.query('SELECT count(*) FROM visits');
        const hits = await cache.command('INCR', 'hits');
        return { message: 'hello from webapp', env: process.env.NODE_ENV, visits: Number(visits), hits };
      });
      res.setHeader('content-type', 'application/json');
      res.end(`${JSON.stringify(body)}\n`);
    } else {
      res.statusCode = 404;
      res.end('not found\n');
    }
  } catch (err) {
    res.statusCode = 503;
    res.end(`${err.message}\n`);
  }
});
server.listen(port, () => console.log(`webapp listening on ${port}`));
// As PID 1 node ignores SIGTERM unless it handles it: stop promptly instead of waiting for SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections(); // keep-alive connections would hold close() open
  });
}
