# nginx -t and client authentication (issue 13): every combination that
# cannot work is refused with a message naming the directive and the
# client; the good ones pass, some with a notice or a warning.
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

# a secret every user may read, an empty one, one line with a newline
my $tmp = File::Temp->newdir();
copy("$ENV{TEST_NGINX_KEYS}/client.secret", "$tmp/open.secret")
    or die "copy: $!";
chmod 0644, "$tmp/open.secret";
open my $fh, '>', "$tmp/empty.secret" or die "open: $!";
print $fh "\n";
close $fh;
chmod 0600, "$tmp/empty.secret";
$ENV{TEST_NGINX_SECRETS} = "$tmp";

plan tests => 2 * blocks();

for my $block (blocks()) {
    my ($rc, $out) = NginxConf::nginx_t(http_config => $block->http_config,
                                        config      => $block->config);
    my $name = $block->name;

    if (defined $block->error) {
        my $expected = $block->error;
        chomp $expected;
        $expected = NginxConf::expand($expected);
        isnt($rc, 0, "$name: nginx -t fails");
        like($out, qr/\[emerg\] (?:\d+#\d+: )?\Q$expected\E/, "$name: nginx -t says why")
            or diag($out);

    } elsif (defined $block->notice || defined $block->warn) {
        my $level = defined $block->notice ? 'notice' : 'warn';
        my $expected = $block->$level;
        chomp $expected;
        $expected = NginxConf::expand($expected);
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

=== TEST 1: an unknown auth_method
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        auth_method     client_secret;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
"auth_method" must be private_key_jwt, client_secret_basic, client_secret_post, client_secret_jwt, tls_client_auth, self_signed_tls_client_auth or none, not "client_secret"

=== TEST 2: a private_key and a secret, no auth_method
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
oauth2_client "okta" has a "private_key" and a client secret: say which to use with "auth_method"

=== TEST 3: private_key_jwt with a secret
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        auth_method     private_key_jwt;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
"client_secret_file" cannot be used with auth_method private_key_jwt in oauth2_client "okta"

=== TEST 4: client_secret_basic without a secret
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        auth_method     client_secret_basic;
    }
--- config
    location = /t { return 204; }
--- error
"client_secret_file" is missing in oauth2_client "okta" (auth_method client_secret_basic)

=== TEST 5: client_secret_post with a private_key
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-post;
        auth_method     client_secret_post;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" cannot be used with auth_method client_secret_post in oauth2_client "okta"

=== TEST 6: HS256 with a private key
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        signing_alg     HS256;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" HS256 of oauth2_client "okta" is for client_secret_jwt, not for a "private_key"

=== TEST 7: client_secret_jwt with RS256
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-secretjwt;
        auth_method     client_secret_jwt;
        signing_alg     RS256;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" of oauth2_client "okta" must be HS256, HS384 or HS512 with auth_method client_secret_jwt

=== TEST 8: client_secret_basic with a signing_alg
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        auth_method     client_secret_basic;
        signing_alg     HS256;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
"signing_alg" cannot be used with auth_method client_secret_basic in oauth2_client "okta"

=== TEST 9: client_secret_post with a key_id
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-post;
        auth_method     client_secret_post;
        key_id          k1;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
"key_id" cannot be used with auth_method client_secret_post in oauth2_client "okta"

=== TEST 10: two secrets
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        client_secret   abc;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
--- config
    location = /t { return 204; }
--- error
oauth2_client "okta" has a client secret already: give one "client_secret" or one "client_secret_file"

=== TEST 11: a missing secret file
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        client_secret_file $TEST_NGINX_KEYS/nope.secret;
    }
--- config
    location = /t { return 204; }
--- error
"client_secret_file" of oauth2_client "okta": 

=== TEST 12: an empty secret file (a newline only)
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        client_secret_file $TEST_NGINX_SECRETS/empty.secret;
    }
--- config
    location = /t { return 204; }
--- error
"client_secret_file" "$TEST_NGINX_SECRETS/empty.secret" of oauth2_client "okta" is empty

=== TEST 13: a secret file others may read: a notice
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        client_secret_file $TEST_NGINX_SECRETS/open.secret;
    }
--- config
    location = /t { return 204; }
--- notice
"client_secret_file" "$TEST_NGINX_SECRETS/open.secret" of oauth2_client "okta" is accessible to other users (mode 0644): 0600, owned by root, is enough

=== TEST 14: a short secret for HS256: a warning
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-secretjwt;
        signing_alg     HS256;
        client_secret   short;
    }
--- config
    location = /t { return 204; }
--- warn
the client secret of oauth2_client "okta" is weak for HS256: 

