// The authorization server of t/090-interop.t: panva's oidc-provider
// (an OpenID Certified implementation nobody here wrote), configured for
// the Client Credentials grant with private_key_jwt client
// authentication, and a protected resource that asks oidc-provider's
// introspection endpoint about the tokens it is sent.
//
//   node server.mjs --keys DIR --ready FILE [--watch-pid PID]
//
// Listens on 127.0.0.1, on ports the system picks, and when all listen
// writes FILE (by rename), one "name=port" line each:
//
//   http    provider "op": issuer http://127.0.0.1:<http>, default
//           routes (token endpoint /token, introspection
//           /token/introspection); also /resource/... and /_test/...
//   tls     the same provider over HTTPS, with DIR/tls.crt and
//           DIR/tls.key (signed by DIR/ca.crt)
//   custom  provider "custom": issuer http://127.0.0.1:<custom>, the
//           token endpoint at /oauth2/default/v1/token and introspection
//           at /oauth2/default/v1/introspect (Okta's layout)
//
// Clients (CLIENTS below) authenticate with private_key_jwt; their public
// keys are read from DIR/<kid>.pub.pem, the keys t/keys/gen.sh makes, and
// converted to JWKs by node's crypto.
//
// The protected resource, GET /resource/NAME/... on the http port,
// takes one "Authorization: Bearer <token>" and introspects the token at
// each provider in turn; it answers 200 and
//
//   resource: active client_id=<id> scope="<scope>" aud=<aud> iss=<issuer>
//   authorization_headers=1
//
// or 401 "resource: ..." saying why not.
//
// Test-only endpoints, on the http port:
//
//   GET /_test/stats?client=ID     the token requests whose assertion
//                                  names ID as "iss":
//       token_requests=N           all of them
//       granted=N                  answered with a token
//       refused=N                  answered with an error
//       jti=N distinct=N           jti values seen, and how many differ
//       alg=ALG kid=KID            of the last assertion
//       aud=AUD                    of the last assertion
//       last_error=ERR: REASON     of the last refusal: the OAuth error
//                                  and oidc-provider's own reason, which
//                                  it does not send to the client
//   GET /_test/resource?name=NAME  the requests to /resource/NAME/...:
//       requests=N                 all of them
//       active=N                   those with a token a provider says
//                                  is active
//   GET /_test/replay?client=ID    posts the last token request of ID
//                                  again, body and Host unchanged, to
//                                  the same path on the http port:
//       status=STATUS              oidc-provider's answer
//       error=ERR
//       detail=REASON
//
// The process exits when the process --watch-pid names is gone. It logs
// a line per request and per token request (client, jti, alg, aud,
// scope, outcome) to stdout; never a whole assertion or token.

import { createPublicKey, generateKeyPairSync, randomBytes }
    from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
    options: {
        keys: { type: 'string' },
        ready: { type: 'string' },
        'watch-pid': { type: 'string' },
    },
});

if (!args.keys || !args.ready) {
    console.error('usage: node server.mjs --keys DIR --ready FILE '
                  + '[--watch-pid PID]');
    process.exit(2);
}

const API = 'urn:interop:api';
const API_SCOPES = 'api:read api:write';

const INTROSPECTOR = {
    id: 'resource-server',
    secret: randomBytes(16).toString('hex'),
};

// client_id, key (DIR/<kid>.pub.pem, also the JWK's kid), the one
// algorithm the client may sign with, the scopes it may be given; a
// client (or two) for each test, so that its records are its own
const CLIENTS = [
    ['nginx-rs256', 'rsa1', 'RS256', API_SCOPES],
    ['nginx-rs384', 'rsa1', 'RS384', API_SCOPES],
    ['nginx-rs512', 'rsa1', 'RS512', API_SCOPES],
    ['nginx-ps256', 'rsa1', 'PS256', API_SCOPES],
    ['nginx-ps384', 'rsa1', 'PS384', API_SCOPES],
    ['nginx-ps512', 'rsa-pkcs1', 'PS512', API_SCOPES],
    ['nginx-es256', 'ec1', 'ES256', API_SCOPES],
    ['nginx-es384', 'ec384', 'ES384', API_SCOPES],
    ['nginx-es512', 'ec521', 'ES512', API_SCOPES],
    ['nginx-read-only', 'rsa1', 'RS256', 'api:read'],
    ['nginx-custom-path', 'ec1', 'ES256', API_SCOPES],
    ['nginx-tls', 'ec1', 'ES256', API_SCOPES],
    ['nginx-tls-refused', 'ec1', 'ES256', API_SCOPES],
    ['nginx-replay', 'rsa1', 'RS256', API_SCOPES],
    ['nginx-audience', 'rsa1', 'RS256', API_SCOPES],
    ['nginx-wrong-key', 'rsa1', 'RS256', API_SCOPES],
    ['nginx-jti', 'ec1', 'ES256', API_SCOPES],
    ['nginx-cache', 'rsa1', 'RS256', API_SCOPES],
];

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256',
              'ES384', 'ES512'];

