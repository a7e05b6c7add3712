# A zone too small for its clients: the least recently used tokens of
# other clients are dropped, each with a warning naming both clients, and
# nothing crashes.  (A token that does not fit even in an empty zone, used
# but not cached, cannot be made: 16 KB, the longest token taken, fits in
# the smallest zone, 32k.)
# The configurations are generated: N clients, each with a location
# /z/<i> and a token of an exact size from the mock (size-N scenario).

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

# the last request of a block reads the error log through /log: the
# harness checks --- error_log after every request, and the lines looked
# for come only with the later requests
$ENV{TEST_NGINX_LOGDIR} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                          . '/logs';

# zone_conf(ZONE_SIZE, CLIENTS, TOKEN_SIZE, TAG): http_config
sub zone_conf {
    my ($zone, $n, $size, $tag) = @_;
    my ($port, $keys) = @ENV{qw(TEST_NGINX_MOCK_PORT TEST_NGINX_KEYS)};
    my $conf = "    oauth2_token_cache zone=small:$zone;\n";
    for my $i (1 .. $n) {
        $conf .= <<"EOC";
    oauth2_client $tag-$i {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$port/s/size-$size/$tag-$i/oauth2/v1/token;
        client_id       0oa-$tag-$i;
        private_key     $keys/ec1.pem;
        key_id          ec1;
    }
EOC
    }
    return $conf;
}

# locations: /_oauth2/<tag>-<i> to the mock, /z/<i> with the token of
# client <tag>-<i>, /log
sub zone_locations {
    my ($n, $size, $tag) = @_;
    my ($port, $logs) = @ENV{qw(TEST_NGINX_MOCK_PORT TEST_NGINX_LOGDIR)};
    my $conf = <<"EOC";
    location ~ ^/_oauth2/($tag-\\d+)\$ {
        internal;
        subrequest_output_buffer_size 32k;
        proxy_set_header Host 127.0.0.1:$port;
        proxy_pass http://127.0.0.1:$port/s/size-$size/\$1/oauth2/v1/token;
    }

    location = /log {
        default_type text/plain;
        alias $logs/error.log;
    }
EOC
    for my $i (1 .. $n) {
        $conf .= <<"EOC";
    location = /z/$i {
        oauth2_token $tag-$i;
        proxy_set_header X-Token-Status \$oauth2_token_status;
        proxy_pass http://127.0.0.1:$port/api/;
    }
EOC
    }
    return $conf;
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 16 clients of 2 KB tokens in a 32k zone: the least recently used go first
--- http_config eval: main::zone_conf('32k', 16, 2048, 'zf1')
--- config eval: main::zone_locations(16, 2048, 'zf1')
--- request eval
[(map { "GET /z/$_" } 1 .. 16), "GET /z/16", "GET /z/1", "GET /log"]
--- response_body_like eval
[(map { "^api: token ok client=0oa-zf1-$_ .*\nx-token-status=MISS\n" } 1 .. 16),
 "^api: token ok client=0oa-zf1-16 .*\nx-token-status=HIT\n",
 "^api: token ok client=0oa-zf1-1 .*\nx-token-status=MISS\n",
 qr/\[warn\] [^\n]*oauth2 client "zf1-\d+": no room in oauth2 zone "small", dropped the cached token of client "zf1-1", the least recently used\n/]
--- no_error_log
[error]
[crit]
[alert]



=== TEST 2: a 32k zone holds one 16 KB token: two clients take turns
--- http_config eval: main::zone_conf('32k', 2, 16384, 'zf2')
--- config eval: main::zone_locations(2, 16384, 'zf2')
--- request eval
["GET /z/1", "GET /z/1", "GET /z/2", "GET /z/2", "GET /z/1", "GET /log"]
--- response_body_like eval
[(map { "^api: token ok client=0oa-zf2-$_->[0] .*\\(16384 bytes\\)\nauthorization_headers=1\ncookie=none\nx-token-status=$_->[1]\n" }
      [1, 'MISS'], [1, 'HIT'], [2, 'MISS'], [2, 'HIT'], [1, 'MISS']),
 qr/oauth2 client "zf2-2": no room in oauth2 zone "small", dropped the cached token of client "zf2-1", the least recently used\n.*oauth2 client "zf2-1": no room in oauth2 zone "small", dropped the cached token of client "zf2-2", the least recently used\n/s]
--- no_error_log
[error]
[crit]
[alert]



=== TEST 3: a client's node is one 1 KB chunk with its status record, the DPoP nonces apart: 30 clients with their tokens fit in a 64k zone (32 do; with the nonces inline, 2 KB nodes, about 20 would)
--- http_config eval: main::zone_conf('64k', 30, 500, 'zf3')
--- config eval: main::zone_locations(30, 500, 'zf3')
--- request eval
[(map { "GET /z/$_" } 1 .. 30), "GET /z/1"]
--- response_body_like eval
[(map { "^api: token ok client=0oa-zf3-$_ .*\nx-token-status=MISS\n" } 1 .. 30),
 "^api: token ok client=0oa-zf3-1 .*\nx-token-status=HIT\n"]
--- no_error_log
no room
[error]
[crit]
[alert]



=== TEST 4: a DPoP client's node given up and made again: its new token's proofs carry the new token's ath, not the old one's
--- http_config
    oauth2_token_cache zone=small:32k;

    oauth2_client zf4-1 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/size-12000/zf4-1/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }

    oauth2_client zf4-2 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/size-12000/zf4-2/oauth2/v1/token;
        client_id       0oa-zf4-2;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
--- config
    location ~ ^/_oauth2/(zf4-\d+)$ {
        internal;
        subrequest_output_buffer_size 32k;
        proxy_set_header Host 127.0.0.1:$TEST_NGINX_MOCK_PORT;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/size-12000/$1/oauth2/v1/token;
    }

    location = /api/zf4/1 {
        oauth2_token zf4-1;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /api/zf4/2 {
        oauth2_token zf4-2;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
["GET /api/zf4/1", "GET /api/zf4/2", "GET /api/zf4/1"]
--- response_body_like eval
["(?s)^api: token ok client=0oa-ec-dpop .*dpop=ok .* ath=ok nonce=none\n.*x-token-status=MISS\n",
 "(?s)^api: token ok client=0oa-zf4-2 .*x-token-status=MISS\n",
 "(?s)^api: token ok client=0oa-ec-dpop .*dpop=ok .* ath=ok nonce=none\n.*x-token-status=MISS\n"]
--- no_error_log
[error]
[crit]
[alert]
