#!/usr/bin/env perl
# Self-test of t/mock/okta-mock.pl: starts the mock through OAuth2Mock, signs
# client assertions itself with Crypt::JWT and checks that the mock accepts
# the good ones, refuses the bad ones with the right error, serves its canned
# scenarios, counts, and that its protected API checks the tokens it issued.
#
# usage (from the project root): perl t/mock/selftest.pl [-v]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use OAuth2Mock;

use Crypt::JWT qw(encode_jwt decode_jwt);
use Crypt::PK::RSA;
use Crypt::PK::ECC;
use Crypt::Misc qw(encode_b64u decode_b64u);
use Crypt::PRNG qw(random_bytes_hex);
use Crypt::Digest::SHA256 qw(sha256);
use Crypt::Digest::SHA1 qw(sha1);
use MIME::Base64 qw(encode_base64 decode_base64);
use IO::Socket::INET;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my $VERBOSE = grep { $_ eq '-v' } @ARGV;
my $JSON = JSON::PP->new->canonical;

my ($passed, $failed) = (0, 0);

# The prototype gives each argument scalar context: a failed match as the
# condition is then false, not an empty list that shifts the name into
# its place (and passes)
sub check ($$;$) {
    my ($ok, $name, $diag) = @_;
    if ($ok) {
        $passed++;
        print "ok - $name\n";
    } else {
        $failed++;
        print "NOT OK - $name\n";
        print map { "#   $_\n" } split /\n/, $diag // '';
    }
    return $ok;
}

my $port = OAuth2Mock::start();
my $KEYS = $ENV{TEST_NGINX_KEYS};
my $STATE = $ENV{TEST_NGINX_MOCK_STATE};
my $TOKEN_PATH = '/oauth2/v1/token';
my $CLIENT_ID = '0oaSELFTEST123';
print "# mock on 127.0.0.1:$port, keys $KEYS\n";

my @secrets_seen;    # assertions and tokens; none may show up in the log

# ---------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------

# Send one request, read the whole answer (the mock always closes).
# %a: method, path, headers => [name, value, ...], body, tls => {cert,
# key} (to the TLS port; cert and key of a client certificate, optional)
sub http {
    my (%a) = @_;
    my $s = $a{tls} ? tls_connect($a{tls})
        : IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                Proto => 'tcp', Timeout => 5)
        or die "connect: $@\n";
    my $body = $a{body} // '';
    my $req = ($a{method} // 'GET') . " $a{path} HTTP/1.1\r\n";
    my @h = @{ $a{headers} // [] };
    while (my ($k, $v) = splice @h, 0, 2) { $req .= "$k: $v\r\n" }
    $req .= "Content-Length: " . length($body) . "\r\n"
        if length $body || ($a{method} // '') eq 'POST';
    $req .= "\r\n$body";
    print $s $req;
    return read_response($s);
}

sub tls_connect {
    my ($o) = @_;
    require IO::Socket::SSL;
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => OAuth2Mock::tls_port(), Timeout => 5,
        SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
        SSL_ca_file => "$KEYS/ca.crt",
        SSL_verifycn_scheme => 'http', SSL_verifycn_name => '127.0.0.1',
        $o->{cert} ? (SSL_cert_file => $o->{cert}, SSL_key_file => $o->{key}) : (),
    );
    return $s if $s;
    die "TLS connect: $@ " . IO::Socket::SSL::errstr() . "\n";
}

sub read_response {
    my ($s) = @_;
    local $SIG{ALRM} = sub { die "read timeout\n" };
    alarm 20;
    my $raw = '';
    while (sysread($s, $raw, 65536, length $raw)) { }
    alarm 0;
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my ($status_line, @lines) = split /\r\n/, $head // '';
    my ($status) = ($status_line // '') =~ m{^HTTP/1\.1 (\d{3})};
    my %h;
    for (@lines) { my ($k, $v) = /^([^:]+):\s*(.*)$/; push @{ $h{lc $k} }, $v }
    my $json = eval { JSON::PP->new->allow_nonref->decode($body) };
    return { status => $status // 0, headers => \%h, body => $body // '',
             json => $json, raw => $raw };
}

sub form_encode {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~ ])/sprintf '%%%02X', ord $1/ge;
    $s =~ tr/ /+/;
    return $s;
}

# ---------------------------------------------------------------------------
# Assertions
# ---------------------------------------------------------------------------
my %key_cache;
sub key {
    my ($name) = @_;
    return $key_cache{$name} //= do {
        my $file = "$KEYS/$name.pem";
        my @pass;
        if (-f "$KEYS/$name.pass") {
            open my $fh, '<', "$KEYS/$name.pass" or die;
            chomp(my $p = <$fh>);
            @pass = ($p);
        }
        open my $fh, '<', $file or die "$file: $!";
        my $pem = do { local $/; <$fh> };
        $pem =~ /EC PRIVATE KEY|BEGIN PRIVATE KEY/ && eval { Crypt::PK::ECC->new($file, @pass) }
            || Crypt::PK::RSA->new($file, @pass);
    };
}

