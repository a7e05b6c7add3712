#!/usr/bin/env perl
# okta-mock.pl - a mock Okta authorization server and protected API for the
# tests of ngx_http_oauth2_client_module.
#
# usage: okta-mock.pl --port P --keys DIR --state DIR [--host 127.0.0.1]
#                     [--pidfile F] [--watch-pid PID]
#
# --watch-pid: exit (like on SIGTERM) once that process is gone, so a test
# killed before its END block ran does not leave the mock behind.
#
# The token endpoint verifies every private_key_jwt client assertion with
# Crypt::JWT/CryptX, a JOSE implementation independent of the module's own,
# and answers like Okta's org authorization server. Paths may carry a segment
# pair /s/<scenario>/ to get a canned behaviour instead (see @SCENARIOS).
#
# Endpoints
#   <any path ending in /v1/token>   token endpoint (POST), counted per path
#   /api/...                         protected API, wants a token issued here
#   /api401/...                      401 "api: revoked\n" whatever the token
#   GET /_stats/<token path>         "calls=N\nheaders=a,b\nlast_scope=S\n"
#                                    ?times=1 adds "times=<ms>,<ms>...\n"
#                                    ?inflight=1 adds "inflight=N\n
#                                    max_inflight=N\naborted=N\n": token
#                                    requests being answered now, the most
#                                    at once, those whose client hung up
#                                    before the whole answer
#   GET /_headers/<path>             last request's headers, "name: value" lines
#   GET /_hup?pidfile=<abs path>     SIGHUP that process, wait for a new child
#   GET /_reset                      forget counters, headers, jtis, times and
#                                    /_fail overrides
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
#                   [&host=H]        GETs one after another on one
#                                    keep-alive connection for S s, I ms
#                                    (0) apart; answers counts, max_ms and
#                                    slow (over T ms)
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
use Crypt::Digest::SHA256 qw(sha256_hex);

my %opt = (host => '127.0.0.1');
GetOptions(\%opt, 'port=i', 'keys=s', 'state=s', 'host=s', 'pidfile=s', 'watch-pid=i')
    && $opt{port} && $opt{keys} && $opt{state}
    or die "usage: $0 --port P --keys DIR --state DIR [--host H] [--pidfile F]"
         . " [--watch-pid PID]\n";

-d $opt{keys} or die "$0: key directory $opt{keys} does not exist\n";

my $JSON = JSON::PP->new->canonical;

# Token endpoint rules (see /work/shared/okta.md)
my %ALLOWED_HEADERS = map { $_ => 1 } qw(
    host connection content-length content-type accept user-agent
    x-forwarded-for x-real-ip x-request-id x-worker-pid
);
my %ALLOWED_PARAMS = map { $_ => 1 } qw(
    grant_type scope client_assertion_type client_assertion client_id
);
my %GRANTABLE_SCOPES = map { $_ => 1 } qw(
    okta.users.read okta.groups.read okta.apps.read
);
my $ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
my $CLOCK_SKEW     = 5;      # seconds of tolerance for exp/iat
my $MAX_LIFETIME   = 3600;   # assertion exp at most one hour ahead
my $DEFAULT_EXPIRES_IN = 3600;
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
#                 trickle_ms => sub { ... } and token_size => sub { ... }
#                 (a delay or a trickle ends early if the client hangs up)
#   reply  => sub { my ($ctx, @captures) = @_; return ($status, \@headers, $body) }
#                 a canned answer; the request is NOT verified.
# $ctx has: client_id (unverified iss, for minting), scope, now, headers
# (the request's [[name, value]...], names lowercased).
# A reply with status 0 closes the connection without any answer.
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
    # short-lived tokens from a slow server: a request that waited for a
    # fetch would take that long
    [ qr/^expires-(\d+)-delay-(\d+)$/ => { verify => 1,
        expires_in => sub { 0 + $_[0] }, delay_ms => sub { $_[1] } } ],
    # tokens of an exact length (bytes, 300..16384), as Okta's with many
    # scopes: a "pad" claim fills the JWT up (bench/, zone capacity)
    [ qr/^size-(\d+)$/ => { verify => 1, token_size => sub { 0 + $_[0] } } ],
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
my ($STATE_DIR, $KEYS_DIR, $SECRET, $MASTER, $listener);
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

    logline("listening on $opt{host}:$opt{port} keys=$KEYS_DIR state=$STATE_DIR");

    while (1) {
        my $client = $listener->accept;
        if (!$client) {
            next if $!{EINTR} || $!{ECONNABORTED};   # SIGCHLD/SIGALRM interrupt accept
            die "$0: accept: $!\n";
        }
        my $pid = fork;
        if (!defined $pid) {
            logline("fork failed: $!");
            close $client;
            next;
        }
        if ($pid == 0) {
            $SIG{$_} = 'DEFAULT' for qw(CHLD TERM INT ALRM);
            close $listener;
            serve_connection($client);
            exit 0;
        }
        $kids{$pid} = 1;
        close $client;
    }
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
sub serve_connection ($sock) {
    binmode $sock;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 30;
    my $req = eval { read_request($sock) };
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
    if ($status <= 0) {    # hang up without an answer, or answered already
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
    200 => 'OK', 204 => 'No Content', 302 => 'Found', 400 => 'Bad Request',
    401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found',
    405 => 'Method Not Allowed', 429 => 'Too Many Requests',
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
    return protected_api($req)         if $path =~ m{^/api/};
    return api_revoked($req)           if $path =~ m{^/api401/};
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
    });
    return text(200, "reset\n", 'state cleared');
}

