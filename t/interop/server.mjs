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
//   mtls    provider "op" over HTTPS again, asking for a client
//           certificate (checked against DIR/ca.crt; one from elsewhere,
//           or none, is let in for oidc-provider's mTLS feature to judge:
//           tls_client_auth, self_signed_tls_client_auth)
//
// Clients: CLIENTS below authenticate with private_key_jwt; their public
// keys are read from DIR/<kid>.pub.pem, the keys t/keys/gen.sh makes, and
// converted to JWKs by node's crypto. DPOP_CLIENTS too, and must send a
// DPoP proof (dpop_bound_access_tokens). METHOD_CLIENTS, one (or two)
// per method of issue 13: nginx-basic, nginx-post (the secret is
// DIR/client.secret), nginx-secret-jwt (HS256/384/512) and nginx-hs256,
// -hs384, -hs512 (that alg only), nginx-x5t (rsa1.crt; -ps256: PS256
// only; -es256: ec1.crt), whose assertions must carry x5t#S256 of their
// certificate, nginx-mtls (tls_client_auth, CN=oauth2-test-client),
// nginx-self-signed (DIR/selfsigned.crt), nginx-none, nginx-basic-dpop.
//
// DPoP (RFC 9449) is on for every client, with nonces required: a proof
// without the current nonce gets 400 use_dpop_nonce and a DPoP-Nonce
// (oidc-provider's nonces, a new one each minute, five accepted). The
// resource indicators: urn:interop:api (the default) and
// https://api.example.test/orders; a token's aud is the one asked for.
//
// The protected resource, GET /resource/NAME/... on the http port,
// takes one "Authorization: Bearer <token>" and introspects the token at
// each provider in turn; it answers 200 and
//
//   resource: active client_id=<id> scope="<scope>" aud=<aud> iss=<issuer>
//   authorization_headers=1
//
// or 401 "resource: ..." saying why not. A DPoP-bound token (cnf.jkt in
// the introspection answer) it takes only as "Authorization: DPoP
// <token>" with one DPoP proof that jose verifies with its embedded jwk
// (typ dpop+jwt), whose htm is the method, htu this URL without query,
// iat within 300 s, ath the token's hash, jti new, and key the token's;
// then two more lines:
//
//   token_type=DPoP jkt=<thumbprint>
//   dpop: verified alg=ES256 htm=GET htu=<url> ath=ok nonce=<nonce|none>
//
// Refused: 401 with WWW-Authenticate: DPoP error="...". Under
// /resource-nonce/NAME/... the proof must also carry the resource
// server's nonce: else 401 WWW-Authenticate: DPoP error="use_dpop_nonce"
// and DPoP-Nonce.
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
//     (the requests of a client without an assertion count under the
//     client_id oidc-provider found or the request named); &detail=1
//     adds, of the last one:
//       auth=METHOD                as sent: client_secret_basic (an
//                                  Authorization header), _post, _jwt,
//                                  private_key_jwt, tls (a certificate),
//                                  none
//       x5t#S256=X                 of the assertion's header
//       cert=SUBJECT THUMBPRINT    of the TLS client certificate
//       params=a,b,...             the body's parameters, in order
//       resource=R                 its resource parameters
//       dpop=JKT|sent|none         the key the token is bound to
//       dpop_nonce=N|none          the nonce of its proof
//       token_type=T
//       errors=ERR:N,...           every refusal by its OAuth error
//   GET /_test/resource-nonce[?rotate=1]  the resource server's nonce
//       nonce=N                    (a new one with rotate)
//   GET /_test/resource?name=NAME  the requests to /resource/NAME/...:
//       requests=N                 all of them
//       active=N                   those with a token a provider says
//                                  is active
//     &detail=1 adds dpop=N (proofs verified), use_dpop_nonce=N,
//     refused=N and last_error=WHY
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

import {
    X509Certificate, createHash, createPublicKey, generateKeyPairSync,
    randomBytes,
} from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';

import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

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
// a second resource server (RFC 8707): a token for it has it as "aud"
const ORDERS = 'https://api.example.test/orders';

