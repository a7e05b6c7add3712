# nginx -t refuses every bad configuration with a message naming the
# directive and the client, and accepts a good one.
#
# Data-driven Test::Base blocks: each is written to a configuration and
# checked with "nginx -t" (t/lib/NginxConf.pm); --- error is what nginx
# must print, --- valid marks a configuration it must accept, --- notice
# and --- warn one it accepts with a notice or a warning.

use lib 't/lib';
use File::Copy qw(copy);
use File::Temp ();
use Test::Base;
use NginxConf;
use OAuth2Mock;

OAuth2Mock::start();

# a copy of a key that every user may read, for the notice about it
my $open = File::Temp->newdir();
copy("$ENV{TEST_NGINX_KEYS}/rsa1.pem", "$open/open.pem") or die "copy: $!";
chmod 0644, "$open/open.pem";
$ENV{TEST_NGINX_OPEN_KEY} = "$open/open.pem";

plan tests => 2 * blocks();

for my $block (blocks()) {
    my ($rc, $out) = NginxConf::nginx_t(http_config => $block->http_config,
                                        config      => $block->config);
    my $name = $block->name;

    if (defined $block->error) {
        my $expected = $block->error;
        chomp $expected;
        $expected =~ s{\$(TEST_NGINX_[A-Za-z0-9_]+)}{$ENV{$1} // ''}ge;
        isnt($rc, 0, "$name: nginx -t fails");
        like($out, qr/\[emerg\] (?:\d+#\d+: )?\Q$expected\E/, "$name: nginx -t says why")
            or diag($out);

    } elsif (defined $block->notice || defined $block->warn) {
        my $level = defined $block->notice ? 'notice' : 'warn';
        my $expected = $block->$level;
        chomp $expected;
        $expected =~ s{\$(TEST_NGINX_[A-Za-z0-9_]+)}{$ENV{$1} // ''}ge;
        is($rc, 0, "$name: nginx -t succeeds") or diag($out);
        like($out, qr/\[$level\] .*\Q$expected\E/,
             "$name: nginx -t notes it") or diag($out);

    } else {
        is($rc, 0, "$name: nginx -t succeeds") or diag($out);
        unlike($out, qr/\[(?:emerg|alert|crit|error|warn|notice)\]/,
               "$name: nothing to complain about");
    }
}

__DATA__

=== TEST 1: oauth2_token names an unknown client
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location / { oauth2_token nope; }
--- error
unknown oauth2_client "nope" in "oauth2_token" in 

=== TEST 2: a duplicate client
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
duplicate oauth2_client "okta", first defined in 

=== TEST 3: token_endpoint is missing
--- http_config
    oauth2_client okta {
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"token_endpoint" is missing in oauth2_client "okta"

=== TEST 4: client_id is missing
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"client_id" is missing in oauth2_client "okta"

=== TEST 5: neither a private_key nor a client secret
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" or "client_secret_file" is missing in oauth2_client "okta"

=== TEST 6: token_endpoint is not an http(s) URL
--- http_config
    oauth2_client okta {
        token_endpoint  ftp://example.com/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"token_endpoint" must be an http:// or https:// URL, not "ftp://example.com/token"

=== TEST 7: token_endpoint without a host
--- http_config
    oauth2_client okta {
        token_endpoint  https:///oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"token_endpoint" "https:///oauth2/v1/token" is not a valid URL

=== TEST 8: an unreadable key file
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     /nonexistent/key.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" of oauth2_client "okta": open() "/nonexistent/key.pem" failed

=== TEST 9: a certificate instead of a private key
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/cert.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/cert.pem" of oauth2_client "okta": no private key found (a certificate or public key?)

=== TEST 10: a public key instead of a private key
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pub.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/rsa1.pub.pem" of oauth2_client "okta": no private key found (a certificate or public key?)

=== TEST 11: an encrypted key without private_key_passphrase_file
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa-enc.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/rsa-enc.pem" of oauth2_client "okta": the private key is encrypted and no passphrase was given

=== TEST 12: an RSA key that is too short
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1024.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/rsa1024.pem" of oauth2_client "okta": RSA key of 1024 bits is too short, at least 2048 are required

=== TEST 13: signing_alg ES256 with an RSA key
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     ES256;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" of oauth2_client "okta" does not fit its "private_key": signing_alg ES256 needs an EC P-256 key

=== TEST 14: signing_alg RS256 with an EC key
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          rsa1;
        signing_alg     RS256;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" of oauth2_client "okta" does not fit its "private_key": signing_alg RS256 needs an RSA key

=== TEST 15: ES384 with a P-256 key
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          rsa1;
        signing_alg     ES384;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" of oauth2_client "okta" does not fit its "private_key": signing_alg ES384 needs an EC P-384 key, the key is EC P-256

=== TEST 16: an unknown signing_alg
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     EdDSA;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" must be RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512, HS256, HS384 or HS512, not "EdDSA"

=== TEST 17: assertion_lifetime over an hour
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        assertion_lifetime 2h;
    }
--- config
    location = /t { return 204; }
--- error
"assertion_lifetime" of oauth2_client "okta" must be between 1s and 1h, not 7200 seconds

=== TEST 18: a directive that does not belong in the block
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        proxy_pass      http://x;
    }
--- config
    location = /t { return 204; }
--- error
unknown directive "proxy_pass" in oauth2_client block

=== TEST 19: a duplicate directive in the block
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        client_id       other;
    }
--- config
    location = /t { return 204; }
--- error
"client_id" directive is duplicate

=== TEST 20: a client named off
--- http_config
    oauth2_client off {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
invalid oauth2_client name "off"

=== TEST 21: token_location that is not a URI
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        token_location  @named;
    }
--- config
    location = /t { return 204; }
--- error
"token_location" "@named" of oauth2_client "okta" must start with "/"

=== TEST 22: a bad oauth2_token_cache
--- http_config
    oauth2_token_cache oauth2:1m;
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
invalid parameter "oauth2:1m", expected "zone=name:size"

=== TEST 23: a zone too small
--- http_config
    oauth2_token_cache zone=oauth2:4k;
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /t { return 204; }
--- error
zone "oauth2" is too small

=== TEST 24: oauth2_token without a client name
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location / { oauth2_token; }
--- error
invalid number of arguments in "oauth2_token" directive

=== TEST 25: a client name longer than 255 characters
--- http_config
    oauth2_client nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location = /t { return 204; }
--- error
oauth2_client name "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" is too long, at most 255 characters

=== TEST 26: an empty key_id
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          "";
    }
--- config
    location = /t { return 204; }
--- error
"key_id" of oauth2_client "okta" is empty: give the key's kid, or leave key_id out

=== TEST 27: a token_location with arguments
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        token_location  /_oauth2/okta?x=1;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location = /t { return 204; }
--- error
"token_location" "/_oauth2/okta?x=1" of oauth2_client "okta" must be a URI without arguments

=== TEST 28: a valid configuration with a client defined after its use
--- config
    location = /t {
        return 204;
    }

    location = /_oauth2/late {
        internal;
        proxy_connect_timeout 3s;
        proxy_send_timeout 2s;
        proxy_read_timeout 5s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token late;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- http_config
    oauth2_token_cache zone=tokens:64k;

    oauth2_client late {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/ec-sec1.pem;
        scope           okta.users.read;
        assertion_lifetime 1h;
    }

    oauth2_client pkcs1 {
        token_endpoint  http://127.0.0.1:8080/oauth2/default/v1/token;
        client_id       0oa-other;
        private_key     $TEST_NGINX_KEYS/rsa-pkcs1.pem;
        key_id          k;
        signing_alg     RS384;
    }
--- valid



=== TEST 29: a key file other users may read is accepted, with a notice
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_OPEN_KEY;
    }
--- config
    location = /t { return 204; }
--- notice
of oauth2_client "okta" is accessible to other users (mode 0644): 0600, owned by root, is enough



=== TEST 30: prefetch takes on or off
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        prefetch        maybe;
    }
--- config
    location = /t { return 204; }
--- error
invalid value "maybe" in "prefetch" directive, it must be "on" or "off"



=== TEST 31: prefetch once
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        prefetch        off;
        prefetch        on;
    }
--- config
    location = /t { return 204; }
--- error
"prefetch" directive is duplicate



=== TEST 32: token location timeouts beyond the wait: a warning
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- warn
oauth2 client "okta": proxy_connect_timeout 60000 ms, proxy_send_timeout 60000 ms and proxy_read_timeout 60000 ms of token location "/_oauth2/okta" exceed 10000 ms, the longest oauth2_token_wait_timeout of the client, at which its token requests end



=== TEST 33: ... found as nginx finds it: a prefix location, nested in another
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        token_location  /internal/oauth2/okta;
    }
