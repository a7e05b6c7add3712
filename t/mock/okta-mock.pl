#!/usr/bin/env perl
# okta-mock.pl - a mock Okta authorization server and protected API for the
# tests of ngx_http_oauth2_client_module.
#
# usage: okta-mock.pl --port P --keys DIR --state DIR [--host 127.0.0.1]
#                     [--tls-port P] [--pidfile F] [--watch-pid PID]
#
# --tls-port: the same endpoints over HTTPS too (DIR/tls.crt, DIR/tls.key),
# asking for a client certificate (verified against DIR/ca.crt, but a
# connection without one, or with another, is served all the same: the
# token endpoint answers invalid_client, as a real server would).
#
# --watch-pid: exit (like on SIGTERM) once that process is gone, so a test
# killed before its END block ran does not leave the mock behind.
#
# The token endpoint verifies every client authentication and DPoP proof
# with Crypt::JWT/CryptX, a JOSE implementation independent of the module's
# own, and answers like Okta's org authorization server. Paths may carry a
# segment pair /s/<scenario>/ to get a canned behaviour instead (see
# @SCENARIOS).
#
# Clients: no registry. The words of a client_id between its dashes say
# how it is registered; it must start with 0oa. At most one method word:
#   basic       client_secret_basic: Authorization: Basic base64(
#               form-encode(id) ":" form-encode(secret)) (RFC 6749 2.3.1:
#               raw bytes a form encoder would have escaped are refused)
#   post        client_secret_post: client_id and client_secret in the body
#   secretjwt   client_secret_jwt: HS256/384/512 assertion keyed with the
#               secret
#   x5t         private_key_jwt whose header must carry x5t#S256 (and may
#               carry x5t) of a registered certificate, DIR/NAME.crt with a
#               DIR/NAME.pub.pem (rsa1.crt, ec1.crt): its key verifies. Any
#               assertion with x5t#S256 is checked that way.
#   mtls        tls_client_auth: client_id in the body, over --tls-port with
#               a certificate the test CA signed for CN=oauth2-test-client
#   selfsigned  self_signed_tls_client_auth: client_id, over --tls-port
#               with DIR/selfsigned.crt
#   none        client_id only
#   (none of these) private_key_jwt, keys DIR/<kid>.pub.pem, as always
# and besides:
#   dpop        DPoP required: no proof -> 400 invalid_dpop_proof "The DPoP
#               proof JWT header is missing." (Okta's words)
#   utf8        the secret is DIR/client-utf8.secret, not DIR/client.secret
# e.g. 0oa-basic, 0oa-post-dpop, 0oa-secretjwt-utf8, 0oa-x5t, 0oa-mtls.
# Refusals use Okta's words where Okta has some (wrong secret: 401
# invalid_client "The client secret supplied for a confidential client is
# invalid."; a method the client is not registered for, or no credentials:
# 401 invalid_client "Client authentication failed. ..."; two methods at
# once: 400 invalid_request "Cannot supply multiple client credentials.
# ..."); the check that failed is in the log and in /_stats?detail=1.
#
# Parameters besides Okta's: client_id, client_secret, resource (RFC 8707,
# repeatable: https://api.example.test/... and urn:okta-mock:... are known,
# others 400 invalid_target), audience (Auth0: the same known set, others
# 403 access_denied "Service not found: X"), and x_<name> (anything
# else); the token's aud is the resource(s) or audience (default
# api://okta-mock). Headers besides Okta's: DPoP, Authorization: Basic,
# X-Extra-<name>.
#
# DPoP (RFC 9449): a token request with a DPoP header gets it verified
# (typ dpop+jwt; an asymmetric alg; jwk public only, fitting the alg;
# signature by that jwk; htm POST; htu = the token endpoint URL: scheme of
# the listener, and the listener's address or the Host header, with the
# request path, no query, normalized; iat within the last 60 s (5 s ahead
# allowed); jti never seen, token endpoint and API sharing one store; no
# ath), and the token is bound to the key: cnf.jkt = RFC 7638 thumbprint,
# token_type DPoP. Refusals: 400 invalid_dpop_proof "DPoP proof: <why>".
# The assertion's jti is spent before the proof is judged, so a retry
# needs a new assertion too. Nonces are per token path (/_nonce): a proof
# that carries one must carry the current one (or one kept by grace=1),
# else 400 use_dpop_nonce "Authorization server requires nonce in DPoP
# proof." with DPoP-Nonce: <current>. Scenarios dpop-required,
# dpop-nonce, dpop-nonce-always, dpop-as-bearer.
#
# Endpoints
#   <any path ending in /v1/token>   token endpoint (POST), counted per path
#   /api/...                         protected API, wants a token issued here:
#                                    "Bearer <token>", or for a DPoP-bound one
#                                    "DPoP <token>" and a DPoP proof (htm the
#                                    method, htu its own URL without query,
#                                    ath, the key of cnf.jkt, jti unused, iat)
#   /api-nonce/...                   the same, and a DPoP proof must carry the
#                                    API's nonce: else 401 WWW-Authenticate:
#                                    DPoP error="use_dpop_nonce" + DPoP-Nonce;
#                                    an old one kept by rotate=1&grace=1 is
#                                    taken, the 200 has the current one in
#                                    DPoP-Nonce, the body "nonce=N (old,
#                                    DPoP-Nonce sent)"
#   /api401/...                      401 "api: revoked\n" whatever the token
#   /capture/...[?body=B][&stale=1]  a host that must never see a token: the
#                                    request is recorded (see /_headers), the
#                                    answer is 200 text/html B (default
#                                    "captured <path>\n"), 206 for a Range
#                                    "bytes=N-M"; stale=1 adds
#                                    "X-Accel-Expires: @1" (cached, stale)
#   GET /_stats/<token path>         "calls=N\nheaders=a,b\nlast_scope=S\n"
#                                    ?times=1 adds "times=<ms>,<ms>...\n"
#                                    ?detail=1 adds what the last verified
#                                    request was (canned scenarios leave it)
#                                    (token paths: client_id auth alg kid
#                                    x5t#S256 cert params resource audience
#                                    dpop dpop_nonce token_type status; API
#                                    paths: scheme dpop dpop_nonce htu
#                                    status; "-" when none) and errors=
#                                    <error>:<count>,... of all refusals
#   GET /_nonce?path=<token path>    "nonce=N\n", the DPoP nonce it wants now;
#   GET /_nonce?api=1                the API's; &rotate=1 a new one (the old
#                                    refused), &rotate=1&grace=1 (the old
#                                    still taken, and a 200 then announces
#                                    the new one in DPoP-Nonce)
#                                    ?inflight=1 adds "inflight=N\n
#                                    max_inflight=N\naborted=N\n": token
#                                    requests being answered now, the most
#                                    at once, those whose client hung up
#                                    before the whole answer
#   GET /_headers/<path>             last request's headers, "name: value" lines
#   GET /_hup?pidfile=<abs path>     SIGHUP that process, wait for a new child
#   GET /_reset                      forget counters, headers, jtis, times,
#                                    nonces, details and /_fail overrides
#   GET /_sleep?ms=N                 answer "slept" after N ms (max 30000)
#   GET /_fail?path=P&scenario=S[&count=N]
#                                    the next N (default: all) requests to the
#                                    token path P behave as scenario S
#   GET /_fail?path=P&clear=1        remove that override
#   GET /_burst?port=P&path=U&n=N&c=C[&timeout_ms=T][&host=H]
#                                    N GETs to H:P (loopback), C at a time;
#                                    answers counts per status and max_ms;
#                                    a GET not answered within T ms (30000)
#                                    is given up, its connection closed,
#                                    and counted in errors
#   GET /_keepalive?port=P&path=U&seconds=S[&slow_ms=T][&interval_ms=I]
#                   [&host=H][&watch=W]
#                                    GETs one after another on one
#                                    keep-alive connection for S s, I ms
#                                    (0) apart; answers counts, max_ms and
#                                    slow (over T ms); with W (a token
#                                    path), in_flight: the GETs answered
#                                    while a token request to W was in
#                                    flight
#   GET /_h2reset?port=P&path=U&n=N[&after_ms=M][&host=H]
#                                    one HTTP/2 (h2c) connection, N streams
#                                    GET U one after another, each reset
#                                    (RST_STREAM) M ms (50) after it opened
#                                    unless answered first; needs
#                                    /usr/bin/python3 with python3-h2
#   GET /_fire?port=P&path=U[&host=H]
#                                    one GET sent before the answer "fired",
#                                    its response read (and dropped) afterwards
#   GET /_load?port=P&path=U&seconds=S&c=C[&slow_ms=T][&host=H]
#                                    C clients sending GETs back to back for S s
#   GET /_mint[?size=N][&expires_in=S]
#                                    a token of N bytes, as the body (bench/)
#
# One child process per connection, so a slow answer (a delay, /_sleep,
# /_burst, /_load) never blocks another; all state shared between children
# lives in files under --state, guarded by flock. Every request is logged as
# one line on stderr; assertions and tokens are never logged beyond an
# 8-character prefix.

use strict;
use warnings;
use 5.036;

use Getopt::Long qw(GetOptions);
use IO::Socket::INET;
use IO::Select;
use IO::Handle;
use IO::Poll qw(POLLIN POLLOUT POLLERR POLLHUP);
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_ERROR inet_aton pack_sockaddr_in);
use Errno qw(EINPROGRESS EAGAIN EWOULDBLOCK EINTR EMFILE ENFILE);
use IO::Compress::Gzip qw(gzip $GzipError);
use POSIX qw(WNOHANG strftime);
use Fcntl qw(:flock O_WRONLY O_CREAT O_EXCL);
use Time::HiRes qw(sleep time);
use JSON::PP;
use B ();
use Crypt::JWT qw(encode_jwt decode_jwt);
use Crypt::PK::RSA;
use Crypt::PK::ECC;
use Crypt::Misc qw(decode_b64u encode_b64u);
use Crypt::PRNG qw(random_bytes_hex random_bytes);
use Crypt::Digest::SHA256 qw(sha256_hex sha256);
use Crypt::Digest::SHA1 qw(sha1);
use MIME::Base64 qw(decode_base64);

my %opt = (host => '127.0.0.1');
GetOptions(\%opt, 'port=i', 'keys=s', 'state=s', 'host=s', 'pidfile=s', 'watch-pid=i',
           'tls-port=i')
    && $opt{port} && $opt{keys} && $opt{state}
    or die "usage: $0 --port P --keys DIR --state DIR [--host H] [--tls-port P]"
         . " [--pidfile F] [--watch-pid PID]\n";

-d $opt{keys} or die "$0: key directory $opt{keys} does not exist\n";

my $JSON = JSON::PP->new->canonical;

# Token endpoint rules (see /work/shared/okta.md)
# (and Authorization: Basic, X-Extra-*: see verify_token_request)
my %ALLOWED_HEADERS = map { $_ => 1 } qw(
    host connection content-length content-type accept user-agent
    x-forwarded-for x-real-ip x-request-id x-worker-pid dpop
);
# (and x_<name>: see verify_token_request)
my %ALLOWED_PARAMS = map { $_ => 1 } qw(
    grant_type scope client_assertion_type client_assertion client_id
    client_secret resource audience
);
my %GRANTABLE_SCOPES = map { $_ => 1 } qw(
    okta.users.read okta.groups.read okta.apps.read
);
my $ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
my $CLOCK_SKEW     = 5;      # seconds of tolerance for exp/iat
my $MAX_LIFETIME   = 3600;   # assertion exp at most one hour ahead
my $DEFAULT_EXPIRES_IN = 3600;
my $DEFAULT_AUD    = 'api://okta-mock';    # of a token asked for no resource
my $MAX_BODY       = 1 << 20;

# Curves RFC 7518 prescribes for each ECDSA alg, by OID, and the size of
# one of R and S in the fixed-length (not DER) JWS signature.
my %EC_CURVE = (
    ES256 => ['1.2.840.10045.3.1.7', 32, 'P-256'],
    ES384 => ['1.3.132.0.34',        48, 'P-384'],
    ES512 => ['1.3.132.0.35',        66, 'P-521'],
);
# Okta's set, and PS256/384/512, which Okta does not take but the module
# can sign: the mock verifies them with Crypt::JWT all the same
my %ACCEPTED_ALG = map { $_ => 1 } qw(RS256 RS384 RS512 ES256 ES384 ES512
                                      PS256 PS384 PS512);

# ---------------------------------------------------------------------------
# Scenarios: /s/<name>/ in the token path. Each entry matches the name with a
# regex; captures are passed on. Either
#   verify => 1 : the request is verified as usual; optional
#                 expires_in => sub { ... }, delay_ms => sub { ... },
#                 token_size => sub { ... }, trickle_ms => sub { ... } (a
#                 delay or a trickle ends early if the client hangs up), and
#                 for DPoP dpop_required => 1, dpop_nonce => 'required' |
#                 'always', dpop_as_bearer => 1
#   reply  => sub { my ($ctx, @captures) = @_; return ($status, \@headers, $body) }
#                 a canned answer; the request is NOT verified.
# $ctx has: client_id (unverified iss, for minting), scope, now, headers
# (the request's [[name, value]...], names lowercased).
# A reply with status 0 closes the connection without any answer; one with
# status -1 sends its body as the whole answer, verbatim, then closes.
# Helper token_body(...) builds an Okta-like success body with a real token;
# pairs override or (value undef) remove fields; values are raw JSON.
# ---------------------------------------------------------------------------
my $RATE_LIMIT_BODY =
    '{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit'
    . ' due to too many requests.","errorLink":"E0000047","errorId":"oae1",'
    . '"errorCauses":[]}';

