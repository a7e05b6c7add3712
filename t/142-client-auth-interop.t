# Client authentication methods of issue 13 against an authorization
# server nobody here wrote: panva's oidc-provider (t/interop/server.mjs),
# with one client per method: client_secret_basic, client_secret_post
# (t/keys/client.secret, with ":", "%41", "+", a space...),
# client_secret_jwt (HS256/384/512), private_key_jwt with x5t#S256 of a
# registered certificate (RS256, PS256, ES256), tls_client_auth and
# self_signed_tls_client_auth on its mTLS port, none, and resource
# indicators (RFC 8707); wrong secrets, certificates and resources
# refused.  The preprocessor is t/090-interop.t's.
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

# the thumbprints openssl computed (t/keys/gen.sh)
sub thumbprint {
    my ($file) = @_;
    open my $fh, '<', "$ENV{TEST_NGINX_KEYS}/$file" or die "$file: $!";
    my $line = <$fh>;
    chomp $line;
    return $line;
}

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

# blocks expect lines from several of their requests; at level debug,
# nginx's proxy module logs the request headers it sends, Basic included
log_level('info');
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: client_secret_basic, the secret with reserved characters
--- http_config
    oauth2_client basic {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id           nginx-basic;
        client_secret_file  $TEST_NGINX_KEYS/client.secret;
        scope               api:read;
    }
--- request eval
["GET /basic/x", "GET /basic/y", "GET /_test/stats?client=nginx-basic&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-basic scope="api:read" aud=urn:interop:api },
qr{^resource: active client_id=nginx-basic },
qr{^token_requests=1\ngranted=1\nrefused=0\n.*^auth=client_secret_basic\n.*^params=grant_type,scope\n}ms]
--- no_error_log
[error]



=== TEST 2: client_secret_post
--- http_config
    oauth2_client post {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        auth_method         client_secret_post;
        client_id           nginx-post;
        client_secret_file  $TEST_NGINX_KEYS/client.secret;
        scope               api:read api:write;
    }
--- request eval
["GET /post/x", "GET /_test/stats?client=nginx-post&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-post scope="api:read api:write" },
qr{^token_requests=1\ngranted=1\n.*^auth=client_secret_post\n.*^params=grant_type,scope,client_id,client_secret\n}ms]
--- no_error_log
[error]



=== TEST 3: client_secret_jwt: HS256 (the default), HS384, HS512
--- http_config
    oauth2_client hs256 {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        auth_method         client_secret_jwt;
        client_id           nginx-hs256;
        client_secret_file  $TEST_NGINX_KEYS/client.secret;
    }
    oauth2_client hs384 {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id           nginx-hs384;
        signing_alg         HS384;
        client_secret_file  $TEST_NGINX_KEYS/client.secret;
    }
    oauth2_client hs512 {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        auth_method         client_secret_jwt;
        client_id           nginx-hs512;
        signing_alg         HS512;
        client_secret_file  $TEST_NGINX_KEYS/client.secret;
    }
--- request eval
["GET /hs256/x", "GET /hs384/x", "GET /hs512/x",
 "GET /_test/stats?client=nginx-hs512&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-hs256 },
qr{^resource: active client_id=nginx-hs384 },
qr{^resource: active client_id=nginx-hs512 },
qr{^token_requests=1\ngranted=1\n.*^alg=HS512 kid=-\naud=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_PORT}/token\n.*^auth=client_secret_jwt\n}ms]
--- no_error_log
[error]



=== TEST 4: private_key_jwt with x5t#S256: RS256 (and x5t), PS256, ES256
--- http_config
    oauth2_client x5t {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-x5t;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        certificate     $TEST_NGINX_KEYS/rsa1.crt x5t;
    }
    oauth2_client x5t-ps256 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-x5t-ps256;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     PS256;
        certificate     $TEST_NGINX_KEYS/rsa1.crt;
    }
    oauth2_client x5t-es256 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-x5t-es256;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        certificate     $TEST_NGINX_KEYS/ec1.crt;
    }