--- config
    location /internal/ {
        internal;
        proxy_connect_timeout 2s;

        location /internal/oauth2/ {
            proxy_read_timeout 9s;
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/oauth2/v1/token;
        }
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- warn
oauth2 client "okta": proxy_connect_timeout 2000 ms, proxy_send_timeout 60000 ms and proxy_read_timeout 9000 ms of token location "/internal/oauth2/okta" exceed 10000 ms



=== TEST 34: ... or by a regular expression; within the longest wait of the client's locations: no warning
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location /_oauth2/ {
        return 404;
    }

    location ~ ^/_oauth2/(okta)$ {
        internal;
        proxy_connect_timeout 3s;
        proxy_send_timeout 2s;
        proxy_read_timeout 10s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location /slow/ {
        oauth2_token okta;
        oauth2_token_wait_timeout 15s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- valid



=== TEST 35: ... and with those of the server whose token location it is
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }

    server {
        listen 127.0.0.1:2;

        location /api/ {
            oauth2_token okta;
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }
    }
--- config
    location = /_oauth2/okta {
        proxy_connect_timeout 11s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- warn
proxy_connect_timeout 11000 ms, proxy_send_timeout 60000 ms and proxy_read_timeout 60000 ms of token location "/_oauth2/okta"



=== TEST 36: proxy_send_timeout counts with the others
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_connect_timeout 2s;
        proxy_send_timeout 4s;
        proxy_read_timeout 5s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- warn
oauth2 client "okta": proxy_connect_timeout 2000 ms, proxy_send_timeout 4000 ms and proxy_read_timeout 5000 ms of token location "/_oauth2/okta" exceed 10000 ms



=== TEST 37: a token location without proxy_pass: its timeouts are another module's, not checked
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location = /_oauth2/okta {
        internal;
        fastcgi_pass 127.0.0.1:9;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- valid



=== TEST 38: a token location in none of the servers that use the client: a warning
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        token_location  /_oauth2/elsewhere;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- warn
oauth2 client "okta": token location "/_oauth2/elsewhere" with a content handler (such as proxy_pass) is in none of the servers that use the client: its token requests will fail



=== TEST 39: a private RSA JWK as Okta's console exports it
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.jwk;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 40: a private EC JWK
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/ec1.jwk;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 41: a JWKS holding one private key
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.jwks;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 42: a JWK whose alg is not signing_alg's
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1-alg.jwk;
        signing_alg     ES256;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" of oauth2_client "okta" does not fit its "private_key": signing_alg ES256 needs an EC P-256 key



=== TEST 43: a public JWK
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pub.jwk;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/rsa1.pub.jwk" of oauth2_client "okta": the JWK is a public key (it has no "d"): the private key is needed



=== TEST 44: a JWKS with two keys
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/two.jwks;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/two.jwks" of oauth2_client "okta": a JWKS with 2 keys: exactly one private key is needed



=== TEST 45: an RSA JWK of 1024 bits
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1024.jwk;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/rsa1024.jwk" of oauth2_client "okta": RSA key of 1024 bits is too short, at least 2048 are required



=== TEST 46: an encrypted PKCS#8 key and its passphrase
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa-enc.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.pass;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 47: a legacy encrypted PEM key
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa-enc-legacy.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.pass;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 48: an encrypted EC key, the passphrase ending in CRLF
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/ec-enc.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.crlf.pass;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 49: an encrypted EC key under a UTF-8 passphrase
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/ec-enc-utf8.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/ec-enc-utf8.pass;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 50: a wrong passphrase
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa-enc.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/wrong.secret;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" file "$TEST_NGINX_KEYS/rsa-enc.pem" of oauth2_client "okta": the private key could not be decrypted: wrong passphrase



=== TEST 51: a passphrase file that does not exist
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa-enc.pem;
        private_key_passphrase_file /nonexistent/pass;
    }
--- config
    location = /t { return 204; }
--- error
"private_key_passphrase_file" of oauth2_client "okta": open() "/nonexistent/pass" failed



=== TEST 52: a passphrase for a key that is not encrypted: a warning
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.pass;
    }
--- config
    location = /t { return 204; }
--- warn
"private_key_passphrase_file" of oauth2_client "okta" is not used: the "private_key" file "$TEST_NGINX_KEYS/rsa1.pem" is not encrypted



=== TEST 53: private_key_passphrase_file twice
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa-enc.pem;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.pass;
        private_key_passphrase_file $TEST_NGINX_KEYS/rsa-enc.pass;
    }
--- config
    location = /t { return 204; }
--- error
"private_key_passphrase_file" directive is duplicate



=== TEST 54: dpop on, a generated proof key
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        dpop            on;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 55: dpop on, the proof key from a JWK
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec1.jwk;
    }