=== TEST 15: each method, well configured
--- http_config
    oauth2_client basic {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
    oauth2_client post {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-post;
        auth_method     client_secret_post;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
    oauth2_client secretjwt {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-secretjwt;
        signing_alg     HS512;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
    }
    oauth2_client x5t {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-x5t;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        certificate     $TEST_NGINX_KEYS/ec1.crt x5t;
    }
    oauth2_client mtls {
        token_endpoint  https://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-mtls;
        auth_method     tls_client_auth;
    }
    oauth2_client none {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-none;
        auth_method     none;
        token_param     audience https://api.example.test/;
        token_param     resource urn:okta-mock:x;
    }
--- config
    location = /_oauth2/mtls {
        proxy_connect_timeout      2s;
        proxy_send_timeout         2s;
        proxy_read_timeout         5s;
        proxy_ssl_certificate      $TEST_NGINX_KEYS/client.crt;
        proxy_ssl_certificate_key  $TEST_NGINX_KEYS/client.key;
        proxy_pass https://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
    }
    location /mtls/ { oauth2_token mtls; }
--- valid

=== TEST 16: tls_client_auth without an https:// token_endpoint
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-mtls;
        auth_method     tls_client_auth;
    }
--- config
    location = /t { return 204; }
--- error
auth_method tls_client_auth of oauth2_client "okta" needs an https:// "token_endpoint"

=== TEST 17: tls_client_auth, no proxy_ssl_certificate in the token location
--- http_config
    oauth2_client okta {
        token_endpoint  https://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-mtls;
        auth_method     self_signed_tls_client_auth;
    }
--- config
    location = /_oauth2/okta {
        proxy_pass https://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
    }
    location / { oauth2_token okta; }
--- error
oauth2 client "okta": auth_method self_signed_tls_client_auth needs "proxy_ssl_certificate" and "proxy_ssl_certificate_key" in its token location "/_oauth2/okta"

=== TEST 18: tls_client_auth with a private_key
--- http_config
    oauth2_client okta {
        token_endpoint  https://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-mtls;
        auth_method     tls_client_auth;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location = /t { return 204; }
--- error
"private_key" cannot be used with auth_method tls_client_auth in oauth2_client "okta"

=== TEST 19: none with a secret
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-none;
        auth_method     none;
        client_secret   abc;
    }
--- config
    location = /t { return 204; }
--- error
"client_secret" cannot be used with auth_method none in oauth2_client "okta"

=== TEST 20: a certificate that is not the key's
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-x5t;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        certificate     $TEST_NGINX_KEYS/rsa1.crt;
    }
--- config
    location = /t { return 204; }
--- error
"certificate" "$TEST_NGINX_KEYS/rsa1.crt" of oauth2_client "okta" is not of its "private_key": 

=== TEST 21: a certificate with a client secret
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        client_secret_file $TEST_NGINX_KEYS/client.secret;
        certificate     $TEST_NGINX_KEYS/rsa1.crt;
    }
--- config
    location = /t { return 204; }
--- error
"certificate" cannot be used with auth_method client_secret_basic in oauth2_client "okta"

=== TEST 22: a certificate file without a certificate
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-x5t;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        certificate     $TEST_NGINX_KEYS/rsa1.pem;
    }
--- config
    location = /t { return 204; }
--- error
"certificate" of oauth2_client "okta": 

=== TEST 23: certificate with an unknown parameter
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-x5t;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        certificate     $TEST_NGINX_KEYS/rsa1.crt x5c;
    }
--- config
    location = /t { return 204; }
--- error
invalid parameter "x5c" of "certificate", expected "x5t"

=== TEST 24: token_param names a parameter the module sends
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        token_param     scope openid;
    }
--- config
    location = /t { return 204; }
--- error
invalid "token_param" "scope" of oauth2_client "okta": the module sends "scope" itself

=== TEST 25: token_param with a name that needs encoding
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        token_param     a&b c;
    }
--- config
    location = /t { return 204; }
--- error
invalid "token_param" "a&b" of oauth2_client "okta": use letters, digits, "-", ".", "_" and "~" in a parameter name

=== TEST 26: an OpenID Connect scope: a notice
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        scope           api:read openid;
    }
--- config
    location = /t { return 204; }
--- notice
oauth2_client "okta" asks for the OpenID Connect scope "openid", which a client credentials grant does not get (Okta answers invalid_scope)

=== TEST 27: an empty client_secret
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-basic;
        client_secret   "";
    }
--- config
    location = /t { return 204; }
--- error
"client_secret" of oauth2_client "okta" is empty

=== TEST 28: tls_client_auth, the token location proxies over plain http
--- http_config
    oauth2_client okta {
        token_endpoint  https://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-mtls;
        auth_method     tls_client_auth;
    }
--- config
    location = /_oauth2/okta {
        proxy_ssl_certificate      $TEST_NGINX_KEYS/client.crt;
        proxy_ssl_certificate_key  $TEST_NGINX_KEYS/client.key;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
    }
    location / { oauth2_token okta; }
--- error
oauth2 client "okta": auth_method tls_client_auth needs an https:// "proxy_pass" in its token location "/_oauth2/okta"

=== TEST 29: token_param resource with a fragment
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-none;
        auth_method     none;
        token_param     resource https://api.example.test/orders#v1;
    }
--- config
    location = /t { return 204; }
--- error
invalid "token_param" "resource" of oauth2_client "okta": a resource has no fragment ("#...", RFC 8707 section 2)

=== TEST 30: token_param resource that is not an absolute URI
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/c/oauth2/v1/token;
        client_id       0oa-none;
        auth_method     none;
        token_param     resource api.example.test/orders;
    }
--- config
    location = /t { return 204; }
--- error
invalid "token_param" "resource" of oauth2_client "okta": a resource is an absolute URI, with a scheme (RFC 8707 section 2)