function log(...parts) {
    console.log(new Date().toISOString(), ...parts);
}

function cut(s) {
    return s ? `${String(s).slice(0, 8)}...` : '-';
}

function publicJwk(kid) {
    const pem = readFileSync(`${args.keys}/${kid}.pub.pem`);
    return { ...createPublicKey(pem).export({ format: 'jwk' }), kid,
             use: 'sig' };
}

function clientMetadata([clientId, kid, alg, scope]) {
    return {
        client_id: clientId,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: alg,
        scope,
        jwks: { keys: [publicJwk(kid)] },
    };
}

// The provider's own key, for what it signs (nothing the tests use:
// access tokens are opaque); made here so that it does not fall back to
// its development keys.
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ format: 'jwk' });

// oidc-provider keeps its state (tokens, the jti of assertions seen)
// through an adapter. Its default one is a single store for the whole
// process, where each provider would find the other's tokens: each gets
// a store of its own.
function memoryAdapter() {
    const store = new Map();

    return class MemoryAdapter {
        constructor(model) {
            this.model = model;
        }

        key(id) {
            return `${this.model}:${id}`;
        }

        async upsert(id, payload, expiresIn) {
            store.set(this.key(id), {
                payload,
                expires: expiresIn ? Date.now() + expiresIn * 1000 : Infinity,
            });
        }

        async find(id) {
            const entry = store.get(this.key(id));
            if (!entry || entry.expires <= Date.now()) {
                store.delete(this.key(id));
                return undefined;
            }
            return entry.payload;
        }

        async findByUid() {
            return undefined;
        }

        async findByUserCode() {
            return undefined;
        }

        async consume(id) {
            const entry = store.get(this.key(id));
            if (entry) {
                entry.payload.consumed = Math.floor(Date.now() / 1000);
            }
        }

        async destroy(id) {
            store.delete(this.key(id));
        }

        async revokeByGrantId() {}
    };
}

function makeProvider(issuer, routes) {
    const provider = new Provider(issuer, {
        adapter: memoryAdapter(),
        clients: [
            ...CLIENTS.map(clientMetadata),
            {
                client_id: INTROSPECTOR.id,
                client_secret: INTROSPECTOR.secret,
                token_endpoint_auth_method: 'client_secret_basic',
                grant_types: [],
                response_types: [],
                redirect_uris: [],
            },
        ],
        jwks: { keys: [{ ...signingKey, kid: 'op', use: 'sig' }] },
        enabledJWA: { clientAuthSigningAlgValues: ALGS },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
        routes,
        ttl: { ClientCredentials: 3600 },
        features: {
            devInteractions: { enabled: false },
            clientCredentials: { enabled: true },
            introspection: {
                enabled: true,
                // only the resource server may ask
                allowedPolicy: (ctx, client) =>
                    client.clientId === INTROSPECTOR.id,
            },
            resourceIndicators: {
                enabled: true,
                // the Client Credentials grant without a "resource"
                // parameter (the module sends none) gets a token for API
                defaultResource: () => API,
                getResourceServerInfo: (ctx, indicator) => {
                    if (indicator !== API) {
                        throw new Provider.errors.InvalidTarget();
                    }
                    return {
                        scope: API_SCOPES,
                        audience: API,
                        accessTokenFormat: 'opaque',
                    };
                },
            },
        },
    });

    provider.on('grant.success', (ctx) => record(ctx, null));
    provider.on('grant.error', (ctx, err) => record(ctx, err));
    provider.on('server_error', (ctx, err) => log('server_error', err));

    return provider;
}

