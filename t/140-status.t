# The status endpoint (oauth2_client_status): its JSON checked field by
# field across a fetch, a refresh, a failure of each class, a backoff, a
# purge and reloads; its Prometheus text through promtool; its counters
# against the mock's own count of token requests, under 4 workers; no
# secret in either format; the zone lock held for a copy only.  And the
# variables for the logs: $oauth2_client_name, $oauth2_token_expires_in,
# $oauth2_token_fingerprint.
#
# The JSON goes through OAuth2Status::flat (t/lib/OAuth2Status.pm): one
# "path=value" line a field, matched by main::fields(), every line a
# regex for a whole line.  Blocks with one client take their
# configuration from t/lib/OAuth2Blocks.pm (the API is a backend server
# of the same nginx); /oauth2-status is the status.

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Blocks;
use OAuth2Mock;
use OAuth2Status;

OAuth2Mock::start();

$ENV{TEST_NGINX_BACKEND_PORT} = OAuth2Mock::free_port();
$ENV{TEST_NGINX_LOGDIR} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                          . '/logs';
$ENV{TEST_NGINX_PIDFILE} = "$ENV{TEST_NGINX_LOGDIR}/nginx.pid";
$ENV{TEST_NGINX_HTMLDIR} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                           . '/html';

# a response_body_like pattern: every argument a whole line of the text
sub fields {
    return '(?m)\A' . CORE::join('', map { "(?=[\\s\\S]*^$_\$)" } @_);
}

# the flat JSON, with the fingerprint last seen (OAuth2Status::token)
# written SEEN
sub flat_seen {
    my $flat = OAuth2Status::flat($_[0]);
    my $fp = OAuth2Status::fingerprint();
    $flat =~ s/=\Q$fp\E$/=SEEN/mg if $fp ne '';
    return $flat;
}

# the client.conf of TEST 7 with another scope: a reload changes the client
sub rescope {
    my $file = "$ENV{TEST_NGINX_HTMLDIR}/client.conf";
    open my $in, '<', $file or die "$file: $!";
    my $conf = do { local $/; <$in> };
    close $in;
    $conf =~ s/scope +okta\.users\.read;/scope okta.groups.read;/
        or die "no scope in $file";
    open my $out, '>', $file or die "$file: $!";
    print $out $conf;
    close $out;
    return $_[0];
}

