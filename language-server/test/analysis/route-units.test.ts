import { strict as assert } from 'node:assert';
import { FoxAnalyzer, type FileAnalysis } from '../../src/index.js';

/** Analyses one file of a project rooted at /proj (syntax phase: what the editor runs first). */
function analyze(source: string, file = 'src/routes/users.ts'): FileAnalysis {
  const path = `/proj/${file}`;
  const analyzer = FoxAnalyzer.inMemory({ '/proj/package.json': '{}', [path]: source });
  return analyzer.analyzeFile(path, { phase: 'syntax' });
}

const ids = (a: FileAnalysis): string[] => a.functions.map((f) => f.id);
const fn = (a: FileAnalysis, id: string) => {
  const found = a.functions.find((f) => f.id === id);
  assert.ok(found, `no unit ${id} in ${JSON.stringify(ids(a))}`);
  return found;
};

const EXPRESS = `import express from 'express';
import bcrypt from 'bcryptjs';
import { db } from '../db';

const app = express();
const router = express.Router();

router.post('/login', async (req, res) => {
  const users = await db.users();
  for (const u of users) {
    if (bcrypt.compareSync(req.body.password, u.hash)) return res.json(u);
  }
  res.status(401).end();
});

router.get('/users/:id', async (req, res) => {
  res.json(await db.user(req.params.id));
});

router.route('/items').get((req, res) => res.json([])).put(async (req, res) => {
  res.json(await db.save(req.body));
});

app.use('/api', router);
app.use((req, res, next) => next());
`;

