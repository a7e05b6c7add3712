# The variables for the logs: $oauth2_client_name,
# $oauth2_token_expires_in, $oauth2_token_fingerprint, in the headers of
# a proxied request (recorded by the mock's /capture/) and in a
# log_format; the fingerprint checked against the token itself
# (t/lib/OAuth2Status.pm).

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;
use OAuth2Status;

OAuth2Mock::start();

$ENV{TEST_NGINX_LOGDIR} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                          . '/logs';

master_on();
workers(4);
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the variables, in headers and in a log_format
--- http_config
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

    location = /vars {
        default_type text/plain;
        alias $TEST_NGINX_LOGDIR/vars.log;
    }
--- request eval
["GET /cap/x", "GET /seen", "GET /cap/y", "GET /vars"]
--- response_body_filters eval
[[], [\&OAuth2Status::headers], [],
 [sub { my $b = $_[0]; my $fp = OAuth2Status::fingerprint();
        $b =~ s/ \Q$fp\E$/ SEEN/mg; $b }]]
--- response_body_like eval
["captured /capture/st01/x",
 "fingerprint=ok\nclient=okta\nstatus=MISS\nexpires_in=35[34]\\d\n",
 "captured /capture/st01/y",
 "^okta MISS 35[34]\\d SEEN\nokta HIT 35[34]\\d SEEN\n\\z"]
--- no_error_log
[error]
