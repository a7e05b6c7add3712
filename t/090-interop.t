# Interoperability with an authorization server nobody here wrote:
# panva's oidc-provider (t/interop/server.mjs, pinned by
# t/interop/package-lock.json), the referee for the client assertions the
# module signs and the token requests it makes.
#
# A token counts as good only when oidc-provider's own introspection
# endpoint says it is active, for the right client and scopes: every
# client NAME of a block gets a location /NAME/ (added below) that uses
# it and proxies to the server's /resource/, which introspects the token
# it receives. /_test/stats?client=ID (the token requests of a client_id),
# /_test/resource?name=NAME (the requests /NAME/ sent to the resource)
# and /_test/replay?client=ID (a client's last token request, posted
# again) are the server's test-only records; see t/interop/server.mjs.
#
# Skipped when node or t/interop/node_modules is missing ("make
# interop-deps" installs the latter; "make test" runs it).

use lib 't/lib';
use Test::Nginx::Socket;
use OAuth2Interop;

if (my $why = OAuth2Interop::missing()) {
    plan skip_all => $why;
}
plan 'no_plan';

OAuth2Interop::start();

# For every "oauth2_client NAME { ... }" of a block: location /NAME/
# with oauth2_token NAME, proxied to the resource; and, unless the client
# names a token_location or the block writes /_oauth2/NAME itself, the
# token location /_oauth2/NAME proxied to the client's token_endpoint.
# Then /_test/ to the server.
add_block_preprocessor {
    my ($block) = @_;
    my $clients = $block->http_config // '';
    my $config = $block->config // '';

    while ($clients =~ /^\s*oauth2_client\s+(\S+)\s*\{([^}]*)\}/mg) {
        my ($name, $body) = ($1, $2);
        my ($endpoint) = $body =~ /^\s*token_endpoint\s+([^;\s]+);/m;

        if ($body !~ /^\s*token_location\s/m
            && $config !~ m{location\s+=\s+/_oauth2/\Q$name\E\s})
        {
            $config .= <<"LOCATION";

    location = /_oauth2/$name {
        internal;
        proxy_pass $endpoint;
    }
LOCATION
        }

        $config .= <<"LOCATION";

    location /$name/ {
        oauth2_token $name;
        add_header X-Token-Status \$oauth2_token_status always;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_OP_PORT/resource/$name/;
    }
LOCATION
    }

    $block->set_value('config', $config . <<'LOCATION');

    location /_test/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_OP_PORT;
    }
LOCATION
};

# blocks expect lines from several of their requests
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: RS256: the token is active for oidc-provider; aud has the port
--- http_config
    oauth2_client rs256 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-rs256;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           api:read api:write;
    }
--- request eval
["GET /rs256/x", "GET /_test/stats?client=nginx-rs256"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-rs256 scope="api:read api:write" aud=urn:interop:api iss=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_PORT}
authorization_headers=1
\z},
qr{^token_requests=1
granted=1
refused=0
jti=1 distinct=1
alg=RS256 kid=rsa1
aud=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_PORT}/token
last_error=
\z}]
--- error_log eval
qr/oauth2 client "rs256": new token sha256:[0-9a-f]{8}, expires in 3600 s/
--- no_error_log
[error]



=== TEST 2: ES256, one of the client's two scopes: only that one granted
--- http_config
    oauth2_client es256 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-es256;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        scope           api:read;
    }
--- request eval
["GET /es256/x", "GET /_test/stats?client=nginx-es256"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-es256 scope="api:read" aud=urn:interop:api },
qr{^token_requests=1\ngranted=1\nrefused=0\njti=1 distinct=1\nalg=ES256 kid=ec1\n}]
--- no_error_log
[error]