--- request eval
["GET /x5t/x", "GET /x5t-ps256/x", "GET /x5t-es256/x",
 "GET /_test/stats?client=nginx-x5t&detail=1",
 "GET /_test/stats?client=nginx-x5t-es256&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-x5t },
qr{^resource: active client_id=nginx-x5t-ps256 },
qr{^resource: active client_id=nginx-x5t-es256 },
qr{^token_requests=1\ngranted=1\n.*^alg=RS256 kid=rsa1\n.*^x5t#S256=\Q${\ main::thumbprint('rsa1.crt.x5t256')}\E\n}ms,
qr{^token_requests=1\ngranted=1\n.*^alg=ES256 kid=ec1\n.*^x5t#S256=\Q${\ main::thumbprint('ec1.crt.x5t256')}\E\n}ms]
--- no_error_log
[error]



=== TEST 5: private_key_jwt without the certificate: refused by that client
--- http_config
    oauth2_client x5t-none {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-x5t-es256;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
--- request
GET /x5t-none/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "x5t-none": token request failed: HTTP 401, error "invalid_client"/



=== TEST 6: tls_client_auth: the token location's certificate
--- http_config
    oauth2_client mtls {
        prefetch        off;
        token_endpoint  https://127.0.0.1:$TEST_NGINX_OP_MTLS_PORT/token;
        auth_method     tls_client_auth;
        client_id       nginx-mtls;
        scope           api:read;
    }
--- config
    location = /_oauth2/mtls {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_OP_MTLS_PORT/token;
        proxy_ssl_certificate         $TEST_NGINX_KEYS/client.crt;
        proxy_ssl_certificate_key     $TEST_NGINX_KEYS/client.key;
        proxy_ssl_verify              on;
        proxy_ssl_trusted_certificate $TEST_NGINX_KEYS/ca.crt;
        proxy_ssl_name                localhost;
    }
--- request eval
["GET /mtls/x", "GET /_test/stats?client=nginx-mtls&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-mtls scope="api:read" },
qr{^token_requests=1\ngranted=1\n.*^auth=tls\n.*^cert=\S*CN=oauth2-test-client\S* \S+\n.*^params=grant_type,scope,client_id\n}ms]
--- no_error_log
[error]



=== TEST 7: tls_client_auth with another subject's certificate: refused
--- http_config
    oauth2_client mtls2 {
        prefetch        off;
        token_endpoint  https://127.0.0.1:$TEST_NGINX_OP_MTLS_PORT/token;
        auth_method     tls_client_auth;
        client_id       nginx-mtls-2;
    }
--- config
    location = /_oauth2/mtls2 {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_OP_MTLS_PORT/token;
        proxy_ssl_certificate         $TEST_NGINX_KEYS/client2.crt;
        proxy_ssl_certificate_key     $TEST_NGINX_KEYS/client2.key;
    }
--- request eval
["GET /mtls2/x", "GET /_test/stats?client=nginx-mtls-2"]
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/502 Bad Gateway/, qr{^token_requests=1\ngranted=0\nrefused=1\n}]
--- error_log eval
qr/oauth2 client "mtls2": token request failed: HTTP 401, error "invalid_client".*: the server does not accept the client's certificate; check proxy_ssl_certificate/



=== TEST 8: self_signed_tls_client_auth
--- http_config
    oauth2_client self-signed {
        prefetch        off;
        token_endpoint  https://127.0.0.1:$TEST_NGINX_OP_MTLS_PORT/token;
        auth_method     self_signed_tls_client_auth;
        client_id       nginx-self-signed;
    }
--- config
    location = /_oauth2/self-signed {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_OP_MTLS_PORT/token;
        proxy_ssl_certificate         $TEST_NGINX_KEYS/selfsigned.crt;
        proxy_ssl_certificate_key     $TEST_NGINX_KEYS/selfsigned.key;
    }
--- request eval
["GET /self-signed/x", "GET /_test/stats?client=nginx-self-signed&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-self-signed },
qr{^token_requests=1\ngranted=1\n.*^auth=tls\n.*^cert=\S*CN=oauth2-self-signed}ms]
--- no_error_log
[error]



=== TEST 9: none: a public client
--- http_config
    oauth2_client none {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        auth_method     none;
        client_id       nginx-none;
    }
--- request eval
["GET /none/x", "GET /_test/stats?client=nginx-none&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-none },
qr{^token_requests=1\ngranted=1\n.*^auth=none\n.*^params=grant_type,client_id\n}ms]
--- no_error_log
[error]



=== TEST 10: a resource indicator (RFC 8707): the token's aud
--- http_config
    oauth2_client resource {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-resource;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           api:read;
        token_param     resource https://api.example.test/orders;
    }
--- request eval
["GET /resource/x", "GET /_test/stats?client=nginx-resource&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-resource scope="api:read" aud=https://api\.example\.test/orders },
qr{^token_requests=1\ngranted=1\n.*^params=grant_type,scope,resource,client_assertion_type,client_assertion\nresource=https://api\.example\.test/orders\n}ms]
--- no_error_log
[error]



=== TEST 11: a resource the server does not know: invalid_target, a hint
--- http_config
    oauth2_client resource2 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-resource-2;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        token_param     resource https://nobody.example.test/;
    }
--- request
GET /resource2/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "resource2": token request failed: HTTP 400, error "invalid_target".*: check the token_param audience or resource against the APIs the server knows for the client/



=== TEST 12: a wrong secret: refused with a hint, the secret not logged
--- http_config
    oauth2_client basic2 {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id           nginx-basic-2;
        client_secret_file  $TEST_NGINX_KEYS/wrong.secret;
    }
--- request eval
["GET /basic2/x", "GET /_test/stats?client=nginx-basic-2"]
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/502 Bad Gateway/, qr{^token_requests=1\ngranted=0\nrefused=1\n}]
--- error_log eval
qr/oauth2 client "basic2": token request failed: HTTP 401, error "invalid_client".*: the server does not accept the client; check client_id and the secret of client_secret_file/
--- no_error_log eval
[qr/Basic /]



=== TEST 13: client_secret_post with the secret inline; the UTF-8 client.secret differs
--- http_config
    oauth2_client post2 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        auth_method     client_secret_post;
        client_id       nginx-post-2;
        client_secret   's3cr:t %41+100%&=/?#"\'\\~;,x-Lq7vT2mX9pR4wK8nB5cJ1hF6dG3sA0eYzU0123456789';
    }
--- request eval
["GET /post2/x"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-post-2 }]
--- no_error_log
[error]
