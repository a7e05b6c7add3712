// The self-check of t/interop/server.mjs: plays, with jose and node's
// http(s), the clients the module cannot be yet (DPoP with nonces,
// client secrets, client_secret_jwt, x5t#S256, tls_client_auth,
// self_signed_tls_client_auth, none, resource indicators), so that the
// referee of issues 12 and 13 is itself tested: each client must get a
// token oidc-provider's introspection calls active, and each wrong
// request must be refused.
//
//   node selfcheck.mjs --keys DIR        (make interop-selfcheck)
//
// Starts server.mjs on ports of its own, prints one line per check and
// "N passed, N failed"; exits 1 when a check failed.

import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
    SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair,
} from 'jose';

const { values: args } = parseArgs({ options: { keys: { type: 'string' } } });
if (!args.keys) {
    console.error('usage: node selfcheck.mjs --keys DIR');
    process.exit(2);
}
const KEYS = args.keys;
const HERE = dirname(fileURLToPath(import.meta.url));

let passed = 0;
let failed = 0;

function check(ok, name, diag) {
    if (ok) {
        passed += 1;
        console.log(`ok - ${name}`);
    } else {
        failed += 1;
        console.log(`NOT OK - ${name}`);
        if (diag !== undefined) {
            console.log(`#   ${String(diag).replace(/\n/g, '\n#   ')}`);
        }
    }
    return ok;
}

// --- the server --------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'interop-selfcheck-'));
const ready = join(dir, 'ports');
const server = spawn(process.execPath,
                     [join(HERE, 'server.mjs'), '--keys', KEYS, '--ready',
                      ready, '--watch-pid', String(process.pid)],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
server.stdout.on('data', (d) => { serverLog += d; });
server.stderr.on('data', (d) => { serverLog += d; });

function finish(code) {
    server.kill('SIGTERM');
    if (code !== 0 || process.env.TEST_NGINX_NO_CLEAN) {
        console.log(`# server log:\n${serverLog.replace(/^/gm, '#   ')}`);
    }
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
}

const deadline = Date.now() + 20000;
while (!existsSync(ready)) {
    if (Date.now() > deadline || server.exitCode !== null) {
        console.log('NOT OK - server.mjs started');
        finish(1);
    }
    await new Promise((r) => { setTimeout(r, 50); });
}
const port = Object.fromEntries(readFileSync(ready, 'utf8').trim().split('\n')
    .map((l) => l.split('=')).map(([k, v]) => [k, Number(v)]));
const OP = `http://127.0.0.1:${port.http}`;
const TOKEN = `${OP}/token`;
const MTLS_TOKEN = `https://127.0.0.1:${port.mtls}/token`;
const CA = readFileSync(`${KEYS}/ca.crt`);
const SECRET = readFileSync(`${KEYS}/client.secret`, 'latin1');

// --- HTTP --------------------------------------------------------------
function send(url, { method = 'GET', headers = {}, body, tls = {} } = {}) {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
        const req = lib.request(u, {
            method,
            headers: { ...headers,
                       ...(body !== undefined
                           ? { 'content-length': Buffer.byteLength(body) }
                           : {}) },
            ca: CA,
            servername: 'localhost',
            ...(tls.cert ? { cert: readFileSync(`${KEYS}/${tls.cert}.crt`),
                             key: readFileSync(`${KEYS}/${tls.cert}.key`) }
                : {}),
        }, (res) => {
            let data = '';
            res.setEncoding('utf8');
            res.on('data', (c) => { data += c; });
            res.on('end', () => {
                let json;
                try { json = JSON.parse(data); } catch { json = undefined; }
                resolve({ status: res.statusCode, headers: res.headers, data,
                          json });
            });
        });
        req.on('error', reject);
        req.end(body);
    });
}

// RFC 6749 2.3.1 / WHATWG application/x-www-form-urlencoded
const formEncode = (s) => new URLSearchParams({ s }).toString().slice(2);

function tokenRequest({ url = TOKEN, form = {}, headers = {}, tls } = {}) {
    return send(url, {
        method: 'POST', tls,
        headers: { 'content-type': 'application/x-www-form-urlencoded',
                   accept: 'application/json', ...headers },
        body: new URLSearchParams({ grant_type: 'client_credentials',
                                    scope: 'api:read', ...form }).toString(),
    });
}