# The times= line is opt-in (?times=1): existing tests match the whole body
# and anchor its end after last_scope.
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
            if $n eq 'authorization' || $n eq 'cookie';
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
    return (-1, [], '', sprintf('trickled %d of %d body bytes, one every %d ms%s',
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
    my %r = (requests => 0, status => {}, max_ms => 0, slow => 0, errors => 0);
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
        pause_ms($gap) if $gap;
    }
    close $s;
    $r{max_ms} = int($r{max_ms} + 0.5);
    return text(200, "requests=$r{requests}\nerrors=$r{errors}\n" . status_lines(\%r)
                     . "max_ms=$r{max_ms}\nslow=$r{slow}\n",
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
sub refuse ($status, $error, $desc) {
    die { status => $status, error => $error, desc => $desc };
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
sub mint_token ($cid, $scope, $iat, $expires_in, $size = undef) {
    return mint_token_padded($cid, $scope, $iat, $expires_in, undef, '')
        if !defined $size;
    my $bare = length mint_token_padded($cid, $scope, $iat, $expires_in, '', '');
    my $pad = int(($size - $bare) * 3 / 4);
    for my $x ('', 'x', 'xx', 'xxx') {
        for my $p (($pad > 16 ? $pad - 16 : 0) .. $pad + 8) {
            my $t = mint_token_padded($cid, $scope, $iat, $expires_in, 'p' x $p, $x);
            return $t if length $t == $size;
        }
    }
    die "mint_token: no token of $size bytes\n";
}

sub mint_token_padded ($cid, $scope, $iat, $expires_in, $pad, $x) {
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
            aud => 'api://okta-mock',
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

    my $ok = eval { verify_token_request($req, $now) };
    if (!$ok) {
        my $e = $@;
        die $e if ref $e ne 'HASH';    # a bug in the mock: 500
        return (json_error($e->{status}, $e->{error}, $e->{desc}),
                "$e->{error}: $e->{desc}");
    }

    my $expires_in = $spec->{expires_in} ? $spec->{expires_in}->(@cap) : $DEFAULT_EXPIRES_IN;
    my $size = $spec->{token_size} ? $spec->{token_size}->(@cap) : undef;
    return (json_error(500, 'server_error', "token size $size out of 300..16384"),
            "bad token size $size")
        if defined $size && ($size < 300 || $size > 16384);
    my $ctx = { now => $now, scope => $ok->{scope}, client_id => $ok->{client_id} };
    my $body = token_body($ctx, expires_in => $expires_in,
        access_token => '"' . mint_token($ok->{client_id}, $ok->{scope}, $now, $expires_in, $size) . '"');
    return send_trickle($req, 200, ['Content-Type' => 'application/json'], $body,
                        $spec->{trickle_ms}->(@cap))
        if $spec->{trickle_ms};
    return (json_raw(200, $body),
            sprintf('issued token for %s (%s, kid %s) scope "%s" expires_in %d%s',
                    $ok->{client_id}, $ok->{alg}, $ok->{kid}, $ok->{scope} // '',
                    $expires_in, $scenario ? " scenario $scenario" : ''));
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

sub verify_token_request ($req, $now) {
    # --- HTTP level --------------------------------------------------------
    refuse(400, 'invalid_request', "method must be POST, got $req->{method}")
        if $req->{method} ne 'POST';

    my %seen;
    for my $h (@{ $req->{headers} }) {
        my $name = $h->[0];
        refuse(400, 'invalid_request', "unexpected header $name")
            if !$ALLOWED_HEADERS{$name};
        refuse(400, 'invalid_request', "duplicate header $name") if $seen{$name}++;
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
        refuse(400, 'invalid_request', "duplicate parameter $k") if ref $form{$k};
        refuse(400, 'invalid_request', "unexpected parameter $k") if !$ALLOWED_PARAMS{$k};
    }

    refuse(400, 'invalid_request', 'missing grant_type') if !defined $form{grant_type};
    refuse(400, 'unsupported_grant_type',
           "grant_type must be client_credentials, got $form{grant_type}")
        if $form{grant_type} ne 'client_credentials';
    refuse(400, 'invalid_request', 'missing client_assertion_type')
        if !defined $form{client_assertion_type};
    refuse(401, 'invalid_client', "client_assertion_type must be $ASSERTION_TYPE")
        if $form{client_assertion_type} ne $ASSERTION_TYPE;
    refuse(400, 'invalid_request', 'missing client_assertion')
        if !defined $form{client_assertion} || $form{client_assertion} eq '';

    # --- the assertion -----------------------------------------------------
    my $jwt = $form{client_assertion};
    # Compact JWS, base64url without padding (decode_jwt tolerates '=')
    my ($b64h, $b64p, $b64s) = $jwt =~ /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/
        or refuse(401, 'invalid_client', 'client_assertion is not a compact JWS');
    my $header = eval { $JSON->decode(decode_b64u($b64h) // '') };
    refuse(401, 'invalid_client', 'JWS header is not a JSON object')
        if ref $header ne 'HASH';

    my $alg = $header->{alg};
    refuse(401, 'invalid_client', 'JWS header has no alg') if !defined $alg || ref $alg;
    refuse(401, 'invalid_client', "alg $alg not allowed") if !$ACCEPTED_ALG{$alg};
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

    my @candidates;    # [kid, key object]
    if (exists $header->{kid}) {
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
               exists $header->{kid} ? "signature invalid for kid $header->{kid}"
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
        if defined $form{client_id} && $form{client_id} ne $claims->{iss};

    my $aud = $claims->{aud};
    $bad->('aud missing') if !defined $aud;
    $bad->('aud must be a string') if ref $aud;
    my @expected = ("http://$opt{host}:$opt{port}$req->{path}");
    push @expected, "http://$hdr{host}$req->{path}" if defined $hdr{host};
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

    return { client_id => $claims->{iss}, scope => $scope, alg => $alg, kid => $kid_used };
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
    my $refused = sub ($why) {
        return text(401, "api: token refused: $why\n", "token refused: $why");
    };

    # The first Authorization header decides; the count shows duplicates.
    return $refused->('missing') if !@auth;
    my ($token) = $auth[0] =~ /^Bearer ([A-Za-z0-9._~+\/-]+=*)$/
        or return $refused->('not bearer');
    return $refused->('malformed')
        if $token !~ /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
    my $claims = eval {
        decode_jwt(token => $token, key => $SECRET, accepted_alg => 'HS256',
                   ignore_claims => 1);
    };
    return $refused->('bad signature') if ref $claims ne 'HASH';
    return $refused->('wrong issuer') if ($claims->{iss} // '') ne 'okta-mock';
    return $refused->('expired') if ($claims->{exp} // 0) <= time;

    my $body = sprintf "api: token ok client=%s scope=%s token=%s...%s (%d bytes)\n"
                     . "authorization_headers=%d\ncookie=%s\n",
        $claims->{cid}, join(' ', @{ $claims->{scp} // [] }),
        substr($token, 0, 12), substr($token, -6), length $token,
        scalar @auth, @cookie ? join('; ', @cookie) : 'none';
    # Echo X-* request headers too ("x-name=value" lines, in order), so a
    # test can pass an nginx variable to the API and see it.
    $body .= "$_->[0]=$_->[1]\n" for grep { $_->[0] =~ /^x-/ } @{ $req->{headers} };
    return text(200, $body, "token ok client=$claims->{cid}");
}

# ---------------------------------------------------------------------------
sub short ($s, $n = 8) { length $s > $n ? substr($s, 0, $n) . '...' : $s }

sub logline ($msg) {
    # Reasons never contain assertions or tokens; cut anything long anyway.
    $msg =~ s/([A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/short($1)/ge;
    printf STDERR "%s okta-mock[%d] %s\n", strftime('%H:%M:%S', localtime), $$, $msg;
}

main();