=== TEST 3: RS384, RS512, ES384 (P-384) and ES512 (P-521)
--- http_config
    oauth2_client rs384 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-rs384;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     RS384;
        scope           api:write;
    }

    oauth2_client rs512 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-rs512;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     RS512;
        scope           api:write;
    }

    oauth2_client es384 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-es384;
        private_key     $TEST_NGINX_KEYS/ec384.pem;
        key_id          ec384;
        scope           api:write;
    }

    oauth2_client es512 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-es512;
        private_key     $TEST_NGINX_KEYS/ec521.pem;
        key_id          ec521;
        scope           api:write;
    }
--- request eval
["GET /rs384/x", "GET /rs512/x", "GET /es384/x", "GET /es512/x",
 "GET /_test/stats?client=nginx-es512"]
--- response_body_like eval
['^resource: active client_id=nginx-rs384 scope="api:write" ',
 '^resource: active client_id=nginx-rs512 scope="api:write" ',
 '^resource: active client_id=nginx-es384 scope="api:write" ',
 '^resource: active client_id=nginx-es512 scope="api:write" ',
 '^token_requests=1\ngranted=1\nrefused=0\njti=1 distinct=1\nalg=ES512 kid=ec521\n']
--- no_error_log
[error]



=== TEST 4: PS256, PS384, PS512 (RSASSA-PSS, salt as long as the digest)
--- http_config
    oauth2_client ps256 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-ps256;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     PS256;
        scope           api:read;
    }

    oauth2_client ps384 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-ps384;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     PS384;
        scope           api:read;
    }

    oauth2_client ps512 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-ps512;
        private_key     $TEST_NGINX_KEYS/rsa-pkcs1.pem;
        key_id          rsa-pkcs1;
        signing_alg     PS512;
        scope           api:read;
    }
--- request eval
["GET /ps256/x", "GET /ps384/x", "GET /ps512/x",
 "GET /_test/stats?client=nginx-ps512"]
--- response_body_like eval
['^resource: active client_id=nginx-ps256 scope="api:read" ',
 '^resource: active client_id=nginx-ps384 scope="api:read" ',
 '^resource: active client_id=nginx-ps512 scope="api:read" ',
 '^token_requests=1\ngranted=1\nrefused=0\njti=1 distinct=1\nalg=PS512 kid=rsa-pkcs1\n']
--- no_error_log
[error]



=== TEST 5: a scope the client may not have: refused, 502, logged
--- http_config
    oauth2_client allowed {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-read-only;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           api:read;
    }

    oauth2_client too-much {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-read-only;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           api:read api:write;
    }
--- request eval
["GET /too-much/x", "GET /allowed/x", "GET /_test/stats?client=nginx-read-only",
 "GET /_test/resource?name=too-much"]
--- error_code eval
[502, 200, 200, 200]
--- response_headers_like eval
["X-Token-Status: ERROR", "X-Token-Status: MISS", "", ""]
--- response_body_like eval
['502 Bad Gateway',
 '^resource: active client_id=nginx-read-only scope="api:read" ',
 '^token_requests=2\ngranted=1\nrefused=1\njti=2 distinct=2\n.*\nlast_error=invalid_scope: requested scope is not allowed\n\z',
 '^requests=0\nactive=0\n\z']
--- error_log eval
qr/\[error\] .*oauth2 client "too-much": token request failed: HTTP 400, error "invalid_scope": "requested scope is not allowed"; next attempt in \d+\.\d{3} s: check scope against the scopes granted to the client/



=== TEST 6: the token endpoint at a custom path (Okta's layout)
--- http_config
    oauth2_client custom {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_CUSTOM_PORT/oauth2/default/v1/token;
        client_id       nginx-custom-path;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        scope           api:read api:write;
    }
--- request eval
["GET /custom/x", "GET /_test/stats?client=nginx-custom-path"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-custom-path scope="api:read api:write" aud=urn:interop:api iss=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_CUSTOM_PORT}\n},
qr{^token_requests=1\ngranted=1\n.*\naud=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_CUSTOM_PORT}/oauth2/default/v1/token\n}s]
--- no_error_log
[error]