# the token requests the status counted, and the mock's count, and the
# requests it counted served: "token_requests=N mock_calls=N served=N"
sub agree {
    my ($body) = @_;
    my $s = eval { JSON::PP->new->decode($body) } or return "INVALID JSON\n";
    my $c = $s->{clients}{okta};
    my $tr = $c->{token_requests};
    my $n = 0;
    $n += ref $tr->{$_} ? List::Util::sum(values %{ $tr->{$_} }) : $tr->{$_}
        for keys %$tr;
    my $served = List::Util::sum(values %{ $c->{requests} });
    my $stats = OAuth2Mock::get('/_stats/st08/oauth2/v1/token') // '';
    my ($calls) = $stats =~ /^calls=(\d+)$/m;
    return "token_requests=$n mock_calls=" . ($calls // '?')
           . " served=$served count=$c->{token_request_duration}{count}\n";
}

# TEST 4: a client for each class of failure, its token location, and
# /c/NAME to use it
our @CLASSES = (
    # first: the others' backoffs (1 s for some) still hold at the end
    [slow    => '/s/delay-3000/st04', '', 'oauth2_token_wait_timeout 1s;'],
    [refused => '/s/invalid-client/st04'],
    [scope   => '/s/invalid-scope/st04'],
    [dpop    => '/s/dpop-required/st04'],
    [rate    => '/s/rate-limit/st04'],
    [down    => '/s/status-503/st04'],
    [closed  => '/st04', 'closed'],
    [badjson => '/s/bad-json/st04'],
    [big     => '/s/big/st04', 'subrequest_output_buffer_size 4k;'],
);

$ENV{TEST_NGINX_CLOSED_PORT} = OAuth2Mock::free_port();

sub classes_http_config {
    my ($port, $keys) = @ENV{qw(TEST_NGINX_MOCK_PORT TEST_NGINX_KEYS)};
    my $conf = <<"EOC";
    oauth2_token_cache zone=st:1m;

    server {
        listen 127.0.0.1:$ENV{TEST_NGINX_BACKEND_PORT};
        access_log off;
        return 200 "backend\n";
    }
EOC
    for my $c (@CLASSES) {
        $conf .= <<"EOC";

    oauth2_client $c->[0] {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$port$c->[1]/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $keys/rsa1.pem;
        key_id          rsa1;
    }
EOC
    }
    return $conf;
}

sub classes_config {
    my $conf = '';
    for my $c (@CLASSES) {
        my ($name, $path, $token_extra, $loc_extra) = @$c;
        my $port = $ENV{TEST_NGINX_MOCK_PORT};
        if (($token_extra // '') eq 'closed') {
            # a port nothing listens on: connection refused
            $port = $ENV{TEST_NGINX_CLOSED_PORT};
            $token_extra = '';
        }
        $token_extra //= '';
        $loc_extra //= '';
        $conf .= <<"EOC";
    location = /_oauth2/$name {
        internal;
        $token_extra
        proxy_pass http://127.0.0.1:$port$path/oauth2/v1/token;
    }

    location = /c/$name {
        oauth2_token $name;
        $loc_extra
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_BACKEND_PORT};
    }

EOC
    }
    return $conf . <<"EOC";
    location = /oauth2-status {
        oauth2_client_status;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/_stats/s/invalid-client/st04/oauth2/v1/token;
    }
EOC
}

use List::Util ();
use JSON::PP ();

master_on();
workers(4);
worker_connections(1024);
check_accum_error_log();
add_block_preprocessor { OAuth2Blocks::fill(@_) };
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a fetch and a hit, field by field; the variables; promtool
--- http_config
    oauth2_token_cache zone=st:1m;

    log_format vars '$oauth2_client_name $oauth2_token_status '
                    '$oauth2_token_expires_in $oauth2_token_fingerprint';

    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st01/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st01/oauth2/v1/token;
    }

    # the mock records the headers (/_headers), X-Token whole
    location /cap/ {
        oauth2_token okta;
        access_log $TEST_NGINX_LOGDIR/vars.log vars;
        proxy_set_header X-Token $oauth2_access_token;
        proxy_set_header X-Fp $oauth2_token_fingerprint;
        proxy_set_header X-Client $oauth2_client_name;
        proxy_set_header X-Expires-In $oauth2_token_expires_in;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/st01/;
    }

    location = /seen {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_headers/capture/st01/x;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/st01/oauth2/v1/token;
    }

    location = /vars {
        default_type text/plain;
        alias $TEST_NGINX_LOGDIR/vars.log;
    }

    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /oauth2-status", "GET /cap/x", "GET /seen", "GET /cap/y",
 "GET /oauth2-status", "GET /oauth2-status?format=prometheus", "GET /stats",
 "GET /vars"]
--- response_body_filters eval
[[\&OAuth2Status::flat], [], [\&OAuth2Status::headers], [],
 [\&main::flat_seen], [\&OAuth2Status::promtool], [],
 [sub { my $b = $_[0]; my $fp = OAuth2Status::fingerprint();
        $b =~ s/ \Q$fp\E$/ SEEN/mg; $b }]]