const privateKey = (name) => createPrivateKey(
    readFileSync(`${KEYS}/${name}.pem`));

async function assertion(clientId, { alg = 'ES256', key = 'ec1', kid,
                                     header = {}, aud = TOKEN,
                                     secret } = {}) {
    const k = secret !== undefined ? Buffer.from(secret, 'latin1')
        : privateKey(key);
    return new SignJWT({ jti: randomBytes(12).toString('hex') })
        .setProtectedHeader({ alg, typ: 'JWT',
                              ...(kid === null ? {} : { kid: kid ?? key }),
                              ...header })
        .setIssuer(clientId).setSubject(clientId).setAudience(aud)
        .setIssuedAt().setExpirationTime('5m')
        .sign(k);
}

const jwtForm = async (clientId, opts) => ({
    client_assertion_type:
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(clientId, opts),
});

// The DPoP key of this run, and proofs of it
const dpopKeys = await generateKeyPair('ES256');
const dpopJwk = await exportJWK(dpopKeys.publicKey);
const dpopJkt = await calculateJwkThumbprint(dpopJwk);

async function proof({ htm = 'POST', htu = TOKEN, nonce, token,
                       key = dpopKeys.privateKey, jwk = dpopJwk } = {}) {
    return new SignJWT({
        htm, htu, jti: randomBytes(12).toString('hex'),
        ...(nonce ? { nonce } : {}),
        ...(token ? { ath: createHash('sha256').update(token)
            .digest('base64url') } : {}),
    }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt().sign(key);
}

async function stats(clientId) {
    const r = await send(`${OP}/_test/stats?client=${clientId}&detail=1`);
    return Object.fromEntries(r.data.trim().split('\n').map((l) => {
        const i = l.indexOf('=');
        return [l.slice(0, i), l.slice(i + 1)];
    }));
}

// A token and what the resource says about it (Bearer)
async function granted(name, r, clientId, want = {}) {
    const ok = check(r.status === 200 && typeof r.json?.access_token
                     === 'string' && r.json.token_type
                     === (want.tokenType ?? 'Bearer'),
                     `${name}: 200, token_type ${want.tokenType ?? 'Bearer'}`,
                     `${r.status} ${r.data}`);
    if (!ok || want.tokenType === 'DPoP') {
        return r.json?.access_token;
    }
    const res = await send(`${OP}/resource/selfcheck/x`, {
        headers: { authorization: `Bearer ${r.json.access_token}` } });
    check(res.status === 200 && res.data.startsWith(
        `resource: active client_id=${clientId} `)
          && (!want.aud || res.data.includes(` aud=${want.aud} `)),
          `${name}: the resource finds the token active`
          + (want.aud ? ` for ${want.aud}` : ''), res.data);
    return r.json.access_token;
}

function refused(name, r, error, detailRe, s) {
    check(r.status >= 400 && r.json?.error === error
          && (!detailRe || detailRe.test(s?.last_error ?? '')),
          `${name}: ${error}` + (detailRe ? ` (${detailRe.source})` : ''),
          `${r.status} ${r.data} / ${s?.last_error}`);
}

// --- DPoP, nonces required ----------------------------------------------
{
    const id = 'nginx-dpop-es256';
    let r = await tokenRequest({ form: await jwtForm(id),
                                 headers: { dpop: await proof() } });
    const nonce = r.headers['dpop-nonce'];
    check(r.status === 400 && r.json?.error === 'use_dpop_nonce'
          && typeof nonce === 'string' && nonce.length > 10,
          'DPoP: the first proof, without nonce: 400 use_dpop_nonce + DPoP-Nonce',
          `${r.status} ${r.data}`);
    r = await tokenRequest({ form: await jwtForm(id),
                             headers: { dpop: await proof({ nonce }) } });
    const token = await granted('DPoP: the retry with the nonce', r, id,
                                { tokenType: 'DPoP' });
    let s = await stats(id);
    check(s.dpop === dpopJkt && s.dpop_nonce === nonce && s.token_type === 'DPoP'
          && s.errors === 'use_dpop_nonce:1' && s.auth === 'private_key_jwt',
          'DPoP: /_test/stats detail: jkt, nonce, token_type, errors',
          JSON.stringify(s));

    const api = `${OP}/resource/dpop/x`;
    const call = async (hdrs, url = api) => send(url, { headers: hdrs });
    r = await call({ authorization: `DPoP ${token}`,
                     dpop: await proof({ htm: 'GET', htu: api, token }) });
    check(r.status === 200 && r.data.includes(`token_type=DPoP jkt=${dpopJkt}\n`)
          && r.data.includes(`dpop: verified alg=ES256 htm=GET htu=${api} ath=ok`),
          'DPoP: the resource verifies token and proof', r.data);
    r = await call({ authorization: `DPoP ${token}`,
                     dpop: await proof({ htm: 'GET', htu: `${api}`, token }) },
                   `${api}?q=1`);
    check(r.status === 200, 'DPoP: htu without the query', r.data);
    r = await call({ authorization: `Bearer ${token}` });
    check(r.status === 401 && /sent as Bearer/.test(r.data),
          'DPoP: the bound token as Bearer is refused', r.data);
    r = await call({ authorization: `DPoP ${token}` });
    check(r.status === 401 && /0 DPoP headers/.test(r.data),
          'DPoP: no proof is refused', r.data);
    r = await call({ authorization: `DPoP ${token}`,
                     dpop: await proof({ htm: 'GET', htu: api,
                                         token: 'another' }) });
    check(r.status === 401 && /ath/.test(r.data), 'DPoP: a wrong ath is refused',
          r.data);
    const other = await generateKeyPair('ES256');
    r = await call({ authorization: `DPoP ${token}`,
                     dpop: await proof({ htm: 'GET', htu: api, token,
                                         key: other.privateKey,
                                         jwk: await exportJWK(other.publicKey) }) });
    check(r.status === 401 && /cnf\.jkt/.test(r.data),
          'DPoP: a proof of another key is refused', r.data);
    r = await call({ authorization: `DPoP ${token}`,
                     dpop: await proof({ htm: 'POST', htu: api, token }) });
    check(r.status === 401 && /htm/.test(r.data), 'DPoP: a wrong htm is refused',
          r.data);
    const once = await proof({ htm: 'GET', htu: api, token });
    await call({ authorization: `DPoP ${token}`, dpop: once });
    r = await call({ authorization: `DPoP ${token}`, dpop: once });
    check(r.status === 401 && /jti/.test(r.data), 'DPoP: a replayed proof is refused',
          r.data);

    const napi = `${OP}/resource-nonce/dpop/x`;
    r = await call({ authorization: `DPoP ${token}`,
                     dpop: await proof({ htm: 'GET', htu: napi, token }) }, napi);
    const rn = r.headers['dpop-nonce'];
    check(r.status === 401 && /use_dpop_nonce/.test(r.headers['www-authenticate'])
          && rn, 'DPoP: /resource-nonce/ wants the resource server nonce', r.data);
    r = await call({ authorization: `DPoP ${token}`,
                     dpop: await proof({ htm: 'GET', htu: napi, token,
                                         nonce: rn }) }, napi);
    check(r.status === 200 && r.data.includes(`nonce=${rn}`),
          'DPoP: /resource-nonce/ with it', r.data);
    const rs = await send(`${OP}/_test/resource?name=dpop&detail=1`);
    check(/^dpop=\d+\nuse_dpop_nonce=1\n/m.test(rs.data),
          'DPoP: /_test/resource detail counts', rs.data);

    r = await tokenRequest({ form: await jwtForm(id) });
    refused('DPoP: a dpop_bound_access_tokens client without proof', r,
            'invalid_grant', /DPoP proof JWT not provided/, await stats(id));
    r = await tokenRequest({ form: await jwtForm('nginx-dpop-rs256',
                                                 { alg: 'RS256', key: 'rsa1' }),
                             headers: { dpop: await proof({ nonce }) } });
    await granted('DPoP: RS256 client assertion', r, 'nginx-dpop-rs256',
                  { tokenType: 'DPoP' });
    r = await tokenRequest({ form: await jwtForm('nginx-rs256',
                                                 { alg: 'RS256', key: 'rsa1' }) });
    await granted('a client without DPoP still gets Bearer', r, 'nginx-rs256');
}

// --- client authentication methods --------------------------------------
{
    check(/:/.test(SECRET) && SECRET.includes('%41') && /\+/.test(SECRET)
          && / /.test(SECRET), 'the secret has ":", "%41", "+" and a space');
    const basic = (id, secret, raw) => `Basic ${Buffer.from(
        raw ? `${id}:${secret}` : `${formEncode(id)}:${formEncode(secret)}`,
        'latin1').toString('base64')}`;
    let r = await tokenRequest({
        headers: { authorization: basic('nginx-basic', SECRET) } });
    await granted('client_secret_basic, form-encoded (RFC 6749 2.3.1)', r,
                  'nginx-basic');
    check((await stats('nginx-basic')).auth === 'client_secret_basic',
          'client_secret_basic: stats say auth=client_secret_basic');
    r = await tokenRequest({
        headers: { authorization: basic('nginx-basic', SECRET, true) } });
    // oidc-provider form-decodes both: "%&" of the raw secret is no
    // %-escape
    refused('client_secret_basic, not form-encoded', r, 'invalid_request',
            /not properly encoded/, await stats('nginx-basic'));
    r = await tokenRequest({ headers: { authorization: basic('nginx-basic',
                                                             'wrong') } });
    refused('client_secret_basic, a wrong secret', r, 'invalid_client');

    r = await tokenRequest({ form: { client_id: 'nginx-post',
                                     client_secret: SECRET } });
    await granted('client_secret_post', r, 'nginx-post');
    check((await stats('nginx-post')).auth === 'client_secret_post',
          'client_secret_post: stats say auth=client_secret_post');
    r = await tokenRequest({ form: { client_id: 'nginx-post',
                                     client_secret: `${SECRET}x` } });
    refused('client_secret_post, a wrong secret', r, 'invalid_client');

    for (const alg of ['HS256', 'HS384', 'HS512']) {
        const id = `nginx-${alg.toLowerCase()}`;
        r = await tokenRequest({ form: await jwtForm(id, { alg, kid: null,
                                                           secret: SECRET }) });
        await granted(`client_secret_jwt ${alg}`, r, id);
    }
    r = await tokenRequest({ form: await jwtForm('nginx-hs256', {
        alg: 'HS384', kid: null, secret: SECRET }) });
    refused('client_secret_jwt, another alg than registered', r,
            'invalid_client', /alg mismatch/, await stats('nginx-hs256'));
    r = await tokenRequest({ form: await jwtForm('nginx-secret-jwt', {
        alg: 'HS256', kid: null, secret: 'wrong' }) });
    refused('client_secret_jwt, a wrong secret', r, 'invalid_client');

    const thumb = (name, hash = 'sha256') => createHash(hash).update(
        Buffer.from(readFileSync(`${KEYS}/${name}`, 'utf8')
            .replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('base64url');
    r = await tokenRequest({ form: await jwtForm('nginx-x5t', {
        alg: 'RS256', key: 'rsa1', kid: null,
        header: { 'x5t#S256': thumb('rsa1.crt') } }) });
    await granted('private_key_jwt with x5t#S256 (no kid)', r, 'nginx-x5t');
    check((await stats('nginx-x5t'))['x5t#S256'] === thumb('rsa1.crt'),
          'x5t#S256: stats show it');
    r = await tokenRequest({ form: await jwtForm('nginx-x5t-ps256', {
        alg: 'PS256', key: 'rsa1',
        header: { 'x5t#S256': thumb('rsa1.crt'),
                  x5t: thumb('rsa1.crt', 'sha1') } }) });
    await granted('x5t#S256 and x5t, PS256', r, 'nginx-x5t-ps256');
    r = await tokenRequest({ form: await jwtForm('nginx-x5t-es256', {
        header: { 'x5t#S256': thumb('ec1.crt') } }) });
    await granted('x5t#S256 of ec1.crt, ES256', r, 'nginx-x5t-es256');
    r = await tokenRequest({ form: await jwtForm('nginx-x5t', {
        alg: 'RS256', key: 'rsa1' }) });
    refused('x5t#S256 missing', r, 'invalid_client', /x5t#S256 header missing/,
            await stats('nginx-x5t'));
    r = await tokenRequest({ form: await jwtForm('nginx-x5t', {
        alg: 'RS256', key: 'rsa1',
        header: { 'x5t#S256': thumb('rsa1-other.crt') } }) });
    refused('x5t#S256 of another certificate', r, 'invalid_client',
            /not the thumbprint/, await stats('nginx-x5t'));
    r = await tokenRequest({ form: await jwtForm('nginx-x5t', {
        alg: 'RS256', key: 'rsa2', kid: null,
        header: { 'x5t#S256': thumb('rsa1.crt') } }) });
    refused('x5t#S256 right, signed by another key', r, 'invalid_client');

    const mtls = (id, cert) => tokenRequest({
        url: MTLS_TOKEN, form: { client_id: id },
        tls: cert ? { cert } : {} });
    await granted('tls_client_auth with client.crt', await mtls('nginx-mtls',
                                                               'client'),
                  'nginx-mtls');
    const ms = await stats('nginx-mtls');
    check(ms.auth === 'tls' && /^CN=oauth2-test-client [\w-]{43}$/.test(ms.cert),
          'tls_client_auth: stats show the certificate', JSON.stringify(ms));
    refused('tls_client_auth, another subject', await mtls('nginx-mtls',
                                                           'client2'),
            'invalid_client', /subject value does not match/,
            await stats('nginx-mtls'));
    refused('tls_client_auth, an untrusted CA', await mtls('nginx-mtls',
                                                           'rogue'),
            'invalid_client', /not verified/, await stats('nginx-mtls'));
    refused('tls_client_auth, no certificate', await mtls('nginx-mtls'),
            'invalid_client', /not provided/, await stats('nginx-mtls'));
    r = await tokenRequest({ form: { client_id: 'nginx-mtls' } });
    refused('tls_client_auth over plain HTTP', r, 'invalid_client');
    await granted('self_signed_tls_client_auth', await mtls('nginx-self-signed',
                                                            'selfsigned'),
                  'nginx-self-signed');
    refused('self_signed_tls_client_auth, another certificate',
            await mtls('nginx-self-signed', 'client'), 'invalid_client',
            /unregistered/, await stats('nginx-self-signed'));
    r = await tokenRequest({ form: { client_id: 'nginx-none' } });
    await granted('none', r, 'nginx-none');

    // DPoP with a client secret
    r = await tokenRequest({ headers: {
        authorization: basic('nginx-basic-dpop', SECRET),
        dpop: await proof() } });
    const n = r.headers['dpop-nonce'];
    r = await tokenRequest({ headers: {
        authorization: basic('nginx-basic-dpop', SECRET),
        dpop: await proof({ nonce: n }) } });
    await granted('client_secret_basic and DPoP', r, 'nginx-basic-dpop',
                  { tokenType: 'DPoP' });
}

// --- resource indicators (RFC 8707) ------------------------------------
{
    const orders = 'https://api.example.test/orders';
    let r = await tokenRequest({ form: { ...await jwtForm('nginx-resource', {
        alg: 'RS256', key: 'rsa1' }), resource: orders } });
    await granted('resource: a token for it', r, 'nginx-resource',
                  { aud: orders });
    check((await stats('nginx-resource')).resource === orders,
          'resource: stats show it');
    r = await tokenRequest({ form: { ...await jwtForm('nginx-resource', {
        alg: 'RS256', key: 'rsa1' }) } });
    await granted('no resource: the default one', r, 'nginx-resource',
                  { aud: 'urn:interop:api' });
    r = await tokenRequest({ form: { ...await jwtForm('nginx-resource', {
        alg: 'RS256', key: 'rsa1' }), resource: 'https://evil.example/' } });
    refused('an unknown resource', r, 'invalid_target');
}

console.log(`${passed} passed, ${failed} failed`);
finish(failed ? 1 : 0);