describe('handler units (inline route, listener and job handlers)', () => {
  it('makes inline express handlers units named by method and path, and runs the rules on them', () => {
    const a = analyze(EXPRESS);
    const p = 'src/routes/users.ts#';
    for (const id of ['POST /login', 'GET /users/:id', 'GET /items', 'PUT /items', 'USE'])
      fn(a, p + id);
    const login = fn(a, `${p}POST /login`);
    assert.deepEqual(login.handler, { kind: 'route', label: 'POST /login', inline: true });
    // The password check per user blocks the loop: FOX001, reported in the handler.
    const fox001 = a.findings.filter((f) => f.rule === 'FOX001');
    assert.ok(fox001.length > 0, 'no FOX001');
    assert.ok(fox001.every((f) => f.functionId === `${p}POST /login`));
    assert.equal(fn(a, `${p}USE`).handler?.kind, 'middleware');
  });

  it('offers no "run as a task" fix for an inline handler (nothing to wrap it by)', () => {
    const a = analyze(`import express from 'express';
import { pbkdf2Sync } from 'node:crypto';
const app = express();
app.post('/hash', (req, res) => {
  const out = [];
  for (const p of req.body.passwords) out.push(pbkdf2Sync(p, 's', 100000, 64, 'sha512'));
  res.json(out);
});
`);
    const finding = a.findings.find(
      (f) => f.rule === 'FOX001' && f.functionId === 'src/routes/users.ts#POST /hash',
    );
    assert.ok(finding, JSON.stringify(a.findings.map((f) => [f.rule, f.functionId])));
    assert.deepEqual(finding.fixes, []);
    assert.match(finding.fixUnavailable ?? '', /inline/);
  });

  it('reports sequential awaits in an inline handler with its id (FOX004)', () => {
    const a = analyze(`import express from 'express';
import { db } from '../db';
const app = express();
app.get('/orders', async (req, res) => {
  const out = [];
  for (const id of req.query.ids) out.push(await db.order(id));
  res.json(out);
});
`);
    const f = a.findings.find((x) => x.rule === 'FOX004');
    assert.equal(f?.functionId, 'src/routes/users.ts#GET /orders');
  });

  it('fastify: route objects, shorthand with options, handlers in a plugin', () => {
    const a = analyze(`import Fastify, { type FastifyInstance } from 'fastify';
import { gzipSync } from 'node:zlib';
const app = Fastify();
app.route({
  method: 'POST',
  url: '/upload',
  handler: async (req, reply) => gzipSync(req.body as Buffer),
});
app.get('/health', { logLevel: 'warn' }, async () => ({ ok: true }));
export async function plugin(f: FastifyInstance) {
  f.delete('/items/:id', async (req) => ({ deleted: req.params }));
  f.route({ method: ['GET', 'HEAD'], url: '/ping', handler(req, reply) { reply.send('pong'); } });
}
`);
    const p = 'src/routes/users.ts#';
    fn(a, `${p}POST /upload`);
    fn(a, `${p}GET /health`);
    fn(a, `${p}DELETE /items/:id`);
    fn(a, `${p}GET,HEAD /ping`);
    fn(a, `${p}plugin`);
  });

  it('koa (app.use, @koa/router named routes) and hono', () => {
    const a = analyze(`import Koa from 'koa';
import Router from '@koa/router';
import { Hono } from 'hono';
const app = new Koa();
const router = new Router();
app.use(async (ctx, next) => { await next(); });
router.get('user', '/users/:id', async (ctx) => { ctx.body = ctx.params.id; });
const hono = new Hono();
hono.get('/hello', (c) => c.text('hi'));
hono.on(['GET', 'POST'], '/multi', (c) => c.text('m'));
`);
    const p = 'src/routes/users.ts#';
    assert.deepEqual(
      ids(a).sort(),
      [`${p}USE`, `${p}GET /users/:id`, `${p}GET /hello`, `${p}GET,POST /multi`].sort(),
    );
  });

  it('NestJS controller methods keep their ids and carry their route', () => {
    const a = analyze(`import { Controller, Get, Post } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
@Controller('users')
export class UsersController {
  @Get(':id')
  findOne() { return 1; }
  @Post()
  create() { return 2; }
  @OnEvent('user.created')
  created() {}
  helper() {}
}
`);
    const p = 'src/routes/users.ts#UsersController.';
    assert.equal(fn(a, `${p}findOne`).handler?.label, 'GET /users/:id');
    assert.equal(fn(a, `${p}create`).handler?.label, 'POST /users');
    assert.deepEqual(fn(a, `${p}created`).handler, {
      kind: 'event',
      label: 'on:user.created',
      inline: false,
    });
    assert.equal(fn(a, `${p}helper`).handler, undefined);
  });

  it('event listeners, http.createServer and queue processors', () => {
    const a = analyze(
      `import { EventEmitter } from 'node:events';
import http from 'node:http';
import { Worker } from 'bullmq';
import { handle } from './handle';
const emitter = new EventEmitter();
emitter.on('message', async (m) => { await handle(m); });
process.on('SIGTERM', () => process.exit(0));
const server = http.createServer((req, res) => res.end('ok'));
server.on('connection', (socket) => socket.setNoDelay(true));
new Worker('emails', async (job) => { await handle(job.data); });
`,
      'src/server.ts',
    );
    assert.deepEqual(
      ids(a).sort(),
      [
        'src/server.ts#emitter.on:message',
        'src/server.ts#process.on:SIGTERM',
        'src/server.ts#http.createServer',
        'src/server.ts#server.on:connection',
        'src/server.ts#Worker:emails',
      ].sort(),
    );
  });

  it('does not make lookups and client callbacks units (map.get, cache.get, http.get)', () => {
    const a = analyze(`import http from 'node:http';
import { LRUCache } from 'lru-cache';
import request from 'request';
const map = new Map<string, () => number>();
const cache = new LRUCache<string, string>({ max: 10 });
export function lookups(key: string, store: { get(k: string, f: () => void): void }) {
  map.get('x', () => 1);
  cache.get(key);
  cache.get('/users', () => 'fallback');
  store.get('x', () => {});
  http.get('http://example.com/', (res) => res.resume());
  request.get('/users', (err, body) => body);
}
`);
    assert.deepEqual(ids(a), ['src/routes/users.ts#lookups']);
  });

  it('takes path-less middleware only on what the file shows is an app or router', () => {
    const a = analyze(`import express, { type Express } from 'express';
export function mount(app: Express, other: { use(f: unknown): void }) {
  app.use((req, res, next) => next());
  express.Router().use((req, res, next) => next());
  other.use((req, res, next) => next());
}
`);
    const p = 'src/routes/users.ts#';
    assert.deepEqual(ids(a), [`${p}mount`, `${p}USE`, `${p}USE (2)`]);
    assert.equal(fn(a, `${p}USE`).line, 3);
    assert.equal(fn(a, `${p}USE (2)`).line, 4);
  });

  it('keeps method-and-path ids when lines are inserted above', () => {
    const before = ids(analyze(EXPRESS));
    assert.ok(before.includes('src/routes/users.ts#POST /login'), before.join(', '));
    const shifted = EXPRESS.replace(
      'const app = express();',
      'const app = express();\nconst limit = 10;\n\n// a comment\n',
    );
    assert.deepEqual(ids(analyze(shifted)), before);
    assert.ok(
      before.every((id) => !/@L\d+/.test(id)),
      before.join(', '),
    );
  });

  it('names routes by template, constant and RegExp paths; middleware before a handler is no path', () => {
    const a = analyze(`import express from 'express';
import cors from 'cors';
const app = express();
app.get(\`/v\${version}/users\`, (req, res) => res.end());
app.get(PATHS.teams, (req, res) => res.end());
app.get(/^\\/files\\/(.*)$/, (req, res) => res.end());
app.use(cors(), (req, res, next) => next());
`);
    const p = 'src/routes/users.ts#';
    assert.deepEqual(ids(a), [
      `${p}GET /v\${version}/users`,
      `${p}GET PATHS.teams`,
      `${p}GET /^\\/files\\/(.*)$/`,
      `${p}USE`,
    ]);
  });

  it('disambiguates duplicate names deterministically, in source order', () => {
    const a = analyze(`import express from 'express';
const app = express();
app.get('/x', (req, res, next) => next(), (req, res) => res.end('a'));
app.get('/x', (req, res) => res.end('b'));
process.on(eventName(), () => {});
`);
    const p = 'src/routes/users.ts#';
    assert.deepEqual(ids(a), [
      `${p}GET /x`,
      `${p}GET /x (2)`,
      `${p}GET /x (3)`,
      `${p}process.on@L5`,
    ]);
  });

  it('a named or fox-wrapped handler keeps the id the task rule gives it', () => {
    const a = analyze(`import express from 'express';
import { fox } from '@fox/sdk';
const app = express();
export async function listUsers(req: unknown, res: unknown) {}
app.get('/users', listUsers);
app.get('/teams', async function listTeams(req, res) {});
app.post('/orders', fox({ mode: 'wfox', id: 'orders#place' }, async (req) => req));
`);
    const p = 'src/routes/users.ts#';
    assert.equal(fn(a, `${p}listUsers`).handler?.label, 'GET /users');
    assert.deepEqual(fn(a, `${p}listUsers`).handler?.inline, false);
    assert.equal(fn(a, `${p}listTeams`).handler?.label, 'GET /teams');
    assert.equal(fn(a, 'orders#place').handler?.label, 'POST /orders');
    assert.equal(ids(a).length, 3);
  });

  it('a handler registered inside a function is its own unit, not part of the function', () => {
    const a = analyze(`import type { Express } from 'express';
import { readFileSync } from 'node:fs';
export function mount(app: Express) {
  app.get('/config', (req, res) => res.send(readFileSync('/etc/app.json', 'utf8')));
}
`);
    const handler = fn(a, 'src/routes/users.ts#GET /config');
    assert.ok(handler.evidence.some((e) => e.kind === 'blocking'));
    assert.deepEqual(fn(a, 'src/routes/users.ts#mount').evidence, []);
  });
});