--- response_body_like eval
[main::fields('version=0\.3\.0', 'time=\d{10}', 'zone\.name=st',
              'zone\.size=1048576', 'zone\.used=\d+', 'zone\.free=\d+',
              'zone\.entries=0', 'zone\.evictions=0',
              'clients\.okta\.name=okta', 'clients\.okta\.state=no_token',
              'clients\.okta\.token\.cached=false',
              'clients\.okta\.token\.type=null',
              'clients\.okta\.token\.fingerprint=null',
              'clients\.okta\.token\.expires_in=null',
              'clients\.okta\.in_flight=false', 'clients\.okta\.pid=null',
              'clients\.okta\.last_success=null',
              'clients\.okta\.last_failure\.time=null',
              'clients\.okta\.token_requests\.ok=0',
              'clients\.okta\.requests\.MISS=0',
              'clients\.okta\.token_request_duration\.count=0'),
 "captured /capture/st01/x",
 "fingerprint=ok\nclient=okta\nstatus=MISS\nexpires_in=35[34]\\d\n",
 "captured /capture/st01/y",
 main::fields('zone\.entries=1', 'zone\.evictions=0',
              'clients\.okta\.state=valid',
              'clients\.okta\.token\.cached=true',
              'clients\.okta\.token\.type=Bearer',
              'clients\.okta\.token\.fingerprint=SEEN',
              'clients\.okta\.token\.expires_in=35[34]\d',
              'clients\.okta\.token\.refresh_in=\d+',
              'clients\.okta\.in_flight=false', 'clients\.okta\.pid=null',
              'clients\.okta\.next_attempt_in=null',
              'clients\.okta\.consecutive_failures=0',
              'clients\.okta\.last_success=\d{10}',
              'clients\.okta\.last_failure\.time=null',
              'clients\.okta\.last_failure\.class=null',
              'clients\.okta\.token_requests\.ok=1',
              'clients\.okta\.token_requests\.http_5xx=0',
              'clients\.okta\.requests\.MISS=1',
              'clients\.okta\.requests\.HIT=1',
              'clients\.okta\.requests\.WAIT=0',
              'clients\.okta\.requests\.ERROR=0',
              'clients\.okta\.takeovers=0', 'clients\.okta\.purges=0',
              'clients\.okta\.token_request_duration\.count=1',
              'clients\.okta\.token_request_duration\.buckets\.8\.le=\+Inf',
              'clients\.okta\.token_request_duration\.buckets\.8\.count=1',
              'clients\.okta\.token_request_duration\.sum=0\.\d+'),
 "^promtool: ok\n\\z", "^calls=1\n",
 "^okta MISS 35[34]\\d SEEN\nokta HIT 35[34]\\d SEEN\n\\z"]
--- no_error_log
[error]



=== TEST 2: GET and HEAD only; JSON or Prometheus, by their Content-Type
--- token_path
/st02/oauth2/v1/token
--- extra_config
    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /oauth2-status", "GET /oauth2-status?format=json",
 "GET /oauth2-status?format=prometheus", "HEAD /oauth2-status",
 "POST /oauth2-status\nx", "GET /oauth2-status?format=xml"]
--- error_code eval
[200, 200, 200, 200, 405, 400]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: text/plain; version=0.0.4",
 "Content-Type: application/json", "", ""]
--- response_body_like eval
["^\\{\"version\":\"0\\.3\\.0\",", "^\\{\"version\"",
 "^# HELP oauth2_client_info ", "^\\z", "405 Not Allowed", "400 Bad Request"]



=== TEST 3: a refresh: a second token request, REFRESH counted
--- token_path
/s/expires-3/st03/oauth2/v1/token
--- client_extra
refresh_before  1s;
--- extra_config
    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /api/1", "GET /sleep/1800", "GET /api/2", "GET /sleep/300",
 "GET /api/3", "GET /oauth2-status", "GET /stats"]
--- response_body_filters eval
[[], [], [], [], [], [\&OAuth2Status::flat], []]
--- response_body_like eval
["^backend bearer MISS", "slept", "^backend bearer REFRESH", "slept",
 "^backend bearer HIT",
 main::fields('clients\.okta\.state=valid',
              'clients\.okta\.token\.cached=true',
              'clients\.okta\.token\.expires_in=[0-2]',
              'clients\.okta\.token_requests\.ok=2',
              'clients\.okta\.requests\.MISS=1',
              'clients\.okta\.requests\.REFRESH=1',
              'clients\.okta\.requests\.HIT=1',
              'clients\.okta\.consecutive_failures=0',
              'clients\.okta\.token_request_duration\.count=2'),
 "^calls=2\n"]