--- config
    location = /t { return 204; }
--- valid



=== TEST 56: dpop_key without dpop on: a warning
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        dpop_key        $TEST_NGINX_KEYS/ec1.pem;
    }
--- config
    location = /t { return 204; }
--- warn
"dpop_key" of oauth2_client "okta" is not used: "dpop" is off



=== TEST 57: dpop_key is a public key
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec1.pub.jwk;
    }
--- config
    location = /t { return 204; }
--- error
"dpop_key" file "$TEST_NGINX_KEYS/ec1.pub.jwk" of oauth2_client "okta": the JWK is a public key (it has no "d"): the private key is needed



=== TEST 58: dpop_key is too short an RSA key
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/rsa1024.pem;
    }
--- config
    location = /t { return 204; }
--- error
"dpop_key" file "$TEST_NGINX_KEYS/rsa1024.pem" of oauth2_client "okta": RSA key of 1024 bits is too short, at least 2048 are required



=== TEST 59: dpop_key is the client's private_key
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec1.jwk;
    }
--- config
    location = /t { return 204; }
--- error
"dpop_key" of oauth2_client "okta" is its "private_key": DPoP needs a key of its own



=== TEST 60: dpop_key missing
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        dpop            on;
        dpop_key        /nonexistent/dpop.pem;
    }
--- config
    location = /t { return 204; }
--- error
"dpop_key" of oauth2_client "okta": open() "/nonexistent/dpop.pem" failed



=== TEST 61: dpop takes on or off
--- http_config
    oauth2_client okta {
        token_endpoint  https://example.okta.com/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        dpop            yes;
    }
--- config
    location = /t { return 204; }
--- error
invalid value "yes" in "dpop" directive, it must be "on" or "off"
