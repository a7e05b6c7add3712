# Key files as the authorization servers hand them out: Okta's console
# gives a private JWK first, openssl makes encrypted PEM.  The form is
# told by the content; every assertion made with them is verified by the
# mock (Crypt::JWT), the kid seen in /_stats?detail=1.

use lib 't/lib';
use File::Copy qw(copy);
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

# the mock finds public keys by kid: the kid that t/keys/jwk.pl wrote
# into the JWK files gets one too
for my $name (qw(rsa1 ec1)) {
    my $pub = "$ENV{TEST_NGINX_KEYS}/kid-$name-Qx7_2Lm.pub.pem";
    copy("$ENV{TEST_NGINX_KEYS}/$name.pub.pem", $pub) or die "copy: $!"
        if !-f $pub;
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: an RSA JWK as Okta's console exports it: its kid in the assertion
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k01/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.jwk;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k01/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/k01/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "(?s)calls=1\n.*alg=RS256\n.*kid=kid-rsa1-Qx7_2Lm\n"]
--- no_error_log
[error]



=== TEST 2: an EC JWK with its alg, key_id over its kid
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k02/oauth2/v1/token;
        client_id       0oa-ec;
        private_key     $TEST_NGINX_KEYS/ec1-alg.jwk;
        key_id          ec1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k02/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/k02/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
["^api: token ok client=0oa-ec ", "(?s)calls=1\n.*alg=ES256\n.*kid=ec1\n"]
--- no_error_log
[error]



=== TEST 3: a JWKS holding one key
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k03/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.jwks;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k03/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/1
--- response_body_like chomp
^api: token ok client=0oa-rsa
--- no_error_log
[error]



=== TEST 4: an encrypted PKCS#8 key, its passphrase from a file
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k04/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa-enc.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.pass;
        key_id          rsa-enc;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k04/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/1
--- response_body_like chomp
^api: token ok client=0oa-rsa
--- no_error_log
[error]



=== TEST 5: a legacy encrypted EC key ("Proc-Type: 4,ENCRYPTED")
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k05/oauth2/v1/token;
        client_id       0oa-ec;
        private_key     $TEST_NGINX_KEYS/ec-enc-legacy.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.pass;
        key_id          ec-enc-legacy;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k05/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/1
--- response_body_like chomp
^api: token ok client=0oa-ec
--- no_error_log
[error]