--- no_error_log
[error]



=== TEST 4: a failure of each class: its counter, class, status, OAuth error
--- http_config eval: main::classes_http_config()
--- config eval: main::classes_config()
--- request eval
[(map { "GET /c/$_->[0]" } @main::CLASSES), "GET /oauth2-status",
 "GET /oauth2-status?format=prometheus", "GET /stats"]
--- error_code_like eval
["^50[23]\$", ("^502\$") x 8, "^200\$", "^200\$", "^200\$"]
--- response_body_filters eval
[([]) x 9, [\&OAuth2Status::flat], [\&OAuth2Status::promtool], []]
--- response_body_like eval
[("") x 9,
 main::fields(
     'zone\.entries=9',
     'clients\.refused\.state=backoff',
     'clients\.refused\.token\.cached=false',
     'clients\.refused\.next_attempt_in=(?:[3-5]\d|60)',
     'clients\.refused\.consecutive_failures=1',
     'clients\.refused\.token_requests\.http_4xx\.invalid_client=1',
     'clients\.refused\.token_requests\.ok=0',
     'clients\.refused\.requests\.ERROR=1',
     'clients\.refused\.last_failure\.time=\d{10}',
     'clients\.refused\.last_failure\.class=http_4xx',
     'clients\.refused\.last_failure\.status=401',
     'clients\.refused\.last_failure\.error=invalid_client',
     'clients\.refused\.last_failure\.error_description=The client_assertion signature is invalid\.',
     'clients\.refused\.token_request_duration\.count=1',
     'clients\.scope\.token_requests\.http_4xx\.invalid_scope=1',
     'clients\.scope\.last_failure\.status=400',
     'clients\.scope\.last_failure\.error=invalid_scope',
     'clients\.scope\.last_failure\.error_description=The following scopes are not allowed: okta\.bogus',
     'clients\.dpop\.token_requests\.http_4xx\.invalid_dpop_proof=1',
     'clients\.dpop\.last_failure\.class=http_4xx',
     'clients\.dpop\.last_failure\.status=400',
     'clients\.dpop\.last_failure\.error=invalid_dpop_proof',
     'clients\.dpop\.last_failure\.error_description=The DPoP proof JWT header is missing\.',
     'clients\.rate\.token_requests\.http_429=1',
     'clients\.rate\.token_requests\.http_4xx\.other=0',
     'clients\.rate\.state=backoff',
     'clients\.rate\.next_attempt_in=(?:59|60)',
     'clients\.rate\.last_failure\.class=http_429',
     'clients\.rate\.last_failure\.status=429',
     'clients\.rate\.last_failure\.error=E0000047',
     'clients\.rate\.last_failure\.error_description=API call exceeded rate limit due to too many requests\.',
     'clients\.down\.token_requests\.http_5xx=1',
     'clients\.down\.last_failure\.class=http_5xx',
     'clients\.down\.last_failure\.status=503',
     'clients\.down\.last_failure\.error=server_error',
     'clients\.down\.last_failure\.error_description=mock status 503',
     'clients\.down\.next_attempt_in=1',
     'clients\.slow\.token_requests\.timeout=1',
     'clients\.slow\.last_failure\.class=timeout',
     'clients\.slow\.last_failure\.status=null',
     'clients\.slow\.last_failure\.error=null',
     'clients\.slow\.token_request_duration\.buckets\.3\.count=0',
     'clients\.slow\.token_request_duration\.buckets\.5\.count=1',
     'clients\.closed\.token_requests\.connect=1',
     'clients\.closed\.last_failure\.class=connect',
     'clients\.closed\.last_failure\.status=null',
     'clients\.badjson\.token_requests\.invalid=1',
     'clients\.badjson\.last_failure\.class=invalid',
     'clients\.badjson\.last_failure\.status=200',
     'clients\.big\.token_requests\.too_large=1',
     'clients\.big\.last_failure\.class=too_large',
     'clients\.big\.last_failure\.status=200',
     'clients\.big\.token_requests\.ok=0'),
 "^promtool: ok\n\\z", "^calls=1\n"]



