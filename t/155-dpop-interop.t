# DPoP (RFC 9449) against oidc-provider, the second referee after the
# mock: its clients nginx-dpop-* require DPoP-bound tokens and nonces at
# the token endpoint (the first proof gets use_dpop_nonce), and its
# /resource/ checks each proxied request's proof with jose (htm, htu,
# ath, jti, the token's cnf.jkt).  The set-up below is t/090-interop.t's.
#
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

sub slurp { my $f = shift; open my $fh, '<', $f or die "$f: $!"; local $/; my $s = <$fh>; $s =~ s/\s+\z//; $s }

if (my $why = OAuth2Interop::missing()) {
    plan skip_all => $why;
}
plan 'no_plan';

OAuth2Interop::start();

# a thumbprint CryptX computed (t/keys/jwk.pl), not the module
$ENV{TEST_NGINX_EC384_JKT} = slurp("$ENV{TEST_NGINX_KEYS}/ec384.jkt");

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

    # /NAME/x goes to /resource/NAME/x: a proxy_pass with a URI part
    $block->set_value('config', $config . <<'LOCATION');

    oauth2_dpop_htu http://127.0.0.1:$TEST_NGINX_OP_PORT/resource$uri;

    location /_test/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_OP_PORT;
    }
LOCATION
};

# blocks expect lines from several of their requests
log_level('info');
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: ES256 assertion, a generated proof key: the nonce round trip, a bound token, a proof the resource verifies
--- http_config
    oauth2_client dpop1 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-dpop-es256;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        scope           api:read;
        dpop            on;
    }
--- request eval
["GET /dpop1/x?q=1", "POST /dpop1/y\nbody", "GET /_test/stats?client=nginx-dpop-es256&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-dpop-es256 scope="api:read" .*\nauthorization_headers=1\ntoken_type=DPoP jkt=[A-Za-z0-9_-]{43}\ndpop: verified alg=ES256 htm=GET htu=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_PORT}/resource/dpop1/x ath=ok nonce=none\n\z}s,
 qr{dpop: verified alg=ES256 htm=POST htu=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_PORT}/resource/dpop1/y ath=ok nonce=none\n\z},
 qr{^token_requests=2\ngranted=1\nrefused=1\n.*\ndpop=[A-Za-z0-9_-]{43}\ndpop_nonce=\S+\ntoken_type=DPoP\nerrors=use_dpop_nonce:1\n}s]
--- error_log
the token endpoint asks for a DPoP nonce, retrying with it
--- no_error_log
[error]



=== TEST 2: RS256 assertion, the proof key from a file: the token is bound to its thumbprint
--- http_config
    oauth2_client dpop2 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-dpop-rs256;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           api:read;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec384.pem;
    }
--- request eval
["GET /dpop2/x", "GET /_test/stats?client=nginx-dpop-rs256&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-dpop-rs256 .*token_type=DPoP jkt=$ENV{TEST_NGINX_EC384_JKT}\ndpop: verified alg=ES384 htm=GET }s,
 qr{\ndpop=$ENV{TEST_NGINX_EC384_JKT}\n.*token_type=DPoP\n}s]
--- no_error_log
[error]



=== TEST 3: the resource server wants its nonce: the 401 passes, the next proof carries it
--- http_config
    oauth2_client dpop3 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-dpop-nonce;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        scope           api:read;
        dpop            on;
    }
--- config
    location /n/ {
        oauth2_token    dpop3;
        oauth2_dpop_htu http://127.0.0.1:$TEST_NGINX_OP_PORT/resource-nonce/dpop3$uri;
        proxy_pass      http://127.0.0.1:$TEST_NGINX_OP_PORT/resource-nonce/dpop3/n/;
    }
--- request eval
["GET /n/1", "GET /n/2", "GET /_test/resource?name=dpop3&detail=1"]
--- error_code eval
[401, 200, 200]
--- response_body_like eval
[qr{use_dpop_nonce}, qr{dpop: verified alg=ES256 htm=GET htu=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_PORT}/resource-nonce/dpop3/n/2 ath=ok nonce=\S+\n}, qr{^requests=2\nactive=1\ndpop=1\nuse_dpop_nonce=1\n}]
--- error_log
the upstream asks for a DPoP nonce: the next requests carry it



=== TEST 4: PS256 assertion, an RSA proof key (RS256 proofs)
--- http_config
    oauth2_client dpop4 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_OP_PORT/token;
        client_id       nginx-dpop-ps256;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     PS256;
        scope           api:read;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/rsa2.pem;
    }
--- request eval
["GET /dpop4/x", "GET /_test/stats?client=nginx-dpop-ps256&detail=1"]
--- response_body_like eval
[qr{^resource: active client_id=nginx-dpop-ps256 .*\ndpop: verified alg=RS256 htm=GET htu=http://127\.0\.0\.1:$ENV{TEST_NGINX_OP_PORT}/resource/dpop4/x ath=ok }s,
 qr{token_type=DPoP\n}]
--- no_error_log
[error]