// The client secret of the secret clients: t/keys/client.secret, with
// ":", "%41", "+", a space and more (printable ASCII: oidc-provider, as
// RFC 6749 appendix A, takes no other)
const SECRET = readFileSync(`${args.keys}/client.secret`, 'latin1');

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
    // resource indicators: these ask for a "resource"
    ['nginx-resource', 'rsa1', 'RS256', API_SCOPES],
    ['nginx-resource-2', 'rsa1', 'RS256', API_SCOPES],
];

// Clients that must send a DPoP proof (dpop_bound_access_tokens):
// client_id, key, alg of the client assertion
const DPOP_CLIENTS = [
    ['nginx-dpop', 'ec1', 'ES256'],
    ['nginx-dpop-es256', 'ec1', 'ES256'],
    ['nginx-dpop-rs256', 'rsa1', 'RS256'],
    ['nginx-dpop-ps256', 'rsa1', 'PS256'],
    ['nginx-dpop-workers', 'ec1', 'ES256'],
    ['nginx-dpop-reload', 'ec1', 'ES256'],
    ['nginx-dpop-htu', 'ec1', 'ES256'],
    ['nginx-dpop-nonce', 'ec1', 'ES256'],
];

// One client per client authentication method of issue 13 (and a few
// spares, so that each test has records of its own):
// client_id, token_endpoint_auth_method, extra metadata
const certDer = (name) => new X509Certificate(
    readFileSync(`${args.keys}/${name}`)).raw.toString('base64');
const certJwk = (name, kid) => ({
    ...createPublicKey(readFileSync(`${args.keys}/${name}`))
        .export({ format: 'jwk' }),
    kid, use: 'sig', x5c: [certDer(name)],
});
const METHOD_CLIENTS = [
    ['nginx-basic', 'client_secret_basic', { client_secret: SECRET }],
    ['nginx-basic-2', 'client_secret_basic', { client_secret: SECRET }],
    ['nginx-basic-dpop', 'client_secret_basic',
     { client_secret: SECRET, dpop_bound_access_tokens: true }],
    ['nginx-post', 'client_secret_post', { client_secret: SECRET }],
    ['nginx-post-2', 'client_secret_post', { client_secret: SECRET }],
    ['nginx-secret-jwt', 'client_secret_jwt', { client_secret: SECRET }],
    ...['HS256', 'HS384', 'HS512'].map((alg) => [
        `nginx-${alg.toLowerCase()}`, 'client_secret_jwt',
        { client_secret: SECRET, token_endpoint_auth_signing_alg: alg }]),
    // Entra ID's certificate credentials: the certificate is registered,
    // and the assertion must name it by x5t#S256 (see X5T below)
    ['nginx-x5t', 'private_key_jwt',
     { jwks: { keys: [certJwk('rsa1.crt', 'rsa1')] } }],
    ['nginx-x5t-ps256', 'private_key_jwt',
     { jwks: { keys: [certJwk('rsa1.crt', 'rsa1')] },
       token_endpoint_auth_signing_alg: 'PS256' }],
    ['nginx-x5t-es256', 'private_key_jwt',
     { jwks: { keys: [certJwk('ec1.crt', 'ec1')] } }],
    ['nginx-mtls', 'tls_client_auth',
     { tls_client_auth_subject_dn: 'CN=oauth2-test-client' }],
    ['nginx-mtls-2', 'tls_client_auth',
     { tls_client_auth_subject_dn: 'CN=oauth2-test-client' }],
    ['nginx-self-signed', 'self_signed_tls_client_auth',
     { jwks: { keys: [certJwk('selfsigned.crt', 'selfsigned')] } }],
    ['nginx-none', 'none', {}],
];

// The clients whose assertions must carry x5t#S256 (and, when they carry
// x5t, the right one) of their registered certificate; oidc-provider
// itself picks keys by kid only, so this check is ours (in
// assertJwtClientAuthClaimsAndHeader)
const X5T = new Map([
    ['nginx-x5t', 'rsa1.crt'], ['nginx-x5t-ps256', 'rsa1.crt'],
    ['nginx-x5t-es256', 'ec1.crt'],
]);