=== TEST 5: a backoff, then the token: the last failure stays, the failures in a row end
--- token_path
/st05/oauth2/v1/token
--- extra_config
    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /fail/status-503/1", "GET /api/1", "GET /api/2", "GET /oauth2-status",
 "GET /sleep/1100", "GET /api/3", "GET /oauth2-status", "GET /stats"]
--- error_code eval
[200, 502, 503, 200, 200, 200, 200, 200]
--- response_body_filters eval
[[], [], [], [\&OAuth2Status::flat], [], [], [\&OAuth2Status::flat], []]
--- response_body_like eval
["^ok", "502 Bad Gateway", "503 Service",
 main::fields('clients\.okta\.state=backoff',
              'clients\.okta\.token\.cached=false',
              'clients\.okta\.next_attempt_in=1',
              'clients\.okta\.consecutive_failures=1',
              'clients\.okta\.in_flight=false',
              'clients\.okta\.token_requests\.http_5xx=1',
              'clients\.okta\.requests\.ERROR=1',
              'clients\.okta\.requests\.BACKOFF=1',
              'clients\.okta\.last_success=null',
              'clients\.okta\.last_failure\.class=http_5xx',
              'clients\.okta\.last_failure\.status=503'),
 "slept", "^backend bearer MISS",
 main::fields('clients\.okta\.state=valid',
              'clients\.okta\.token\.cached=true',
              'clients\.okta\.next_attempt_in=null',
              'clients\.okta\.consecutive_failures=0',
              'clients\.okta\.token_requests\.http_5xx=1',
              'clients\.okta\.token_requests\.ok=1',
              'clients\.okta\.requests\.ERROR=1',
              'clients\.okta\.requests\.BACKOFF=1',
              'clients\.okta\.requests\.MISS=1',
              'clients\.okta\.last_success=\d{10}',
              'clients\.okta\.last_failure\.time=\d{10}',
              'clients\.okta\.last_failure\.class=http_5xx',
              'clients\.okta\.last_failure\.status=503',
              'clients\.okta\.token_request_duration\.count=2'),
 "^calls=2\n"]



=== TEST 6: a purge: counted, the token gone from the status
--- token_path
/st06/oauth2/v1/token
--- extra_config
    location /revoked/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }

    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /api/1", "GET /revoked/1", "GET /oauth2-status", "GET /api/2",
 "GET /oauth2-status"]
--- error_code eval
[200, 401, 200, 200, 200]
--- response_body_filters eval
[[], [], [\&OAuth2Status::flat], [], [\&OAuth2Status::flat]]
--- response_body_like eval
["^backend bearer MISS", "revoked",
 main::fields('clients\.okta\.state=no_token',
              'clients\.okta\.token\.cached=false',
              'clients\.okta\.token\.fingerprint=null',
              'clients\.okta\.purges=1',
              'clients\.okta\.requests\.MISS=1',
              'clients\.okta\.requests\.HIT=1',
              'clients\.okta\.token_requests\.ok=1'),
 "^backend bearer MISS",
 main::fields('clients\.okta\.state=valid',
              'clients\.okta\.purges=1',
              'clients\.okta\.requests\.MISS=2',
              'clients\.okta\.token_requests\.ok=2')]



=== TEST 7: reloads keep the counters, and so does a reload that changes the client
--- user_files
>>> client.conf
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st07/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           okta.users.read;
    }