// What the token endpoints saw, by the client_id the assertion names.
const stats = new Map();
const replays = new Map();      // jti of a replayed assertion: its error
const resourceStats = new Map(); // NAME of /resource/NAME/: counts

function statsFor(clientId) {
    if (!stats.has(clientId)) {
        stats.set(clientId, {
            requests: 0, granted: 0, refused: 0, jtis: [], alg: '-',
            kid: '-', aud: '-', lastError: '', lastBody: null,
        });
    }
    return stats.get(clientId);
}

// The header and claims of an assertion, unverified (oidc-provider
// verifies it); {} for what does not decode to an object.
function decodePart(part) {
    try {
        const value = JSON.parse(Buffer.from(part ?? '', 'base64url'));
        return value !== null && typeof value === 'object' ? value : {};
    } catch {
        return {};
    }
}

function decodeAssertion(jwt) {
    const [header, payload] = (jwt ?? '').split('.');
    return { header: decodePart(header), payload: decodePart(payload) };
}

function record(ctx, err) {
    const params = ctx.oidc?.params ?? {};
    const { header, payload } = decodeAssertion(params.client_assertion);
    const error = err ? `${err.error}: ${err.error_detail
                                       ?? err.error_description}` : '';

    log(`  client=${payload.iss ?? '-'} jti=${payload.jti ?? '-'}`
        + ` alg=${header.alg ?? '-'} aud=${payload.aud ?? '-'}`
        + ` scope=${JSON.stringify(params.scope ?? null)}`
        + (err ? ` refused: ${error}` : ' granted'));

    if (ctx.get('x-interop-replay')) {
        replays.set(payload.jti, err);
        return;
    }

    const s = statsFor(String(payload.iss ?? '-'));
    s.requests += 1;
    s[err ? 'refused' : 'granted'] += 1;
    s.jtis.push(payload.jti);
    s.alg = header.alg ?? '-';
    s.kid = header.kid ?? '-';
    s.aud = payload.aud ?? '-';
    s.lastError = error || s.lastError;
    s.lastBody = {
        body: new URLSearchParams(ctx.oidc.body ?? {}).toString(),
        host: ctx.get('host'),
        path: ctx.path,
        jti: payload.jti,
    };
}

function request(options, body) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', method: 'POST',
                                   ...options }, (res) => {
            let data = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => { data += chunk; });
            res.on('end', () => resolve({ status: res.statusCode, data }));
        });
        req.on('error', reject);
        req.end(body);
    });
}

function form(port, path, host, body, headers = {}) {
    return request({
        port,
        path,
        headers: {
            host,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            ...headers,
        },
    }, body);
}

// Each provider, with the plain port its introspection endpoint is on.
const issuers = [];

async function introspect(token) {
    const basic = Buffer.from(`${INTROSPECTOR.id}:${INTROSPECTOR.secret}`)
        .toString('base64');
    for (const { provider, port } of issuers) {
        const { status, data } = await form(
            port, provider.pathFor('introspection'), `127.0.0.1:${port}`,
            new URLSearchParams({ token }).toString(),
            { authorization: `Basic ${basic}` });
        if (status !== 200) {
            throw new Error(`introspection answered ${status}: ${data}`);
        }
        const answer = JSON.parse(data);
        if (answer.active) {
            return answer;
        }
    }
    return null;
}

async function resource(req, name) {
    if (!resourceStats.has(name)) {
        resourceStats.set(name, { requests: 0, active: 0 });
    }
    const counts = resourceStats.get(name);
    counts.requests += 1;

    const values = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i].toLowerCase() === 'authorization') {
            values.push(req.rawHeaders[i + 1]);
        }
    }
    const token = values.length === 1
        ? /^Bearer ([\x21-\x7e]+)$/.exec(values[0])?.[1] : undefined;

    if (token === undefined) {
        return [401, `resource: ${values.length} Authorization headers, `
                     + 'want one "Bearer <token>"\n'];
    }

    const answer = await introspect(token);
    if (!answer) {
        return [401, `resource: token ${cut(token)} is not active\n`];
    }

    counts.active += 1;

    return [200, `resource: active client_id=${answer.client_id}`
                 + ` scope="${answer.scope ?? ''}" aud=${answer.aud}`
                 + ` iss=${answer.iss}\n`
                 + `authorization_headers=${values.length}\n`];
}