my @SCENARIOS = (
    [ qr/^ok$/ => { verify => 1 } ],
    [ qr/^expires-(\d+)$/ => { verify => 1, expires_in => sub { 0 + $_[0] } } ],
    [ qr/^expires-huge$/  => { verify => 1, expires_in => sub { 999999999 } } ],
    [ qr/^delay-(\d+)$/   => { verify => 1, delay_ms => sub { $_[0] } } ],
    # the status line and headers of a good answer at once, then its body
    # one byte every <ms> (default 1000): nginx's read timeout restarts
    # with every byte
    [ qr/^trickle(?:-(\d+))?$/ => { verify => 1, trickle_ms => sub { $_[0] // 1000 } } ],
    # a good answer that tells nginx not to buffer it (X-Accel-Buffering:
    # no); with trickle-<ms>, its body trickled as above
    [ qr/^unbuffered$/ => { verify => 1, unbuffered => 1 } ],
    [ qr/^unbuffered-trickle-(\d+)$/ => { verify => 1, unbuffered => 1,
        trickle_ms => sub { $_[0] } } ],
    # short-lived tokens from a slow server: a request that waited for a
    # fetch would take that long
    [ qr/^expires-(\d+)-delay-(\d+)$/ => { verify => 1,
        expires_in => sub { 0 + $_[0] }, delay_ms => sub { $_[1] } } ],
    # tokens of an exact length (bytes, 300..16384), as Okta's with many
    # scopes: a "pad" claim fills the JWT up (bench/, zone capacity)
    [ qr/^size-(\d+)$/ => { verify => 1, token_size => sub { 0 + $_[0] } } ],
    # DPoP (RFC 9449): a proof required whatever the client; a nonce
    # required (first answer 400 use_dpop_nonce with a DPoP-Nonce); every
    # proof refused with a new nonce; a DPoP request answered Bearer
    [ qr/^dpop-required$/    => { verify => 1, dpop_required => 1 } ],
    [ qr/^dpop-nonce$/       => { verify => 1, dpop_nonce => 'required' } ],
    [ qr/^dpop-nonce-always$/ => { verify => 1, dpop_nonce => 'always' } ],
    [ qr/^dpop-as-bearer$/   => { verify => 1, dpop_as_bearer => 1 } ],
    [ qr/^expires-(\d+)-size-(\d+)$/ => { verify => 1,
        expires_in => sub { 0 + $_[0] }, token_size => sub { 0 + $_[1] } } ],

    [ qr/^status-(\d{3})$/ => { reply => sub ($ctx, $code) {
        json_error($code, 'server_error', "mock status $code") } } ],
    [ qr/^invalid-client$/ => { reply => sub {
        json_error(401, 'invalid_client',
                   'The client_assertion signature is invalid.') } } ],
    [ qr/^invalid-scope$/ => { reply => sub {
        json_error(400, 'invalid_scope',
                   'The following scopes are not allowed: okta.bogus') } } ],
    # a refusal that names DPoP in its description only
    [ qr/^dpop-described$/ => { reply => sub {
        json_error(400, 'invalid_request',
                   'A DPoP proof is required for this client.') } } ],
    [ qr/^rate-limit$/ => { reply => sub ($ctx) {
        (429, [ 'Content-Type' => 'application/json',
                'X-Rate-Limit-Limit' => 600,
                'X-Rate-Limit-Remaining' => 0,
                'X-Rate-Limit-Reset' => $ctx->{now} + 60 ],
         $RATE_LIMIT_BODY) } } ],
    # like rate-limit, with the reset <secs> from now
    [ qr/^rate-limit-(\d+)$/ => { reply => sub ($ctx, $secs) {
        (429, [ 'Content-Type' => 'application/json',
                'X-Rate-Limit-Limit' => 600,
                'X-Rate-Limit-Remaining' => 0,
                'X-Rate-Limit-Reset' => $ctx->{now} + $secs ],
         $RATE_LIMIT_BODY) } } ],
    # a 429 that says when to come back only through Retry-After
    [ qr/^retry-after-(\d+)$/ => { reply => sub ($ctx, $secs) {
        (429, [ 'Content-Type' => 'application/json', 'Retry-After' => 0 + $secs ],
         $RATE_LIMIT_BODY) } } ],
    # several headers that say when: two X-Rate-Limit-Reset (now + a, then
    # now + b), two Retry-After (a, then b), or one of each
    [ qr/^rate-limit-reset-(\d+)-(\d+)$/ => { reply => sub ($ctx, $a, $b) {
        (429, [ 'Content-Type' => 'application/json',
                'X-Rate-Limit-Limit' => 600,
                'X-Rate-Limit-Remaining' => 0,
                'X-Rate-Limit-Reset' => $ctx->{now} + $a,
                'X-Rate-Limit-Reset' => $ctx->{now} + $b ],
         $RATE_LIMIT_BODY) } } ],
    [ qr/^retry-after-(\d+)-(\d+)$/ => { reply => sub ($ctx, $a, $b) {
        (429, [ 'Content-Type' => 'application/json',
                'Retry-After' => 0 + $a, 'Retry-After' => 0 + $b ],
         $RATE_LIMIT_BODY) } } ],
    [ qr/^rate-limit-(\d+)-retry-after-(\d+)$/ => { reply => sub ($ctx, $a, $b) {
        (429, [ 'Content-Type' => 'application/json',
                'X-Rate-Limit-Reset' => $ctx->{now} + $a,
                'Retry-After' => 0 + $b ],
         $RATE_LIMIT_BODY) } } ],
    # an answer whose first line is no HTTP status line (nginx takes it
    # for an HTTP/0.9 response); a reply of status -1 is sent as it is
    [ qr/^bad-status-line$/ => { reply => sub ($ctx) {
        (-1, [], "HTTP/1.1 OK\r\nContent-Type: application/json\r\n\r\n"
                 . token_body($ctx, access_token => '"abc"')) } } ],
    # SIGKILL the nginx worker named by X-Worker-Pid, then hang up
    [ qr/^kill-worker$/ => { reply => \&kill_worker } ],
    # CR LF in error_description: a client that logs it raw lets the
    # server forge log lines
    [ qr/^evil-description$/ => { reply => sub {
        json_raw(400, '{"error":"invalid_request","error_description":'
                      . '"line one\r\n[forged] line two"}') } } ],
    [ qr/^html-500$/ => { reply => sub {
        (500, [ 'Content-Type' => 'text/html' ],
         '<html><body><h1>500 Internal Server Error</h1></body></html>') } } ],
    [ qr/^bad-json$/ => { reply => sub { json_raw(200, '{"access_token": "abc", ') } } ],
    [ qr/^empty$/    => { reply => sub { json_raw(200, '') } } ],
    [ qr/^array$/    => { reply => sub { json_raw(200, '[]') } } ],
    [ qr/^no-access-token$/ => { reply => sub {
        json_raw(200, '{"token_type":"Bearer","expires_in":3600}') } } ],
    [ qr/^empty-token$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, access_token => '""')) } } ],
    [ qr/^token-crlf$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, access_token => '"abc\r\nX-Evil: 1"')) } } ],
    [ qr/^token-nul$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, access_token => '"abc\\u0000def"')) } } ],
    [ qr/^token-non-ascii$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, access_token => "\"abc\xc3\xa9def\"")) } } ],
    [ qr/^token-space$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, access_token => '"abc def"')) } } ],
    [ qr/^token-not-string$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, access_token => '42')) } } ],
    [ qr/^big$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, access_token => '"' . ('a' x 20000) . '"')) } } ],
    [ qr/^not-bearer$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, token_type => '"mac"')) } } ],
    [ qr/^no-token-type$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, token_type => undef)) } } ],
    [ qr/^no-expires$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, expires_in => undef)) } } ],
    [ qr/^expires-zero$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, expires_in => '0')) } } ],
    [ qr/^expires-negative$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, expires_in => '-5')) } } ],
    [ qr/^expires-string$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, expires_in => '"3600"')) } } ],
    [ qr/^expires-float$/ => { reply => sub ($ctx) {
        json_raw(200, token_body($ctx, expires_in => '3600.5')) } } ],
    [ qr/^dup-keys$/ => { reply => sub {
        json_raw(200, '{"access_token":"a","access_token":"b",'
                      . '"token_type":"Bearer","expires_in":60}') } } ],
    [ qr/^redirect$/ => { reply => sub {
        (302, [ 'Location' => 'http://example.invalid/' ], '') } } ],
    [ qr/^no-content$/ => { reply => sub { (204, [], '') } } ],
    # the connection closes 50 bytes short of the announced length
    [ qr/^truncated$/ => { reply => sub ($ctx) {
        my $body = token_body($ctx);
        (200, [ 'Content-Type' => 'application/json',
                'Content-Length' => length($body) + 50 ], $body) } } ],
    [ qr/^gzip$/ => { reply => sub ($ctx) {
        my $plain = token_body($ctx);
        gzip(\$plain => \my $packed) or die "gzip failed: $GzipError\n";
        (200, [ 'Content-Type' => 'application/json',
                'Content-Encoding' => 'gzip' ], $packed) } } ],
);

sub find_scenario ($name) {
    for my $entry (@SCENARIOS) {
        my ($re, $spec) = @$entry;
        if (my @cap = $name =~ $re) {
            @cap = () if !defined $1;     # no captures: drop the "1" of success
            return ($spec, @cap);
        }
    }
    return;
}

# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------
# Everything at file scope is initialised before main() runs (it is called
# on the last line), so the tables below the server code are ready.
my ($STATE_DIR, $KEYS_DIR, $SECRET, $MASTER, $listener, $tls_listener);
my %kids;    # pid => 1 for each connection child
my @AFTER;   # in a connection child: code to run once the answer is sent