=== TEST 7: an assertion for another audience is refused: 502, no token
--- http_config
    oauth2_client no-port {
        prefetch        off;
        token_endpoint  http://127.0.0.1/token;
        token_location  /_oauth2/op;
        client_id       nginx-audience;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }

    oauth2_client elsewhere {
        prefetch        off;
        token_endpoint  https://auth.example.com/oauth2/v1/token;
        token_location  /_oauth2/op;
        client_id       nginx-audience;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/op {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
    }
--- request eval
["GET /no-port/x", "GET /_test/stats?client=nginx-audience",
 "GET /elsewhere/x", "GET /_test/stats?client=nginx-audience",
 "GET /_test/resource?name=no-port", "GET /_test/resource?name=elsewhere"]
--- error_code eval
[502, 200, 502, 200, 200, 200]
--- response_headers_like eval
["X-Token-Status: ERROR", "", "X-Token-Status: ERROR", "", "", ""]
--- response_body_like eval
['502 Bad Gateway',
 '^token_requests=1\ngranted=0\nrefused=1\n.*\naud=http://127\.0\.0\.1/token\nlast_error=invalid_client: audience \(aud\) must equal the endpoint url, issuer identifier or token endpoint url\n\z',
 '502 Bad Gateway',
 '^token_requests=2\ngranted=0\nrefused=2\njti=2 distinct=2\n.*\naud=https://auth\.example\.com/oauth2/v1/token\nlast_error=invalid_client: audience \(aud\) must equal the endpoint url, issuer identifier or token endpoint url\n\z',
 '^requests=0\n', '^requests=0\n']
--- error_log eval
qr/oauth2 client "no-port": token request failed: HTTP 401, error "invalid_client": "client authentication failed"; next attempt in \d+\.\d{3} s: the server does not accept the client/



=== TEST 8: an assertion signed with another key is refused
--- http_config
    oauth2_client wrong-key {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-wrong-key;
        private_key     $TEST_NGINX_KEYS/rsa2.pem;
        key_id          rsa1;
    }
--- request eval
["GET /wrong-key/x", "GET /_test/stats?client=nginx-wrong-key",
 "GET /_test/resource?name=wrong-key"]
--- error_code eval
[502, 200, 200]
--- response_body_like eval
['502 Bad Gateway',
 '^token_requests=1\ngranted=0\nrefused=1\n.*\nlast_error=invalid_client: signature verification failed\n\z',
 '^requests=0\n']
--- error_log eval
qr/oauth2 client "wrong-key": token request failed: HTTP 401, error "invalid_client"/



=== TEST 9: a replayed assertion is refused by oidc-provider
--- http_config
    oauth2_client replay {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-replay;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           api:read;
    }
--- request eval
["GET /replay/x", "GET /_test/replay?client=nginx-replay",
 "GET /_test/stats?client=nginx-replay"]
--- response_body_like eval
['^resource: active client_id=nginx-replay scope="api:read" ',
 '^status=401\nerror=invalid_client\ndetail=client assertion tokens must only be used once\n\z',
 '^token_requests=1\ngranted=1\nrefused=0\n']
--- no_error_log
[error]



=== TEST 10: over TLS, with proxy_ssl_verify and the test CA
--- http_config
    oauth2_client tls {
        prefetch        off;
        token_endpoint  https://127.0.0.1:$TEST_NGINX_OP_TLS_PORT/token;
        client_id       nginx-tls;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        scope           api:read;
    }
--- config
    location = /_oauth2/tls {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_OP_TLS_PORT/token;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_KEYS/ca.crt;
        proxy_ssl_name localhost;
        proxy_ssl_server_name on;
    }
--- request eval
["GET /tls/x", "GET /_test/stats?client=nginx-tls"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-tls scope="api:read" aud=urn:interop:api },
qr{^token_requests=1\ngranted=1\n.*\naud=https://127\.0\.0\.1:$ENV{TEST_NGINX_OP_TLS_PORT}/token\n}s]
--- no_error_log
[error]



=== TEST 11: over TLS, a CA that did not sign the certificate: 502, no token request
--- http_config
    oauth2_client wrong-ca {
        prefetch        off;
        token_endpoint  https://127.0.0.1:$TEST_NGINX_OP_TLS_PORT/token;
        client_id       nginx-tls-refused;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
--- config
    location = /_oauth2/wrong-ca {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_OP_TLS_PORT/token;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_KEYS/cert.pem;
        proxy_ssl_name localhost;
    }
--- request eval
["GET /wrong-ca/x", "GET /_test/stats?client=nginx-tls-refused",
 "GET /_test/resource?name=wrong-ca"]
--- error_code eval
[502, 200, 200]
--- response_headers_like eval
["X-Token-Status: ERROR", "", ""]
--- response_body_like eval
['502 Bad Gateway', '^token_requests=0\n', '^requests=0\n']
--- error_log eval
[qr/upstream SSL certificate verify error: \(\d+:unable to verify the first certificate\)/,
 qr/oauth2 client "wrong-ca": no response from the token endpoint through "\/_oauth2\/wrong-ca" \(status 502/]



=== TEST 12: over TLS, a certificate for another name: 502, no token request
--- http_config
    oauth2_client wrong-name {
        prefetch        off;
        token_endpoint  https://127.0.0.1:$TEST_NGINX_OP_TLS_PORT/token;
        client_id       nginx-tls-refused;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
--- config
    location = /_oauth2/wrong-name {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_OP_TLS_PORT/token;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_KEYS/ca.crt;
        proxy_ssl_name auth.example.com;
    }
--- request eval
["GET /wrong-name/x", "GET /_test/stats?client=nginx-tls-refused",
 "GET /_test/resource?name=wrong-name"]
--- error_code eval
[502, 200, 200]
--- response_headers_like eval
["X-Token-Status: ERROR", "", ""]
--- response_body_like eval
['502 Bad Gateway', '^token_requests=0\n', '^requests=0\n']
--- error_log eval
[qr/upstream SSL certificate does not match "auth\.example\.com"/,
 qr/oauth2 client "wrong-name": no response from the token endpoint through "\/_oauth2\/wrong-name" \(status 502/]



=== TEST 13: 20 token requests, 20 assertions, 20 jti, all accepted
--- http_config eval
CORE::join "", map { <<"CLIENT" } 1 .. 20;
    oauth2_client j$_ {
        prefetch        off;
        token_endpoint  http://127.0.0.1:\$TEST_NGINX_OP_PORT/token;
        client_id       nginx-jti;
        private_key     \$TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
CLIENT
--- request eval
[(map { "GET /j$_/x" } 1 .. 20), "GET /_test/stats?client=nginx-jti"]
--- response_body_like eval
[('^resource: active client_id=nginx-jti ') x 20,
 '^token_requests=20\ngranted=20\nrefused=0\njti=20 distinct=20\n']
--- no_error_log
[error]



=== TEST 14: the cache: 5 requests, 1 token request seen by oidc-provider
--- http_config
    oauth2_client cache {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-cache;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           api:read;
    }
--- request eval
[(map { "GET /cache/$_" } 1 .. 5), "GET /_test/stats?client=nginx-cache",
 "GET /_test/resource?name=cache"]
--- response_headers_like eval
["X-Token-Status: MISS", ("X-Token-Status: HIT") x 4, "", ""]
--- response_body_like eval
[('^resource: active client_id=nginx-cache scope="api:read" ') x 5,
 '^token_requests=1\ngranted=1\nrefused=0\njti=1 distinct=1\n',
 '^requests=5\nactive=5\n\z']
--- no_error_log
[error]