--- http_config
    oauth2_token_cache zone=st:1m;

    include $TEST_NGINX_HTMLDIR/client.conf;

    server {
        listen 127.0.0.1:$TEST_NGINX_BACKEND_PORT;
        access_log off;
        return 200 "backend $http_x_token_status\n";
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st07/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BACKEND_PORT;
    }

    location = /reload {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_hup?pidfile=$TEST_NGINX_PIDFILE;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/st07/oauth2/v1/token;
    }

    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /api/1", "GET /reload", "GET /api/2", "GET /oauth2-status",
 "GET /reload", "GET /api/3", "GET /oauth2-status", "GET /stats"]
--- response_body_filters eval
[[], [], [], [\&OAuth2Status::flat, \&main::rescope], [], [],
 [\&OAuth2Status::flat], []]
--- response_body_like eval
["^backend MISS", "reloaded", "^backend HIT",
 main::fields('clients\.okta\.state=valid',
              'clients\.okta\.token_requests\.ok=1',
              'clients\.okta\.requests\.MISS=1',
              'clients\.okta\.requests\.HIT=1',
              'zone\.entries=1'),
 "reloaded", "^backend MISS",
 main::fields('clients\.okta\.state=valid',
              'clients\.okta\.token_requests\.ok=2',
              'clients\.okta\.requests\.MISS=2',
              'clients\.okta\.requests\.HIT=1',
              'clients\.okta\.token_request_duration\.count=2',
              'zone\.entries=1'),
 "^calls=2\n(?:.*\n)*last_scope=okta\\.groups\\.read\n"]
--- no_error_log
[error]



=== TEST 8: 4 workers: the counters agree with the mock's count, every request counted once
--- token_path
/st08/oauth2/v1/token
--- extra_config
    location = /burst {
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_burst?port=$TEST_NGINX_SERVER_PORT&path=/api/x&n=400&c=40;
    }

    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /fail/status-503/1", "GET /burst", "GET /sleep/1200", "GET /burst",
 "GET /oauth2-status", "GET /oauth2-status?format=prometheus"]
--- timeout: 60
--- response_body_filters eval
[[], [], [], [], [\&main::agree], [\&OAuth2Status::promtool]]
--- response_body_like eval
["^ok", "^n=400\nok=400\nerrors=0\n", "slept", "^n=400\nok=400\nerrors=0\n",
 "^token_requests=(\\d+) mock_calls=\\1 served=800 count=\\1\n",
 "^promtool: ok\n\\z"]



=== TEST 9: no secret in either format, a description with CR LF cleaned
--- token_path
/s/expires-3/st09/oauth2/v1/token
--- client_extra
refresh_before  2s;
--- extra_config
    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /api/1", "GET /fail/evil-description/1", "GET /sleep/1000",
 "GET /api/2", "GET /sleep/300", "GET /oauth2-status",
 "GET /oauth2-status?format=prometheus", "GET /oauth2-status"]
--- response_body_filters eval
[[], [], [], [], [], [], [], [\&OAuth2Status::flat]]
--- response_body_unlike eval
["(?!)", "(?!)", "(?!)", "(?!)", "(?!)",
 "eyJ|PRIVATE KEY|client_assertion|Bearer |\\r|\\n.",
 "eyJ|PRIVATE KEY|client_assertion|Bearer |\\r", "(?!)"]
--- response_body_like eval
["^backend bearer MISS", "^ok", "slept", "^backend bearer REFRESH", "slept",
 "\\{", "# TYPE",
 main::fields('clients\.okta\.state=backoff',
              'clients\.okta\.token\.cached=true',
              'clients\.okta\.token\.fingerprint=[0-9a-f]{8}',
              'clients\.okta\.token_requests\.http_4xx\.invalid_request=1',
              'clients\.okta\.last_failure\.error=invalid_request',
              'clients\.okta\.last_failure\.error_description=line one\?\?\[forged\] line two')]