sub main {
    $STATE_DIR = $opt{state};
    $KEYS_DIR  = $opt{keys};
    mkdir $STATE_DIR unless -d $STATE_DIR;
    -d $STATE_DIR or die "$0: cannot create state dir $STATE_DIR: $!\n";
    mkdir "$STATE_DIR/times" unless -d "$STATE_DIR/times";
    $SECRET = load_or_create_secret();

    $listener = IO::Socket::INET->new(
        LocalAddr => $opt{host},
        LocalPort => $opt{port},
        Proto     => 'tcp',
        Listen    => 1024,    # a /_burst of the mock itself connects at once
        ReuseAddr => 1,
    ) or die "$0: cannot listen on $opt{host}:$opt{port}: $@\n";
    if ($opt{'tls-port'}) {
        eval { require IO::Socket::SSL; 1 }
            or die "$0: --tls-port needs IO::Socket::SSL (libio-socket-ssl-perl)\n";
        -f "$KEYS_DIR/$_" or die "$0: $KEYS_DIR/$_ missing (t/keys/gen.sh)\n"
            for qw(tls.crt tls.key ca.crt);
        $tls_listener = IO::Socket::INET->new(
            LocalAddr => $opt{host},
            LocalPort => $opt{'tls-port'},
            Proto     => 'tcp',
            Listen    => 1024,
            ReuseAddr => 1,
        ) or die "$0: cannot listen on $opt{host}:$opt{'tls-port'}: $@\n";
    }
    my $select = IO::Select->new($listener, $tls_listener // ());
    $MASTER = $$;

    if ($opt{pidfile}) {
        open my $fh, '>', $opt{pidfile} or die "$0: cannot write $opt{pidfile}: $!\n";
        print $fh "$$\n";
        close $fh;
    }

    $SIG{CHLD} = \&reap;
    $SIG{TERM} = sub { shutdown_server('TERM') };
    $SIG{INT}  = sub { shutdown_server('INT') };
    $SIG{HUP}  = 'IGNORE';    # /_hup signals nginx, never us; survive a hangup
    $SIG{PIPE} = 'IGNORE';
    if (my $watched = $opt{'watch-pid'}) {
        # checked every second; the alarm also interrupts accept()
        $SIG{ALRM} = sub {
            shutdown_server("ALRM (watched process $watched is gone)") if !kill 0, $watched;
            alarm 1;
        };
        alarm 1;
    }

    logline("listening on $opt{host}:$opt{port}"
            . ($tls_listener ? " and (TLS) $opt{host}:$opt{'tls-port'}" : '')
            . " keys=$KEYS_DIR state=$STATE_DIR");

    while (1) {
        # SIGCHLD/SIGALRM interrupt the wait: then nothing is ready
        for my $ready ($select->can_read) {
            my $client = $ready->accept;
            if (!$client) {
                next if $!{EINTR} || $!{ECONNABORTED} || $!{EAGAIN};
                die "$0: accept: $!\n";
            }
            my $tls = $tls_listener && $ready == $tls_listener;
            my $pid = fork;
            if (!defined $pid) {
                logline("fork failed: $!");
                close $client;
                next;
            }
            if ($pid == 0) {
                $SIG{$_} = 'DEFAULT' for qw(CHLD TERM INT ALRM);
                close $listener;
                close $tls_listener if $tls_listener;
                serve_connection($client, $tls);
                # Not exit: perl's global destruction would write to every
                # value the child inherited, a copy-on-write fault for
                # each page of the parent's heap (most of the cost of a
                # request: 1000 DPoP proofs took 28 s, 13 s without it).
                # Everything was written with syswrite or closed.
                STDOUT->flush;
                STDERR->flush;
                POSIX::_exit(0);
            }
            $kids{$pid} = 1;
            close $client;
        }
    }
}

# The TLS handshake of a connection to --tls-port, in its child. A client
# certificate is asked for and checked against DIR/ca.crt, but never
# required: what it was is recorded for the token endpoint to judge.
# Returns (the IO::Socket::SSL, {cert_pem, subject, sha256, verified}) or
# () when the handshake failed.
sub tls_handshake ($sock) {
    my $verified = 1;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    my $ssl = eval {
        IO::Socket::SSL->start_SSL($sock,
            SSL_server          => 1,
            SSL_cert_file       => "$KEYS_DIR/tls.crt",
            SSL_key_file        => "$KEYS_DIR/tls.key",
            SSL_ca_file         => "$KEYS_DIR/ca.crt",
            SSL_client_ca_file  => "$KEYS_DIR/ca.crt",
            SSL_verify_mode     => IO::Socket::SSL::SSL_VERIFY_PEER(),
            SSL_verify_callback => sub { $verified = 0 if !$_[0]; 1 },
        );
    };
    alarm 0;
    if (!$ssl) {
        logline('- - - TLS handshake failed: '
                . ($@ || IO::Socket::SSL::errstr() || "unknown"));
        return;
    }
    my %peer = (verified => 0);
    if (my $x509 = $ssl->peer_certificate) {
        my $pem = Net::SSLeay::PEM_get_string_X509($x509);
        my ($b64) = $pem =~ /-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----/s;
        %peer = (
            cert_pem => $pem,
            subject  => $ssl->peer_certificate('subject') // '',
            sha256   => encode_b64u(sha256(decode_base64($b64 // ''))),
            verified => $verified,
        );
    }
    return ($ssl, \%peer);
}

sub reap { while ((my $pid = waitpid(-1, WNOHANG)) > 0) { delete $kids{$pid} } }

sub shutdown_server ($sig) {
    return if $$ != $MASTER;
    kill 'TERM', keys %kids;
    my $deadline = time + 2;
    while (%kids && time < $deadline) { reap(); sleep 0.05 }
    kill 'KILL', keys %kids;
    reap();
    unlink $opt{pidfile} if $opt{pidfile};
    logline("shutdown on SIG$sig");
    exit 0;
}

# ---------------------------------------------------------------------------
# One connection, one request
# ---------------------------------------------------------------------------
sub serve_connection ($sock, $tls = 0) {
    my $peer;
    if ($tls) {
        ($sock, $peer) = tls_handshake($sock) or return;
    }
    binmode $sock;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 30;
    my $req = eval { read_request($sock) };
    if ($req) {
        $req->{scheme} = $tls ? 'https' : 'http';
        $req->{port}   = $tls ? $opt{'tls-port'} : $opt{port};
        $req->{peer}   = $peer;    # TLS: the client certificate, if any
    }
    if (!$req) {
        my $err = $@ || 'no request';
        chomp $err;
        return if $err eq 'no request';    # connected and closed: a readiness probe
        my $answer = $err ne 'timeout' && $err !~ /closed/;
        send_response($sock, 400, ['Content-Type' => 'text/plain'], "bad request: $err\n")
            if $answer;
        logline('- - ' . ($answer ? 400 : '-') . " $err");
        return;
    }
    alarm 0;    # delays, /_sleep, /_hup, /_burst and /_load take their time
    my ($status, $headers, $body, $reason) = eval { dispatch($req) };
    if (!defined $status) {
        my $err = $@ || 'no answer';
        chomp $err;
        ($status, $headers, $body, $reason) =
            (500, ['Content-Type' => 'text/plain'], "mock error: $err\n", "mock error: $err");
    }
    if ($status == -1) {   # a raw answer, not even a status line of ours
        alarm 30;
        send_raw($sock, $body);
        alarm 0;
        logline("$req->{method} $req->{target} raw " . ($reason // 'raw answer'));
        close $sock;
        inflight_leave($req);
        return;
    }
    if ($status <= 0) {    # hang up without an answer (0), or answered already (-2)
        logline("$req->{method} $req->{target} - " . ($reason // 'closed without an answer'));
        close $sock;
        inflight_leave($req);
        return;
    }
    alarm 30;
    send_response($sock, $status, $headers, $body);
    alarm 0;
    logline("$req->{method} $req->{target} $status " . ($reason // ''));
    close $sock;
    inflight_leave($req);
    # e.g. /_fire reading its response; this child is still the master's,
    # which reaps it
    while (my $after = shift @AFTER) { eval { $after->(); 1 } or logline("after: $@") }
}

# Returns {method, target, path, query, version, headers => [[name, value]...],
# body}. Header names are lowercased. Dies on malformed input.
sub read_request ($sock) {
    my $buf = '';
    while ($buf !~ /\r?\n\r?\n/) {
        my $n = sysread($sock, $buf, 8192, length $buf);
        die "read: $!\n" if !defined $n;
        die "no request\n" if $n == 0 && $buf eq '';    # e.g. a port probe
        die "connection closed\n" if $n == 0;
        die "header too large\n" if length $buf > 65536;
    }
    my ($head, $rest) = split /\r?\n\r?\n/, $buf, 2;
    my $expect_continue = $head =~ /^expect:[ \t]*100-continue[ \t]*\r?$/mi;
    my ($line, @lines) = split /\r?\n/, $head;
    my ($method, $target, $version) =
        $line =~ m{^([A-Z]+) (\S+) (HTTP/1\.[01])$} or die "bad request line\n";

    my @headers;
    for my $h (@lines) {
        die "obsolete header folding\n" if $h =~ /^[ \t]/;
        my ($name, $value) = $h =~ /^([!#\$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/
            or die "bad header line\n";
        push @headers, [lc $name, $value];
    }

    my $body = $rest // '';
    my @cl = map { $_->[1] } grep { $_->[0] eq 'content-length' } @headers;
    if (@cl) {
        die "bad Content-Length\n" if grep { $_ !~ /^\d+$/ || $_ != $cl[0] } @cl;
        my $len = $cl[0];
        die "body too large\n" if $len > $MAX_BODY;
        # curl sends "Expect: 100-continue" for larger bodies and would wait
        syswrite($sock, "HTTP/1.1 100 Continue\r\n\r\n")
            if $expect_continue && length $body < $len;
        while (length $body < $len) {
            my $n = sysread($sock, $body, $len - length $body, length $body);
            die "read: $!\n" if !defined $n;
            die "connection closed in body\n" if $n == 0;
        }
        substr($body, $len) = '' if length $body > $len;
    }

    my ($path, $query) = split /\?/, $target, 2;
    return {
        method => $method, target => $target, path => $path,
        query => $query // '', version => $version,
        headers => \@headers, body => $body,
        arrived => time,    # for the times= line of /_stats
        sock => $sock,
    };
}

my %REASON_PHRASE = (
    200 => 'OK', 204 => 'No Content', 206 => 'Partial Content', 302 => 'Found',
    400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden',
    404 => 'Not Found', 405 => 'Method Not Allowed',
    416 => 'Range Not Satisfiable', 429 => 'Too Many Requests',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout',
);

sub send_response ($sock, $status, $headers, $body) {
    my $out = sprintf "HTTP/1.1 %d %s\r\n", $status, $REASON_PHRASE{$status} // 'Status';
    $out .= "Date: " . strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime) . "\r\n";
    $out .= "Server: okta-mock\r\n";
    my @h = @$headers;
    while (my ($k, $v) = splice @h, 0, 2) {
        $out .= "$k: $v\r\n";
    }
    # A 204 must carry neither a body nor a Content-Length (RFC 9110 8.6);
    # a scenario may announce a length of its own (a truncated answer)
    $out .= "Content-Length: " . length($body) . "\r\n"
        if $status != 204 && !grep { lc $_ eq 'content-length' } @$headers;
    $out .= "Connection: close\r\n\r\n";
    $out .= $body if $status != 204;
    send_raw($sock, $out);
}

sub send_raw ($sock, $out) {
    my $off = 0;
    while ($off < length $out) {
        my $n = syswrite($sock, $out, length($out) - $off, $off);
        last if !defined $n;    # peer went away; nothing to do
        $off += $n;
    }
}

sub dispatch ($req) {
    my $path = $req->{path};
    return control_reset()             if $path eq '/_reset';
    return control_stats($1, $req)     if $path =~ m{^/_stats(/.*)$};
    return control_headers($1)         if $path =~ m{^/_headers(/.*)$};
    return control_hup($req)           if $path eq '/_hup';
    return control_sleep($req)         if $path eq '/_sleep';
    return control_fail($req)          if $path eq '/_fail';
    return control_burst($req)         if $path eq '/_burst';
    return control_fire($req)          if $path eq '/_fire';
    return control_load($req)          if $path eq '/_load';
    return control_keepalive($req)     if $path eq '/_keepalive';
    return control_h2reset($req)       if $path eq '/_h2reset';
    return control_mint($req)          if $path eq '/_mint';
    return token_endpoint($req)        if $path =~ m{/v1/token$};
    return control_nonce($req)         if $path eq '/_nonce';
    return protected_api($req)         if $path =~ m{^/api(?:-nonce)?/};
    return api_revoked($req)           if $path =~ m{^/api401/};
    return capture($req)               if $path =~ m{^/capture/};
    return (404, ['Content-Type' => 'text/plain'], "not found\n", 'not found');
}

# ---------------------------------------------------------------------------
# Shared state: one JSON document, read-modify-written under an exclusive lock
#   { paths => { <path> => {calls, headers => [[n,v]...], last_scope} },
#     jti   => { <jti> => <time first seen> },
#     fail  => { <path> => {scenario, remaining (absent: no limit)} } }
# The arrival times of the requests to a path are appended, under the same
# lock, to times/<sha256 of the path> (one line of epoch ms each), so that a
# load test does not make every request rewrite a growing state.json.
# ---------------------------------------------------------------------------
sub with_state ($code) {
    open my $lock, '>>', "$STATE_DIR/lock" or die "lock: $!\n";
    flock($lock, LOCK_EX) or die "flock: $!\n";
    my $file = "$STATE_DIR/state.json";
    my $st = { paths => {}, jti => {} };
    if (open my $in, '<', $file) {
        local $/;
        my $text = <$in>;
        $st = $JSON->decode($text) if length $text;
    }
    my @ret = $code->($st);
    my $tmp = "$file.$$";
    open my $out, '>', $tmp or die "write state: $!\n";
    print $out $JSON->encode($st);
    close $out or die "write state: $!\n";
    rename $tmp, $file or die "rename state: $!\n";
    close $lock;    # releases the lock
    return wantarray ? @ret : $ret[0];
}

sub load_or_create_secret {
    my $file = "$STATE_DIR/secret";
    if (sysopen my $fh, $file, O_WRONLY | O_CREAT | O_EXCL, 0600) {
        print $fh random_bytes_hex(32), "\n";
        close $fh;
    }
    open my $fh, '<', $file or die "$0: cannot read $file: $!\n";
    my $s = <$fh>;
    chomp $s;
    return $s;
}

sub times_file ($path) { "$STATE_DIR/times/" . sha256_hex($path) }

# Count the request. With $take_override, also consume one use of a /_fail
# override of its path, in the same locked step (so N concurrent requests
# use an override of count N exactly once each), and return its scenario.
sub record_request ($req, $scope, $take_override = 0) {
    return with_state(sub ($st) {
        my $p = $st->{paths}{ $req->{path} } //= { calls => 0 };
        $p->{calls}++;
        $p->{headers}    = $req->{headers};
        $p->{last_scope} = $scope // '';
        open my $t, '>>', times_file($req->{path}) or die "times: $!\n";
        printf $t "%d\n", ($req->{arrived} // time) * 1000;
        close $t or die "times: $!\n";

        return undef if !$take_override;
        my $f = ($st->{fail} // {})->{ $req->{path} } or return undef;
        delete $st->{fail}{ $req->{path} }
            if defined $f->{remaining} && --$f->{remaining} <= 0;
        return $f->{scenario};
    });
}

# ---------------------------------------------------------------------------
# Control endpoints
# ---------------------------------------------------------------------------
sub text ($status, $body, $reason = undef) {
    return ($status, ['Content-Type' => 'text/plain'], $body, $reason);
}

sub control_reset {
    with_state(sub ($st) {
        %$st = (paths => {}, jti => {});
        unlink glob "$STATE_DIR/times/*";
        unlink glob "$STATE_DIR/dpop-jti/*";
    });
    return text(200, "reset\n", 'state cleared');
}

# After a token (or API) request was judged: what it was, for
# /_stats?detail=1; refusals counted by their error.
sub record_outcome ($path, $seen, $status, $error = undef) {
    with_state(sub ($st) {
        my $p = $st->{paths}{$path} //= { calls => 0 };
        $p->{detail} = { %$seen, status => $status };
        $p->{errors}{$error}++ if defined $error;
    });
}

my @TOKEN_DETAIL = ('client_id', 'auth', 'alg', 'kid', 'x5t#S256', 'cert', 'params',
                    'resource', 'audience', 'dpop', 'dpop_nonce', 'token_type', 'status');
my @API_DETAIL = qw(scheme dpop dpop_nonce htu status);

# The times= line is opt-in (?times=1): existing tests match the whole body
# and anchor its end after last_scope; so are the detail lines (?detail=1).
sub control_stats ($path, $req) {
    my %q = query_params($req);
    my ($p, @times) = with_state(sub ($st) {
        my @t;
        if ($q{times} && open my $fh, '<', times_file($path)) {
            chomp(@t = <$fh>);
        }
        return ($st->{paths}{$path}, @t);
    });
    $p //= {};
    my $names = join ',', sort map { $_->[0] } @{ $p->{headers} // [] };
    my $out = sprintf("calls=%d\nheaders=%s\nlast_scope=%s\n",
                      $p->{calls} // 0, $names, $p->{last_scope} // '');
    $out .= 'times=' . join(',', @times) . "\n" if $q{times};
    if ($q{detail}) {
        my $d = $p->{detail} // {};
        for my $k ($path =~ m{/v1/token$} ? @TOKEN_DETAIL : @API_DETAIL) {
            my $v = $d->{$k};
            $out .= "$k=" . (defined $v && length $v ? $v : '-') . "\n";
        }
        my $e = $p->{errors} // {};
        $out .= 'errors=' . join(',', map { "$_:$e->{$_}" } sort keys %$e) . "\n";
    }
    $out .= sprintf("inflight=%d\nmax_inflight=%d\naborted=%d\n",
                    $p->{inflight} // 0, $p->{max_inflight} // 0,
                    $p->{aborted} // 0) if $q{inflight};
    return text(200, $out);
}

sub control_headers ($path) {
    my $p = with_state(sub ($st) { $st->{paths}{$path} }) // {};
    my $out = '';
    for my $h (@{ $p->{headers} // [] }) {
        my ($n, $v) = @$h;
        # credentials are shortened, like everywhere in this mock: keep an
        # auth scheme and 8 characters
        $v = $v =~ /^(\S+ )(.*)$/ ? $1 . short($2) : short($v)
            if $n eq 'authorization' || $n eq 'cookie' || $n eq 'dpop';
        $out .= "$n: $v\n";
    }
    return text(200, $out);
}

sub form_decode ($s) {
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

sub children_of ($ppid) {
    my %kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;    # processes come and go
        my $line = <$fh> // next;
        # "pid (comm) state ppid ..."; comm may hold spaces and parentheses
        my ($pid, $pp) = $line =~ /^(\d+) \(.*\) \S+ (\d+)/s or next;
        $kids{$pid} = 1 if $pp == $ppid;
    }
    return \%kids;
}

sub query_params ($req) {
    return map { my ($k, $v) = split /=/, $_, 2; (form_decode($k), form_decode($v // '')) }
           split /&/, $req->{query};
}

# Lets a test wait (e.g. for a token to expire) through nginx
# A token of the mock's (the API accepts it) without a token request:
# ?size=N bytes (300..16384), ?expires_in=S (default 3600)
sub control_mint ($req) {
    my %q = query_params($req);
    my $size = $q{size};
    my $e = $q{expires_in} // $DEFAULT_EXPIRES_IN;
    return text(400, "size must be 300..16384\n", 'bad size')
        if defined $size && ($size !~ /^\d+$/ || $size < 300 || $size > 16384);
    return text(400, "expires_in must be 1..86400\n", 'bad expires_in')
        if $e !~ /^\d+$/ || $e < 1 || $e > 86400;
    return text(200, mint_token('0oa-mint', 'okta.users.read', int time, $e, $size),
                'minted a token');
}

# /_nonce?path=P or /_nonce?api=1 [&rotate=1[&grace=1]]: the DPoP nonce a
# token path (or the API under /api-nonce/) wants now; rotate makes a new
# one, and the old one is refused from then on, or with grace=1 still
# accepted (the answer then carries the new one in DPoP-Nonce).
sub control_nonce ($req) {
    my %q = query_params($req);
    my $key = $q{api} ? 'api' : $q{path} // '';
    return text(400, "path (a token path) or api=1 wanted\n", 'bad nonce key')
        if $key ne 'api' && $key !~ m{^/\S*$};
    my $n = with_state(sub ($st) {
        my $n = $st->{nonce}{$key} //= { current => new_nonce(), old => [] };
        if ($q{rotate}) {
            $n->{old} = $q{grace} ? [ @{ $n->{old} }, $n->{current} ] : [];
            $n->{current} = new_nonce();
        }
        return $n->{current};
    });
    return text(200, "nonce=$n\n", ($q{rotate} ? 'rotated' : 'current') . " nonce of $key");
}

sub control_sleep ($req) {
    my %q = query_params($req);
    my $ms = $q{ms} // '';
    return text(400, "ms must be 0..30000\n", 'bad ms') if $ms !~ /^\d+$/ || $ms > 30000;
    pause_ms($ms);
    return text(200, "slept\n", "slept $ms ms");
}

# Sleeps the whole of $ms: a signal cuts a sleep short, and the tests that
# use a delay count on all of it.
sub pause_ms ($ms) {
    my $until = time + $ms / 1000;
    while ((my $left = $until - time) > 0) {
        sleep $left;
    }
}

# As pause_ms, watching the client: 0 as soon as it hangs up (EOF or an
# error on its socket), 1 after the whole delay.
sub pause_watch ($sock, $ms) {
    my $until = time + $ms / 1000;
    my $poll = IO::Poll->new;
    $poll->mask($sock => POLLIN);
    while ((my $left = $until - time) > 0) {
        my $n = $poll->poll($left);
        next if !defined $n || $n <= 0;    # a signal, or the time is up
        my $got = sysread($sock, my $buf, 4096);
        return 0 if !defined $got ? !$!{EINTR} && !$!{EAGAIN} : $got == 0;
    }
    return 1;
}

# Token requests being answered: counted from their arrival to the end of
# their answer, or to the client hanging up.
sub inflight_enter ($req) {
    $req->{inflight} = 1;
    with_state(sub ($st) {
        my $p = $st->{paths}{ $req->{path} } //= { calls => 0 };
        $p->{inflight} = ($p->{inflight} // 0) + 1;
        $p->{max_inflight} = $p->{inflight}
            if $p->{inflight} > ($p->{max_inflight} // 0);
    });
}

sub inflight_leave ($req) {
    return if !$req->{inflight};
    $req->{inflight} = 0;
    with_state(sub ($st) {
        my $p = $st->{paths}{ $req->{path} } or return;
        $p->{inflight}-- if $p->{inflight};
        $p->{aborted}++ if $req->{aborted};
    });
}

# Writes all of $data, unless the client hangs up: then 0.
sub write_all ($sock, $data) {
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($sock, $data, length($data) - $off, $off);
        return 0 if !defined $n;
        $off += $n;
    }
    return 1;
}

# The trickle scenario: a good answer, its body one byte at a time.
sub send_trickle ($req, $status, $headers, $body, $ms) {
    my $sock = $req->{sock};
    my $head = sprintf "HTTP/1.1 %d OK\r\nServer: okta-mock\r\n", $status;
    my @h = @$headers;
    while (my ($k, $v) = splice @h, 0, 2) { $head .= "$k: $v\r\n" }
    $head .= "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n";
    local $SIG{PIPE} = 'IGNORE';
    my $sent = 0;
    if (write_all($sock, $head)) {
        for my $i (0 .. length($body) - 1) {
            last if !pause_watch($sock, $ms) || !write_all($sock, substr($body, $i, 1));
            $sent++;
        }
    }
    $req->{aborted} = 1 if $sent < length $body;
    return (-2, [], '', sprintf('trickled %d of %d body bytes, one every %d ms%s',
                                $sent, length $body, $ms,
                                $req->{aborted} ? ', the client hung up' : ''));
}

sub control_hup ($req) {
    my %q = query_params($req);
    my $file = $q{pidfile} // '';
    return text(400, "pidfile parameter missing or not absolute\n", 'bad pidfile')
        if $file !~ m{^/};
    open my $fh, '<', $file or return text(400, "cannot read $file: $!\n", 'no pidfile');
    my ($pid) = (<$fh> // '') =~ /(\d+)/;
    return text(400, "no pid in $file\n", 'no pid') if !$pid;

    my $before = children_of($pid);
    kill('HUP', $pid) or return text(500, "kill -HUP $pid: $!\n", 'kill failed');
    my $deadline = time + 10;
    while (time < $deadline) {
        my $now = children_of($pid);
        if (grep { !$before->{$_} } keys %$now) {
            sleep 0.5;    # let the new workers finish their init
            return text(200, "reloaded\n", "HUP $pid, new worker seen");
        }
        sleep 0.05;
    }
    return text(500, "no new child of $pid within 10 s\n", "HUP $pid timed out");
}

# /_fail?path=P&scenario=S[&count=N], /_fail?path=P&clear=1
sub control_fail ($req) {
    my %q = query_params($req);
    my $path = $q{path} // '';
    return text(400, "path parameter missing or not absolute\n", 'bad path')
        if $path !~ m{^/\S*$};
    if ($q{clear}) {
        my $had = with_state(sub ($st) { delete(($st->{fail} //= {})->{$path}) ? 1 : 0 });
        return text(200, "ok\n", $had ? "override of $path cleared" : "no override of $path");
    }
    my $scenario = $q{scenario} // '';
    my ($spec) = $scenario eq '' ? () : find_scenario($scenario);    # list context
    return text(400, "unknown scenario \"$scenario\"\n", 'bad scenario') if !$spec;
    my $count = $q{count};
    return text(400, "count must be 1..1000000\n", 'bad count')
        if defined $count && ($count !~ /^\d+$/ || $count < 1 || $count > 1_000_000);
    with_state(sub ($st) {
        $st->{fail}{$path} = { scenario => $scenario,
                               defined $count ? (remaining => 0 + $count) : () };
    });
    return text(200, "ok\n", "override $path -> $scenario x " . ($count // 'all'));
}

# host, port and path of /_burst, /_fire and /_load; the target must be on
# the loopback. Returns (\%target) or (undef, $why).
sub target_params (%q) {
    my $host = $q{host} // '127.0.0.1';
    $host = '127.0.0.1' if lc $host eq 'localhost';
    my @oct = $host =~ /^(127)\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
    return (undef, "host must be localhost or in 127.0.0.0/8, got \"$host\"")
        if !@oct || grep { $_ > 255 } @oct;
    my $port = $q{port} // '';
    return (undef, 'port must be 1..65535')
        if $port !~ /^\d{1,5}$/ || $port < 1 || $port > 65535;
    my $path = $q{path} // '';
    return (undef, 'path must start with / and hold no spaces or control characters')
        if $path !~ m{^/[\x21-\x7e]*$};
    return ({ host => $host, port => 0 + $port, path => $path });
}

sub http_get_request ($path) {
    "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

# Run GETs against $t (target_params) with at most $o{conc} in flight, on
# non-blocking sockets under poll(2) (select(2) stops at fd 1024). Either
# $o{n} requests in all, or new ones until time $o{until} (those in flight
# then are finished). Each request has its own connection, 30 s to complete.
# When socket() fails for lack of descriptors (EMFILE, ENFILE), fewer run
# at once until a socket is freed; nothing is raised.
# Returns { requests, ok, errors, status => {code => count}, max_ms, slow }.
sub run_requests ($t, %o) {
    my $addr = pack_sockaddr_in($t->{port}, inet_aton($t->{host}));
    my $request = http_get_request($t->{path});
    my $timeout = $o{timeout} // 30;
    my %r = (requests => 0, ok => 0, errors => 0, status => {}, max_ms => 0, slow => 0);
    my $poll = IO::Poll->new;
    my %conn;          # fileno => {fh, t0, state, off, head, status, clen, got}
    my $fd_short = 0;  # times socket() found no descriptor
    my $more = sub { defined $o{n} ? $r{requests} < $o{n} : time < $o{until} };

    my $done = sub ($c, $ok) {
        $poll->remove($c->{fh});
        delete $conn{ fileno $c->{fh} };
        close $c->{fh};
        if (!$ok) { $r{errors}++; return }
        my $ms = (time - $c->{t0}) * 1000;
        $r{ok}++;
        $r{status}{ $c->{status} }++;
        $r{max_ms} = $ms if $ms > $r{max_ms};
        $r{slow}++ if defined $o{slow_ms} && $ms > $o{slow_ms};
    };
    my $send = sub ($c) {
        my $n = syswrite($c->{fh}, $request, length($request) - $c->{off}, $c->{off});
        if (!defined $n) {
            return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            return $done->($c, 0);
        }
        $c->{off} += $n;
        if ($c->{off} == length $request) {
            $c->{state} = 'read';
            $poll->mask($c->{fh} => POLLIN);
        }
    };
    my $receive = sub ($c) {
        my $n = sysread($c->{fh}, my $chunk, 65536);
        if (!defined $n) {
            return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            return $done->($c, 0);
        }
        if ($n == 0) {    # EOF: complete unless cut short of its Content-Length
            return $done->($c, defined $c->{status}
                               && (!defined $c->{clen} || $c->{got} >= $c->{clen}));
        }
        if (!defined $c->{status}) {
            $c->{head} .= $chunk;
            my $end = index $c->{head}, "\r\n\r\n";
            if ($end < 0) {
                return $done->($c, 0) if length $c->{head} > 65536;
                return;
            }
            my $head = substr $c->{head}, 0, $end;
            my ($code) = $head =~ m{^HTTP/1\.[01] (\d{3})} or return $done->($c, 0);
            $c->{status} = $code;
            ($c->{clen}) = $head =~ /\r\ncontent-length:[ \t]*(\d+)/i;
            $c->{clen} = 0 if $code =~ /^(?:1|204|304)/;
            $c->{got} = length($c->{head}) - $end - 4;
            delete $c->{head};
        } else {
            $c->{got} += $n;
        }
        # the whole body is there: no need to wait for the close
        $done->($c, 1) if defined $c->{clen} && $c->{got} >= $c->{clen};
    };

    my $next_sweep = time + 0.1;
    while (1) {
        while (keys %conn < $o{conc} && $more->()) {
            my $fh;
            if (!socket($fh, PF_INET, SOCK_STREAM, 0)) {
                if (($! == EMFILE || $! == ENFILE) && %conn) {
                    logline("burst/load: out of file descriptors with " . keys(%conn)
                            . " in flight; fewer at once") if !$fd_short++;
                    last;    # retried when one of those is done
                }
                $r{requests}++;
                $r{errors}++;
                sleep 0.01 if !%conn;
                next;
            }
            $fh->blocking(0);
            $r{requests}++;
            my $c = { fh => $fh, t0 => time, state => 'connect', off => 0, head => '' };
            $conn{ fileno $fh } = $c;
            $poll->mask($fh => POLLOUT);
            if (connect($fh, $addr)) {
                $c->{state} = 'write';
                $send->($c);
            } elsif ($! != EINPROGRESS && $! != EINTR) {
                $done->($c, 0);
            }
        }
        last if !%conn && !$more->();
        if (!%conn) { sleep 0.01; next }

        my $n = $poll->poll(0.1);
        if (defined $n && $n > 0) {
            for my $fh ($poll->handles(POLLIN | POLLOUT | POLLERR | POLLHUP)) {
                my $c = $conn{ fileno $fh } or next;
                if ($c->{state} eq 'connect') {
                    my $err = unpack 'i', getsockopt($fh, SOL_SOCKET, SO_ERROR) // pack 'i', 1;
                    if ($err) { $done->($c, 0); next }
                    $c->{state} = 'write';
                }
                if ($c->{state} eq 'write') { $send->($c); next }
                $receive->($c);
            }
        }
        if (time >= $next_sweep) {
            my $now = time;
            $done->($_, 0) for grep { $now - $_->{t0} > $timeout } values %conn;
            $next_sweep = $now + 0.1;
        }
    }
    $r{max_ms} = int($r{max_ms} + 0.5);
    return \%r;
}

sub status_lines ($r) {
    join '', map { "status_$_=$r->{status}{$_}\n" } sort { $a <=> $b } keys %{ $r->{status} };
}

# /_burst?port=P&path=U&n=N&c=C[&host=H]
sub control_burst ($req) {
    my %q = query_params($req);
    my ($t, $why) = target_params(%q);
    return text(400, "$why\n", 'bad target') if !$t;
    my ($n, $c) = ($q{n} // '', $q{c} // '');
    return text(400, "n must be 1..100000\n", 'bad n')
        if $n !~ /^\d+$/ || $n < 1 || $n > 100_000;
    return text(400, "c must be 1..1000\n", 'bad c') if $c !~ /^\d+$/ || $c < 1 || $c > 1000;
    my $tmo = $q{timeout_ms} // 30000;
    return text(400, "timeout_ms must be 1..30000\n", 'bad timeout_ms')
        if $tmo !~ /^\d+$/ || $tmo < 1 || $tmo > 30000;
    my $r = run_requests($t, n => 0 + $n, conc => 0 + $c, timeout => $tmo / 1000);
    return text(200, "n=$n\nok=$r->{ok}\nerrors=$r->{errors}\n" . status_lines($r)
                     . "max_ms=$r->{max_ms}\n",
                "burst $n x GET $t->{path} at $t->{host}:$t->{port}: ok $r->{ok},"
                . " errors $r->{errors}, max $r->{max_ms} ms");
}

# /_load?port=P&path=U&seconds=S&c=C[&slow_ms=T][&host=H]
sub control_load ($req) {
    my %q = query_params($req);
    my ($t, $why) = target_params(%q);
    return text(400, "$why\n", 'bad target') if !$t;
    my ($secs, $c, $slow) = ($q{seconds} // '', $q{c} // '', $q{slow_ms} // 1000);
    return text(400, "seconds must be more than 0 and at most 60\n", 'bad seconds')
        if $secs !~ /^\d+(?:\.\d+)?$/ || $secs <= 0 || $secs > 60;
    return text(400, "c must be 1..1000\n", 'bad c') if $c !~ /^\d+$/ || $c < 1 || $c > 1000;
    return text(400, "slow_ms must be a number of ms\n", 'bad slow_ms')
        if $slow !~ /^\d+$/;
    my $r = run_requests($t, until => time + $secs, conc => 0 + $c, slow_ms => 0 + $slow);
    return text(200, "requests=$r->{requests}\nerrors=$r->{errors}\n" . status_lines($r)
                     . "max_ms=$r->{max_ms}\nslow=$r->{slow}\n",
                "load $secs s x $c GET $t->{path} at $t->{host}:$t->{port}:"
                . " $r->{requests} requests, errors $r->{errors}, max $r->{max_ms} ms");
}

# /_keepalive?port=P&path=U&seconds=S[&slow_ms=T][&interval_ms=I][&host=H]:
# one client that keeps its connection, as a browser or a proxy in front
# of nginx does
sub control_keepalive ($req) {
    my %q = query_params($req);
    my ($t, $why) = target_params(%q);
    return text(400, "$why\n", 'bad target') if !$t;
    my ($secs, $slow, $gap) = ($q{seconds} // '', $q{slow_ms} // 1000, $q{interval_ms} // 0);
    return text(400, "seconds must be more than 0 and at most 60\n", 'bad seconds')
        if $secs !~ /^\d+(?:\.\d+)?$/ || $secs <= 0 || $secs > 60;
    return text(400, "slow_ms must be a number of ms\n", 'bad slow_ms') if $slow !~ /^\d+$/;
    return text(400, "interval_ms must be 0..10000\n", 'bad interval_ms')
        if $gap !~ /^\d+$/ || $gap > 10000;
    my $s = IO::Socket::INET->new(PeerAddr => $t->{host}, PeerPort => $t->{port},
                                  Proto => 'tcp', Timeout => 5)
        or return text(502, "keepalive: cannot connect: $@\n", 'keepalive: connect failed');
    binmode $s;
    my $request = "GET $t->{path} HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my %r = (requests => 0, status => {}, max_ms => 0, slow => 0, errors => 0,
             in_flight => 0);
    my $watch = $q{watch};
    my $until = time + $secs;
    local $SIG{ALRM} = sub { die "timeout\n" };
    while (time < $until) {
        my $t0 = time;
        my $ok = eval {
            alarm 30;
            write_all($s, $request) or die "write: $!\n";
            my $buf = '';
            while ($buf !~ /\r\n\r\n/) {
                sysread($s, $buf, 65536, length $buf) or die "closed\n";
            }
            my ($code) = $buf =~ m{^HTTP/1\.[01] (\d{3})} or die "bad status\n";
            my ($len) = $buf =~ /\r\ncontent-length:[ \t]*(\d+)/i;
            die "no length\n" if !defined $len;
            my $have = length($buf) - index($buf, "\r\n\r\n") - 4;
            while ($have < $len) {
                my $n = sysread($s, my $chunk, 65536) or die "closed in body\n";
                $have += $n;
            }
            die "connection: close\n" if $buf =~ /\r\nconnection:[ \t]*close/i;
            alarm 0;
            $r{status}{$code}++;
            1;
        };
        alarm 0;
        $r{requests}++;
        if (!$ok) { $r{errors}++; last }
        my $ms = (time - $t0) * 1000;
        $r{max_ms} = $ms if $ms > $r{max_ms};
        $r{slow}++ if $ms > $slow;
        $r{in_flight}++ if defined $watch && with_state(sub ($st) {
            my $p = $st->{paths}{$watch};
            $p && ($p->{inflight} // 0) > 0 });
        pause_ms($gap) if $gap;
    }
    close $s;
    $r{max_ms} = int($r{max_ms} + 0.5);
    return text(200, "requests=$r{requests}\nerrors=$r{errors}\n" . status_lines(\%r)
                     . "max_ms=$r{max_ms}\nslow=$r{slow}\n"
                     . (defined $watch ? "in_flight=$r{in_flight}\n" : ''),
                "keepalive $secs s x GET $t->{path}: $r{requests} requests, errors"
                . " $r{errors}, max $r{max_ms} ms");
}

# /_h2reset?port=P&path=U&n=N[&after_ms=M][&host=H]: t/mock/h2-reset.py
sub control_h2reset ($req) {
    my %q = query_params($req);
    my ($t, $why) = target_params(%q);
    return text(400, "$why\n", 'bad target') if !$t;
    my ($n, $after) = ($q{n} // '', $q{after_ms} // 50);
    return text(400, "n must be 1..1000\n", 'bad n') if $n !~ /^\d+$/ || $n < 1 || $n > 1000;
    return text(400, "after_ms must be 0..10000\n", 'bad after_ms')
        if $after !~ /^\d+$/ || $after > 10000;
    (my $script = __FILE__) =~ s{[^/]+$}{h2-reset.py};
    my $pid = open(my $out, '-|') // return text(500, "fork: $!\n", 'fork failed');
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        { exec '/usr/bin/python3', $script, '--host', $t->{host}, '--port', $t->{port},
               '--path', $t->{path}, '--streams', $n, '--after-ms', $after }
        print "exec: $!\n";
        POSIX::_exit(127);
    }
    my $res = do { local $/; <$out> } // '';
    close $out;
    return text($? == 0 ? 200 : 500, $res, "h2reset $n x $t->{path}: "
                . ($? == 0 ? 'done' : 'failed ' . ($? >> 8)));
}

# /_fire?port=P&path=U[&host=H]: the request is connected and sent before
# the answer "fired"; this connection's child then reads its response (30 s
# at most), logs the status and exits. It stays a child of the master,
# which reaps it: no zombie, and no orphan left to whatever pid 1 is.
sub control_fire ($req) {
    my %q = query_params($req);
    my ($t, $why) = target_params(%q);
    return text(400, "$why\n", 'bad target') if !$t;
    my $s = IO::Socket::INET->new(PeerAddr => $t->{host}, PeerPort => $t->{port},
                                  Proto => 'tcp', Timeout => 5)
        or return text(502, "fire: cannot connect to $t->{host}:$t->{port}: $@\n",
                       'fire: connect failed');
    binmode $s;
    my $request = http_get_request($t->{path});
    my $off = 0;
    while ($off < length $request) {
        my $n = syswrite($s, $request, length($request) - $off, $off);
        return text(502, "fire: write failed: $!\n", 'fire: write failed') if !defined $n;
        $off += $n;
    }
    my $t0 = time;
    push @AFTER, sub {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 30;
        my $raw = '';
        eval { 1 while sysread($s, $raw, 65536, length $raw); 1 } or chomp(my $err = $@);
        alarm 0;
        close $s;
        my ($code) = $raw =~ m{^HTTP/1\.[01] (\d{3})};
        logline(sprintf 'fire: GET %s at %s:%d -> %s in %d ms', $t->{path}, $t->{host},
                $t->{port}, $code // ($err || 'no answer'), (time - $t0) * 1000);
    };
    return text(200, "fired\n", "fired GET $t->{path} at $t->{host}:$t->{port}");
}

# ---------------------------------------------------------------------------
# Token endpoint
# ---------------------------------------------------------------------------

# Thrown by the verification code: refuse(status, error, description)
# $why, for the log and /_stats?detail=1 only, where the description is
# a real server's words that do not say which check failed
sub refuse ($status, $error, $desc, $why = undef) {
    die { status => $status, error => $error, desc => $desc, why => $why // $desc };
}

sub json_raw ($status, $body) {
    return ($status, ['Content-Type' => 'application/json'], $body);
}

sub json_error ($status, $error, $desc) {
    return json_raw($status, $JSON->encode({ error => $error, error_description => $desc }));
}

# Okta-like success body with the keys in Okta's order; raw JSON values.
sub token_body ($ctx, %override) {
    my @fields = (
        token_type   => '"Bearer"',
        expires_in   => $DEFAULT_EXPIRES_IN,
        access_token => undef,    # minted below unless overridden
        scope        => defined $ctx->{scope} && length $ctx->{scope}
                        ? json_str($ctx->{scope}) : undef,
    );
    my @out;
    while (my ($k, $v) = splice @fields, 0, 2) {
        $v = $override{$k} if exists $override{$k};
        if ($k eq 'access_token' && !exists $override{$k}) {
            my $e = $override{expires_in};
            $e = $DEFAULT_EXPIRES_IN if !defined $e || $e !~ /^\d+$/ || $e == 0;
            $v = '"' . mint_token($ctx->{client_id}, $ctx->{scope}, $ctx->{now}, $e) . '"';
        }
        push @out, json_str($k) . ':' . $v if defined $v;
    }
    return '{' . join(',', @out) . '}';
}

# A Perl string as a JSON string literal
sub json_str ($s) { JSON::PP->new->allow_nonref->encode("$s") }

# With $size, a "pad" claim makes the token exactly $size bytes long (a
# base64url text cannot end on every length: then the header's "x" takes
# the slack).
# %$extra: aud (default api://okta-mock), cnf (a DPoP-bound token's)
sub mint_token ($cid, $scope, $iat, $expires_in, $size = undef, $extra = {}) {
    return mint_token_padded($cid, $scope, $iat, $expires_in, undef, '', $extra)
        if !defined $size;
    my $bare = length mint_token_padded($cid, $scope, $iat, $expires_in, '', '', $extra);
    my $pad = int(($size - $bare) * 3 / 4);
    for my $x ('', 'x', 'xx', 'xxx') {
        for my $p (($pad > 16 ? $pad - 16 : 0) .. $pad + 8) {
            my $t = mint_token_padded($cid, $scope, $iat, $expires_in, 'p' x $p, $x, $extra);
            return $t if length $t == $size;
        }
    }
    die "mint_token: no token of $size bytes\n";
}

sub mint_token_padded ($cid, $scope, $iat, $expires_in, $pad, $x, $extra = {}) {
    my @scp = grep { length } split / /, $scope // '';
    return encode_jwt(
        alg     => 'HS256',
        key     => $SECRET,
        extra_headers => { typ => 'JWT', kid => 'okta-mock-hs256',
                           length $x ? (x => $x) : () },
        payload => {
            defined $pad ? (pad => $pad) : (),
            ver => 1,
            jti => 'AT.' . encode_b64u(random_bytes(33)),
            iss => 'okta-mock',
            aud => $extra->{aud} // $DEFAULT_AUD,
            $extra->{cnf} ? (cnf => $extra->{cnf}) : (),
            iat => int($iat),
            # from the precise time, rounded up: a token lives at least
            # expires_in seconds here, as it does for the client that
            # counts them ($iat may be whole seconds already)
            exp => int(time + $expires_in + 0.999999),
            cid => $cid,
            sub => $cid,
            uid => '00u' . random_bytes_hex(8),
            scp => \@scp,
        },
    );
}

sub token_endpoint ($req) {
    my $now = int time;
    my %form = eval { parse_form($req->{body}) };     # lenient, for recording
    my $scope = $form{scope};
    my $override = record_request($req, ref $scope ? $scope->[0] : $scope, 1);
    inflight_enter($req);

    my $spec = { verify => 1 };
    my ($scenario, @cap);
    if (defined $override) {              # /_fail wins over /s/<name>/
        $scenario = $override;
    } elsif ($req->{path} =~ m{/s/([^/]+)/}) {
        $scenario = $1;
    }
    if (defined $scenario) {
        ($spec, @cap) = find_scenario($scenario);
        return (json_error(500, 'server_error', "unknown mock scenario $scenario"),
                "unknown scenario $scenario") if !$spec;
        $scenario .= ' (/_fail override)' if defined $override;
    }

    if (!$spec->{verify}) {
        my $ctx = {
            now => $now,
            scope => ref $scope ? $scope->[0] : $scope,
            client_id => unverified_client_id(ref $form{client_assertion}
                                    ? '' : $form{client_assertion} // ''),
            headers => $req->{headers},
        };
        my ($status, $headers, $body, $reason) = $spec->{reply}->($ctx, @cap);
        return ($status, $headers, $body,
                "scenario $scenario" . (defined $reason ? ": $reason" : ''));
    }

    if ($spec->{delay_ms}) {
        my $ms = $spec->{delay_ms}->(@cap);
        if (!pause_watch($req->{sock}, $ms)) {
            $req->{aborted} = 1;
            return (0, [], '', "the client hung up during the delay of $ms ms");
        }
        $now = int time;
    }

    # what /_stats?detail=1 shows of this request, filled in as it is
    # verified
    my $seen = $req->{seen} = {
        params => join(',', map { form_decode((split /=/, $_, 2)[0]) }
                            grep { length } split /&/, $req->{body}),
        resource => join(' ', map { ref $_ ? @$_ : $_ } $form{resource} // ()),
        audience => ref $form{audience} ? $form{audience}[0] : $form{audience},
    };
    my $ok = eval { verify_token_request($req, $now, $spec) };
    if (!$ok) {
        my $e = $@;
        die $e if ref $e ne 'HASH';    # a bug in the mock: 500
        record_outcome($req->{path}, $seen, "$e->{status} $e->{error}: $e->{why}", $e->{error});
        my ($status, $headers, $body) = json_error($e->{status}, $e->{error}, $e->{desc});
        return ($status, [@$headers, @{ $e->{headers} // [] }], $body,
                "$e->{error}: $e->{why}");
    }

    my $expires_in = $spec->{expires_in} ? $spec->{expires_in}->(@cap) : $DEFAULT_EXPIRES_IN;
    my $size = $spec->{token_size} ? $spec->{token_size}->(@cap) : undef;
    return (json_error(500, 'server_error', "token size $size out of 300..16384"),
            "bad token size $size")
        if defined $size && ($size < 300 || $size > 16384);
    # a token bound to the proof's key, unless the scenario answers Bearer
    my $dpop = $ok->{dpop};
    my $bound = $dpop && !$spec->{dpop_as_bearer};
    my %extra = (defined $ok->{aud} ? (aud => $ok->{aud}) : (),
                 $bound ? (cnf => { jkt => $dpop->{jkt} }) : ());
    my $ctx = { now => $now, scope => $ok->{scope}, client_id => $ok->{client_id} };
    my $body = token_body($ctx, expires_in => $expires_in,
        $bound ? (token_type => '"DPoP"') : (),
        access_token => '"' . mint_token($ok->{client_id}, $ok->{scope}, $now, $expires_in,
                                         $size, \%extra) . '"');
    $seen->{token_type} = $bound ? 'DPoP' : 'Bearer';
    record_outcome($req->{path}, $seen, '200');
    my @headers = ('Content-Type' => 'application/json',
                   $dpop && $dpop->{announce} ? ('DPoP-Nonce' => $dpop->{announce}) : (),
                   $spec->{unbuffered} ? ('X-Accel-Buffering' => 'no') : ());
    return send_trickle($req, 200, \@headers, $body, $spec->{trickle_ms}->(@cap))
        if $spec->{trickle_ms};
    return (200, \@headers, $body,
            sprintf('issued %s token for %s (%s, %s, kid %s) scope "%s" expires_in %d%s',
                    $seen->{token_type}, $ok->{client_id}, $ok->{method}, $ok->{alg},
                    $ok->{kid}, $ok->{scope} // '', $expires_in,
                    $scenario ? " scenario $scenario" : ''));
}

# Form body to hash; a parameter seen twice becomes an array ref.
sub parse_form ($body) {
    my %form;
    return %form if $body eq '';
    for my $pair (split /&/, $body, -1) {
        die "malformed form body (empty pair)\n" if $pair eq '';
        die "malformed form body (no '=' in pair)\n" if $pair !~ /=/;
        my ($k, $v) = split /=/, $pair, 2;
        ($k, $v) = (form_decode($k), form_decode($v));
        if (exists $form{$k}) {
            $form{$k} = [ ref $form{$k} ? @{ $form{$k} } : $form{$k}, $v ];
        } else {
            $form{$k} = $v;
        }
    }
    return %form;
}

sub unverified_client_id ($assertion) {
    my ($payload) = $assertion =~ /^[^.]+\.([A-Za-z0-9_-]+)\./ or return 'unknown';
    my $claims = eval { $JSON->decode(decode_b64u($payload) // '') };
    return ref $claims eq 'HASH' && defined $claims->{iss} && !ref $claims->{iss}
        ? $claims->{iss} : 'unknown';
}

# A JSON integer as decoded by JSON::PP: integer-valued and not a string.
sub is_json_int ($v) {
    return 0 if !defined $v || ref $v;
    my $flags = B::svref_2object(\$v)->FLAGS;
    return ($flags & B::SVf_IOK) && !($flags & B::SVf_POK) ? 1 : 0;
}

# ---------------------------------------------------------------------------
# Clients. The mock keeps no registry: the words of a client_id, between
# its dashes, say how that client is registered (see the header comment).
# ---------------------------------------------------------------------------
my %METHOD_WORD = (
    basic      => 'client_secret_basic',
    post       => 'client_secret_post',
    secretjwt  => 'client_secret_jwt',
    mtls       => 'tls_client_auth',
    selfsigned => 'self_signed_tls_client_auth',
    none       => 'none',
);
# tls_client_auth_subject_dn of the tls_client_auth clients, as
# IO::Socket::SSL writes a subject
my $MTLS_SUBJECT = '/CN=oauth2-test-client';

sub client_profile ($client_id) {
    my %w = map { lc $_ => 1 } split /-/, $client_id // '';
    my ($method) = map { $METHOD_WORD{$_} } grep { $w{$_} } sort keys %METHOD_WORD;
    return {
        method      => $method // 'private_key_jwt',
        x5t         => $w{x5t} ? 1 : 0,
        dpop        => $w{dpop} ? 1 : 0,
        secret_file => $w{utf8} ? 'client-utf8.secret' : 'client.secret',
    };
}

sub read_file_bytes ($file) {
    open my $fh, '<:raw', $file or die "$0: cannot read $file: $!\n";
    local $/;
    return <$fh> // '';
}

# base64url SHA-256 (or SHA-1) of the DER of the first certificate in a PEM
sub cert_thumbprint ($pem, $sha1 = 0) {
    my ($b64) = $pem =~ /-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----/s
        or return '';
    my $der = decode_base64($b64);
    return encode_b64u($sha1 ? sha1($der) : sha256($der));
}

# The certificates registered for assertions with x5t#S256: DIR/NAME.crt
# for which DIR/NAME.pub.pem exists (rsa1.crt, ec1.crt). Returns
# (NAME, PEM) for a x5t#S256 value, or ().
sub registered_certificate ($x5t) {
    for my $file (sort glob "$KEYS_DIR/*.crt") {
        my ($name) = $file =~ m{([^/]+)\.crt$};
        next if !-f "$KEYS_DIR/$name.pub.pem";
        my $pem = read_file_bytes($file);
        return ($name, $pem) if cert_thumbprint($pem) eq $x5t;
    }
    return;
}

# Okta's own words for these refusals
my $CLIENT_AUTH_FAILED = 'Client authentication failed. Either the client or the client'
                       . ' credentials are invalid.';
my $MULTIPLE_CREDENTIALS = 'Cannot supply multiple client credentials. Use one of the'
    . ' following: credentials in the Authorization header, credentials in the post body,'
    . ' or a client_assertion in the post body.';
my $BAD_SECRET = 'The client secret supplied for a confidential client is invalid.';
my $DPOP_MISSING = 'The DPoP proof JWT header is missing.';
my $NONCE_REQUIRED_AS = 'Authorization server requires nonce in DPoP proof.';
my $NONCE_REQUIRED_RS = 'Resource server requires nonce in DPoP proof.';

# Resources (RFC 8707) and audiences (Auth0) the mock knows; a token for
# one has it as its aud
sub known_resource ($r) {
    return $r =~ m{^https://api\.example\.test(?:[/?]|$)} || $r =~ /^urn:okta-mock:/;
}

sub verify_token_request ($req, $now, $spec = {}) {
    my $seen = $req->{seen} //= {};

    # --- HTTP level --------------------------------------------------------
    refuse(400, 'invalid_request', "method must be POST, got $req->{method}")
        if $req->{method} ne 'POST';

    my %dup;
    for my $h (@{ $req->{headers} }) {
        my $name = $h->[0];
        # Authorization only for client_secret_basic; X-Extra-* for the
        # extra headers some servers want
        refuse(400, 'invalid_request', "unexpected header $name")
            if !$ALLOWED_HEADERS{$name} && $name !~ /^x-extra-[a-z0-9-]+$/
               && !($name eq 'authorization' && $h->[1] =~ /^Basic /);
        refuse(400, 'invalid_request', "duplicate header $name") if $dup{$name}++;
    }
    my %hdr = map { @$_ } @{ $req->{headers} };

    refuse(400, 'invalid_request', 'missing Content-Type header')
        if !defined $hdr{'content-type'};
    refuse(400, 'invalid_request',
           "Content-Type must be application/x-www-form-urlencoded, got $hdr{'content-type'}")
        if $hdr{'content-type'} !~ m{^application/x-www-form-urlencoded(?:[ \t]*;.*)?$};
    refuse(400, 'invalid_request', 'missing Accept header') if !defined $hdr{accept};
    refuse(400, 'invalid_request', "Accept must be application/json, got $hdr{accept}")
        if $hdr{accept} !~ m{^application/json(?:[ \t]*;.*)?$};
    refuse(400, 'invalid_request', 'missing Content-Length header')
        if !defined $hdr{'content-length'};

    # --- form body ---------------------------------------------------------
    my $body = $req->{body};
    # Bytes a form-urlencoding serializer never leaves raw
    if ($body =~ /([^A-Za-z0-9*\-._~+%!\$'(),\/:;=?@&])/) {
        refuse(400, 'invalid_request',
               sprintf 'unencoded character 0x%02X in form body', ord $1);
    }
    refuse(400, 'invalid_request', 'bad percent-encoding in form body')
        if $body =~ /%(?![0-9A-Fa-f]{2})/;
    my %form = eval { parse_form($body) };
    if ($@) { chomp(my $e = $@); refuse(400, 'invalid_request', $e) }
    for my $k (sort keys %form) {
        # resource may be repeated (RFC 8707 2)
        refuse(400, 'invalid_request', "duplicate parameter $k")
            if ref $form{$k} && $k ne 'resource';
        refuse(400, 'invalid_request', "unexpected parameter $k")
            if !$ALLOWED_PARAMS{$k} && $k !~ /^x_[A-Za-z0-9_]+$/;
    }

    refuse(400, 'invalid_request', 'missing grant_type') if !defined $form{grant_type};
    refuse(400, 'unsupported_grant_type',
           "grant_type must be client_credentials, got $form{grant_type}")
        if $form{grant_type} ne 'client_credentials';

    # --- client authentication ---------------------------------------------
    my $client = authenticate_client($req, \%form, \%hdr, $now);

    # --- scope -------------------------------------------------------------
    my $scope = $form{scope};
    if (defined $scope) {
        refuse(400, 'invalid_scope', 'empty scope parameter') if $scope eq '';
        refuse(400, 'invalid_scope', 'malformed scope (one space between scopes)')
            if $scope !~ /^[^ ]+(?: [^ ]+)*$/;
        my @bad = grep { !$GRANTABLE_SCOPES{$_} } split / /, $scope;
        refuse(400, 'invalid_scope', 'The following scopes are not allowed: ' . join(', ', @bad))
            if @bad;
    }

    # --- resource (RFC 8707), audience (Auth0) ------------------------------
    my @resources = !defined $form{resource} ? ()
                  : ref $form{resource} ? @{ $form{resource} } : ($form{resource});
    for my $r (@resources) {
        refuse(400, 'invalid_target',
               "resource \"$r\" is not an absolute URI without a fragment")
            if $r !~ m{^[A-Za-z][A-Za-z0-9+.-]*:[^#\s]+$};
        refuse(400, 'invalid_target',
               'The requested resource is invalid, missing, unknown, or malformed.',
               "unknown resource $r") if !known_resource($r);
    }
    my $audience = $form{audience};
    # Auth0's answer to an audience it has no API for
    refuse(403, 'access_denied', "Service not found: $audience")
        if defined $audience && !known_resource($audience);
    my $aud = @resources > 1 ? [@resources] : @resources ? $resources[0] : $audience;

    # --- DPoP (RFC 9449) ---------------------------------------------------
    my $dpop = token_dpop($req, \%hdr, $client, $now, $spec);

    return { %$client, scope => $scope, aud => $aud, dpop => $dpop };
}

# Which client authentication the request uses, verified; refuses a second
# one, and a method the client is not registered for. Returns {client_id,
# method, alg, kid, profile}.
sub authenticate_client ($req, $form, $hdr, $now) {
    my $seen = $req->{seen};
    my @ways = ((defined $hdr->{authorization} ? 'an Authorization header' : ()),
                (defined $form->{client_secret} ? 'client_secret' : ()),
                (defined $form->{client_assertion} || defined $form->{client_assertion_type}
                 ? 'client_assertion' : ()));
    refuse(400, 'invalid_request', $MULTIPLE_CREDENTIALS,
           'credentials in ' . join(' and ', @ways)) if @ways > 1;

    if (defined $hdr->{authorization}) {
        $seen->{auth} = 'client_secret_basic';
        my ($id, $secret) = basic_credentials($hdr->{authorization});
        refuse(400, 'invalid_request', 'client_id parameter differs from the Basic credentials')
            if defined $form->{client_id} && $form->{client_id} ne $id;
        return secret_client($id, $secret, 'client_secret_basic', $seen);
    }
    if (defined $form->{client_secret}) {
        $seen->{auth} = 'client_secret_post';
        refuse(400, 'invalid_request', 'missing client_id (client_secret_post)')
            if !defined $form->{client_id};
        return secret_client($form->{client_id}, $form->{client_secret},
                             'client_secret_post', $seen);
    }
    if (!@ways && defined $form->{client_id}) {
        my $id = $form->{client_id};
        my $p = client_profile($id);
        $seen->{client_id} = $id;
        $seen->{auth} = $p->{method} =~ /tls|none/ ? $p->{method} : 'client_id only';
        return certificate_client($req, $id, $p) if $p->{method} =~ /tls|none/;
        refuse(401, 'invalid_client', $CLIENT_AUTH_FAILED,
               "client $id is registered for $p->{method}, sent only its client_id");
    }
    return verify_assertion($req, $form, $hdr, $now);
}

# Authorization: Basic base64(form-encode(id) ":" form-encode(secret)),
# RFC 6749 2.3.1. Returns (id, secret), decoded.
sub basic_credentials ($value) {
    my ($b64) = $value =~ m{^Basic ([A-Za-z0-9+/]+={0,2})$}
        or refuse(400, 'invalid_request', 'Authorization header is not "Basic <base64>"');
    refuse(400, 'invalid_request', 'Basic credentials: base64 length not a multiple of 4')
        if length($b64) % 4;
    my ($id, $secret) = decode_base64($b64) =~ /^([^:]*):(.*)\z/s
        or refuse(400, 'invalid_request', 'Basic credentials without ":"');
    for my $part ([client_id => $id], [client_secret => $secret]) {
        my ($what, $v) = @$part;
        # what a form-urlencoding leaves raw, and %XX
        if ($v =~ /([^A-Za-z0-9*\-._~+%])/ || $v =~ /%(?![0-9A-Fa-f]{2})/) {
            my $why = defined $1 ? sprintf('raw 0x%02X', ord $1) : 'bad %-escape';
            refuse(401, 'invalid_client',
                   $what eq 'client_secret' ? $BAD_SECRET : $CLIENT_AUTH_FAILED,
                   "$what in the Basic credentials is not form-encoded ($why;"
                   . ' RFC 6749 2.3.1)');
        }
    }
    return (form_decode($id), form_decode($secret));
}

sub secret_client ($id, $secret, $method, $seen) {
    $seen->{client_id} = $id;
    refuse(401, 'invalid_client', $CLIENT_AUTH_FAILED, "unknown client \"$id\" (no 0oa prefix)")
        if $id !~ /^0oa/;
    my $p = client_profile($id);
    refuse(401, 'invalid_client', $CLIENT_AUTH_FAILED,
           "client $id is registered for $p->{method}, sent $method")
        if $p->{method} ne $method;
    my $want = read_file_bytes("$KEYS_DIR/$p->{secret_file}");
    refuse(401, 'invalid_client', $BAD_SECRET,
           sprintf('wrong secret for %s (%d bytes, %s has %d)', $id, length $secret,
                   $p->{secret_file}, length $want))
        if $secret ne $want;
    return { client_id => $id, method => $method, alg => '-', kid => '-', profile => $p };
}

# none, tls_client_auth, self_signed_tls_client_auth: client_id only, and
# for the TLS methods the client certificate of the connection
sub certificate_client ($req, $id, $p) {
    refuse(401, 'invalid_client', $CLIENT_AUTH_FAILED, "unknown client \"$id\" (no 0oa prefix)")
        if $id !~ /^0oa/;
    my $ok = { client_id => $id, method => $p->{method}, alg => '-', kid => '-',
               profile => $p };
    return $ok if $p->{method} eq 'none';

    my $peer = $req->{peer};
    refuse(401, 'invalid_client', 'client certificate was not provided',
           $req->{scheme} eq 'https' ? 'TLS without a client certificate'
                                     : 'plain HTTP: no client certificate possible')
        if !$peer || !$peer->{cert_pem};
    $req->{seen}{cert} = "$peer->{subject} $peer->{sha256}";
    if ($p->{method} eq 'tls_client_auth') {
        refuse(401, 'invalid_client', 'client certificate was not verified',
               "certificate $peer->{subject} is not signed by the test CA")
            if !$peer->{verified};
        refuse(401, 'invalid_client', 'certificate subject value does not match the'
               . ' registered one', "subject $peer->{subject}, registered $MTLS_SUBJECT")
            if $peer->{subject} ne $MTLS_SUBJECT;
    } else {
        my $want = cert_thumbprint(read_file_bytes("$KEYS_DIR/selfsigned.crt"));
        refuse(401, 'invalid_client', 'unregistered client certificate provided',
               "certificate $peer->{subject} is not selfsigned.crt")
            if $peer->{sha256} ne $want;
    }
    return $ok;
}

sub verify_assertion ($req, $form, $hdr, $now) {
    my $seen = $req->{seen};
    refuse(400, 'invalid_request', 'missing client_assertion_type')
        if !defined $form->{client_assertion_type};
    refuse(401, 'invalid_client', "client_assertion_type must be $ASSERTION_TYPE")
        if $form->{client_assertion_type} ne $ASSERTION_TYPE;
    refuse(400, 'invalid_request', 'missing client_assertion')
        if !defined $form->{client_assertion} || $form->{client_assertion} eq '';

    # --- the assertion -----------------------------------------------------
    my $jwt = $form->{client_assertion};
    # the registration of the client the assertion names, unverified yet
    my $profile = client_profile(unverified_client_id($jwt));
    $seen->{auth} = $profile->{method} eq 'client_secret_jwt' ? 'client_secret_jwt'
                                                               : 'private_key_jwt';
    $seen->{client_id} = unverified_client_id($jwt);
    # Compact JWS, base64url without padding (decode_jwt tolerates '=')
    my ($b64h, $b64p, $b64s) = $jwt =~ /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/
        or refuse(401, 'invalid_client', 'client_assertion is not a compact JWS');
    my $header = eval { $JSON->decode(decode_b64u($b64h) // '') };
    refuse(401, 'invalid_client', 'JWS header is not a JSON object')
        if ref $header ne 'HASH';

    my $alg = $header->{alg};
    refuse(401, 'invalid_client', 'JWS header has no alg') if !defined $alg || ref $alg;
    $seen->{alg} = $alg;
    $seen->{kid} = $header->{kid} if defined $header->{kid} && !ref $header->{kid};
    $seen->{'x5t#S256'} = $header->{'x5t#S256'}
        if defined $header->{'x5t#S256'} && !ref $header->{'x5t#S256'};
    my $secret_jwt = $profile->{method} eq 'client_secret_jwt';
    refuse(401, 'invalid_client', $CLIENT_AUTH_FAILED,
           "client $seen->{client_id} is registered for $profile->{method}, sent an assertion")
        if $profile->{method} ne 'private_key_jwt' && !$secret_jwt;
    if ($secret_jwt) {
        refuse(401, 'invalid_client', "alg $alg not allowed for client_secret_jwt")
            if $alg !~ /^HS(?:256|384|512)$/;
    } else {
        refuse(401, 'invalid_client', "alg $alg not allowed") if !$ACCEPTED_ALG{$alg};
    }
    refuse(401, 'invalid_client', 'typ must be JWT')
        if !defined $header->{typ} || ref $header->{typ} || $header->{typ} ne 'JWT';
    refuse(401, 'invalid_client', 'crit header not supported') if exists $header->{crit};

    my $sig = decode_b64u($b64s) // '';
    if (my $c = $EC_CURVE{$alg}) {
        # A DER-encoded ECDSA signature is the classic mistake: JWS wants R||S
        refuse(401, 'invalid_client',
               sprintf '%s signature must be %d bytes (R||S), got %d',
                       $alg, 2 * $c->[1], length $sig)
            if length $sig != 2 * $c->[1];
    }

    my @candidates;    # [name, key]
    if ($secret_jwt) {
        @candidates = (["secret $profile->{secret_file}",
                        read_file_bytes("$KEYS_DIR/$profile->{secret_file}")]);
    } elsif ($profile->{x5t} || exists $header->{'x5t#S256'}) {
        # Entra ID's certificate credentials: the certificate names the key
        my $t = $header->{'x5t#S256'};
        refuse(401, 'invalid_client', 'x5t#S256 header missing (the client is registered'
               . ' with a certificate)') if !defined $t;
        refuse(401, 'invalid_client', 'x5t#S256 must be the base64url of 32 bytes')
            if ref $t || $t !~ /^[A-Za-z0-9_-]{43}$/;
        my ($name, $pem) = registered_certificate($t)
            or refuse(401, 'invalid_client', "x5t#S256 $t names no registered certificate");
        refuse(401, 'invalid_client', "x5t does not match the certificate x5t#S256 names ($name.crt)")
            if exists $header->{x5t}
               && (ref $header->{x5t} || $header->{x5t} ne cert_thumbprint($pem, 1));
        my $file = "$KEYS_DIR/$name.crt";
        my ($key, $why) = load_key_for_alg($file, $alg);
        refuse(401, 'invalid_client', "certificate $name.crt unusable for $alg: $why") if !$key;
        @candidates = (["$name.crt", $key]);
    } elsif (exists $header->{kid}) {
        my $kid = $header->{kid};
        refuse(401, 'invalid_client', 'unknown kid')
            if !defined $kid || ref $kid || $kid !~ /^[A-Za-z0-9_-]+$/
               || !-f "$KEYS_DIR/$kid.pub.pem";
        my ($key, $why) = load_key_for_alg("$KEYS_DIR/$kid.pub.pem", $alg);
        refuse(401, 'invalid_client', "key $kid unusable for $alg: $why") if !$key;
        @candidates = ([$kid, $key]);
    } else {
        for my $file (sort glob "$KEYS_DIR/*.pub.pem") {
            my ($key) = load_key_for_alg($file, $alg);
            next if !$key;    # wrong type or size for this alg
            push @candidates, [$file =~ m{([^/]+)\.pub\.pem$}, $key];
        }
    }

    my ($kid_used, $payload_json);
    for my $c (@candidates) {
        $payload_json = eval {
            decode_jwt(token => $jwt, key => $c->[1], accepted_alg => $alg,
                       decode_payload => 0, ignore_claims => 1);
        };
        if (defined $payload_json) { $kid_used = $c->[0]; last }
    }
    if (!defined $kid_used) {
        refuse(401, 'invalid_client',
               $secret_jwt ? 'signature invalid for the client secret'
               : @candidates == 1 && $candidates[0][0] =~ /\.crt$/
                   ? "signature invalid for the key of $candidates[0][0]"
               : exists $header->{kid} ? "signature invalid for kid $header->{kid}"
                                       : "no key verifies the signature (no kid)");
    }

    # --- claims ------------------------------------------------------------
    my $claims = eval { $JSON->decode($payload_json) };
    refuse(401, 'invalid_client', 'JWT payload is not a JSON object') if ref $claims ne 'HASH';
    my $bad = sub ($why) { refuse(401, 'invalid_client', $why) };

    for my $c (qw(iss sub)) {
        $bad->("$c missing") if !defined $claims->{$c} || ref $claims->{$c} || $claims->{$c} eq '';
    }
    $bad->('iss and sub differ') if $claims->{iss} ne $claims->{sub};
    $bad->('iss must be a client id starting with 0oa') if $claims->{iss} !~ /^0oa/;
    $bad->('client_id parameter differs from iss')
        if defined $form->{client_id} && $form->{client_id} ne $claims->{iss};

    my $aud = $claims->{aud};
    $bad->('aud missing') if !defined $aud;
    $bad->('aud must be a string') if ref $aud;
    my @expected = expected_urls($req, $hdr);
    $bad->("aud mismatch: got $aud, expected $expected[0]") if !grep { $aud eq $_ } @expected;

    for my $c (qw(exp iat)) {
        $bad->("$c missing") if !exists $claims->{$c};
        $bad->("$c must be an integer") if !is_json_int($claims->{$c});
    }
    my ($exp, $iat) = @$claims{qw(exp iat)};
    $bad->("exp in the past ($exp <= $now)") if $exp <= $now;
    $bad->("exp too far in the future ($exp > now + $MAX_LIFETIME)")
        if $exp > $now + $MAX_LIFETIME + $CLOCK_SKEW;
    $bad->("iat in the future ($iat > $now)") if $iat > $now + $CLOCK_SKEW;
    $bad->("exp - iat exceeds $MAX_LIFETIME") if $exp - $iat > $MAX_LIFETIME;
    if (exists $claims->{nbf}) {
        $bad->('nbf must be an integer') if !is_json_int($claims->{nbf});
        $bad->('nbf in the future') if $claims->{nbf} > $now + $CLOCK_SKEW;
    }

    my $jti = $claims->{jti};
    $bad->('jti missing') if !defined $jti || ref $jti || $jti eq '';
    # Check and remember atomically: two concurrent requests with one jti
    # must not both pass.
    my $reused = with_state(sub ($st) {
        return 1 if exists $st->{jti}{$jti};
        $st->{jti}{$jti} = $now;
        return 0;
    });
    refuse(400, 'invalid_client', 'jti reused') if $reused;

    return { client_id => $claims->{iss}, method => $seen->{auth}, alg => $alg,
             kid => $kid_used, profile => client_profile($claims->{iss}) };
}

# The URLs a request may name as itself (aud of an assertion, htu of a
# DPoP proof): the listener's address and the Host header, with the
# request's scheme and path; normalized (scheme and host in lower case,
# no default port).
sub expected_urls ($req, $hdr) {
    my $scheme = $req->{scheme} // 'http';
    # the bytes a URI cannot hold as they are (raw UTF-8, or not UTF-8
    # at all), percent-encoded as a server does to compare (RFC 3986 2.1)
    (my $path = $req->{path}) =~ s/([^\x21-\x7e])/sprintf '%%%02X', ord $1/ge;
    my @urls = ("$scheme://$opt{host}:" . ($req->{port} // $opt{port}) . $path);
    push @urls, "$scheme://$hdr->{host}$path" if defined $hdr->{host};
    return map { normalize_url($_) // () } @urls;
}

sub normalize_url ($u) {
    my ($scheme, $host, $port, $path) =
        $u =~ m{^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(/[^?#]*)?$}i
        or return undef;
    $scheme = lc $scheme;
    $port = '' if !defined $port || ($scheme eq 'http' && $port == 80)
                  || ($scheme eq 'https' && $port == 443);
    return "$scheme://" . lc($host) . (length $port ? ":$port" : '') . ($path // '/');
}

# ---------------------------------------------------------------------------
# DPoP (RFC 9449)
# ---------------------------------------------------------------------------
my $DPOP_IAT_WINDOW = 60;    # seconds a proof's iat may lie in the past
my %JWK_PRIVATE = map { $_ => 1 } qw(d p q dp dq qi oth k);

# The public key of a proof's jwk header, checked against the alg.
sub dpop_key ($jwk, $alg) {
    my $kty = $jwk->{kty} // '';
    if ($alg =~ /^[RP]S/) {
        die { dpop => "jwk kty $kty does not fit $alg" } if $kty ne 'RSA';
        my $k = eval { Crypt::PK::RSA->new({ kty => 'RSA', n => $jwk->{n}, e => $jwk->{e} }) }
            or die { dpop => 'jwk is not a usable RSA public key' };
        die { dpop => sprintf 'jwk RSA key too short (%d bits)', $k->size * 8 }
            if $k->size * 8 < 2048;
        return $k;
    }
    my $c = $EC_CURVE{$alg};
    die { dpop => "jwk kty $kty does not fit $alg" } if $kty ne 'EC';
    die { dpop => "jwk crv must be $c->[2] for $alg" } if ($jwk->{crv} // '') ne $c->[2];
    my $k = eval { Crypt::PK::ECC->new({ kty => 'EC', crv => $jwk->{crv},
                                         x => $jwk->{x}, y => $jwk->{y} }) }
        or die { dpop => 'jwk is not a usable EC public key' };
    return $k;
}

# Verifies one DPoP proof. %o: htm, htu => [normalized URLs it may name],
# token => the access token it goes with (then ath is required; without,
# ath is refused: a token request has no token yet). Returns {jkt, jti,
# iat, nonce, alg, htu}; dies with {dpop => reason}. jti and nonce are the
# caller's to check (they need the state).
sub verify_dpop_proof ($proof, $now, %o) {
    my $bad = sub ($why) { die { dpop => $why } };
    my ($h64, $p64, $s64) = $proof =~ /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/
        or $bad->('not a compact JWS');
    my $header = eval { $JSON->decode(decode_b64u($h64) // '') };
    $bad->('JWS header is not a JSON object') if ref $header ne 'HASH';
    $bad->('typ must be dpop+jwt')
        if !defined $header->{typ} || ref $header->{typ} || $header->{typ} ne 'dpop+jwt';
    my $alg = $header->{alg};
    $bad->('alg missing') if !defined $alg || ref $alg;
    $bad->("alg $alg not allowed (asymmetric algorithms only)") if !$ACCEPTED_ALG{$alg};
    my $jwk = $header->{jwk};
    $bad->('jwk header missing or not an object') if ref $jwk ne 'HASH';
    my @private = grep { exists $jwk->{$_} } sort keys %JWK_PRIVATE;
    $bad->("jwk holds private key members: @private") if @private;
    my $key = dpop_key($jwk, $alg);
    if (my $c = $EC_CURVE{$alg}) {
        my $len = length(decode_b64u($s64) // '');
        $bad->(sprintf '%s signature must be %d bytes (R||S), got %d', $alg, 2 * $c->[1], $len)
            if $len != 2 * $c->[1];
    }
    my $json = eval {
        decode_jwt(token => $proof, key => $key, accepted_alg => $alg,
                   decode_payload => 0, ignore_claims => 1);
    };
    $bad->('signature invalid for the jwk of its header') if !defined $json;
    my $c = eval { $JSON->decode($json) };
    $bad->('payload is not a JSON object') if ref $c ne 'HASH';

    for my $name (qw(htm htu jti)) {
        $bad->("$name missing") if !defined $c->{$name} || ref $c->{$name} || $c->{$name} eq '';
    }
    $bad->("htm $c->{htm}, expected $o{htm}") if $c->{htm} ne $o{htm};
    $bad->("htu $c->{htu} has a query or fragment") if $c->{htu} =~ /[?#]/;
    my $htu = normalize_url($c->{htu});
    $bad->("htu $c->{htu} is not an absolute http(s) URL") if !defined $htu;
    $bad->("htu $c->{htu}, expected $o{htu}[0]") if !grep { $htu eq $_ } @{ $o{htu} };
    $bad->('iat missing') if !exists $c->{iat};
    $bad->('iat must be an integer') if !is_json_int($c->{iat});
    $bad->("iat $c->{iat} more than $DPOP_IAT_WINDOW s ago") if $c->{iat} < $now - $DPOP_IAT_WINDOW;
    $bad->("iat $c->{iat} in the future") if $c->{iat} > $now + $CLOCK_SKEW;
    $bad->('jti longer than 256 characters') if length $c->{jti} > 256;
    if (defined $o{token}) {
        $bad->('ath missing') if !defined $c->{ath};
        $bad->('ath does not match the access token')
            if ref $c->{ath} || $c->{ath} ne encode_b64u(sha256($o{token}));
    } else {
        $bad->('ath in a token request proof') if exists $c->{ath};
    }
    $bad->('nonce must be a non-empty string')
        if exists $c->{nonce} && (!defined $c->{nonce} || ref $c->{nonce} || $c->{nonce} eq '');
    return { jkt => $key->export_key_jwk_thumbprint('SHA256'), jti => $c->{jti},
             iat => $c->{iat}, nonce => $c->{nonce}, alg => $alg, htu => $c->{htu} };
}

# Remember a proof's jti; false when it was seen before (token endpoint
# and API share one store). One file per jti, made with O_EXCL: atomic
# without the state lock, and a thousand proofs do not make every request
# rewrite a growing state.json.
sub remember_dpop_jti ($jti) {
    my $dir = "$STATE_DIR/dpop-jti";
    mkdir $dir if !-d $dir;
    sysopen(my $fh, "$dir/" . sha256_hex($jti), O_WRONLY | O_CREAT | O_EXCL, 0600)
        or return $!{EEXIST} ? 0 : die "dpop-jti: $!\n";
    close $fh;
    return 1;
}

sub new_nonce { encode_b64u(random_bytes(24)) }

# The nonces of a token path (or "api"): {current, old => [accepted too]}.
# $mode: "optional" (a nonce is checked only when present), "required", or
# "always" (every proof refused, with a new nonce each time). Returns
# ($ok, $current, $announce): announce when an old nonce was accepted.
sub check_nonce ($key, $nonce, $mode) {
    return (1, undef, 0) if $mode eq 'optional' && !defined $nonce;
    return with_state(sub ($st) {
        my $n = $st->{nonce}{$key} //= { current => new_nonce(), old => [] };
        if ($mode eq 'always') {
            $n->{current} = new_nonce();
            $n->{old} = [];
            return (0, $n->{current}, 0);
        }
        return (1, $n->{current}, 0) if defined $nonce && $nonce eq $n->{current};
        return (1, $n->{current}, 1) if defined $nonce && grep { $_ eq $nonce } @{ $n->{old} };
        return (0, $n->{current}, 0);
    });
}

# The DPoP part of a token request. Returns undef (no proof) or the proof
# ({jkt, nonce, announce...}); refuses like Okta.
sub token_dpop ($req, $hdr, $client, $now, $spec) {
    my $seen = $req->{seen};
    my $proof = $hdr->{dpop};
    if (!defined $proof) {
        $seen->{dpop} = 'none';
        refuse(400, 'invalid_dpop_proof', $DPOP_MISSING,
               $spec->{dpop_required} ? 'the scenario requires DPoP'
                                      : "client $client->{client_id} requires DPoP")
            if $client->{profile}{dpop} || $spec->{dpop_required};
        return undef;
    }
    my $p = eval { verify_dpop_proof($proof, $now, htm => 'POST', htu => [expected_urls($req, $hdr)]) };
    if (!$p) {
        my $e = $@;
        die $e if ref $e ne 'HASH' || !defined $e->{dpop};
        $seen->{dpop} = 'invalid';
        refuse(400, 'invalid_dpop_proof', "DPoP proof: $e->{dpop}");
    }
    $seen->{dpop} = $p->{jkt};
    $seen->{dpop_nonce} = $p->{nonce} // 'none';
    refuse(400, 'invalid_dpop_proof', 'DPoP proof: jti reused') if !remember_dpop_jti($p->{jti});
    my $mode = $spec->{dpop_nonce} // 'optional';
    my ($ok, $current, $announce) = check_nonce($req->{path}, $p->{nonce}, $mode);
    if (!$ok) {
        die { status => 400, error => 'use_dpop_nonce', desc => $NONCE_REQUIRED_AS,
              why => defined $p->{nonce} ? "nonce $p->{nonce} is not the current one"
                                         : 'no nonce in the proof',
              headers => ['DPoP-Nonce' => $current] };
    }
    $p->{announce} = $current if $announce;
    return $p;
}

# Load a public key file and check it can serve this alg.
# Returns ($key) or (undef, $reason).
sub load_key_for_alg ($file, $alg) {
    if ($alg =~ /^[RP]S/) {
        my $k = eval { Crypt::PK::RSA->new($file) } or return (undef, 'not an RSA key');
        return (undef, sprintf 'RSA key too short (%d bits)', $k->size * 8)
            if $k->size * 8 < 2048;
        return ($k);
    }
    my $c = $EC_CURVE{$alg};
    my $k = eval { Crypt::PK::ECC->new($file) } or return (undef, 'not an EC key');
    my $oid = $k->key2hash->{curve_oid} // '';
    return (undef, "EC key is not on curve $c->[2]") if $oid ne $c->[0];
    return ($k);
}

# The kill-worker scenario: SIGKILL the process named by X-Worker-Pid if it
# is an nginx worker, wait until it is gone, then hang up without an answer.
sub kill_worker ($ctx, @) {
    my @pids = map { $_->[1] } grep { $_->[0] eq 'x-worker-pid' } @{ $ctx->{headers} // [] };
    my $no = sub ($why) {
        return (json_error(500, 'server_error', "kill-worker: $why"), $why);
    };
    return $no->('no X-Worker-Pid header') if !@pids;
    return $no->("bad X-Worker-Pid \"$pids[0]\"") if @pids > 1 || $pids[0] !~ /^[1-9]\d{0,9}$/;
    my $pid = $pids[0];
    my $cmdline = '';
    if (open my $fh, '<', "/proc/$pid/cmdline") {
        local $/;
        $cmdline = <$fh> // '';
    }
    return $no->("pid $pid is not an nginx worker process (cmdline \""
                 . short($cmdline =~ tr/\0/ /r =~ s/\s+$//r, 40) . '")')
        if index($cmdline, 'nginx: worker process') < 0;
    kill('KILL', $pid) or return $no->("kill -KILL $pid: $!");
    # gone, or a zombie its master has not reaped yet
    my $deadline = time + 2;
    while (time < $deadline) {
        last if !-e "/proc/$pid";
        my $st = '';
        if (open my $fh, '<', "/proc/$pid/stat") { $st = <$fh> // '' }
        last if $st =~ /^\d+ \(.*\) [ZX]/s || $st eq '';
        sleep 0.01;
    }
    return (0, [], '', "killed nginx worker $pid, closed without an answer");
}

# ---------------------------------------------------------------------------
# Protected API
# ---------------------------------------------------------------------------
# /api401/...: the upstream refuses even a valid token
sub api_revoked ($req) {
    record_request($req, undef);
    return text(401, "api: revoked\n", 'revoked');
}

sub protected_api ($req) {
    record_request($req, undef);
    my @auth   = map { $_->[1] } grep { $_->[0] eq 'authorization' } @{ $req->{headers} };
    my @cookie = map { $_->[1] } grep { $_->[0] eq 'cookie' } @{ $req->{headers} };
    my @proofs = map { $_->[1] } grep { $_->[0] eq 'dpop' } @{ $req->{headers} };
    my %hdr = map { @$_ } @{ $req->{headers} };
    my $seen = { scheme => '-', dpop => @proofs ? 'sent' : 'none' };
    # RFC 9449 7.1: a DPoP refusal says so in WWW-Authenticate
    my $refused = sub ($why, $dpop_error = undef, @headers) {
        record_outcome($req->{path}, $seen, "401 $why", $dpop_error // 'refused');
        my $challenge = defined $dpop_error
            ? ['WWW-Authenticate' => sprintf('DPoP error="%s", error_description="%s", algs="%s"',
                                             $dpop_error, $why =~ s/"/'/gr,
                                             join ' ', sort keys %ACCEPTED_ALG)]
            : [];
        return (401, ['Content-Type' => 'text/plain', @$challenge, @headers],
                "api: token refused: $why\n", "token refused: $why");
    };

    # The first Authorization header decides; the count shows duplicates.
    return $refused->('missing') if !@auth;
    my ($scheme, $token) = $auth[0] =~ /^(Bearer|DPoP) ([A-Za-z0-9._~+\/-]+=*)$/
        or return $refused->('not bearer');
    $seen->{scheme} = $scheme;
    return $refused->('malformed')
        if $token !~ /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
    my $claims = eval {
        decode_jwt(token => $token, key => $SECRET, accepted_alg => 'HS256',
                   ignore_claims => 1);
    };
    return $refused->('bad signature') if ref $claims ne 'HASH';
    return $refused->('wrong issuer') if ($claims->{iss} // '') ne 'okta-mock';
    return $refused->('expired') if ($claims->{exp} // 0) <= time;

    # A DPoP-bound token only as "DPoP <token>" with a proof of its key
    my $jkt = ref $claims->{cnf} eq 'HASH' ? $claims->{cnf}{jkt} : undef;
    my $dpop_line = '';
    my $announce;
    if ($scheme eq 'Bearer') {
        return $refused->('DPoP-bound token sent as Bearer', 'invalid_token') if defined $jkt;
    } else {
        return $refused->('DPoP scheme with a token bound to no key', 'invalid_token')
            if !defined $jkt;
        return $refused->('dpop: no DPoP header', 'invalid_dpop_proof') if !@proofs;
        return $refused->('dpop: more than one DPoP header', 'invalid_dpop_proof')
            if @proofs > 1;
        my $now = int time;
        my $p = eval {
            verify_dpop_proof($proofs[0], $now, htm => $req->{method},
                              htu => [expected_urls($req, \%hdr)], token => $token);
        };
        if (!$p) {
            my $e = $@;
            die $e if ref $e ne 'HASH' || !defined $e->{dpop};
            $seen->{dpop} = 'invalid';
            return $refused->("dpop: $e->{dpop}", 'invalid_dpop_proof');
        }
        $seen->{dpop} = $p->{jkt};
        $seen->{dpop_nonce} = $p->{nonce} // 'none';
        $seen->{htu} = $p->{htu};
        return $refused->('dpop: proof key is not the key the token is bound to (cnf.jkt)',
                          'invalid_dpop_proof') if $p->{jkt} ne $jkt;
        return $refused->('dpop: jti reused', 'invalid_dpop_proof')
            if !remember_dpop_jti($p->{jti});
        # /api-nonce/...: the resource server wants its own nonce
        my $mode = $req->{path} =~ m{^/api-nonce/} ? 'required' : 'optional';
        my ($ok, $current, $grace) = check_nonce('api', $p->{nonce}, $mode);
        if (!$ok) {
            my $why = defined $p->{nonce} ? "dpop: nonce $p->{nonce} is not the current one"
                                          : 'dpop: no nonce in the proof';
            record_outcome($req->{path}, $seen, "401 use_dpop_nonce: $why", 'use_dpop_nonce');
            return (401, ['Content-Type' => 'text/plain',
                          'WWW-Authenticate' => qq{DPoP error="use_dpop_nonce",}
                                                . qq{ error_description="$NONCE_REQUIRED_RS"},
                          'DPoP-Nonce' => $current],
                    "api: use_dpop_nonce\n", "use_dpop_nonce: $why");
        }
        # an old nonce kept by grace=1: taken, and the 200 announces the
        # current one (RFC 9449 9), which the line tells apart
        $announce = $current if $grace;
        $dpop_line = sprintf "dpop=ok alg=%s jkt=%s htm=%s htu=%s ath=ok nonce=%s%s\n",
            $p->{alg}, $p->{jkt}, $req->{method}, $p->{htu}, $p->{nonce} // 'none',
            $grace ? ' (old, DPoP-Nonce sent)' : '';
    }
    record_outcome($req->{path}, $seen, '200');

    my $body = sprintf "api: token ok client=%s scope=%s token=%s...%s (%d bytes)\n"
                     . "authorization_headers=%d\ncookie=%s\n",
        $claims->{cid}, join(' ', @{ $claims->{scp} // [] }),
        substr($token, 0, 12), substr($token, -6), length $token,
        scalar @auth, @cookie ? join('; ', @cookie) : 'none';
    # only for tokens and requests of issues 12 and 13, so that the
    # answer to a Bearer token for no resource stays what it was
    $body .= $dpop_line;
    $body .= "dpop_headers=" . @proofs . "\n" if $scheme eq 'Bearer' && @proofs;
    my $aud = $claims->{aud} // '';
    $body .= 'aud=' . (ref $aud ? join(' ', @$aud) : $aud) . "\n" if $aud ne $DEFAULT_AUD;
    # Echo X-* request headers too ("x-name=value" lines, in order), so a
    # test can pass an nginx variable to the API and see it.
    $body .= "$_->[0]=$_->[1]\n" for grep { $_->[0] =~ /^x-/ } @{ $req->{headers} };
    my @reply = text(200, $body, "token ok client=$claims->{cid}"
                                 . ($dpop_line ? ' (DPoP)' : ''));
    push @{ $reply[1] }, 'DPoP-Nonce' => $announce if defined $announce;
    return @reply;
}

# ---------------------------------------------------------------------------
# Capture: whatever comes, recorded
# ---------------------------------------------------------------------------
sub capture ($req) {
    record_request($req, undef);
    my %q = query_params($req);
    my $body = $q{body} // "captured $req->{path}\n";
    my @h = ('Content-Type' => 'text/html');
    push @h, 'X-Accel-Expires' => '@1' if $q{stale};
    my ($range) = map { $_->[1] } grep { $_->[0] eq 'range' } @{ $req->{headers} };
    if (defined $range) {
        my ($first, $last) = $range =~ /^bytes=(\d+)-(\d+)$/
            or return (416, [@h], '', "capture: bad range $range");
        return (416, [@h, 'Content-Range' => 'bytes */' . length $body], '',
                "capture: range $range beyond the body")
            if $first >= length $body || $last < $first;
        $last = length($body) - 1 if $last >= length $body;
        return (206, [@h, 'Content-Range' => "bytes $first-$last/" . length $body],
                substr($body, $first, $last - $first + 1), "captured, range $range");
    }
    return (200, \@h, $body, 'captured');
}

# ---------------------------------------------------------------------------
sub short ($s, $n = 8) { length $s > $n ? substr($s, 0, $n) . '...' : $s }

sub logline ($msg) {
    # Reasons never contain assertions or tokens; cut anything long anyway.
    $msg =~ s/([A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/short($1)/ge;
    printf STDERR "%s okta-mock[%d] %s\n", strftime('%H:%M:%S', localtime), $$, $msg;
}

main();
