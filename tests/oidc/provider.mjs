// A real OpenID Connect provider on loopback for Bruka's sign-in tests: the certified
// `oidc-provider` package, with a one-field login page and a few controls the tests use.
//
//   node tests/oidc/provider.mjs       prints {"issuer": "http://127.0.0.1:PORT"} and serves
//
// Clients register themselves (RFC 7591 dynamic registration at /reg). People sign in on
// /interaction/:uid by their e-mail address (prefilled from login_hint); nothing is asked
// for consent. The controls, for tests only:
//   POST /__test/accounts  {"email", "email_verified", "name", "groups"}  what a person's
//                          ID token says (unknown addresses are verified, without groups)
//   POST /__test/tamper    {"mode"}  the next token response carries an ID token that is
//                          changed and signed again: nonce, audience, issuer, expired,
//                          unknown-key, hs256 (signed with the client secret), none
//   POST /__test/rotate    signs from now on with a new key; the old one is withdrawn
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';

// Stored in the process, shared by the provider instances a key rotation makes, so
// registered clients and sessions survive a rotation.
const store = new Map();
class SharedAdapter {
  constructor(name) {
    this.name = name;
  }
  key(id) {
    return `${this.name}:${id}`;
  }
  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.uid) store.set(`${this.name}:uid:${payload.uid}`, id);
  }
  async find(id) {
    return store.get(this.key(id));
  }
  async findByUid(uid) {
    return this.find(store.get(`${this.name}:uid:${uid}`));
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id) {
    const payload = store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    store.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const [key, payload] of store) if (payload?.grantId === grantId) store.delete(key);
  }
}

const accounts = new Map();
let tamper = null;
let provider = null;
let signingKey = null;

const accountId = (email) =>
  'sub-' + createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 24);
const accountsById = new Map();

async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = 'key-' + Math.random().toString(36).slice(2, 10);
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  return { jwk, privateKey };
}

function configuration(key) {
  return {
    clients: [],
    adapter: SharedAdapter,
    jwks: { keys: [key.jwk] },
    features: {
      registration: { enabled: true },
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },
    // Claims go into the ID token as Entra ID puts them there, not only into userinfo.
    conformIdTokenClaims: false,
    claims: {
      // Groups come without asking, as Entra ID sends them when the app is set up to.
      openid: ['sub', 'groups'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    cookies: { keys: ['bruka-test-cookies'] },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (ctx, id) => {
      const email = accountsById.get(id);
      if (!email) return undefined;
      const account = accounts.get(email) ?? {};
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          email: account.email ?? email,
          email_verified: account.email_verified ?? true,
          name: account.name ?? email.split('@')[0],
          ...(account.groups ? { groups: account.groups } : {}),
        }),
      };
    },
  };
}

function start(issuer, key) {
  const next = new Provider(issuer, configuration(key));
  next.use(async (ctx, run) => {
    await run();
    if (ctx.method === 'POST' && ctx.path === '/token' && tamper && ctx.body?.id_token) {
      const mode = tamper;
      tamper = null;
      ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, mode, ctx) };
    }
  });
  return next;
}

async function tampered(idToken, mode, ctx) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  const sign = (payload, secretKey = signingKey) =>
    new jose.SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: secretKey.jwk.kid, typ: 'JWT' })
      .sign(secretKey.privateKey);
  switch (mode) {
    case 'nonce':
      return sign({ ...claims, nonce: 'not-the-nonce-that-was-sent' });
    case 'audience':
      return sign({ ...claims, aud: 'another-application' });
    case 'issuer':
      return sign({ ...claims, iss: 'https://login.example.org/' });
    case 'expired':
      return sign({ ...claims, iat: now - 7200, exp: now - 3600 });
    case 'unknown-key':
      return sign(claims, await newKey());
    case 'hs256': {
      const client = await provider.Client.find(claims.aud);
      const secret = new TextEncoder().encode(client?.clientSecret ?? 'secret');
      return new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    }
    case 'none': {
      const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
    }
    default:
      ctx.status = 500;
      return idToken;
  }
}

const escapeHtml = (text) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function interaction(req, res, uid, path) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'wrong interaction');
  if (req.method === 'GET') {
    const hint = escapeHtml(details.params.login_hint);
    return send(
      res,
      200,
      'text/html; charset=utf-8',
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>` +
        `<h1>Test directory</h1><form method="post" action="/interaction/${uid}/login">` +
        `<label for="email">Work e-mail</label> <input id="email" name="email" type="email" value="${hint}">` +
        ` <button type="submit" id="provider-sign-in">Sign in</button></form></main></body></html>`,
    );
  }
  if (req.method === 'POST' && path === 'login') {
    const email = new URLSearchParams(await readBody(req)).get('email')?.trim().toLowerCase();
    if (!email) return send(res, 400, 'text/plain', 'no e-mail');
    const id = accountId(email);
    accountsById.set(id, email);
    const grant = new provider.Grant({ accountId: id, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: id }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }
  return send(res, 404, 'text/plain', 'not found');
}

async function control(req, res, what) {
  const body = JSON.parse((await readBody(req)) || '{}');
  if (what === 'accounts') {
    const email = body.email.toLowerCase();
    accounts.set(email, body);
    accountsById.set(accountId(email), email);
  } else if (what === 'tamper') {
    tamper = body.mode;
  } else if (what === 'rotate') {
    signingKey = await newKey();
    provider = start(provider.issuer, signingKey);
  } else {
    return send(res, 404, 'text/plain', 'no such control');
  }
  send(res, 200, 'application/json', JSON.stringify({ ok: true, kid: signingKey.jwk.kid }));
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    const test = url.pathname.match(/^\/__test\/(\w+)$/);
    if (test && req.method === 'POST') return await control(req, res, test[1]);
    const step = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(\w+))?$/);
    if (step) return await interaction(req, res, step[1], step[2]);
    return provider.callback()(req, res);
  } catch (error) {
    send(res, 500, 'text/plain', String(error?.stack ?? error));
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', async () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  signingKey = await newKey();
  provider = start(issuer, signingKey);
  process.stdout.write(JSON.stringify({ issuer }) + '\n');
});

// The tests end it by closing its standard input, so no provider outlives its test run.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