function statsText(clientId) {
    const s = statsFor(clientId);
    return [
        `token_requests=${s.requests}`,
        `granted=${s.granted}`,
        `refused=${s.refused}`,
        `jti=${s.jtis.length} distinct=${new Set(s.jtis).size}`,
        `alg=${s.alg} kid=${s.kid}`,
        `aud=${s.aud}`,
        `last_error=${s.lastError}`,
        '',
    ].join('\n');
}

function resourceText(name) {
    const counts = resourceStats.get(name) ?? { requests: 0, active: 0 };
    return `requests=${counts.requests}\nactive=${counts.active}\n`;
}

async function replay(clientId, port) {
    const last = statsFor(clientId).lastBody;
    if (!last) {
        return [404, `no token request from ${clientId} to replay\n`];
    }
    const { status, data } = await form(port, last.path, last.host,
                                        last.body,
                                        { 'x-interop-replay': '1' });
    let error = '';
    try {
        ({ error } = JSON.parse(data));
    } catch {
        error = `not JSON: ${data}`;
    }
    const err = replays.get(last.jti);
    return [200, `status=${status}\nerror=${error ?? ''}\n`
                 + `detail=${err?.error_detail ?? ''}\n`];
}

async function testEndpoint(url, port) {
    const clientId = url.searchParams.get('client') ?? '';
    switch (url.pathname) {
    case '/_test/stats':
        return [200, statsText(clientId)];
    case '/_test/replay':
        return replay(clientId, port);
    case '/_test/resource':
        return [200, resourceText(url.searchParams.get('name') ?? '')];
    default:
        return [404, 'unknown test endpoint\n'];
    }
}

function handler(provider, plainPort) {
    const callback = provider.callback();

    return (req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        const name = /^\/resource\/([^/]*)/.exec(url.pathname)?.[1];
        const own = name !== undefined
            ? resource(req, name)
            : url.pathname.startsWith('/_test/')
                ? testEndpoint(url, plainPort) : null;

        res.on('finish', () => log(
            `${req.method} ${req.socket.localPort} ${url.pathname}`
            + ` -> ${res.statusCode}`));

        if (!own) {
            callback(req, res);
            return;
        }

        own.then(([status, body]) => {
            res.writeHead(status, { 'content-type': 'text/plain' });
            res.end(body);
        }, (err) => {
            log('error', err);
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`${err.message}\n`);
        });
    };
}

function listen(server) {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server.address().port));
    });
}

const servers = {
    http: http.createServer(),
    tls: https.createServer({
        cert: readFileSync(`${args.keys}/tls.crt`),
        key: readFileSync(`${args.keys}/tls.key`),
    }),
    custom: http.createServer(),
};

const ports = {};
for (const [name, server] of Object.entries(servers)) {
    ports[name] = await listen(server);
}

const op = makeProvider(`http://127.0.0.1:${ports.http}`, {});
const custom = makeProvider(`http://127.0.0.1:${ports.custom}`, {
    token: '/oauth2/default/v1/token',
    introspection: '/oauth2/default/v1/introspect',
});

issuers.push({ provider: op, port: ports.http },
             { provider: custom, port: ports.custom });

servers.http.on('request', handler(op, ports.http));
servers.tls.on('request', handler(op, ports.http));
servers.custom.on('request', handler(custom, ports.custom));

if (args['watch-pid']) {
    const pid = Number(args['watch-pid']);
    setInterval(() => {
        try {
            process.kill(pid, 0);
        } catch {
            log(`process ${pid} is gone, exiting`);
            process.exit(0);
        }
    }, 500).unref();
}

for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => process.exit(0));
}

writeFileSync(`${args.ready}.tmp`, Object.entries(ports)
    .map(([name, port]) => `${name}=${port}\n`).join(''));
renameSync(`${args.ready}.tmp`, args.ready);

log(`oidc-provider listening: ${JSON.stringify(ports)}, node ${
    process.version}`);
