/**
 * The baselines the landing (POST /enrol) is measured against, each a separate server process so
 * it has its own event loop and heap, exactly like the portal under test:
 *
 *   node baseline-servers.js bare      Koa answering 303 (the floor: HTTP + Koa, nothing else)
 *   node baseline-servers.js jose      Koa + @koa/bodyparser + jose verifying the RS256 token + 303
 *                                      (what the landing must do at minimum, without a database)
 *   node baseline-servers.js gateway   Express + jsonwebtoken verifying the token and rendering a
 *                                      payment form, the shape of OpenLearning's own gateway example
 *
 * Started with child_process.fork: the public key and audience come in the environment, the
 * listening port goes back to the parent as an IPC message. Loopback only.
 */
import { bodyParser } from '@koa/bodyparser';
import { createPublicKey } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import Koa from 'koa';
import nunjucks from 'nunjucks';

const kind = process.argv[2];
const publicKeyPem = process.env.BENCH_PUBLIC_KEY ?? '';
const audience = process.env.BENCH_AUDIENCE ?? 'bench';

/** Koa settles every request itself; Node's server wants a listener that returns nothing. */
function settled(handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<unknown>): http.RequestListener {
  return (req, res) => void handle(req, res);
}

function bare(): http.RequestListener {
  const app = new Koa();
  app.use((ctx) => {
    ctx.status = 303;
    ctx.redirect('/billing/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
  });
  return settled(app.callback());
}

function koaJose(): http.RequestListener {
  const key = createPublicKey(publicKeyPem);
  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['form'], formLimit: '64kb' }));
  app.use(async (ctx) => {
    const jwt = (ctx.request.body as Record<string, unknown> | undefined)?.jwt;
    try {
      if (typeof jwt !== 'string') throw new Error('no jwt');
      await jwtVerify(jwt, key, { audience, algorithms: ['RS256'], clockTolerance: 60, requiredClaims: ['exp'] });
    } catch {
      ctx.status = 400;
      ctx.body = 'refused';
      return;
    }
    ctx.status = 303;
    ctx.redirect('/billing/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
  });
  return settled(app.callback());
}

/** A payment page in the way a small Express gateway would render one: a template per request. */
const FORM = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay for {{ title }}</title></head>
<body><h1>{{ title }}</h1>
<p>Price: {{ currency }} {{ price }}</p>
<form method="post" action="/pay">
  <input type="hidden" name="user" value="{{ user }}"><input type="hidden" name="class" value="{{ cls }}">
  <label>Name <input name="name" required></label>
  <label>Email <input name="email" type="email" required></label>
  <button>Pay</button>
</form></body></html>`;

function gateway(): http.RequestListener {
  const env = new nunjucks.Environment(null, { autoescape: true });
  const template = nunjucks.compile(FORM, env);
  const app = express();
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.post('/enrol', (req, res) => {
    try {
      const claims = jsonwebtoken.verify(String((req.body as Record<string, unknown>).jwt), publicKeyPem, {
        algorithms: ['RS256'],
        audience,
      }) as Record<string, string>;
      res.send(template.render({ title: claims.title, currency: claims.currency, price: claims.price, user: claims.sub, cls: claims.class }));
    } catch {
      res.status(400).send('refused');
    }
  });
  return app as unknown as http.RequestListener;
}

const listeners: Record<string, () => http.RequestListener> = { bare, jose: koaJose, gateway };
const make = kind ? listeners[kind] : undefined;
if (!make) throw new Error(`baseline-servers: unknown kind ${kind}; one of ${Object.keys(listeners).join(', ')}`);
const server = http.createServer(make());
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
// The parent ends the benchmark by disconnecting (or dying): never outlive it.
process.on('disconnect', () => process.exit(0));