sub aud { my ($path) = @_; "http://127.0.0.1:$port" . ($path // $TOKEN_PATH) }

# %o: alg (RS256), key (rsa1), kid (defaults to key; undef = no kid),
#     claims => {overrides; undef deletes}, header => {overrides}, path
sub assertion {
    my (%o) = @_;
    my $alg = $o{alg} // 'RS256';
    my $key = $o{key} // 'rsa1';
    my $now = time;
    my %claims = (iss => $CLIENT_ID, sub => $CLIENT_ID, aud => aud($o{path}),
                  iat => int $now, exp => int($now) + 300,
                  jti => random_bytes_hex(16));
    my %header = (typ => 'JWT');
    $header{kid} = exists $o{kid} ? $o{kid} : $key;
    delete $header{kid} if !defined $header{kid};
    for my $src ([\%claims, $o{claims}], [\%header, $o{header}]) {
        my ($dst, $over) = @$src;
        while (my ($k, $v) = each %{ $over // {} }) {
            if (defined $v) { $dst->{$k} = $v } else { delete $dst->{$k} }
        }
    }
    my $jwt = encode_jwt(payload => \%claims, alg => $alg, key => key($key),
                         extra_headers => \%header);
    push @secrets_seen, $jwt;
    return $jwt;
}

# A token request. %o: assertion, scope, path, params (extra raw
# "k=v" strings), headers (replace the defaults), add_headers, method,
# body (instead of the form), tls (see http)
sub token_request {
    my (%o) = @_;
    my $path = $o{path} // $TOKEN_PATH;
    my $jwt = exists $o{assertion} ? $o{assertion}
            : defined $o{body} ? '' : assertion(path => $path);
    my @form = ('grant_type=client_credentials',
                'client_assertion_type='
                . form_encode('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
                'client_assertion=' . form_encode($jwt));
    push @form, 'scope=' . form_encode($o{scope}) if defined $o{scope};
    push @form, @{ $o{params} // [] };
    my @headers = $o{headers} ? @{ $o{headers} } : (
        Host => '127.0.0.1:' . ($o{tls} ? OAuth2Mock::tls_port() : $port),
        'Content-Type' => 'application/x-www-form-urlencoded',
        Accept => 'application/json',
    );
    push @headers, @{ $o{add_headers} // [] };
    my $r = http(method => $o{method} // 'POST', path => $path, tls => $o{tls},
                 headers => \@headers, body => $o{body} // join('&', @form));
    push @secrets_seen, $r->{json}{access_token}
        if ref $r->{json} eq 'HASH' && defined $r->{json}{access_token};
    return $r;
}

sub api {
    my (@headers) = @_;
    return http(path => '/api/things', headers => [Host => "127.0.0.1:$port", @headers]);
}

# Expect a refusal: status, error and a regex for the description
sub refused {
    my ($name, $r, $status, $error, $desc_re) = @_;
    my $j = ref $r->{json} eq 'HASH' ? $r->{json} : {};
    check($r->{status} == $status && ($j->{error} // '') eq $error
          && ($j->{error_description} // '') =~ $desc_re,
          "$name -> $status $error", "got: $r->{status} $r->{body}");
}

sub granted {
    my ($name, $r, %want) = @_;
    my $j = ref $r->{json} eq 'HASH' ? $r->{json} : {};
    my $ok = $r->{status} == 200 && ($j->{token_type} // '') eq 'Bearer'
        && defined $j->{access_token} && !ref $j->{access_token};
    $ok &&= ($j->{expires_in} // '') eq ($want{expires_in} // 3600);
    $ok &&= exists $want{scope} ? (($j->{scope} // '<none>') eq ($want{scope} // '<none>')) : 1;
    check($ok, "$name -> 200 token", "got: $r->{status} $r->{body}");
    return $j->{access_token} // '';
}

# ---------------------------------------------------------------------------
# Valid assertions
# ---------------------------------------------------------------------------
my $r = token_request(scope => 'okta.users.read');
my $token = granted('RS256 rsa1', $r, scope => 'okta.users.read');
check(($r->{headers}{'content-type'}[0] // '') eq 'application/json', 'token answer is application/json');
check(length $token >= 400 && length $token <= 900, 'token size 400-900 bytes', length $token);
check($r->{body} =~ /^\{"token_type":"Bearer","expires_in":3600,"access_token":"[^"]+","scope":"okta.users.read"\}$/,
      'token body in Okta field order', $r->{body});

$r = api(Authorization => "Bearer $token");
check($r->{status} == 200 && $r->{body} =~
      /^api: token ok client=\Q$CLIENT_ID\E scope=okta\.users\.read token=\Q${\ substr $token, 0, 12}\E\.\.\.\Q${\ substr $token, -6}\E \(\d+ bytes\)\nauthorization_headers=1\ncookie=none\n\z/,
      'API accepts the token', $r->{body});
$r = api(Authorization => "Bearer $token", Cookie => 'session=abc');
check($r->{body} =~ /^cookie=session=abc$/m, 'API echoes the client cookie', $r->{body});
$r = api(Authorization => "Bearer $token", 'X-Token-Status' => 'HIT', 'X-Request-Id' => 'r1');
check($r->{body} =~ /\ncookie=none\nx-token-status=HIT\nx-request-id=r1\n\z/, 'API echoes X-* headers', $r->{body});
$r = api(Authorization => "Bearer $token", Authorization => "Bearer $token");
check($r->{body} =~ /^authorization_headers=2$/m, 'API counts Authorization headers', $r->{body});

my $token2 = granted('second request', token_request(scope => 'okta.users.read'));
check($token2 ne $token, 'tokens are all distinct');

for my $case ([ES256 => 'ec1'], [ES384 => 'ec384'], [ES512 => 'ec521'],
              [RS384 => 'rsa1'], [RS512 => 'rsa1'], [RS256 => 'rsa-pkcs1'],
              [ES256 => 'ec-sec1'], [RS256 => 'rsa-enc']) {
    my ($alg, $key) = @$case;
    my $t = granted("$alg $key", token_request(assertion => assertion(alg => $alg, key => $key)));
    $r = api(Authorization => "Bearer $t");
    check($r->{status} == 200, "API accepts the $alg $key token", $r->{body});
}

granted('RS256 without kid', token_request(assertion => assertion(kid => undef)));
granted('ES256 without kid', token_request(assertion => assertion(alg => 'ES256', key => 'ec1', kid => undef)));

$r = token_request(params => ['scope=okta.users.read%20okta.groups.read']);
my $t = granted('two scopes, %20', $r, scope => 'okta.users.read okta.groups.read');
check(api(Authorization => "Bearer $t")->{body} =~ /scope=okta\.users\.read okta\.groups\.read /,
      'API shows both scopes');
$r = token_request(scope => 'okta.users.read okta.groups.read okta.apps.read');
granted('three scopes, +', $r, scope => 'okta.users.read okta.groups.read okta.apps.read');

$r = token_request();
$t = granted('no scope', $r, scope => undef);
check(api(Authorization => "Bearer $t")->{body} =~ /scope= token=/, 'API shows empty scope');

granted('Content-Type with charset', token_request(headers => [
    Host => "127.0.0.1:$port",
    'Content-Type' => 'application/x-www-form-urlencoded; charset=UTF-8',
    Accept => 'application/json']));
granted('allowed extra headers', token_request(add_headers => [
    'User-Agent' => 'selftest', 'X-Request-Id' => 'abc', 'X-Forwarded-For' => '10.0.0.1',
    'X-Real-IP' => '10.0.0.1', Connection => 'close']));
granted('client_id parameter equal to iss', token_request(params => ["client_id=$CLIENT_ID"]));
granted('HTTP/1.0 without Host', token_request(headers => [
    'Content-Type' => 'application/x-www-form-urlencoded', Accept => 'application/json']));

# aud in the Host header form
my $host_aud = "http://okta.example.test$TOKEN_PATH";
granted('aud from Host header', token_request(
    assertion => assertion(claims => { aud => $host_aud }),
    headers => [Host => 'okta.example.test', 'Content-Type' => 'application/x-www-form-urlencoded',
                Accept => 'application/json']));
refused('aud from another Host', token_request(
    assertion => assertion(claims => { aud => $host_aud })),
    401, 'invalid_client', qr/^aud mismatch/);

# boundaries of the lifetime rules
my $now = int time;
granted('exp = now + 3600', token_request(assertion => assertion(
    claims => { iat => $now, exp => $now + 3600 })));
granted('iat 3 s in the future (skew)', token_request(assertion => assertion(
    claims => { iat => $now + 3, exp => $now + 300 })));

# ---------------------------------------------------------------------------
# Refused assertions
# ---------------------------------------------------------------------------
my $once = assertion();
granted('first use of a jti', token_request(assertion => $once));
refused('reused jti (same assertion)', token_request(assertion => $once), 400, 'invalid_client', qr/^jti reused$/);
refused('reused jti (new signature)', token_request(assertion => assertion(
    claims => { jti => decode_jwt(token => $once, ignore_signature => 1)->{jti} })),
    400, 'invalid_client', qr/^jti reused$/);

refused('wrong aud (https)', token_request(assertion => assertion(
    claims => { aud => "https://127.0.0.1:$port$TOKEN_PATH" })), 401, 'invalid_client', qr/^aud mismatch/);
refused('aud of another path', token_request(path => '/oauth2/default/v1/token',
    assertion => assertion()), 401, 'invalid_client', qr/^aud mismatch/);
refused('aud as array', token_request(assertion => assertion(claims => { aud => [aud()] })),
    401, 'invalid_client', qr/^aud must be a string$/);
refused('aud missing', token_request(assertion => assertion(claims => { aud => undef })),
    401, 'invalid_client', qr/^aud missing$/);

# A signature by rsa2 presented as kid rsa1
refused('rsa2 signature under kid rsa1', token_request(assertion => assertion(key => 'rsa2', kid => 'rsa1')),
    401, 'invalid_client', qr/^signature invalid for kid rsa1$/);
refused('kid rsa2 (no public key)', token_request(assertion => assertion(key => 'rsa2')),
    401, 'invalid_client', qr/^unknown kid$/);
refused('rsa2 without kid', token_request(assertion => assertion(key => 'rsa2', kid => undef)),
    401, 'invalid_client', qr/^no key verifies the signature/);
refused('kid with a path', token_request(assertion => assertion(kid => '../keys/rsa1')),
    401, 'invalid_client', qr/^unknown kid$/);
refused('kid of the certificate', token_request(assertion => assertion(kid => 'cert')),
    401, 'invalid_client', qr/^unknown kid$/);
refused('RS256 with an EC kid', token_request(assertion => assertion(kid => 'ec1')),
    401, 'invalid_client', qr/^key ec1 unusable for RS256: not an RSA key$/);
refused('ES256 signed with a P-384 key', token_request(assertion => assertion(alg => 'ES256', key => 'ec384')),
    401, 'invalid_client', qr/^ES256 signature must be 64 bytes \(R\|\|S\), got 96$/);
refused('ES384 header but kid on P-256', token_request(assertion => assertion(alg => 'ES384', key => 'ec384', kid => 'ec1')),
    401, 'invalid_client', qr/^key ec1 unusable for ES384: EC key is not on curve P-384$/);
refused('RSA 1024 key', token_request(assertion => assertion(key => 'rsa1024')),
    401, 'invalid_client', qr/^key rsa1024 unusable for RS256: RSA key too short \(1024 bits\)$/);

# ECDSA signature in DER instead of R||S
{
    my $good = assertion(alg => 'ES256', key => 'ec1');
    my ($h, $p) = split /\./, $good;
    my $der = key('ec1')->sign_message("$h.$p", 'SHA256');
    refused('ES256 DER signature', token_request(assertion => "$h.$p." . encode_b64u($der)),
        401, 'invalid_client', qr/^ES256 signature must be 64 bytes \(R\|\|S\), got 7\d$/);
}

# Tampered payload, padding, algorithms
{
    my ($h, $p, $s) = split /\./, assertion();
    my $claims = decode_json(decode_b64u($p));
    $claims->{iss} = $claims->{sub} = '0oaEVIL';
    refused('tampered payload', token_request(assertion => "$h." . encode_b64u(encode_json($claims)) . ".$s"),
        401, 'invalid_client', qr/^signature invalid for kid rsa1$/);
    refused('base64 padding', token_request(assertion => "$h.$p.$s="),
        401, 'invalid_client', qr/^client_assertion is not a compact JWS$/);
    refused('two segments', token_request(assertion => "$h.$p"),
        401, 'invalid_client', qr/^client_assertion is not a compact JWS$/);

    my $none_h = encode_b64u('{"alg":"none","typ":"JWT"}');
    refused('alg none, empty signature', token_request(assertion => "$none_h.$p."),
        401, 'invalid_client', qr/^client_assertion is not a compact JWS$/);
    refused('alg none', token_request(assertion => "$none_h.$p.AAAA"),
        401, 'invalid_client', qr/^alg none not allowed$/);

    # HS256 keyed with the public key PEM: the classic key-confusion attack
    open my $fh, '<', "$KEYS/rsa1.pub.pem" or die;
    my $pub = do { local $/; <$fh> };
    my $hs = encode_jwt(payload => $claims, alg => 'HS256', key => $pub,
                        extra_headers => { typ => 'JWT', kid => 'rsa1' });
    refused('HS256 with the public key as secret', token_request(assertion => $hs),
        401, 'invalid_client', qr/^alg HS256 not allowed$/);
}
granted("$_ rsa1", token_request(assertion => assertion(alg => $_))) for qw(PS256 PS384 PS512);
refused('PS256 naming an EC kid', token_request(assertion => assertion(alg => 'PS256', kid => 'ec1')),
    401, 'invalid_client', qr/^key ec1 unusable for PS256: not an RSA key$/);
refused('typ missing', token_request(assertion => assertion(header => { typ => undef })),
    401, 'invalid_client', qr/^typ must be JWT$/);
refused('typ at+jwt', token_request(assertion => assertion(header => { typ => 'at+jwt' })),
    401, 'invalid_client', qr/^typ must be JWT$/);

$now = int time;
my @claim_cases = (
    ['exp too far', { exp => $now + 3700 }, qr/^exp too far in the future/],
    ['exp in the past', { exp => $now - 1 }, qr/^exp in the past/],
    ['exp missing', { exp => undef }, qr/^exp missing$/],
    ['exp as string', { exp => "" . ($now + 300) }, qr/^exp must be an integer$/],
    ['exp as float', { exp => $now + 300.5 }, qr/^exp must be an integer$/],
    ['iat missing', { iat => undef }, qr/^iat missing$/],
    ['iat in the future', { iat => $now + 60 }, qr/^iat in the future/],
    ['exp - iat > 3600', { iat => $now - 200, exp => $now + 3500 }, qr/^exp - iat exceeds 3600$/],
    ['nbf in the future', { nbf => $now + 60 }, qr/^nbf in the future$/],
    ['iss differs from sub', { sub => '0oaOTHER' }, qr/^iss and sub differ$/],
    ['iss not a client id', { iss => 'client', sub => 'client' }, qr/^iss must be a client id/],
    ['sub missing', { sub => undef }, qr/^sub missing$/],
    ['jti missing', { jti => undef }, qr/^jti missing$/],
    ['jti empty', { jti => '' }, qr/^jti missing$/],
);
for my $c (@claim_cases) {
    my ($name, $claims, $re) = @$c;
    refused($name, token_request(assertion => assertion(claims => $claims)), 401, 'invalid_client', $re);
}
refused('client_id parameter differs', token_request(params => ['client_id=0oaOTHER']),
    401, 'invalid_client', qr/^client_id parameter differs from iss$/);

# scope
refused('bad scope', token_request(scope => 'okta.users.read okta.bogus'),
    400, 'invalid_scope', qr/^The following scopes are not allowed: okta\.bogus$/);
refused('OIDC scope', token_request(scope => 'openid'),
    400, 'invalid_scope', qr/^The following scopes are not allowed: openid$/);
refused('empty scope', token_request(scope => ''), 400, 'invalid_scope', qr/^empty scope parameter$/);
refused('double space in scope', token_request(scope => 'okta.users.read  okta.apps.read'),
    400, 'invalid_scope', qr/^malformed scope/);

# HTTP level
refused('extra Cookie header', token_request(add_headers => [Cookie => 'a=b']),
    400, 'invalid_request', qr/^unexpected header cookie$/);
refused('Authorization header', token_request(add_headers => [Authorization => 'Bearer x']),
    400, 'invalid_request', qr/^unexpected header authorization$/);
refused('X-Leak header', token_request(add_headers => ['X-Leak' => '1']),
    400, 'invalid_request', qr/^unexpected header x-leak$/);
refused('duplicate Accept', token_request(add_headers => [Accept => 'application/json']),
    400, 'invalid_request', qr/^duplicate header accept$/);
refused('Content-Type text/plain', token_request(headers => [
    Host => "127.0.0.1:$port", 'Content-Type' => 'text/plain', Accept => 'application/json']),
    400, 'invalid_request', qr/^Content-Type must be/);
refused('Content-Type missing', token_request(headers => [
    Host => "127.0.0.1:$port", Accept => 'application/json']),
    400, 'invalid_request', qr/^missing Content-Type header$/);
refused('Accept missing', token_request(headers => [
    Host => "127.0.0.1:$port", 'Content-Type' => 'application/x-www-form-urlencoded']),
    400, 'invalid_request', qr/^missing Accept header$/);
refused('Accept */*', token_request(headers => [
    Host => "127.0.0.1:$port", 'Content-Type' => 'application/x-www-form-urlencoded', Accept => '*/*']),
    400, 'invalid_request', qr/^Accept must be application\/json/);
refused('GET', token_request(method => 'GET'), 400, 'invalid_request', qr/^method must be POST, got GET$/);
refused('grant_type password', token_request(body => 'grant_type=password'),
    400, 'unsupported_grant_type', qr/^grant_type must be client_credentials/);
refused('empty body', token_request(body => ''), 400, 'invalid_request', qr/^missing grant_type$/);
refused('duplicate parameter', token_request(params => ['grant_type=client_credentials']),
    400, 'invalid_request', qr/^duplicate parameter grant_type$/);
refused('unexpected parameter', token_request(params => ['foo=x']),
    400, 'invalid_request', qr/^unexpected parameter foo$/);
refused('raw space in body', token_request(params => ['scope=okta.users.read okta.apps.read']),
    400, 'invalid_request', qr/^unencoded character 0x20 in form body$/);
refused('wrong client_assertion_type', token_request(body =>
    'grant_type=client_credentials&client_assertion_type=jwt&client_assertion=' . assertion()),
    401, 'invalid_client', qr/^client_assertion_type must be/);
refused('missing client_assertion', token_request(body => 'grant_type=client_credentials&client_assertion_type='
    . form_encode('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')),
    400, 'invalid_request', qr/^missing client_assertion$/);

# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------
sub scen { my ($name) = @_; "/oauth2/s/$name/v1/token" }
# canned scenarios do not verify: send a worthless assertion
sub canned { my ($name) = @_; token_request(path => scen($name), assertion => 'x') }

$r = token_request(path => scen('ok'), assertion => assertion(path => scen('ok')));
granted('scenario ok', $r);

$r = token_request(path => scen('expires-60'), assertion => assertion(path => scen('expires-60')));
$t = granted('scenario expires-60', $r, expires_in => 60);
{
    my $c = decode_jwt(token => $t, ignore_signature => 1);
    # exp is rounded up from the precise time, iat down (178580e)
    check($c->{exp} - $c->{iat} == 60 || $c->{exp} - $c->{iat} == 61,
          'expires-60 token lives 60 s', $c->{exp} - $c->{iat});
}
refused('expires-60 still verifies', canned('expires-60'), 401, 'invalid_client', qr/compact JWS/);
$r = token_request(path => scen('expires-huge'), assertion => assertion(path => scen('expires-huge')));
granted('scenario expires-huge', $r, expires_in => 999999999);
refused('expires-huge still verifies', canned('expires-huge'), 401, 'invalid_client', qr/compact JWS/);
for my $size (1024, 1025, 1026, 1027, 2048) {
    my $sc = "expires-5-size-$size";
    $r = token_request(path => scen($sc), assertion => assertion(path => scen($sc)));
    $t = granted("scenario $sc", $r, expires_in => 5);
    check(length $t == $size, "$sc token is $size bytes", length $t);
    check(api(Authorization => "Bearer $t")->{status} == 200, "API accepts the $sc token");
}
$r = token_request(path => scen('size-1000'), assertion => assertion(path => scen('size-1000')));
check(length(granted('scenario size-1000', $r)) == 1000, 'size-1000 token is 1000 bytes');
refused('size-1000 still verifies', canned('size-1000'), 401, 'invalid_client', qr/compact JWS/);
$r = http(path => '/_mint?size=1024');
check($r->{status} == 200 && length $r->{body} == 1024, '/_mint?size=1024', "$r->{status} " . length $r->{body});
check(api(Authorization => "Bearer $r->{body}")->{status} == 200, 'API accepts a minted token');
check(http(path => '/_mint?size=10')->{status} == 400, '/_mint?size=10 refused');

$r = canned('status-503');
check($r->{status} == 503 && $r->{body} eq '{"error":"server_error","error_description":"mock status 503"}',
      'status-503', "$r->{status} $r->{body}");
$r = canned('status-400');
check($r->{status} == 400 && $r->{json}{error} eq 'server_error', 'status-400', "$r->{status} $r->{body}");
$r = canned('invalid-client');
check($r->{status} == 401 && $r->{json}{error} eq 'invalid_client'
      && $r->{json}{error_description} eq 'The client_assertion signature is invalid.', 'invalid-client', $r->{body});
$r = canned('invalid-scope');
check($r->{status} == 400 && $r->{json}{error} eq 'invalid_scope'
      && $r->{json}{error_description} eq 'The following scopes are not allowed: okta.bogus', 'invalid-scope', $r->{body});
$r = canned('dpop-described');
check($r->{status} == 400 && $r->{json}{error} eq 'invalid_request'
      && $r->{json}{error_description} eq 'A DPoP proof is required for this client.',
      'dpop-described', $r->{body});
$r = token_request(path => scen('unbuffered'), assertion => assertion(path => scen('unbuffered')));
granted('unbuffered', $r);
check(($r->{headers}{'x-accel-buffering'}[0] // '') eq 'no',
      'unbuffered: X-Accel-Buffering: no', $r->{body});
$r = canned('rate-limit');
{
    my $h = $r->{headers};
    my $reset = $h->{'x-rate-limit-reset'}[0] // 0;
    check($r->{status} == 429 && $h->{'x-rate-limit-limit'}[0] eq '600'
          && $h->{'x-rate-limit-remaining'}[0] eq '0' && abs($reset - time - 60) <= 2
          && $r->{json}{errorCode} eq 'E0000047' && ref $r->{json}{errorCauses} eq 'ARRAY'
          && defined $h->{date}, 'rate-limit', $r->{raw});
}
$r = canned('evil-description');
check($r->{status} == 400 && $r->{json}{error} eq 'invalid_request'
      && $r->{json}{error_description} eq "line one\r\n[forged] line two", 'evil-description', $r->{body});
$r = canned('html-500');
check($r->{status} == 500 && $r->{headers}{'content-type'}[0] eq 'text/html'
      && $r->{body} eq '<html><body><h1>500 Internal Server Error</h1></body></html>', 'html-500', $r->{raw});
$r = canned('bad-json');
check($r->{status} == 200 && $r->{body} eq '{"access_token": "abc", ', 'bad-json', $r->{body});
$r = canned('empty');
check($r->{status} == 200 && $r->{body} eq '' && $r->{headers}{'content-length'}[0] eq '0', 'empty', $r->{raw});
$r = canned('array');
check($r->{status} == 200 && $r->{body} eq '[]', 'array', $r->{body});
$r = canned('no-access-token');
check($r->{status} == 200 && $r->{body} eq '{"token_type":"Bearer","expires_in":3600}', 'no-access-token', $r->{body});
$r = canned('empty-token');
check($r->{status} == 200 && $r->{json}{access_token} eq '', 'empty-token', $r->{body});
$r = canned('token-crlf');
check($r->{status} == 200 && $r->{json}{access_token} eq "abc\r\nX-Evil: 1"
      && $r->{body} =~ /"abc\\r\\nX-Evil: 1"/, 'token-crlf', $r->{body});
$r = canned('token-space');
check($r->{json}{access_token} eq 'abc def', 'token-space', $r->{body});
$r = canned('token-not-string');
check($r->{body} =~ /"access_token":42[,}]/, 'token-not-string', $r->{body});
$r = canned('big');
check($r->{status} == 200 && $r->{json}{access_token} eq 'a' x 20000, 'big', length $r->{body});
$r = canned('not-bearer');
check($r->{json}{token_type} eq 'mac', 'not-bearer', $r->{body});
check(api(Authorization => "Bearer $r->{json}{access_token}")->{status} == 200,
      'not-bearer token is a real one');
$r = canned('no-token-type');
check(!exists $r->{json}{token_type} && $r->{json}{expires_in} == 3600, 'no-token-type', $r->{body});
$r = canned('no-expires');
check(!exists $r->{json}{expires_in} && $r->{json}{token_type} eq 'Bearer', 'no-expires', $r->{body});
check(api(Authorization => "Bearer $r->{json}{access_token}")->{status} == 200,
      'no-expires token is a real one');
$r = canned('expires-zero');
check($r->{body} =~ /"expires_in":0,/, 'expires-zero', $r->{body});
$r = canned('expires-negative');
check($r->{body} =~ /"expires_in":-5,/, 'expires-negative', $r->{body});
$r = canned('expires-string');
check($r->{body} =~ /"expires_in":"3600",/, 'expires-string', $r->{body});
$r = canned('expires-float');
check($r->{body} =~ /"expires_in":3600\.5,/, 'expires-float', $r->{body});
$r = canned('dup-keys');
check($r->{body} eq '{"access_token":"a","access_token":"b","token_type":"Bearer","expires_in":60}', 'dup-keys', $r->{body});
$r = canned('redirect');
check($r->{status} == 302 && $r->{headers}{location}[0] eq 'http://example.invalid/' && $r->{body} eq '',
      'redirect', $r->{raw});
$r = canned('no-content');
check($r->{status} == 204 && $r->{body} eq '' && !$r->{headers}{'content-length'}, 'no-content', $r->{raw});
$r = canned('gzip');
{
    my $plain;
    gunzip(\$r->{body} => \$plain) or $plain = '';
    my $j = eval { decode_json($plain) } // {};
    check($r->{status} == 200 && $r->{headers}{'content-encoding'}[0] eq 'gzip'
          && $j->{token_type} eq 'Bearer' && $j->{expires_in} == 3600
          && api(Authorization => "Bearer $j->{access_token}")->{status} == 200, 'gzip', $plain);
    push @secrets_seen, $j->{access_token} if $j->{access_token};
}
$r = canned('no-such-scenario');
check($r->{status} == 500 && $r->{json}{error_description} eq 'unknown mock scenario no-such-scenario',
      'unknown scenario -> 500', $r->{body});

# delay: a slow answer must not block another request
{
    my $path = scen('delay-1500');
    my $t0 = time;
    my $slow = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
        or die "connect: $@";
    my $body = 'grant_type=client_credentials&client_assertion_type='
        . form_encode('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        . '&client_assertion=' . assertion(path => $path);
    print $slow "POST $path HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n$body";
    sleep 0.2;
    my $fast = token_request();
    my $t_fast = time - $t0;
    check($fast->{status} == 200 && $t_fast < 1.2, 'a fast request passes a slow one',
          sprintf '%.2f s', $t_fast);
    my $sr = read_response($slow);
    my $t_slow = time - $t0;
    check($sr->{status} == 200 && $sr->{json}{token_type} eq 'Bearer' && $t_slow >= 1.5,
          'delay-1500 answers after 1.5 s, verified', sprintf '%.2f s %s', $t_slow, $sr->{body});
    refused('delay-1 still verifies', canned('delay-1'), 401, 'invalid_client', qr/compact JWS/);
}

# ---------------------------------------------------------------------------
# Counters and inspection
# ---------------------------------------------------------------------------
{
    check(OAuth2Mock::reset_state(), '/_reset');
    my $st = OAuth2Mock::stats($TOKEN_PATH);
    check($st->{calls} eq '0' && $st->{headers} eq '' && $st->{last_scope} eq '', 'stats after reset', $JSON->encode($st));

    token_request(scope => 'okta.users.read');
    token_request(scope => 'okta.bogus');                    # refused, still counted
    token_request(scope => 'okta.apps.read okta.users.read', add_headers => ['User-Agent' => 'selftest/1']);
    token_request(path => '/oauth2/default/v1/token', assertion => assertion(path => '/oauth2/default/v1/token'));
    canned('status-503') for 1 .. 2;

    my $body = OAuth2Mock::get("/_stats$TOKEN_PATH");
    check($body eq "calls=3\nheaders=accept,content-length,content-type,host,user-agent\n"
                 . "last_scope=okta.apps.read okta.users.read\n", 'stats format and counts', $body);
    $st = OAuth2Mock::stats('/oauth2/default/v1/token');
    check($st->{calls} == 1 && $st->{last_scope} eq '', 'counters are per path', $JSON->encode($st));
    $st = OAuth2Mock::stats(scen('status-503'));
    check($st->{calls} == 2, 'canned scenarios are counted', $JSON->encode($st));

    $body = OAuth2Mock::get("/_headers$TOKEN_PATH") // '';
    check($body =~ /^user-agent: selftest\/1$/m && $body =~ /^accept: application\/json$/m,
          '/_headers shows names and values', $body);

    token_request(path => scen('invalid-client'), assertion => 'x', add_headers => [Cookie => 'c=1']);
    $st = OAuth2Mock::stats(scen('invalid-client'));
    check($st->{headers} eq 'accept,content-length,content-type,cookie,host',
          'last headers recorded for canned scenarios too', $st->{headers});

    # the capture endpoint: recorded, 200 text/html, ranges, stale
    $r = http(path => '/capture/s1?body=hello', headers => [Host => 'h', 'X-Pad' => '1']);
    check($r->{status} == 200 && $r->{body} eq 'hello'
          && ($r->{headers}{'content-type'}[0] // '') eq 'text/html'
          && !$r->{headers}{'x-accel-expires'},
          'capture: 200 text/html with the body asked for', $r->{raw});
    $body = OAuth2Mock::get('/_headers/capture/s1') // '';
    check($body eq "host: h\nx-pad: 1\n", 'capture: headers recorded', $body);
    $r = http(path => '/capture/s2', headers => [Authorization => 'Bearer abcdefghijklmnop']);
    check($r->{status} == 200 && $r->{body} eq "captured /capture/s2\n",
          'capture: the default body', $r->{raw});
    $body = OAuth2Mock::get('/_headers/capture/s2') // '';
    check($body eq "authorization: Bearer abcdefgh...\n",
          'capture: a credential recorded, shortened', $body);
    $r = http(path => '/capture/s3?body=0123456789&stale=1', headers => [Range => 'bytes=8-11']);
    check($r->{status} == 206 && $r->{body} eq '89'
          && ($r->{headers}{'content-range'}[0] // '') eq 'bytes 8-9/10'
          && ($r->{headers}{'x-accel-expires'}[0] // '') eq '@1',
          'capture: a range, and stale=1', $r->{raw});
    $r = http(path => '/capture/s3?body=0123456789', headers => [Range => 'bytes=10-11']);
    check($r->{status} == 416, 'capture: a range beyond the body', $r->{raw});
    $st = OAuth2Mock::stats('/capture/s3');
    check($st->{calls} == 2, 'capture: counted', $JSON->encode($st));

    # reset clears the jti store but keeps the signing secret
    my $a1 = assertion();
    granted('jti before reset', token_request(assertion => $a1));
    OAuth2Mock::reset_state();
    granted('same jti after reset', token_request(assertion => $a1));
    check(api(Authorization => "Bearer $token")->{status} == 200, 'tokens stay valid across reset');
}

# ---------------------------------------------------------------------------
# Protected API refusals
# ---------------------------------------------------------------------------
sub api_refused {
    my ($name, $reason, @h) = @_;
    my $r = api(@h);
    check($r->{status} == 401 && $r->{body} eq "api: token refused: $reason\n", "API: $name", "$r->{status} $r->{body}");
}
api_refused('no Authorization', 'missing');
api_refused('Basic', 'not bearer', Authorization => 'Basic dXNlcjpwYXNz');
api_refused('lowercase bearer', 'not bearer', Authorization => "bearer $token");
api_refused('not a JWT', 'malformed', Authorization => 'Bearer abc');
{
    my ($h, $p, $s) = split /\./, $token;
    my $c = decode_json(decode_b64u($p));
    $c->{scp} = ['okta.everything'];
    api_refused('tampered token', 'bad signature',
                Authorization => "Bearer $h." . encode_b64u(encode_json($c)) . ".$s");
    my $foreign = encode_jwt(payload => $c, alg => 'HS256', key => 'not-the-secret');
    api_refused('foreign token', 'bad signature', Authorization => "Bearer $foreign");
    api_refused('an assertion as token', 'bad signature', Authorization => 'Bearer ' . assertion());

    open my $fh, '<', "$STATE/secret" or die "$STATE/secret: $!";
    chomp(my $secret = <$fh>);
    $c->{exp} = int(time) - 1;
    my $expired = encode_jwt(payload => $c, alg => 'HS256', key => $secret);
    api_refused('expired token', 'expired', Authorization => "Bearer $expired");
    $c->{exp} = int(time) + 60;
    $c->{iss} = 'someone';
    api_refused('wrong issuer', 'wrong issuer',
                Authorization => 'Bearer ' . encode_jwt(payload => $c, alg => 'HS256', key => $secret));
}
{
    my $t0 = time;
    $r = http(path => '/_sleep?ms=300');
    check($r->{status} == 200 && $r->{body} eq "slept\n" && time - $t0 >= 0.3, '/_sleep?ms=300');
    check(http(path => '/_sleep?ms=x')->{status} == 400, '/_sleep refuses a bad ms');
}
$r = http(path => '/elsewhere');
check($r->{status} == 404, 'other paths -> 404');

# ---------------------------------------------------------------------------
# /_fail: runtime scenario overrides of one token path
# ---------------------------------------------------------------------------
sub get_ok {
    my ($name, $path, $want) = @_;
    my $r = http(path => $path);
    check($r->{status} == 200 && $r->{body} eq ($want // "ok\n"), $name, "$r->{status} $r->{body}");
    return $r;
}
sub fail_url {
    my ($path, %q) = @_;
    return "/_fail?path=$path" . join '', map { "&$_=$q{$_}" } sort keys %q;
}

{
    my $p = '/fail1/oauth2/v1/token';
    my $calls0 = OAuth2Mock::stats($p)->{calls};
    get_ok('/_fail with count answers ok', fail_url($p, scenario => 'status-503', count => 2));
    my @st = map { token_request(path => $p, assertion => assertion(path => $p))->{status} } 1 .. 2;
    check("@st" eq '503 503', 'override count=2: two requests get status-503', "@st");
    granted('override used up: the third is verified again',
            token_request(path => $p, assertion => assertion(path => $p)));
    check(OAuth2Mock::stats($p)->{calls} == $calls0 + 3, 'overridden requests are counted');

    get_ok('/_fail without count', fail_url($p, scenario => 'invalid-client'));
    @st = map { token_request(path => $p, assertion => assertion(path => $p))->{status} } 1 .. 4;
    check("@st" eq '401 401 401 401', 'override without count: every request', "@st");
    $r = token_request(path => '/fail2/oauth2/v1/token', assertion => assertion(path => '/fail2/oauth2/v1/token'));
    granted('override is for that exact path only', $r);
    get_ok('/_fail clear', fail_url($p, clear => 1));
    granted('after clear: verified again', token_request(path => $p, assertion => assertion(path => $p)));
    get_ok('/_fail clear without an override', fail_url($p, clear => 1));

    # a verifying scenario as override: expires-60 still checks the assertion
    get_ok('/_fail with a verifying scenario', fail_url($p, scenario => 'expires-60', count => 1));
    granted('override expires-60', token_request(path => $p, assertion => assertion(path => $p)),
            expires_in => 60);
    get_ok('/_fail delay-600', fail_url($p, scenario => 'delay-600', count => 1));
    my $t0 = time;
    granted('override delay-600', token_request(path => $p, assertion => assertion(path => $p)));
    check(time - $t0 >= 0.6, 'override delay-600 waits', sprintf '%.2f s', time - $t0);

    # the override wins over /s/<name>/ in the path
    my $sp = scen('status-500');
    get_ok('/_fail on a scenario path', fail_url($sp, scenario => 'rate-limit-30', count => 1));
    check(canned('status-500')->{status} == 429, 'override wins over /s/status-500/');
    check(canned('status-500')->{status} == 500, 'then /s/status-500/ again');

    # N concurrent requests use an override of count N exactly once each
    my $cp = '/fail-concurrent/oauth2/v1/token';
    get_ok('/_fail count=5', fail_url($cp, scenario => 'status-503', count => 5));
    my @socks = map { start_request("POST $cp HTTP/1.0\r\nContent-Length: 0\r\n\r\n") } 1 .. 12;
    my %codes;
    $codes{ read_response($_)->{status} }++ for @socks;
    check(($codes{503} // 0) == 5 && ($codes{400} // 0) == 7,
          '12 concurrent requests: exactly 5 overridden', $JSON->encode(\%codes));

    for my $bad ([fail_url($p, scenario => 'no-such'), 'unknown scenario'],
                 [fail_url($p), 'no scenario'],
                 [fail_url($p, scenario => 'status-503', count => 0), 'count=0'],
                 [fail_url($p, scenario => 'status-503', count => 'x'), 'count=x'],
                 ['/_fail?path=relative&scenario=status-503', 'relative path']) {
        check(http(path => $bad->[0])->{status} == 400, "/_fail refuses: $bad->[1]");
    }

    get_ok('/_fail before a reset', fail_url($p, scenario => 'status-503'));
    OAuth2Mock::reset_state();
    granted('/_reset clears the overrides', token_request(path => $p, assertion => assertion(path => $p)));
}

# A request sent, its answer read later with read_response
sub start_request {
    my ($raw) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5) or die "connect: $@\n";
    print $s $raw;
    return $s;
}

# ---------------------------------------------------------------------------
# 429 with headers, kill-worker
# ---------------------------------------------------------------------------
{
    require Time::Local;
    my %mon = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5,
               Jul => 6, Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
    my $http_date = sub {
        my ($d, $m, $y, $H, $M, $S) = ($_[0] // '') =~
            /^\w{3}, (\d\d) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/ or return 0;
        return Time::Local::timegm($S, $M, $H, $d, $mon{$m}, $y);
    };

    $r = canned('rate-limit-30');
    my $h = $r->{headers};
    my $now = time;
    check($r->{status} == 429 && @{ $h->{date} // [] } == 1
          && abs($http_date->($h->{date}[0]) - $now) <= 2
          && ($h->{'x-rate-limit-limit'}[0] // '') eq '600'
          && ($h->{'x-rate-limit-remaining'}[0] // '') eq '0'
          && abs(($h->{'x-rate-limit-reset'}[0] // 0) - $now - 30) <= 2
          && !$h->{'retry-after'}
          && ($r->{json}{errorCode} // '') eq 'E0000047'
          && ($h->{'content-type'}[0] // '') eq 'application/json',
          'rate-limit-30: 429, Date now, X-Rate-Limit-* with reset now + 30', $r->{raw});
    $r = canned('rate-limit-0');
    check($r->{status} == 429 && abs(($r->{headers}{'x-rate-limit-reset'}[0] // 0) - time) <= 2,
          'rate-limit-0: reset now', $r->{raw});

    $r = canned('retry-after-7');
    $h = $r->{headers};
    check($r->{status} == 429 && ($h->{'retry-after'}[0] // '') eq '7'
          && !$h->{'x-rate-limit-reset'} && ($r->{json}{errorCode} // '') eq 'E0000047'
          && defined $h->{date},
          'retry-after-7: 429, Retry-After 7, no X-Rate-Limit-Reset', $r->{raw});

    $r = canned('rate-limit-reset-30-5');
    $h = $r->{headers};
    $now = time;
    my @resets = @{ $h->{'x-rate-limit-reset'} // [] };
    check($r->{status} == 429 && @resets == 2
          && abs($resets[0] - $now - 30) <= 2 && abs($resets[1] - $now - 5) <= 2
          && !$h->{'retry-after'},
          'rate-limit-reset-30-5: two X-Rate-Limit-Reset, now + 30 then now + 5', $r->{raw});

    $r = canned('retry-after-20-3');
    $h = $r->{headers};
    check($r->{status} == 429 && join(',', @{ $h->{'retry-after'} // [] }) eq '20,3'
          && !$h->{'x-rate-limit-reset'},
          'retry-after-20-3: two Retry-After, 20 then 3', $r->{raw});

    $r = canned('rate-limit-2-retry-after-40');
    $h = $r->{headers};
    check($r->{status} == 429 && @{ $h->{'x-rate-limit-reset'} // [] } == 1
          && abs($h->{'x-rate-limit-reset'}[0] - time - 2) <= 2
          && join(',', @{ $h->{'retry-after'} // [] }) eq '40',
          'rate-limit-2-retry-after-40: one of each', $r->{raw});

    $r = canned('rate-limit-18446744073709552');
    check($r->{status} == 429
          && ($r->{headers}{'x-rate-limit-reset'}[0] // '') =~ /^\d{17}$/
          && $r->{headers}{'x-rate-limit-reset'}[0] - 18446744073709552 - time <= 2,
          'rate-limit-<huge>: an exact 17-digit reset', $r->{raw});

    $r = canned('bad-status-line');
    check($r->{raw} =~ /\AHTTP\/1\.1 OK\r\nContent-Type: application\/json\r\n\r\n\{/
          && $r->{raw} =~ /"access_token":"abc"/ && $r->{raw} !~ /^Date:/m,
          'bad-status-line: the raw answer, no status code, no header of the mock', $r->{raw});

    # kill-worker, against stand-ins: one named like an nginx worker, one not
    my $dummy = sub {
        my ($name) = @_;
        my $pid = fork // die "fork: $!";
        if (!$pid) { $0 = $name if defined $name; sleep 1 while 1; POSIX::_exit(0) }
        my $deadline = time + 3;
        while (time < $deadline) {
            open my $fh, '<', "/proc/$pid/cmdline" or last;
            my $c = do { local $/; <$fh> } // '';
            last if !defined $name || index($c, $name) >= 0;
            sleep 0.02;
        }
        return $pid;
    };
    my $cmdline = sub { open my $fh, '<', "/proc/$_[0]/cmdline" or return ''; local $/; <$fh> // '' };

    my $worker = $dummy->('nginx: worker process');
    my $other  = $dummy->(undef);
    check(index($cmdline->($worker), 'nginx: worker process') >= 0,
          'stand-in worker shows "nginx: worker process"', $cmdline->($worker));

    $r = token_request(path => scen('kill-worker'), assertion => 'x', add_headers => ['X-Worker-Pid' => $other]);
    check($r->{status} == 500 && ($r->{json}{error_description} // '') =~
          /^kill-worker: pid $other is not an nginx worker process/ && kill(0, $other),
          'kill-worker refuses a pid that is no nginx worker, which lives on', "$r->{status} $r->{body}");
    $r = token_request(path => scen('kill-worker'), assertion => 'x');
    check($r->{status} == 500 && ($r->{json}{error_description} // '') eq 'kill-worker: no X-Worker-Pid header',
          'kill-worker without X-Worker-Pid -> 500', "$r->{status} $r->{body}");
    $r = token_request(path => scen('kill-worker'), assertion => 'x', add_headers => ['X-Worker-Pid' => 'abc']);
    check($r->{status} == 500 && ($r->{json}{error_description} // '') =~ /bad X-Worker-Pid/,
          'kill-worker with a bad X-Worker-Pid -> 500', "$r->{status} $r->{body}");

    my $kp = '/kill/oauth2/v1/token';
    get_ok('/_fail kill-worker', fail_url($kp, scenario => 'kill-worker', count => 1));
    my $t0 = time;
    $r = token_request(path => $kp, assertion => 'x', add_headers => ['X-Worker-Pid' => $worker]);
    my $gone = -1;    # wait status of the stand-in, if it died within 3 s
    my $deadline = time + 3;
    while (time < $deadline) {
        if (waitpid($worker, WNOHANG) == $worker) { $gone = $?; last }
        sleep 0.02;
    }
    if ($gone == -1) { kill 'KILL', $worker; waitpid $worker, 0 }
    check($r->{raw} eq '' && $gone == 9 && time - $t0 < 3,
          'kill-worker: SIGKILL to the worker, connection closed without an answer',
          "raw '$r->{raw}', wait status $gone");
    check(OAuth2Mock::stats($kp)->{calls} == 1, 'kill-worker request counted');
    granted('X-Worker-Pid is an allowed header', token_request(add_headers => ['X-Worker-Pid' => $other]));
    kill 'TERM', $other;
    waitpid $other, 0;
}

# ---------------------------------------------------------------------------
# times= in /_stats, /api401/
# ---------------------------------------------------------------------------
{
    OAuth2Mock::reset_state();
    my $p = '/times/oauth2/v1/token';
    my $before = int(time * 1000);
    for (1 .. 3) { token_request(path => $p, assertion => assertion(path => $p)); sleep 0.15 }
    my $after = int(time * 1000);
    my $body = OAuth2Mock::get("/_stats$p?times=1") // '';
    my ($times) = $body =~ /^calls=3\nheaders=accept,content-length,content-type,host\nlast_scope=\ntimes=([\d,]+)\n\z/;
    my @t = split /,/, $times // '';
    check(@t == 3 && $t[0] >= $before && $t[2] <= $after && $t[1] - $t[0] >= 140 && $t[2] - $t[1] >= 140,
          '/_stats?times=1: times= line, ms since the epoch, one per request', $body);
    $body = OAuth2Mock::get("/_stats$p") // '';
    check($body eq "calls=3\nheaders=accept,content-length,content-type,host\nlast_scope=\n",
          '/_stats without ?times=1: the three lines as before', $body);
    check((OAuth2Mock::get('/_stats/never/v1/token?times=1') // '') eq "calls=0\nheaders=\nlast_scope=\ntimes=\n",
          'times= empty for a path never called');
    OAuth2Mock::reset_state();
    check((OAuth2Mock::get("/_stats$p?times=1") // '') =~ /\ntimes=\n\z/, '/_reset clears the times');

    $r = api(Authorization => "Bearer $token");
    check($r->{status} == 200, 'token still good on /api/');
    $r = http(path => '/api401/things', headers => [Host => "127.0.0.1:$port", Authorization => "Bearer $token"]);
    check($r->{status} == 401 && $r->{body} eq "api: revoked\n"
          && ($r->{headers}{'content-type'}[0] // '') eq 'text/plain',
          '/api401/ refuses even a valid token', "$r->{status} $r->{body}");
    $r = http(path => '/api401/x');
    check($r->{status} == 401 && $r->{body} eq "api: revoked\n", '/api401/ without a token', $r->{body});
    check(OAuth2Mock::stats('/api401/x')->{calls} == 1, '/api401/ is counted');
    check(http(path => '/api401')->{status} == 404, '/api401 itself -> 404');
}

# ---------------------------------------------------------------------------
# /_burst, /_fire, /_load
# ---------------------------------------------------------------------------
{
    my $t0 = time;
    $r = http(path => "/_burst?port=$port&path=/_sleep?ms=200&n=300&c=300");
    my $took = time - $t0;
    my ($max) = $r->{body} =~ /^n=300\nok=300\nerrors=0\nstatus_200=300\nmax_ms=(\d+)\n\z/;
    check($r->{status} == 200 && defined $max && $max >= 200
          && ($r->{headers}{'content-type'}[0] // '') eq 'text/plain',
          '/_burst n=300 c=300: format, all 200', $r->{body});
    check($took < 15, sprintf('/_burst: 300 x 200 ms at once in %.2f s (serial: 60 s)', $took));

    # several statuses, sorted; concurrent requests use an override once each
    my $bp = '/burst/oauth2/v1/token';
    get_ok('/_fail for a burst', fail_url($bp, scenario => 'status-503', count => 3));
    $r = http(path => "/_burst?port=$port&path=$bp&n=8&c=8&host=localhost");
    check($r->{body} =~ /^n=8\nok=8\nerrors=0\nstatus_400=5\nstatus_503=3\nmax_ms=\d+\n\z/,
          '/_burst: one line per status, sorted; host=localhost', $r->{body});

    # a port nobody listens on
    my $closed = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1);
    my $dead_port = $closed->sockport;
    close $closed;
    $r = http(path => "/_burst?port=$dead_port&path=/x&n=5&c=2");
    check($r->{body} eq "n=5\nok=0\nerrors=5\nmax_ms=0\n", '/_burst to a closed port: errors', $r->{body});

    for my $bad (["host=10.0.0.1", 'a non-loopback host'], ["host=example.com", 'a name'],
                 ["host=127.0.0.256", 'a bad address'], ["c=1001", 'c=1001'], ["n=0", 'n=0'],
                 ["path=x", 'a relative path']) {
        my %q = (port => $port, path => '/x', n => 1, c => 1);
        my ($k, $v) = split /=/, $bad->[0], 2;
        $q{$k} = $v;
        my $url = '/_burst?' . join '&', map { "$_=$q{$_}" } sort keys %q;
        check(http(path => $url)->{status} == 400, "/_burst refuses $bad->[1]");
    }
    check(http(path => "/_burst?port=$port&path=/x&n=1&c=1&host=127.1.2.3")->{status} == 200,
          '/_burst takes any 127.0.0.0/8 address');   # refused there: errors=1

    # timeout_ms: GETs not answered in time are given up, as errors
    $t0 = time;
    $r = http(path => "/_burst?port=$port&path=/_sleep?ms=1500&n=4&c=1&timeout_ms=200");
    $took = time - $t0;
    check($r->{body} eq "n=4\nok=0\nerrors=4\nmax_ms=0\n" && $took < 1.5,
          sprintf('/_burst timeout_ms=200: four GETs of 1.5 s given up in %.2f s', $took),
          $r->{body});
    check(http(path => "/_burst?port=$port&path=/x&n=1&c=1&timeout_ms=0")->{status} == 400,
          '/_burst refuses timeout_ms=0');

    # /_keepalive: the mock closes after every answer, which it notices
    $r = http(path => "/_keepalive?port=$port&path=/_sleep?ms=1&seconds=1");
    check($r->{body} =~ /^requests=1\nerrors=1\nmax_ms=\d+\nslow=0\n\z/,
          '/_keepalive: a server that closes the connection ends it, an error',
          $r->{body});
    check(http(path => "/_keepalive?port=$port&path=/x&seconds=0")->{status} == 400,
          '/_keepalive refuses seconds=0');
    $r = http(path => "/_keepalive?port=$port&path=/_sleep?ms=1&seconds=1&watch=/nothing/v1/token");
    check($r->{body} =~ /\nslow=0\nin_flight=0\n\z/,
          '/_keepalive watch=: no token request to it in flight, none counted',
          $r->{body});

    # /_h2reset: the mock speaks no HTTP/2
    $r = http(path => "/_h2reset?port=$port&path=/x&n=2&after_ms=10");
    check($r->{status} == 500, '/_h2reset to a server without HTTP/2 fails', $r->{body});
    check(http(path => "/_h2reset?port=$port&path=/x&n=0")->{status} == 400,
          '/_h2reset refuses n=0');

    # /_fire: the request is sent before "fired", its answer read afterwards
    $t0 = time;
    $r = http(path => "/_fire?port=$port&path=/api401/fired");
    check($r->{status} == 200 && $r->{body} eq "fired\n" && time - $t0 < 1, '/_fire answers "fired"', $r->{body});
    my $deadline = time + 3;
    sleep 0.05 until OAuth2Mock::stats('/api401/fired')->{calls} == 1 || time > $deadline;
    check(OAuth2Mock::stats('/api401/fired')->{calls} == 1, '/_fire: the request arrived');

    $t0 = time;
    $r = http(path => "/_fire?port=$port&path=/_sleep?ms=1000");
    my $fire_took = time - $t0;
    check($r->{body} eq "fired\n" && $fire_took < 0.5,
          sprintf('/_fire does not wait for a slow answer (%.2f s)', $fire_took));
    check(http(path => "/_fire?port=$dead_port&path=/x")->{status} == 502, '/_fire to a closed port -> 502');
    check(http(path => "/_fire?port=$port&path=/x&host=192.168.0.1")->{status} == 400, '/_fire refuses other hosts');

    # /_load, and another request answered while it runs
    my $mock_pid = do { open my $fh, '<', "$STATE/../mock.pid" or die; <$fh> =~ /(\d+)/; $1 };
    $t0 = time;
    my $load = start_request("GET /_load?port=$port&path=/api401/load&seconds=2&c=10&slow_ms=100000 HTTP/1.0\r\n\r\n");
    sleep 0.3;
    my $t1 = time;
    $r = http(path => '/_stats/api401/load');
    my $quick = time - $t1;
    check($r->{status} == 200 && $quick < 1, sprintf('other requests answered during /_load (%.2f s)', $quick));
    my $lr = read_response($load);
    $took = time - $t0;
    my ($n) = $lr->{body} =~ /^requests=(\d+)\nerrors=0\nstatus_401=(\d+)\nmax_ms=\d+\nslow=0\n\z/;
    check(defined $n && $n == $2 && $n >= 20 && $took >= 2 && $took < 6,
          sprintf('/_load 2 s, c=10: format, counts (%.2f s)', $took), $lr->{body});
    check(OAuth2Mock::stats('/api401/load')->{calls} == $n, '/_load: the mock counted each request',
          OAuth2Mock::stats('/api401/load')->{calls} . " vs $n");

    $r = http(path => "/_load?port=$port&path=/_sleep?ms=100&seconds=1&c=5&slow_ms=50");
    ($n) = $r->{body} =~ /^requests=(\d+)\nerrors=0\nstatus_200=\d+\nmax_ms=(\d+)\nslow=(\d+)\n\z/;
    check(defined $n && $3 == $n && $2 >= 100, '/_load counts responses slower than slow_ms', $r->{body});
    for my $bad (['seconds=61', 'seconds=61'], ['seconds=0', 'seconds=0'], ['c=0', 'c=0'],
                 ['slow_ms=x', 'slow_ms=x']) {
        my %q = (port => $port, path => '/x', seconds => 1, c => 1);
        my ($k, $v) = split /=/, $bad->[0], 2;
        $q{$k} = $v;
        my $url = '/_load?' . join '&', map { "$_=$q{$_}" } sort keys %q;
        check(http(path => $url)->{status} == 400, "/_load refuses $bad->[1]");
    }

    # the fired /_sleep has finished and been logged; no child left a zombie
    # (the fired /_sleep?ms=1000 was more than 2 s ago)
    my $zombies = sub {
        my @z;
        for my $stat (glob '/proc/[0-9]*/stat') {
            open my $fh, '<', $stat or next;
            my $line = <$fh> // next;
            my ($pid, $state, $pp) = $line =~ /^(\d+) \(.*\) (\S) (\d+)/s or next;
            push @z, $pid if $pp == $mock_pid && $state eq 'Z';
        }
        return @z;
    };
    # a child that has just exited is a zombie until the master reaps it:
    # fail only when every look within 3 s finds one
    $deadline = time + 3;
    my @z = $zombies->();
    while (@z && time < $deadline) { sleep 0.1; @z = $zombies->() }
    check(!@z, 'no zombie children of the mock (within 3 s)', "@z");
    if (open my $fh, '<', "$STATE/../mock.log") {
        my $log = do { local $/; <$fh> };
        check($log =~ m{fire: GET /_sleep\?ms=1000 at 127\.0\.0\.1:$port -> 200 in 1\d{3} ms},
              '/_fire read the answer after 1 s (log)');
    }
}

# ---------------------------------------------------------------------------
# /_hup with a stand-in nginx master that forks a new "worker" on SIGHUP
# ---------------------------------------------------------------------------
{
    my $pidfile = OAuth2Mock::root() . "/t/servroot-mock/$$/fake-master.pid";
    my $master = fork // die "fork: $!";
    if (!$master) {
        my @workers;
        $SIG{HUP} = sub {
            my $w = fork;
            if (defined $w && !$w) { sleep 3; POSIX::_exit(0) }
            push @workers, $w;
        };
        $SIG{TERM} = sub { kill 'TERM', @workers; POSIX::_exit(0) };
        open my $fh, '>', $pidfile or POSIX::_exit(1);
        print $fh "$$\n";
        close $fh;
        sleep 1 while 1;
    }
    my $deadline = time + 5;
    sleep 0.05 until -s $pidfile || time > $deadline;
    my $t0 = time;
    $r = http(path => "/_hup?pidfile=$pidfile");
    check($r->{status} == 200 && $r->{body} eq "reloaded\n" && time - $t0 < 5,
          '/_hup signals and waits for a new child', "$r->{status} $r->{body}");
    kill 'TERM', $master;
    waitpid $master, 0;
    $r = http(path => '/_hup?pidfile=relative.pid');
    check($r->{status} == 400, '/_hup wants an absolute pidfile', $r->{body});
}

# ---------------------------------------------------------------------------
# DPoP (RFC 9449) at the token endpoint: proofs the self-test signs with
# Crypt::JWT
# ---------------------------------------------------------------------------

# RFC 7638 thumbprint, computed here from the key's members (the mock uses
# CryptX's export_key_jwk_thumbprint)
sub thumbprint {
    my ($jwk) = @_;
    my @m = $jwk->{kty} eq 'EC' ? qw(crv kty x y) : qw(e kty n);
    my $json = '{' . join(',', map { qq{"$_":"$jwk->{$_}"} } @m) . '}';
    return encode_b64u(sha256($json));
}

sub public_jwk { key($_[0])->export_key_jwk('public', 1) }

# %o: key (ec1), alg (ES256), sign_with (another key than the jwk's), htm
# (POST), htu (the token URL), token (adds ath), nonce, claims => {...},
# header => {...} (overrides; undef deletes)
sub dpop_proof {
    my (%o) = @_;
    my $name = $o{key} // 'ec1';
    my %claims = (htm => $o{htm} // 'POST', htu => $o{htu} // aud(),
                  iat => int time, jti => random_bytes_hex(16));
    $claims{nonce} = $o{nonce} if defined $o{nonce};
    $claims{ath} = encode_b64u(sha256($o{token})) if defined $o{token};
    my %header = (typ => 'dpop+jwt', jwk => public_jwk($name));
    for my $src ([\%claims, $o{claims}], [\%header, $o{header}]) {
        my ($dst, $over) = @$src;
        while (my ($k, $v) = each %{ $over // {} }) {
            if (defined $v) { $dst->{$k} = $v } else { delete $dst->{$k} }
        }
    }
    my $jwt = encode_jwt(payload => \%claims, alg => $o{alg} // 'ES256',
                         key => key($o{sign_with} // $name), extra_headers => \%header);
    push @secrets_seen, $jwt;
    return $jwt;
}

sub claims_of { my ($jwt) = @_; eval { decode_jwt(token => $jwt, ignore_signature => 1) } // {} }

sub dpop_granted {
    my ($name, $r, $jkt) = @_;
    my $j = ref $r->{json} eq 'HASH' ? $r->{json} : {};
    my $c = claims_of($j->{access_token} // '');
    check($r->{status} == 200 && ($j->{token_type} // '') eq 'DPoP'
          && ref $c->{cnf} eq 'HASH' && ($c->{cnf}{jkt} // '') eq $jkt,
          "$name -> 200 DPoP token bound to the proof key", "got: $r->{status} $r->{body}");
    push @secrets_seen, $j->{access_token} if $j->{access_token};
    return $j->{access_token} // '';
}

sub dpop_refused { refused($_[0], $_[1], 400, 'invalid_dpop_proof', $_[2]) }

# a token request with a proof; %o: path, client (its id, private_key_jwt
# with rsa1), proof (default: a fresh good one), and dpop_proof's options
sub dpop_request {
    my (%o) = @_;
    my $path = $o{path} // $TOKEN_PATH;
    my $proof = exists $o{proof} ? $o{proof} : dpop_proof(htu => aud($path), %o);
    my $a = assertion(path => $path,
                      $o{client} ? (claims => { iss => $o{client}, sub => $o{client} }) : ());
    return token_request(path => $path, assertion => $a,
                         add_headers => [defined $proof ? (DPoP => $proof) : ()]);
}

sub detail {
    my ($path) = @_;
    my $body = OAuth2Mock::get("/_stats$path?detail=1") // '';
    return { map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } split /\n/, $body };
}

my ($dpop_token, $ec_jkt);
{
    OAuth2Mock::reset_state();
    $ec_jkt = thumbprint(public_jwk('ec1'));
    my $rsa_jkt = thumbprint(public_jwk('rsa2'));
    check(length $ec_jkt == 43 && $ec_jkt eq key('ec1')->export_key_jwk_thumbprint('SHA256'),
          'RFC 7638 thumbprint computed here agrees with CryptX');
    $dpop_token = dpop_granted('ES256 proof, private_key_jwt client', dpop_request(), $ec_jkt);
    check(($r = dpop_request())->{body} =~ /^\{"token_type":"DPoP","expires_in":3600,"access_token":"[^"]+"\}$/,
          'DPoP token body in Okta field order', $r->{body});
    dpop_granted('RS256 proof with rsa2 (not the client key)',
                 dpop_request(key => 'rsa2', alg => 'RS256'), $rsa_jkt);
    dpop_granted('PS256 proof', dpop_request(key => 'rsa2', alg => 'PS256'), $rsa_jkt);
    dpop_granted('ES384 proof', dpop_request(key => 'ec384', alg => 'ES384'),
                 thumbprint(public_jwk('ec384')));
    dpop_granted('htu in upper case, default port spelled out elsewhere',
                 dpop_request(htu => 'HTTP://127.0.0.1:' . $port . $TOKEN_PATH), $ec_jkt);
    my $d = detail($TOKEN_PATH);
    check($d->{dpop} eq $ec_jkt && $d->{dpop_nonce} eq 'none' && $d->{token_type} eq 'DPoP'
          && $d->{auth} eq 'private_key_jwt' && $d->{status} eq '200'
          && $d->{params} eq 'grant_type,client_assertion_type,client_assertion',
          '/_stats?detail=1: dpop, dpop_nonce, token_type, auth, params', $JSON->encode($d));

    my $now = int time;
    my @bad = (
        ['typ JWT', { header => { typ => 'JWT' } }, qr/^DPoP proof: typ must be dpop\+jwt$/],
        ['no typ', { header => { typ => undef } }, qr/^DPoP proof: typ must be dpop\+jwt$/],
        ['no jwk', { header => { jwk => undef } }, qr/^DPoP proof: jwk header missing/],
        ['private jwk', { header => { jwk => key('ec1')->export_key_jwk('private', 1) } },
         qr/^DPoP proof: jwk holds private key members: d$/],
        ['signed by another key', { sign_with => 'ec-sec1' },
         qr/^DPoP proof: signature invalid for the jwk of its header$/],
        ['ES256 with a P-384 jwk', { header => { jwk => public_jwk('ec384') }, sign_with => 'ec384' },
         qr/^DPoP proof: jwk crv must be P-256 for ES256$/],
        ['RSA 1024 jwk', { key => 'rsa1024', alg => 'RS256' }, qr/^DPoP proof: jwk RSA key too short \(1024 bits\)$/],
        ['RS256 with an EC jwk', { alg => 'RS256', key => 'rsa2', header => { jwk => public_jwk('ec1') } },
         qr/^DPoP proof: jwk kty EC does not fit RS256$/],
        ['htm GET', { htm => 'GET' }, qr/^DPoP proof: htm GET, expected POST$/],
        ['htu of another path', { htu => aud('/oauth2/default/v1/token') }, qr/^DPoP proof: htu .* expected /],
        ['htu https', { htu => "https://127.0.0.1:$port$TOKEN_PATH" }, qr/^DPoP proof: htu .* expected /],
        ['htu with a query', { htu => aud() . '?a=1' }, qr/^DPoP proof: htu .* has a query or fragment$/],
        ['htu relative', { htu => $TOKEN_PATH }, qr/^DPoP proof: htu .* not an absolute/],
        ['iat 120 s old', { claims => { iat => $now - 120 } }, qr/^DPoP proof: iat \d+ more than 60 s ago$/],
        ['iat in the future', { claims => { iat => $now + 60 } }, qr/^DPoP proof: iat \d+ in the future$/],
        ['iat as string', { claims => { iat => "$now" } }, qr/^DPoP proof: iat must be an integer$/],
        ['no jti', { claims => { jti => undef } }, qr/^DPoP proof: jti missing$/],
        ['ath in a token request', { token => 'abc' }, qr/^DPoP proof: ath in a token request proof$/],
        ['empty nonce', { nonce => '' }, qr/^DPoP proof: nonce must be a non-empty string$/],
    );
    for my $c (@bad) {
        my ($name, $o, $re) = @$c;
        dpop_refused("proof: $name", dpop_request(%$o), $re);
    }
    # HS256 proof: no jwk can carry a secret
    {
        my $hs = encode_jwt(payload => { htm => 'POST', htu => aud(), iat => int time,
                                         jti => random_bytes_hex(8) },
                            alg => 'HS256', key => 'secret',
                            extra_headers => { typ => 'dpop+jwt', jwk => public_jwk('ec1') });
        dpop_refused('proof: HS256', dpop_request(proof => $hs),
                     qr/^DPoP proof: alg HS256 not allowed \(asymmetric algorithms only\)$/);
        dpop_refused('proof: not a JWS', dpop_request(proof => 'abc.def'),
                     qr/^DPoP proof: not a compact JWS$/);
        my $der = do {
            my ($h, $p) = split /\./, dpop_proof();
            "$h.$p." . encode_b64u(key('ec1')->sign_message("$h.$p", 'SHA256'));
        };
        dpop_refused('proof: DER ECDSA signature', dpop_request(proof => $der),
                     qr/^DPoP proof: ES256 signature must be 64 bytes \(R\|\|S\), got 7\d$/);
    }
    my $once = dpop_proof();
    dpop_granted('a proof used once', dpop_request(proof => $once), $ec_jkt);
    dpop_refused('the same proof again (new assertion)', dpop_request(proof => $once),
                 qr/^DPoP proof: jti reused$/);
    refused('two DPoP headers', token_request(add_headers => [DPoP => dpop_proof(), DPoP => dpop_proof()]),
            400, 'invalid_request', qr/^duplicate header dpop$/);
    granted('no proof: Bearer, as before', token_request());

    # a client that requires DPoP, and the dpop-required scenario
    my $dc = '0oaSELFTEST-dpop';
    dpop_refused('DPoP client without a proof', dpop_request(client => $dc, proof => undef),
                 qr/^\QThe DPoP proof JWT header is missing.\E$/);
    dpop_granted('DPoP client with a proof', dpop_request(client => $dc), $ec_jkt);
    dpop_refused('dpop-required scenario without a proof',
                 dpop_request(path => scen('dpop-required'), proof => undef),
                 qr/^\QThe DPoP proof JWT header is missing.\E$/);
    dpop_granted('dpop-required scenario with a proof', dpop_request(path => scen('dpop-required')),
                 $ec_jkt);
    check(detail(scen('dpop-required'))->{errors} eq 'invalid_dpop_proof:1',
          '/_stats?detail=1 counts refusals by error', detail(scen('dpop-required'))->{errors});

    # a DPoP request answered Bearer
    $r = dpop_request(path => scen('dpop-as-bearer'));
    my $bt = granted('dpop-as-bearer: token_type Bearer', $r);
    check(!exists claims_of($bt)->{cnf}, 'dpop-as-bearer: the token is bound to nothing');
    check(api(Authorization => "Bearer $bt")->{status} == 200, 'dpop-as-bearer token works as Bearer');
    dpop_refused('dpop-as-bearer still verifies the proof',
                 dpop_request(path => scen('dpop-as-bearer'), htm => 'PUT'), qr/htm PUT/);
}

# ---------------------------------------------------------------------------
# DPoP nonces at the token endpoint
# ---------------------------------------------------------------------------
sub nonce_of { my ($r) = @_; ($r->{headers}{'dpop-nonce'} // [])->[0] // '' }

sub nonce_refused {
    my ($name, $r) = @_;
    refused($name, $r, 400, 'use_dpop_nonce', qr/^\QAuthorization server requires nonce in DPoP proof.\E$/);
    check(nonce_of($r) =~ /^[A-Za-z0-9_-]{32}$/ && @{ $r->{headers}{'dpop-nonce'} } == 1,
          "$name: one DPoP-Nonce header", $r->{raw});
    return nonce_of($r);
}

{
    my $p = scen('dpop-nonce');
    my $r = dpop_request(path => $p);
    my $n1 = nonce_refused('dpop-nonce: a proof without nonce', $r);
    check((OAuth2Mock::get("/_nonce?path=$p") // '') eq "nonce=$n1\n", '/_nonce shows the nonce it sent');

    # the assertion of the refused request was used: the retry needs a new one
    my $a = assertion(path => $p);
    nonce_refused('dpop-nonce: first try', token_request(path => $p, assertion => $a,
                  add_headers => [DPoP => dpop_proof(htu => aud($p))]));
    refused('dpop-nonce: the same assertion again, with the nonce',
            token_request(path => $p, assertion => $a,
                          add_headers => [DPoP => dpop_proof(htu => aud($p), nonce => $n1)]),
            400, 'invalid_client', qr/^jti reused$/);
    $r = dpop_request(path => $p, nonce => $n1);
    dpop_granted('dpop-nonce: a new assertion and proof with the nonce', $r, $ec_jkt);
    check(nonce_of($r) eq '', 'no DPoP-Nonce on a 200 with the current nonce');
    my $d = detail($p);
    check($d->{dpop_nonce} eq $n1 && $d->{errors} eq 'invalid_client:1,use_dpop_nonce:2',
          'detail: dpop_nonce, errors', $JSON->encode($d));
    check(nonce_refused('dpop-nonce: a nonce never sent', dpop_request(path => $p, nonce => 'x' x 32)) eq $n1,
          'the refusal names the current nonce');

    my $n2 = (OAuth2Mock::get("/_nonce?path=$p&rotate=1") // '') =~ /^nonce=(\S+)$/ ? $1 : '';
    check($n2 ne '' && $n2 ne $n1, '/_nonce rotate=1 makes a new nonce');
    check(nonce_refused('rotated: the old nonce', dpop_request(path => $p, nonce => $n1)) eq $n2,
          'rotated: the refusal carries the new nonce');
    dpop_granted('rotated: the new nonce', dpop_request(path => $p, nonce => $n2), $ec_jkt);

    my $n3 = (OAuth2Mock::get("/_nonce?path=$p&rotate=1&grace=1") // '') =~ /^nonce=(\S+)$/ ? $1 : '';
    $r = dpop_request(path => $p, nonce => $n2);
    dpop_granted('rotated with grace: the old nonce still passes', $r, $ec_jkt);
    check(nonce_of($r) eq $n3, 'rotated with grace: the 200 announces the new nonce', $r->{raw});
    dpop_granted('rotated with grace: the new one', dpop_request(path => $p, nonce => $n3), $ec_jkt);

    # every proof refused, each time with a new nonce
    my $ap = scen('dpop-nonce-always');
    my $m1 = nonce_refused('dpop-nonce-always: no nonce', dpop_request(path => $ap));
    my $m2 = nonce_refused('dpop-nonce-always: the nonce it sent', dpop_request(path => $ap, nonce => $m1));
    check($m1 ne $m2, 'dpop-nonce-always: a new nonce each time');

    # a /_fail override on a plain path; nonces are per token path
    my $fp = '/nonce-fail/oauth2/v1/token';
    get_ok('/_fail dpop-nonce', fail_url($fp, scenario => 'dpop-nonce'));
    my $f1 = nonce_refused('override dpop-nonce', dpop_request(path => $fp));
    check($f1 ne $n3, 'nonces are per token path');
    dpop_granted('override dpop-nonce: with the nonce', dpop_request(path => $fp, nonce => $f1), $ec_jkt);
    get_ok('/_fail clear', fail_url($fp, clear => 1));
    dpop_granted('no nonce mode: a nonce it once sent is still fine',
                 dpop_request(path => $fp, nonce => $f1), $ec_jkt);
    nonce_refused('no nonce mode: an unknown nonce is refused', dpop_request(path => $fp, nonce => 'y' x 32));
    dpop_granted('no nonce mode: no nonce', dpop_request(path => $fp), $ec_jkt);
    check(http(path => '/_nonce?path=relative')->{status} == 400, '/_nonce refuses a relative path');
    OAuth2Mock::reset_state();
    check((OAuth2Mock::get("/_nonce?path=$p") // '') ne "nonce=$n3\n", '/_reset forgets the nonces');
}

# ---------------------------------------------------------------------------
# DPoP at the protected API
# ---------------------------------------------------------------------------
sub api_url { "http://127.0.0.1:$port" . ($_[0] // '/api/things') }

sub dpop_api {
    my (%o) = @_;
    my $path = $o{path} // '/api/things';
    my $token = $o{token} // $dpop_token;
    my $proof = exists $o{proof} ? $o{proof}
        : dpop_proof(htm => $o{method} // 'GET', htu => api_url($path =~ s/\?.*//r),
                     token => $o{ath_of} // $token, %{ $o{proof_opts} // {} });
    return http(method => $o{method} // 'GET', path => $path,
                headers => [Host => "127.0.0.1:$port",
                            Authorization => ($o{scheme} // 'DPoP') . " $token",
                            defined $proof ? (DPoP => $proof) : ()]);
}

sub api_dpop_refused {
    my ($name, $r, $re, $error) = @_;
    my $www = ($r->{headers}{'www-authenticate'} // [])->[0] // '';
    my $want = $error // 'invalid_dpop_proof';
    check($r->{status} == 401 && $r->{body} =~ $re
          && $www =~ /^DPoP error="\Q$want\E", error_description="/,
          "API: $name -> 401, WWW-Authenticate: DPoP", "$r->{status} $www $r->{body}");
}

{
    my $r = dpop_api();
    check($r->{status} == 200 && $r->{body} =~
          /^api: token ok client=\Q$CLIENT_ID\E scope= token=.*\nauthorization_headers=1\ncookie=none\n(dpop=ok alg=ES256 jkt=\Q$ec_jkt\E htm=GET htu=\Qhttp:\/\/127.0.0.1:$port\/api\/things\E ath=ok nonce=none)\n\z/,
          'API accepts a DPoP token with its proof, says what it checked', $r->{body});
    $r = dpop_api(path => '/api/things?page=2&x=y');
    check($r->{status} == 200, 'API: htu without the query of the request', $r->{body});
    $r = dpop_api(method => 'POST');
    check($r->{status} == 200 && $r->{body} =~ /htm=POST/, 'API: htm POST for a POST', $r->{body});
    my $d = detail('/api/things');
    check($d->{scheme} eq 'DPoP' && $d->{dpop} eq $ec_jkt && $d->{status} eq '200',
          '/_stats?detail=1 of an API path', $JSON->encode($d));

    api_dpop_refused('DPoP token as Bearer', dpop_api(scheme => 'Bearer', proof => undef),
                     qr/^api: token refused: DPoP-bound token sent as Bearer$/, 'invalid_token');
    api_dpop_refused('DPoP token as Bearer, with a proof', dpop_api(scheme => 'Bearer'),
                     qr/DPoP-bound token sent as Bearer/, 'invalid_token');
    api_dpop_refused('Bearer token in the DPoP scheme', dpop_api(token => $token),
                     qr/^api: token refused: DPoP scheme with a token bound to no key$/, 'invalid_token');
    api_dpop_refused('no proof', dpop_api(proof => undef), qr/dpop: no DPoP header$/);
    api_dpop_refused('ath of another token', dpop_api(ath_of => $token),
                     qr/dpop: ath does not match the access token$/);
    api_dpop_refused('no ath', dpop_api(proof => dpop_proof(htm => 'GET', htu => api_url())),
                     qr/dpop: ath missing$/);
    api_dpop_refused('a proof by another key', dpop_api(proof_opts => { key => 'rsa2', alg => 'RS256' }),
                     qr/dpop: proof key is not the key the token is bound to \(cnf\.jkt\)$/);
    api_dpop_refused('htm POST for a GET', dpop_api(proof_opts => { htm => 'POST' }),
                     qr/dpop: htm POST, expected GET$/);
    api_dpop_refused('htu with the query', dpop_api(path => '/api/things?a=1',
                     proof_opts => { htu => api_url('/api/things?a=1') }), qr/has a query/);
    api_dpop_refused('htu of another path', dpop_api(proof_opts => { htu => api_url('/api/other') }),
                     qr/dpop: htu .* expected /);
    api_dpop_refused('iat 120 s old', dpop_api(proof_opts => { claims => { iat => int(time) - 120 } }),
                     qr/more than 60 s ago$/);
    my $once = dpop_proof(htm => 'GET', htu => api_url(), token => $dpop_token);
    check(dpop_api(proof => $once)->{status} == 200, 'API: a proof once');
    api_dpop_refused('the same proof twice', dpop_api(proof => $once), qr/dpop: jti reused$/);
    my @codes = map { dpop_api()->{status} } 1 .. 50;
    check((grep { $_ == 200 } @codes) == 50, '50 proofs, 50 answers 200', "@codes");
    OAuth2Mock::reset_state();
    check(dpop_api(proof => $once)->{status} == 200, "/_reset forgets the proofs' jti");
    check(dpop_api(proof_opts => { nonce => 'z' x 20 })->{status} == 401,
          'API: a nonce the API never sent is refused');

    # /api-nonce/: the resource server's own nonce
    my $np = '/api-nonce/things';
    $r = dpop_api(path => $np);
    my $rn = nonce_of($r);
    check($r->{status} == 401 && $r->{body} eq "api: use_dpop_nonce\n" && $rn =~ /^[A-Za-z0-9_-]{32}$/
          && ($r->{headers}{'www-authenticate'}[0] // '') eq
             'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof."',
          '/api-nonce/ without a nonce: 401 use_dpop_nonce, DPoP-Nonce', $r->{raw});
    check((OAuth2Mock::get('/_nonce?api=1') // '') eq "nonce=$rn\n", '/_nonce?api=1 shows it');
    $r = dpop_api(path => $np, proof_opts => { nonce => $rn });
    check($r->{status} == 200 && $r->{body} =~ /nonce=\Q$rn\E\n/, '/api-nonce/ with the nonce', $r->{body});
    my $rn2 = (OAuth2Mock::get('/_nonce?api=1&rotate=1') // '') =~ /^nonce=(\S+)$/ ? $1 : '';
    $r = dpop_api(path => $np, proof_opts => { nonce => $rn });
    check($r->{status} == 401 && nonce_of($r) eq $rn2, '/api-nonce/ after a rotation: the old nonce refused');
    check(dpop_api(path => $np, proof_opts => { nonce => $rn2 })->{status} == 200, '/api-nonce/: the new one');
    check(api(Authorization => "Bearer $token")->{body} !~ /dpop|aud=/,
          'a Bearer answer has no dpop or aud line');
    $r = http(path => '/api/things', headers => [Host => "127.0.0.1:$port", Authorization => "Bearer $token",
                                                DPoP => dpop_proof(htm => 'GET', htu => api_url())]);
    check($r->{status} == 200 && $r->{body} =~ /^dpop_headers=1$/m,
          'API: a DPoP header beside a Bearer token is reported', $r->{body});
}

# ---------------------------------------------------------------------------
# Client authentication (issue 13)
# ---------------------------------------------------------------------------
sub secret_of { open my $fh, '<:raw', "$KEYS/$_[0]" or die "$_[0]: $!"; local $/; <$fh> }
my $SECRET  = secret_of('client.secret');
my $USECRET = secret_of('client-utf8.secret');
my $WRONG   = secret_of('wrong.secret');
push @secrets_seen, $SECRET, $USECRET;

sub basic_header {
    my ($id, $secret, $raw) = @_;
    my $plain = $raw ? "$id:$secret" : form_encode($id) . ':' . form_encode($secret);
    return 'Basic ' . encode_base64($plain, '');
}

# a token request without an assertion: %o: path, form => [k => v ...]
# (encoded here), headers (added), tls => {cert, key} (over TLS)
sub plain_request {
    my (%o) = @_;
    my $path = $o{path} // $TOKEN_PATH;
    my @f = ('grant_type' => 'client_credentials', @{ $o{form} // [] });
    my @pairs;
    while (my ($k, $v) = splice @f, 0, 2) { push @pairs, form_encode($k) . '=' . form_encode($v) }
    return token_request(path => $path, body => join('&', @pairs),
                         add_headers => $o{headers} // [], tls => $o{tls});
}

sub auth_refused {
    my ($name, $r, $status, $error, $desc, $why_re) = @_;
    refused($name, $r, $status, $error, qr/^\Q$desc\E$/);
}

my $OKTA_AUTH_FAILED = 'Client authentication failed. Either the client or the client credentials are invalid.';
my $OKTA_BAD_SECRET = 'The client secret supplied for a confidential client is invalid.';

{
    OAuth2Mock::reset_state();
    my $b = '0oa-basic';
    check(length $SECRET == 72 && $SECRET =~ /:/ && $SECRET =~ /%41/ && $SECRET =~ /\+/ && $SECRET =~ / /,
          'client.secret has ":", "%41", "+" and a space');
    granted('client_secret_basic', plain_request(headers => [Authorization => basic_header($b, $SECRET)],
                                                 form => [scope => 'okta.users.read']));
    my $d = detail($TOKEN_PATH);
    check($d->{auth} eq 'client_secret_basic' && $d->{client_id} eq $b && $d->{params} eq 'grant_type,scope',
          'detail: auth=client_secret_basic', $JSON->encode($d));
    granted('client_secret_basic, client_id in the body too',
            plain_request(headers => [Authorization => basic_header($b, $SECRET)], form => [client_id => $b]));
    auth_refused('basic: secret not form-encoded', plain_request(headers => [Authorization => basic_header($b, $SECRET, 1)]),
                 401, 'invalid_client', $OKTA_BAD_SECRET);
    check(detail($TOKEN_PATH)->{status} =~ /^401 invalid_client: client_secret in the Basic credentials is not form-encoded \(raw 0x3A; RFC 6749 2\.3\.1\)$/,
          'detail says why: not form-encoded', detail($TOKEN_PATH)->{status});
    auth_refused('basic: wrong secret', plain_request(headers => [Authorization => basic_header($b, $WRONG)]),
                 401, 'invalid_client', $OKTA_BAD_SECRET);
    auth_refused('basic: the secret encoded twice',
                 plain_request(headers => [Authorization => basic_header($b, form_encode($SECRET))]),
                 401, 'invalid_client', $OKTA_BAD_SECRET);
    auth_refused('basic: the UTF-8 secret for the ASCII client',
                 plain_request(headers => [Authorization => basic_header($b, $USECRET)]),
                 401, 'invalid_client', $OKTA_BAD_SECRET);
    granted('basic: the UTF-8 secret, its client',
            plain_request(headers => [Authorization => basic_header('0oa-basic-utf8', $USECRET)]));
    auth_refused('basic: a post client', plain_request(headers => [Authorization => basic_header('0oa-post', $SECRET)]),
                 401, 'invalid_client', $OKTA_AUTH_FAILED);
    auth_refused('basic: unknown client', plain_request(headers => [Authorization => basic_header('client', $SECRET)]),
                 401, 'invalid_client', $OKTA_AUTH_FAILED);
    refused('basic: not base64', plain_request(headers => [Authorization => 'Basic ***']),
            400, 'invalid_request', qr/^Authorization header is not "Basic <base64>"$/);
    refused('basic: no colon', plain_request(headers => [Authorization => 'Basic ' . encode_base64('abc', '')]),
            400, 'invalid_request', qr/^Basic credentials without ":"$/);
    refused('basic: client_id in the body differs',
            plain_request(headers => [Authorization => basic_header($b, $SECRET)], form => [client_id => '0oa-x']),
            400, 'invalid_request', qr/^client_id parameter differs from the Basic credentials$/);

    my $p = '0oa-post';
    granted('client_secret_post', plain_request(form => [client_id => $p, client_secret => $SECRET]));
    check(detail($TOKEN_PATH)->{auth} eq 'client_secret_post', 'detail: auth=client_secret_post');
    granted('client_secret_post, UTF-8 secret', plain_request(form => [client_id => "$p-utf8", client_secret => $USECRET]));
    auth_refused('post: wrong secret', plain_request(form => [client_id => $p, client_secret => $WRONG]),
                 401, 'invalid_client', $OKTA_BAD_SECRET);
    auth_refused('post: a basic client', plain_request(form => [client_id => $b, client_secret => $SECRET]),
                 401, 'invalid_client', $OKTA_AUTH_FAILED);
    refused('post: no client_id', plain_request(form => [client_secret => $SECRET]),
            400, 'invalid_request', qr/^missing client_id \(client_secret_post\)$/);
    auth_refused('post client with its client_id only', plain_request(form => [client_id => $p]),
                 401, 'invalid_client', $OKTA_AUTH_FAILED);

    my $multi = qr/^Cannot supply multiple client credentials\. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body\.$/;
    refused('Basic and client_secret', plain_request(headers => [Authorization => basic_header($b, $SECRET)],
            form => [client_secret => $SECRET]), 400, 'invalid_request', $multi);
    refused('assertion and client_secret', token_request(params => ['client_secret=x']),
            400, 'invalid_request', $multi);
    refused('assertion and Basic', token_request(add_headers => [Authorization => basic_header($b, $SECRET)]),
            400, 'invalid_request', $multi);
    refused('an unknown parameter', token_request(params => ['foo=x']),
            400, 'invalid_request', qr/^unexpected parameter foo$/);

    # client_secret_jwt
    my $sj = '0oa-secretjwt';
    my $hs = sub {
        my ($alg, $secret, $id, %c) = @_;
        my $now = int time;
        my $jwt = encode_jwt(payload => { iss => $id // $sj, sub => $id // $sj, aud => aud(),
                                          iat => $now, exp => $now + 300,
                                          jti => random_bytes_hex(16), %c },
                             alg => $alg, key => $secret, extra_headers => { typ => 'JWT' });
        push @secrets_seen, $jwt;
        return $jwt;
    };
    for my $alg (qw(HS256 HS384 HS512)) {
        granted("client_secret_jwt $alg", token_request(assertion => $hs->($alg, $SECRET)));
    }
    $d = detail($TOKEN_PATH);
    check($d->{auth} eq 'client_secret_jwt' && $d->{alg} eq 'HS512', 'detail: auth=client_secret_jwt alg=HS512',
          $JSON->encode($d));
    granted('client_secret_jwt, UTF-8 secret', token_request(assertion => $hs->('HS256', $USECRET, "$sj-utf8")));
    refused('client_secret_jwt: wrong secret', token_request(assertion => $hs->('HS256', $WRONG)),
            401, 'invalid_client', qr/^signature invalid for the client secret$/);
    refused('client_secret_jwt: RS256', token_request(assertion => client_assertion_of($sj)),
            401, 'invalid_client', qr/^alg RS256 not allowed for client_secret_jwt$/);
    refused('client_secret_jwt: aud of another path', token_request(assertion => $hs->('HS256', $SECRET, undef,
            aud => aud('/x/v1/token'))), 401, 'invalid_client', qr/^aud mismatch/);
    refused('HS256 for a private_key_jwt client', token_request(assertion => $hs->('HS256', $SECRET, $CLIENT_ID)),
            401, 'invalid_client', qr/^alg HS256 not allowed$/);
    auth_refused('an assertion for a basic client', token_request(assertion => client_assertion_of($b)),
                 401, 'invalid_client', $OKTA_AUTH_FAILED);

    # private_key_jwt with x5t#S256 (Entra ID's certificate credentials)
    my $x = '0oa-x5t';
    my $x5t = sub { my ($crt, $sha1) = @_; encode_b64u(($sha1 ? \&sha1 : \&sha256)->(cert_der($crt))) };
    granted('x5t#S256 of rsa1.crt, RS256', token_request(assertion => client_assertion_of($x,
            kid => undef, header => { 'x5t#S256' => $x5t->('rsa1.crt') })));
    $d = detail($TOKEN_PATH);
    check($d->{'x5t#S256'} eq $x5t->('rsa1.crt') && $d->{auth} eq 'private_key_jwt',
          'detail: x5t#S256', $JSON->encode($d));
    granted('x5t#S256 and x5t of rsa1.crt, PS256, with a kid', token_request(assertion => client_assertion_of($x,
            alg => 'PS256', header => { 'x5t#S256' => $x5t->('rsa1.crt'), x5t => $x5t->('rsa1.crt', 1) })));
    granted('x5t#S256 of ec1.crt, ES256', token_request(assertion => client_assertion_of($x,
            alg => 'ES256', key => 'ec1', kid => undef, header => { 'x5t#S256' => $x5t->('ec1.crt') })));
    refused('x5t client without x5t#S256', token_request(assertion => client_assertion_of($x)),
            401, 'invalid_client', qr/^x5t#S256 header missing/);
    refused('x5t#S256 of a certificate nobody registered', token_request(assertion => client_assertion_of($x,
            header => { 'x5t#S256' => $x5t->('rsa1-other.crt') })), 401, 'invalid_client', qr/names no registered certificate$/);
    refused('x5t#S256 of rsa1.crt, signed by rsa2', token_request(assertion => client_assertion_of($x,
            key => 'rsa2', kid => undef, header => { 'x5t#S256' => $x5t->('rsa1.crt') })),
            401, 'invalid_client', qr/^signature invalid for the key of rsa1\.crt$/);
    refused('x5t of another certificate', token_request(assertion => client_assertion_of($x,
            header => { 'x5t#S256' => $x5t->('rsa1.crt'), x5t => $x5t->('ec1.crt', 1) })),
            401, 'invalid_client', qr/^x5t does not match the certificate x5t#S256 names/);
    refused('x5t#S256 in hex', token_request(assertion => client_assertion_of($x,
            header => { 'x5t#S256' => unpack('H*', cert_der('rsa1.crt')) })),
            401, 'invalid_client', qr/^x5t#S256 must be the base64url of 32 bytes$/);
    granted('x5t#S256 on a plain private_key_jwt client is checked too', token_request(assertion =>
            assertion(header => { 'x5t#S256' => $x5t->('rsa1.crt') })));
    refused('... and refused when it names no registered certificate', token_request(assertion =>
            assertion(header => { 'x5t#S256' => $x5t->('rsa1-other.crt') })),
            401, 'invalid_client', qr/names no registered certificate$/);

    # none
    granted('none: client_id only', plain_request(form => [client_id => '0oa-none']));
    check(detail($TOKEN_PATH)->{auth} eq 'none', 'detail: auth=none');
    auth_refused('none: unknown client', plain_request(form => [client_id => 'none']),
                 401, 'invalid_client', $OKTA_AUTH_FAILED);
}

# ---------------------------------------------------------------------------
# The TLS listener: tls_client_auth, self_signed_tls_client_auth, https
# aud and htu
# ---------------------------------------------------------------------------
sub cert_der {
    my ($file) = @_;
    open my $fh, '<', "$KEYS/$file" or die "$file: $!";
    my $pem = do { local $/; <$fh> };
    my ($b64) = $pem =~ /-----BEGIN CERTIFICATE-----(.*?)-----END/s or die "$file: no certificate";
    return decode_base64($b64);
}

sub client_assertion_of {
    my ($id, %o) = @_;
    return assertion(%o, claims => { iss => $id, sub => $id, %{ $o{claims} // {} } });
}

{
    my $tls_port = OAuth2Mock::tls_port();
    if (!check(defined $tls_port && $ENV{TEST_NGINX_MOCK_TLS_PORT} == $tls_port,
               'OAuth2Mock started the TLS listener, TEST_NGINX_MOCK_TLS_PORT'))
    {
        print "# no TLS port: IO::Socket::SSL missing?\n";
    } else {
        my $m = '0oa-mtls';
        my $cert = sub { { cert => "$KEYS/$_[0].crt", key => "$KEYS/$_[0].key" } };
        granted('tls_client_auth with client.crt', plain_request(form => [client_id => $m], tls => $cert->('client')));
        my $d = detail($TOKEN_PATH);
        check($d->{auth} eq 'tls_client_auth' && $d->{cert} =~ m{^/CN=oauth2-test-client [A-Za-z0-9_-]{43}$},
              'detail: auth=tls_client_auth, cert', $JSON->encode($d));
        auth_refused('tls_client_auth without a certificate', plain_request(form => [client_id => $m], tls => {}),
                     401, 'invalid_client', 'client certificate was not provided');
        auth_refused('tls_client_auth over plain HTTP', plain_request(form => [client_id => $m]),
                     401, 'invalid_client', 'client certificate was not provided');
        auth_refused('tls_client_auth, another subject (client2.crt)',
                     plain_request(form => [client_id => $m], tls => $cert->('client2')),
                     401, 'invalid_client', 'certificate subject value does not match the registered one');
        auth_refused('tls_client_auth, a CA nobody trusts (rogue.crt)',
                     plain_request(form => [client_id => $m], tls => $cert->('rogue')),
                     401, 'invalid_client', 'client certificate was not verified');
        auth_refused('tls_client_auth, a self-signed one',
                     plain_request(form => [client_id => $m], tls => $cert->('selfsigned')),
                     401, 'invalid_client', 'client certificate was not verified');
        granted('self_signed_tls_client_auth with selfsigned.crt',
                plain_request(form => [client_id => '0oa-selfsigned'], tls => $cert->('selfsigned')));
        auth_refused('self_signed_tls_client_auth with client.crt',
                     plain_request(form => [client_id => '0oa-selfsigned'], tls => $cert->('client')),
                     401, 'invalid_client', 'unregistered client certificate provided');
        my $https = "https://127.0.0.1:$tls_port$TOKEN_PATH";
        granted('private_key_jwt over TLS, aud https', token_request(tls => {},
                assertion => assertion(claims => { aud => $https })));
        refused('over TLS, aud http', token_request(tls => {}, assertion => assertion()),
                401, 'invalid_client', qr/^aud mismatch/);
        dpop_granted('over TLS, DPoP htu https', token_request(tls => {},
                     assertion => assertion(claims => { aud => $https }),
                     add_headers => [DPoP => dpop_proof(htu => $https)]), $ec_jkt);
        dpop_refused('over TLS, DPoP htu http', token_request(tls => {},
                     assertion => assertion(claims => { aud => $https }),
                     add_headers => [DPoP => dpop_proof()]), qr/^DPoP proof: htu .* expected https:/);
        my $r = http(path => '/api/things', tls => {}, headers => [Host => "127.0.0.1:$tls_port",
                     Authorization => "Bearer $token"]);
        check($r->{status} == 200 && $r->{body} =~ /^api: token ok/, 'the API over TLS', $r->{body});
    }
}

# ---------------------------------------------------------------------------
# resource (RFC 8707), audience (Auth0), x_ parameters, X-Extra- headers
# ---------------------------------------------------------------------------
{
    OAuth2Mock::reset_state();
    my $res = 'https://api.example.test/orders';
    my $r = token_request(params => ['resource=' . form_encode($res), 'scope=okta.users.read']);
    my $t = granted('resource', $r);
    check(claims_of($t)->{aud} eq $res, 'the token is for the resource (aud)');
    check(api(Authorization => "Bearer $t")->{body} =~ /^aud=\Q$res\E$/m, 'the API shows its aud');
    my $d = detail($TOKEN_PATH);
    check($d->{resource} eq $res && $d->{audience} eq '-'
          && $d->{params} eq 'grant_type,client_assertion_type,client_assertion,resource,scope',
          'detail: resource, params in order', $JSON->encode($d));
    $r = token_request(params => ['resource=' . form_encode($res), 'resource=urn%3Aokta-mock%3Ainventory']);
    $t = granted('two resources', $r);
    check(ref claims_of($t)->{aud} eq 'ARRAY' && "@{ claims_of($t)->{aud} }" eq "$res urn:okta-mock:inventory",
          'two resources: aud is both');
    check(detail($TOKEN_PATH)->{resource} eq "$res urn:okta-mock:inventory", 'detail: both resources');
    refused('an unknown resource', token_request(params => ['resource=' . form_encode('https://evil.example/')]),
            400, 'invalid_target', qr/^The requested resource is invalid, missing, unknown, or malformed\.$/);
    refused('a resource with a fragment', token_request(params => ['resource=' . form_encode("$res#x")]),
            400, 'invalid_target', qr/not an absolute URI without a fragment/);
    refused('a relative resource', token_request(params => ['resource=%2Forders']),
            400, 'invalid_target', qr/not an absolute URI/);
    $t = granted('audience', token_request(params => ['audience=' . form_encode('https://api.example.test/')]));
    check(claims_of($t)->{aud} eq 'https://api.example.test/', 'audience: the token aud');
    check(detail($TOKEN_PATH)->{audience} eq 'https://api.example.test/', 'detail: audience');
    refused('an unknown audience', token_request(params => ['audience=' . form_encode('https://other.example/')]),
            403, 'access_denied', qr{^Service not found: https://other\.example/$});
    refused('audience twice', token_request(params => ['audience=urn%3Aokta-mock%3Aa', 'audience=urn%3Aokta-mock%3Ab']),
            400, 'invalid_request', qr/^duplicate parameter audience$/);
    granted('an x_ parameter', token_request(params => ['x_tenant=acme']));
    check(detail($TOKEN_PATH)->{params} =~ /,x_tenant$/, 'detail: the x_ parameter');
    granted('an X-Extra- header', token_request(add_headers => ['X-Extra-Tenant' => 'acme']));
    check((OAuth2Mock::get("/_headers$TOKEN_PATH") // '') =~ /^x-extra-tenant: acme$/m, '/_headers shows it');
    refused('X-Other', token_request(add_headers => ['X-Other' => '1']),
            400, 'invalid_request', qr/^unexpected header x-other$/);
    # a resource with client_secret_post, a DPoP proof: all in one
    $r = plain_request(form => [client_id => '0oa-post-dpop', client_secret => $SECRET, resource => $res],
                       headers => [DPoP => dpop_proof()]);
    $t = dpop_granted('client_secret_post, DPoP client, resource', $r, $ec_jkt);
    check(claims_of($t)->{aud} eq $res, '... and its aud');
    dpop_refused('DPoP client with client_secret_post, no proof',
                 plain_request(form => [client_id => '0oa-post-dpop', client_secret => $SECRET]),
                 qr/^\QThe DPoP proof JWT header is missing.\E$/);
}

# ---------------------------------------------------------------------------
# The log: one line per request, no secrets
# ---------------------------------------------------------------------------
{
    my $log_file = "$STATE/../mock.log";
    if (open my $fh, '<', $log_file) {
        my $log = do { local $/; <$fh> };
        check($log =~ /POST \/oauth2\/v1\/token 401 invalid_client: signature invalid for kid rsa1/,
              'log has method, path, status, reason');
        # the signature part is unique to each assertion/token
        my @leaks = grep { my $sig = (split /\./)[-1] // ''; length $sig > 8 && index($log, $sig) >= 0 }
                    grep { defined && /\./ } @secrets_seen;
        check(!@leaks && @secrets_seen > 50, 'no assertion or token in the log',
              scalar(@leaks) . ' leaked of ' . scalar @secrets_seen);
        check(index($log, $SECRET) < 0 && index($log, $USECRET) < 0
              && index($log, form_encode($SECRET)) < 0, 'no client secret in the log');
    } elsif ($ENV{OAUTH2_MOCK_VERBOSE}) {
        print "# log went to stderr, not checked\n";
    } else {
        check(0, "mock log $log_file readable", $!);
    }
}

# ---------------------------------------------------------------------------
# In flight: ?inflight=1 of /_stats, a client that hangs up during a delay,
# the trickle scenario
# ---------------------------------------------------------------------------
sub slow_request {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
        or die "connect: $@";
    my $body = 'grant_type=client_credentials&client_assertion_type='
        . form_encode('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        . '&client_assertion=' . assertion(path => $path);
    print $s "POST $path HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n$body";
    return $s;
}

sub inflight_stats {
    my ($path) = @_;
    my $b = OAuth2Mock::get("/_stats$path?inflight=1") // '';
    my %h = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } split /\n/, $b;
    return (\%h, $b);
}

{
    my $path = '/oauth2/s/delay-3000/inflight/v1/token';
    my ($st, $body) = inflight_stats($path);
    check($body eq "calls=0\nheaders=\nlast_scope=\ninflight=0\nmax_inflight=0\naborted=0\n",
          '/_stats?inflight=1: three more lines, zero for a path never asked', $body);

    # two at once, one hangs up during the delay
    my $a = slow_request($path);
    my $b = slow_request($path);
    sleep 0.5;
    ($st, $body) = inflight_stats($path);
    check($st->{inflight} == 2 && $st->{max_inflight} == 2,
          'two delayed token requests are in flight at once', $body);

    my $t0 = time;
    close $a;
    sleep 0.5;
    ($st, $body) = inflight_stats($path);
    check($st->{inflight} == 1 && $st->{aborted} == 1 && time - $t0 < 2,
          'a client that hangs up during a delay leaves at once, counted as aborted', $body);

    my $r = read_response($b);
    ($st, $body) = inflight_stats($path);
    check($r->{status} == 200 && $st->{inflight} == 0 && $st->{max_inflight} == 2
          && $st->{aborted} == 1, 'the other gets its token; none left in flight', $body);

    $body = OAuth2Mock::get("/_stats$path") // '';
    check($body eq "calls=2\nheaders=accept,content-length,content-type,host\nlast_scope=\n",
          '/_stats without ?inflight=1: the three lines as before', $body);
}

{
    my $path = '/oauth2/s/trickle-200/trickle/v1/token';
    my $s = slow_request($path);
    local $SIG{ALRM} = sub { die "read timeout\n" };
    alarm 10;
    my $raw = '';
    while ($raw !~ /\r\n\r\n/) {
        sysread($s, $raw, 4096, length $raw) or last;
    }
    my $t0 = time;
    my ($len) = $raw =~ /\r\ncontent-length:\s*(\d+)/i;
    my $got = length($raw) - index($raw, "\r\n\r\n") - 4;
    while ($got < 3) {
        my $n = sysread($s, my $buf, 4096) or last;
        $got += $n;
    }
    alarm 0;
    my $t = time - $t0;
    check($raw =~ m{^HTTP/1\.1 200 } && $len > 100 && $got == 3 && $t > 0.3 && $t < 2,
          'trickle-200: headers at once, then one body byte every 200 ms',
          sprintf "%d of %d bytes in %.2f s", $got, $len // 0, $t);
    close $s;
    sleep 0.6;
    my ($st, $body) = inflight_stats($path);
    check($st->{inflight} == 0 && $st->{aborted} == 1,
          'a client that hangs up on a trickle is counted as aborted', $body);
    my $log = '';
    if (open my $fh, '<', "$STATE/../mock.log") { local $/; $log = <$fh> }
    check($ENV{OAUTH2_MOCK_VERBOSE}
          || $log =~ /trickled \d+ of \d+ body bytes, one every 200 ms, the client hung up/,
          'the mock logs the trickle it cut short');
}

# ---------------------------------------------------------------------------
# Clean shutdown: TERM ends the in-flight children too
# ---------------------------------------------------------------------------
{
    my $pidfile = "$STATE/../mock.pid";
    open my $fh, '<', $pidfile or die "$pidfile: $!";
    chomp(my $pid = <$fh>);
    my $slow = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp') or die;
    my $path = scen('delay-8000');
    print $slow "POST $path HTTP/1.0\r\nContent-Length: 1\r\n\r\nx";
    sleep 0.3;
    my $t0 = time;
    OAuth2Mock::stop();
    my $sr = read_response($slow);    # EOF as soon as the child is gone
    check(time - $t0 < 4 && !kill(0, $pid) && !-e $pidfile,
          'TERM stops the mock and its children, removes the pidfile',
          sprintf '%.2f s, status %s', time - $t0, $sr->{status});
}

print "$passed passed, $failed failed\n";
exit($failed ? 1 : 0);