function certThumbprints(name) {
    const der = new X509Certificate(readFileSync(`${args.keys}/${name}`)).raw;
    return {
        s256: createHash('sha256').update(der).digest('base64url'),
        sha1: createHash('sha1').update(der).digest('base64url'),
    };
}

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256',
              'ES384', 'ES512'];
const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];

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

function dpopClientMetadata([clientId, kid, alg]) {
    return {
        ...clientMetadata([clientId, kid, alg, API_SCOPES]),
        dpop_bound_access_tokens: true,
    };
}

function methodClientMetadata([clientId, method, extra]) {
    return {
        client_id: clientId,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: method,
        scope: API_SCOPES,
        ...extra,
    };
}

// The TLS client certificate of the request (features.mTLS), on the mtls
// port only (the others ask for none)
function peerCertificate(ctx) {
    const socket = ctx.req.socket;
    return typeof socket.getPeerX509Certificate === 'function'
        ? socket.getPeerX509Certificate() : undefined;
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
            ...DPOP_CLIENTS.map(dpopClientMetadata),
            ...METHOD_CLIENTS.map(methodClientMetadata),
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
        enabledJWA: {
            clientAuthSigningAlgValues: [...ALGS, ...HMAC_ALGS],
            dPoPSigningAlgValues: ALGS,
        },
        clientAuthMethods: [
            'client_secret_basic', 'client_secret_post', 'client_secret_jwt',
            'private_key_jwt', 'tls_client_auth',
            'self_signed_tls_client_auth', 'none',
        ],
        assertJwtClientAuthClaimsAndHeader: async (ctx, claims, header,
                                                   client) => {
            const cert = X5T.get(client.clientId);
            if (!cert) {
                return;
            }
            const want = certThumbprints(cert);
            if (header['x5t#S256'] === undefined) {
                throw new errors.InvalidClientAuth(
                    `x5t#S256 header missing (the client has ${cert})`);
            }
            if (header['x5t#S256'] !== want.s256) {
                throw new errors.InvalidClientAuth(
                    `x5t#S256 is not the thumbprint of ${cert}`);
            }
            if (header.x5t !== undefined && header.x5t !== want.sha1) {
                throw new errors.InvalidClientAuth(
                    `x5t is not the SHA-1 thumbprint of ${cert}`);
            }
        },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
        routes,
        ttl: { ClientCredentials: 3600 },
        features: {
            devInteractions: { enabled: false },
            clientCredentials: { enabled: true },
            // RFC 9449 with nonces required: every proof must carry one
            dPoP: {
                enabled: true,
                nonceSecret: randomBytes(32),
                requireNonce: () => true,
            },
            // RFC 8705: the certificate of the mtls port's connection
            mTLS: {
                enabled: true,
                tlsClientAuth: true,
                selfSignedTlsClientAuth: true,
                getCertificate: peerCertificate,
                certificateAuthorized: (ctx) => ctx.req.socket.authorized
                                                 === true,
                certificateSubjectMatches: (ctx, property, expected) => {
                    const cert = peerCertificate(ctx);
                    switch (property) {
                    case 'tls_client_auth_subject_dn':
                        return cert?.subject === expected;
                    case 'tls_client_auth_san_dns':
                        return (cert?.subjectAltName ?? '').split(', ')
                            .includes(`DNS:${expected}`);
                    default:
                        return false;
                    }
                },
            },
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
                    if (indicator !== API && indicator !== ORDERS) {
                        throw new errors.InvalidTarget();
                    }
                    return {
                        scope: API_SCOPES,
                        audience: indicator,
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
            // ?detail=1
            auth: '-', x5t: '-', cert: '-', params: '-', resource: '-',
            dpop: '-', dpopNonce: '-', tokenType: '-', errors: new Map(),
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

// The client authentication a token request used, as sent (oidc-provider
// lets a client_secret_basic client use client_secret_post too)
function authUsed(ctx, header) {
    const body = ctx.oidc?.body ?? {};
    if (ctx.get('authorization')) {
        return 'client_secret_basic';
    }
    if (body.client_secret !== undefined) {
        return 'client_secret_post';
    }
    if (body.client_assertion !== undefined) {
        return /^HS/.test(header.alg ?? '') ? 'client_secret_jwt'
            : 'private_key_jwt';
    }
    if (peerCertificate(ctx)) {
        return 'tls';
    }
    return 'none';
}

function record(ctx, err) {
    const params = ctx.oidc?.params ?? {};
    const { header, payload } = decodeAssertion(params.client_assertion);
    const error = err ? `${err.error}: ${err.error_detail
                                       ?? err.error_description}` : '';
    // the assertion's iss, else the client oidc-provider found, else the
    // client_id the request names
    const clientId = payload.iss ?? ctx.oidc?.client?.clientId
        ?? ctx.oidc?.authorization?.clientId ?? params.client_id ?? '-';
    const token = ctx.oidc?.entities?.ClientCredentials;
    const proof = decodeAssertion(ctx.get('dpop') || undefined).payload;
    const cert = peerCertificate(ctx);

    log(`  client=${clientId} auth=${authUsed(ctx, header)}`
        + ` jti=${payload.jti ?? '-'}`
        + ` alg=${header.alg ?? '-'} aud=${payload.aud ?? '-'}`
        + ` scope=${JSON.stringify(params.scope ?? null)}`
        + ` dpop=${ctx.get('dpop') ? cut(proof.jti) : '-'}`
        + (err ? ` refused: ${error}` : ' granted'));

    if (ctx.get('x-interop-replay')) {
        replays.set(payload.jti, err);
        return;
    }

    const s = statsFor(String(clientId));
    s.requests += 1;
    s[err ? 'refused' : 'granted'] += 1;
    s.jtis.push(payload.jti);
    s.alg = header.alg ?? '-';
    s.kid = header.kid ?? '-';
    s.aud = payload.aud ?? '-';
    s.lastError = error || s.lastError;
    s.auth = authUsed(ctx, header);
    s.x5t = header['x5t#S256'] ?? '-';
    s.cert = cert ? `${cert.subject.replace(/\n/g, ',')} ${createHash('sha256')
        .update(cert.raw).digest('base64url')}` : '-';
    s.params = Object.keys(ctx.oidc?.body ?? {}).join(',') || '-';
    s.resource = [ctx.oidc?.body?.resource ?? []].flat().join(' ') || '-';
    s.dpop = ctx.get('dpop') ? (token?.jkt ?? 'sent') : 'none';
    s.dpopNonce = ctx.get('dpop') ? (proof.nonce ?? 'none') : '-';
    s.tokenType = err ? '-' : (token?.tokenType ?? '-');
    if (err) {
        s.errors.set(err.error, (s.errors.get(err.error) ?? 0) + 1);
    }
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

// The resource servers' own DPoP nonce (/resource-nonce/...; rotated by
// /_test/resource-nonce?rotate=1), and the proofs' jti seen
let resourceNonce = randomBytes(16).toString('base64url');
const proofJtis = new Set();
const PROOF_WINDOW = 300;    // seconds, as oidc-provider's own

function newResourceCounts() {
    return { requests: 0, active: 0, dpop: 0, nonce: 0, refused: 0,
             lastError: '' };
}

// Checks the DPoP proof of a request to the resource (RFC 9449 4.3, 7):
// the signature by its embedded jwk with jose, then the claims against
// this request and the token. Returns what it verified; throws a
// message.
async function verifyResourceProof(req, proofs, token, jkt, nonceWanted) {
    if (proofs.length !== 1) {
        throw new Error(`${proofs.length} DPoP headers, want one`);
    }
    let verified;
    try {
        verified = await jwtVerify(proofs[0], EmbeddedJWK,
                                   { typ: 'dpop+jwt', algorithms: ALGS });
    } catch (err) {
        throw new Error(`proof does not verify: ${err.message}`);
    }
    const { payload, protectedHeader } = verified;
    if (protectedHeader.jwk.d !== undefined) {
        throw new Error('jwk holds a private key');
    }
    if (payload.htm !== req.method) {
        throw new Error(`htm ${payload.htm}, want ${req.method}`);
    }
    const scheme = req.socket.encrypted ? 'https' : 'http';
    const want = new URL(req.url, `${scheme}://${req.headers.host}`);
    want.search = '';
    want.hash = '';
    let htu;
    try {
        htu = new URL(payload.htu);
    } catch {
        throw new Error(`htu ${payload.htu} is not a URL`);
    }
    if (htu.search || htu.hash || htu.href !== want.href) {
        throw new Error(`htu ${payload.htu}, want ${want.href}`);
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number'
        || Math.abs(now - payload.iat) > PROOF_WINDOW) {
        throw new Error(`iat ${payload.iat} not within ${PROOF_WINDOW} s`);
    }
    if (typeof payload.jti !== 'string' || !payload.jti) {
        throw new Error('jti missing');
    }
    const ath = createHash('sha256').update(token).digest('base64url');
    if (payload.ath !== ath) {
        throw new Error('ath is not the hash of the access token');
    }
    const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk);
    if (thumbprint !== jkt) {
        throw new Error('proof key is not the key of the token (cnf.jkt)');
    }
    if (proofJtis.has(payload.jti)) {
        throw new Error('jti seen before');
    }
    proofJtis.add(payload.jti);
    if (nonceWanted && payload.nonce !== resourceNonce) {
        const e = new Error(payload.nonce === undefined ? 'no nonce'
                            : 'not the current nonce');
        e.nonce = true;
        throw e;
    }
    return { alg: protectedHeader.alg, jkt: thumbprint, htu: htu.href,
             nonce: payload.nonce ?? 'none' };
}

// /resource/NAME/... and /resource-nonce/NAME/... (the latter wants the
// resource server's DPoP nonce in the proof)
async function resource(req, name, nonceWanted) {
    if (!resourceStats.has(name)) {
        resourceStats.set(name, newResourceCounts());
    }
    const counts = resourceStats.get(name);
    counts.requests += 1;
    const refuse = (why, headers = {}) => {
        counts.refused += 1;
        counts.lastError = why;
        return [401, `resource: ${why}\n`, headers];
    };

    const values = [];
    const proofs = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i].toLowerCase();
        if (name === 'authorization') {
            values.push(req.rawHeaders[i + 1]);
        } else if (name === 'dpop') {
            proofs.push(req.rawHeaders[i + 1]);
        }
    }
    const [, scheme, token] = values.length === 1
        ? /^(Bearer|DPoP) ([\x21-\x7e]+)$/.exec(values[0]) ?? [] : [];

    if (token === undefined) {
        return refuse(`${values.length} Authorization headers, `
                      + 'want one "Bearer <token>" or "DPoP <token>"');
    }

    const answer = await introspect(token);
    if (!answer) {
        return refuse(`token ${cut(token)} is not active`);
    }

    // RFC 9449 7: a bound token only as DPoP, with a proof of its key
    const jkt = answer.cnf?.jkt;
    let dpop = '';
    if (scheme === 'Bearer' && jkt) {
        return refuse('DPoP-bound token sent as Bearer',
                      { 'www-authenticate': 'DPoP error="invalid_token"' });
    }
    if (scheme === 'DPoP') {
        if (!jkt) {
            return refuse('DPoP scheme with a token bound to no key',
                          { 'www-authenticate': 'DPoP error="invalid_token"' });
        }
        let p;
        try {
            p = await verifyResourceProof(req, proofs, token, jkt,
                                          nonceWanted);
        } catch (err) {
            if (err.nonce) {
                counts.nonce += 1;
                return refuse(`use_dpop_nonce: ${err.message}`, {
                    'www-authenticate': 'DPoP error="use_dpop_nonce", '
                        + 'error_description="Resource server requires '
                        + 'nonce in DPoP proof"',
                    'dpop-nonce': resourceNonce,
                });
            }
            return refuse(`DPoP proof refused: ${err.message}`, {
                'www-authenticate': 'DPoP error="invalid_dpop_proof"',
            });
        }
        counts.dpop += 1;
        dpop = `token_type=${answer.token_type} jkt=${jkt}\n`
            + `dpop: verified alg=${p.alg} htm=${req.method} htu=${p.htu}`
            + ` ath=ok nonce=${p.nonce}\n`;
    }

    counts.active += 1;

    return [200, `resource: active client_id=${answer.client_id}`
                 + ` scope="${answer.scope ?? ''}" aud=${answer.aud}`
                 + ` iss=${answer.iss}\n`
                 + `authorization_headers=${values.length}\n` + dpop];
}

function statsText(clientId, detail) {
    const s = statsFor(clientId);
    const errorCounts = [...s.errors].sort().map(([e, n]) => `${e}:${n}`);
    return [
        `token_requests=${s.requests}`,
        `granted=${s.granted}`,
        `refused=${s.refused}`,
        `jti=${s.jtis.length} distinct=${new Set(s.jtis).size}`,
        `alg=${s.alg} kid=${s.kid}`,
        `aud=${s.aud}`,
        `last_error=${s.lastError}`,
        ...(detail ? [
            `auth=${s.auth}`,
            `x5t#S256=${s.x5t}`,
            `cert=${s.cert}`,
            `params=${s.params}`,
            `resource=${s.resource}`,
            `dpop=${s.dpop}`,
            `dpop_nonce=${s.dpopNonce}`,
            `token_type=${s.tokenType}`,
            `errors=${errorCounts.join(',')}`,
        ] : []),
        '',
    ].join('\n');
}

function resourceText(name, detail) {
    const counts = resourceStats.get(name) ?? newResourceCounts();
    return `requests=${counts.requests}\nactive=${counts.active}\n`
        + (detail ? `dpop=${counts.dpop}\nuse_dpop_nonce=${counts.nonce}\n`
                    + `refused=${counts.refused}\n`
                    + `last_error=${counts.lastError}\n` : '');
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
        return [200, statsText(clientId, url.searchParams.has('detail'))];
    case '/_test/resource-nonce':
        if (url.searchParams.has('rotate')) {
            resourceNonce = randomBytes(16).toString('base64url');
        }
        return [200, `nonce=${resourceNonce}\n`];
    case '/_test/replay':
        return replay(clientId, port);
    case '/_test/resource':
        return [200, resourceText(url.searchParams.get('name') ?? '',
                                  url.searchParams.has('detail'))];
    default:
        return [404, 'unknown test endpoint\n'];
    }
}

function handler(provider, plainPort) {
    const callback = provider.callback();

    return (req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        const [, kind, name] = /^\/(resource|resource-nonce)\/([^/]*)/
            .exec(url.pathname) ?? [];
        const own = name !== undefined
            ? resource(req, name, kind === 'resource-nonce')
            : url.pathname.startsWith('/_test/')
                ? testEndpoint(url, plainPort) : null;

        res.on('finish', () => log(
            `${req.method} ${req.socket.localPort} ${url.pathname}`
            + ` -> ${res.statusCode}`));

        if (!own) {
            callback(req, res);
            return;
        }

        own.then(([status, body, headers = {}]) => {
            res.writeHead(status, { 'content-type': 'text/plain',
                                    ...headers });
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
    // provider "op" again, asking for a client certificate (verified
    // against the test CA, but one from elsewhere, or none, is let in:
    // oidc-provider's mTLS feature judges it)
    mtls: https.createServer({
        cert: readFileSync(`${args.keys}/tls.crt`),
        key: readFileSync(`${args.keys}/tls.key`),
        ca: readFileSync(`${args.keys}/ca.crt`),
        requestCert: true,
        rejectUnauthorized: false,
    }),
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
servers.mtls.on('request', handler(op, ports.http));
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