=== TEST 10: the zone is locked for a copy only, and traffic goes on while the status is read
--- token_path
/st10/oauth2/v1/token
--- extra_config
    location = /oauth2-status {
        oauth2_client_status;
    }

    # status reads, 4 at a time for 3 s, in the background
    location = /reads {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_fire?port=$TEST_NGINX_SERVER_PORT&path=/load-status;
    }

    location = /load-status {
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_load?port=$TEST_NGINX_SERVER_PORT&path=/oauth2-status&seconds=3&c=4;
    }

    location = /traffic {
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_keepalive?port=$TEST_NGINX_SERVER_PORT&path=/api/x&seconds=2;
    }
--- request eval
["GET /api/1", "GET /reads", "GET /traffic", "GET /sleep/1500",
 "GET /oauth2-status"]
--- timeout: 30
--- response_body_filters eval
[[], [], [], [], [sub { OAuth2Status::lock_check() }]]
--- response_body_like eval
["^backend bearer MISS", "^fired", "^requests=\\d+\nerrors=0\nstatus_200=\\d+\n",
 "slept", "^lock: ok\n\\z"]



=== TEST 11: a status location under oauth2_token gets no token, and is not counted
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st11/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    oauth2_token okta;

    location = /_oauth2/okta {
        internal;
        oauth2_token off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st11/oauth2/v1/token;
    }

    location /api/ {
        add_header X-Status "$oauth2_token_status" always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/st11/;
    }

    location = /oauth2-status {
        oauth2_client_status;
        add_header X-Status "[$oauth2_token_status]" always;
        add_header X-Auth "[$http_authorization]" always;
    }

    location = /stats {
        oauth2_token off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/st11/oauth2/v1/token;
    }
--- request eval
["GET /oauth2-status", "GET /api/x", "GET /oauth2-status", "GET /stats"]
--- response_headers eval
["X-Status: []\nX-Auth: []", "X-Status: MISS", "X-Status: []\nX-Auth: []",
 ""]
--- response_body_filters eval
[[\&OAuth2Status::flat], [], [\&OAuth2Status::flat], []]
--- response_body_like eval
[main::fields('clients\.okta\.state=no_token',
              'clients\.okta\.token_requests\.ok=0',
              'clients\.okta\.requests\.MISS=0',
              'clients\.okta\.requests\.HIT=0'),
 "captured /capture/st11/x",
 main::fields('clients\.okta\.state=valid',
              'clients\.okta\.token_requests\.ok=1',
              'clients\.okta\.requests\.MISS=1',
              'clients\.okta\.requests\.HIT=0',
              'clients\.okta\.requests\.WAIT=0'),
 "^calls=1\n"]
--- no_error_log
[error]



=== TEST 12: no oauth2_client: the status answers, with no client
--- config
    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /oauth2-status", "GET /oauth2-status?format=prometheus"]
--- response_body_filters eval
[[\&OAuth2Status::flat], [\&OAuth2Status::promtool]]
--- response_body_like eval
[main::fields('version=0\.3\.0', 'time=\d{10}'),
 "^promtool: ok\n\\z"]
--- response_body_unlike eval
["(?m)^clients\\.", "(?!)"]
--- no_error_log
[error]



=== TEST 13: nginx -t: oauth2_client_status takes no argument
--- config
    location = /oauth2-status {
        oauth2_client_status on;
    }
--- must_die
--- error_log
invalid number of arguments in "oauth2_client_status" directive



=== TEST 14: nginx -t: oauth2_client_status twice
--- config
    location = /oauth2-status {
        oauth2_client_status;
        oauth2_client_status;
    }
--- must_die
--- error_log
"oauth2_client_status" directive is duplicate



=== TEST 15: nginx -t: oauth2_client_status in a location only
--- config
    oauth2_client_status;
--- must_die
--- error_log
"oauth2_client_status" directive is not allowed here



=== TEST 16: nginx -t: oauth2_token and oauth2_client_status in one location
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st16/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/st16/oauth2/v1/token;
    }

    location = /oauth2-status {
        oauth2_client_status;
        oauth2_token okta;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"oauth2_token" and "oauth2_client_status" in one location in .*nginx\.conf:\d+/
