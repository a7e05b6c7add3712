# Client authentication methods other than a plain private_key_jwt
# (issue 13), judged by the mock (t/mock/okta-mock.pl), which picks the
# method a client is registered for by the words of its client_id:
# client_secret_basic, client_secret_post (the secret from a file, with
# reserved and non-ASCII characters), client_secret_jwt, private_key_jwt
# with x5t#S256, tls_client_auth and self_signed_tls_client_auth through
# the token location's proxy_ssl_certificate, none; token_param; wrong
# secrets, certificates and audiences refused and logged with a hint.
#
# Each block gives the inside of "oauth2_client c { }" in --- client
# (token_endpoint, client_id, ...), the path of its token endpoint in
# --- token_path, and may add --- token_extra (inside the token
# location) and --- tls (the token endpoint is the mock's TLS port).
# The preprocessor writes the rest: /_oauth2/c, /api/ with oauth2_token
# c, /stats (the mock's record of the token path, ?detail=1).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;
use MIME::Base64 ();

OAuth2Mock::start();

add_block_preprocessor {
    my ($block) = @_;
    my $client = $block->client // return;
    my $path = $block->token_path;
    chomp $path;
    my $extra = $block->token_extra // '';
    my $port = $block->tls ? '$TEST_NGINX_MOCK_TLS_PORT'
                           : '$TEST_NGINX_MOCK_PORT';
    my $scheme = $block->tls ? 'https' : 'http';

    $client =~ s/^/        /mg;
    $extra =~ s/^/        /mg;

    $block->set_value('http_config', <<"HTTP");
    oauth2_client c {
        prefetch        off;
        token_endpoint  $scheme://127.0.0.1:$port$path;
$client    }
HTTP

    $block->set_value('config', <<"CONFIG");
    location = /_oauth2/c {
        internal;
$extra        proxy_pass $scheme://127.0.0.1:$port$path;
    }

    location /api/ {
        oauth2_token c;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT/_stats$path?detail=1;
    }
CONFIG
};

# The Authorization value of client_secret_basic for client_id id and
# the secret of file, as RFC 6749 2.3.1 wants it (each form-encoded):
# what must never be logged.  Matching a fragment of its base64 would
# depend on where the secret falls in the groups of three.
sub basic_credentials {
    my ($id, $file) = @_;
    open my $fh, '<:raw', "$ENV{TEST_NGINX_KEYS}/$file" or die "$file: $!";
    my $secret = do { local $/; <$fh> };
    close $fh;
    $secret =~ s/\r?\n\z//;
    my $form = sub {
        my ($s) = @_;
        $s =~ s/([^A-Za-z0-9\-._~ ])/sprintf('%%%02X', ord $1)/ge;
        $s =~ tr/ /+/;
        return $s;
    };
    return 'Basic ' . MIME::Base64::encode_base64(
        $form->($id) . ':' . $form->($secret), '');
}

log_level('info');
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: client_secret_basic: id and secret form-encoded before base64
--- client
client_id           0oa-basic;
client_secret_file  $TEST_NGINX_KEYS/client.secret;
scope               okta.users.read;
--- token_path
/a01/oauth2/v1/token
--- request eval
["GET /api/1", "GET /api/2", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-basic scope=okta.users.read /,
 qr/^api: token ok client=0oa-basic /,
 qr/^calls=1\n.*^client_id=0oa-basic\nauth=client_secret_basic\nalg=-\n.*^params=grant_type,scope\n.*^status=200\n/ms]
--- no_error_log eval
[qr/\[error\]/, qr/s3cr:t/, qr/s3cr%3At/,
 qr/\Q${\ main::basic_credentials('0oa-basic', 'client.secret')}\E/]



=== TEST 2: client_secret_basic is the default with only a secret; UTF-8 secret
--- client
client_id           0oa-basic-utf8;
client_secret_file  $TEST_NGINX_KEYS/client-utf8.secret;
--- token_path
/a02/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-basic-utf8 /,
 qr/^calls=1\n.*^auth=client_secret_basic\n/ms]
--- no_error_log
[error]



=== TEST 3: client_secret_post: client_id and client_secret in the body
--- client
auth_method         client_secret_post;
client_id           0oa-post;
client_secret_file  $TEST_NGINX_KEYS/client.secret;
--- token_path
/a03/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-post /,
 qr/^calls=1\n.*^auth=client_secret_post\n.*^params=grant_type,client_id,client_secret\n/ms]
--- no_error_log eval
[qr/\[error\]/, qr/s3cr/]



=== TEST 4: client_secret_jwt, HS256 by default
--- client
auth_method         client_secret_jwt;
client_id           0oa-secretjwt;
client_secret_file  $TEST_NGINX_KEYS/client.secret;
--- token_path
/a04/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-secretjwt /,
 qr/^calls=1\n.*^auth=client_secret_jwt\nalg=HS256\n.*^params=grant_type,client_assertion_type,client_assertion\n/ms]
--- no_error_log
[error]



=== TEST 5: client_secret_jwt with HS512 and the UTF-8 secret; a key_id
--- client
auth_method         client_secret_jwt;
signing_alg         HS512;
key_id              secret-1;
client_id           0oa-secretjwt-utf8;
client_secret_file  $TEST_NGINX_KEYS/client-utf8.secret;
--- token_path
/a05/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-secretjwt-utf8 /,
 qr/^calls=1\n.*^auth=client_secret_jwt\nalg=HS512\nkid=secret-1\n/ms]
--- no_error_log
[error]



=== TEST 6: private_key_jwt with x5t#S256 (and x5t) of the certificate
--- client
client_id    0oa-x5t;
private_key  $TEST_NGINX_KEYS/rsa1.pem;
certificate  $TEST_NGINX_KEYS/rsa1.crt x5t;
--- token_path
/a06/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-x5t /,
 qr/^calls=1\n.*^auth=private_key_jwt\nalg=RS256\n.*^x5t#S256=[A-Za-z0-9_-]{43}\n/ms]
--- no_error_log
[error]



=== TEST 7: private_key_jwt, ES256, x5t#S256 only
--- client
client_id    0oa-x5t-ec;
private_key  $TEST_NGINX_KEYS/ec1.pem;
certificate  $TEST_NGINX_KEYS/ec1.crt;
--- token_path
/a07/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-x5t-ec /,
 qr/^calls=1\n.*^auth=private_key_jwt\nalg=ES256\n/ms]
--- no_error_log
[error]



=== TEST 8: tls_client_auth: the certificate of the token location
--- tls: 1
--- client
auth_method  tls_client_auth;
client_id    0oa-mtls;
--- token_extra
proxy_ssl_certificate      $TEST_NGINX_KEYS/client.crt;
proxy_ssl_certificate_key  $TEST_NGINX_KEYS/client.key;
proxy_ssl_trusted_certificate $TEST_NGINX_KEYS/ca.crt;
proxy_ssl_verify           on;
proxy_ssl_name             localhost;
--- token_path
/a08/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-mtls /,
 qr/^calls=1\n.*^auth=tls_client_auth\n.*^cert=.*oauth2-test-client.*\n.*^params=grant_type,client_id\n/ms]
--- no_error_log
[error]



=== TEST 9: self_signed_tls_client_auth
--- tls: 1
--- client
auth_method  self_signed_tls_client_auth;
client_id    0oa-selfsigned;
--- token_extra
proxy_ssl_certificate      $TEST_NGINX_KEYS/selfsigned.crt;
proxy_ssl_certificate_key  $TEST_NGINX_KEYS/selfsigned.key;
--- token_path
/a09/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-selfsigned /,
 qr/^calls=1\n.*^auth=self_signed_tls_client_auth\n/ms]
--- no_error_log
[error]



=== TEST 10: tls_client_auth with a certificate another CA signed: refused
--- tls: 1
--- client
auth_method  tls_client_auth;
client_id    0oa-mtls;
--- token_extra
proxy_ssl_certificate      $TEST_NGINX_KEYS/rogue.crt;
proxy_ssl_certificate_key  $TEST_NGINX_KEYS/rogue.key;
--- token_path
/a10/oauth2/v1/token
--- request
GET /api/1
--- error_code: 502
--- error_log eval
qr/oauth2 client "c": token request failed: HTTP 401, error "invalid_client".*: the server does not accept the client's certificate; check proxy_ssl_certificate of the token location/



=== TEST 11: none: client_id alone
--- client
auth_method  none;
client_id    0oa-none;
--- token_path
/a11/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-none /,
 qr/^calls=1\n.*^auth=none\n.*^params=grant_type,client_id\n/ms]
--- no_error_log
[error]



=== TEST 12: a wrong secret: refused, logged with a hint, the secret not logged
--- client
client_id           0oa-basic;
client_secret_file  $TEST_NGINX_KEYS/wrong.secret;
--- token_path
/a12/oauth2/v1/token
--- request
GET /api/1
--- error_code: 502
--- error_log eval
qr/oauth2 client "c": token request failed: HTTP 401, error "invalid_client".*: the server does not accept the client; check client_id and the secret of client_secret_file/
--- no_error_log eval
[qr/Basic /]



=== TEST 13: a certificate nobody registered: refused with a hint
--- client
client_id    0oa-x5t;
private_key  $TEST_NGINX_KEYS/rsa1.pem;
certificate  $TEST_NGINX_KEYS/rsa1-other.crt;
--- token_path
/a13/oauth2/v1/token
--- request
GET /api/1
--- error_code: 502
--- error_log eval
qr/oauth2 client "c": token request failed: HTTP 401, error "invalid_client".*: the server does not accept the client; check client_id, certificate \(registered with the server\)/



=== TEST 14: token_param: audience, resources, others, in the order written
--- client
client_id    0oa-rsa;
private_key  $TEST_NGINX_KEYS/rsa1.pem;
key_id       rsa1;
token_param  resource https://api.example.test/orders;
token_param  x_tenant "a b&c=d";
token_param  resource urn:okta-mock:billing;
--- token_path
/a14/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-rsa .*^aud=https:\/\/api.example.test\/orders urn:okta-mock:billing\n/ms,
 qr/^calls=1\n.*^params=grant_type,resource,x_tenant,resource,client_assertion_type,client_assertion\nresource=https:\/\/api.example.test\/orders urn:okta-mock:billing\n/ms]
--- no_error_log
[error]



=== TEST 15: a wrong audience (Auth0's answer): refused with a hint
--- client
client_id           0oa-post;
auth_method         client_secret_post;
client_secret_file  $TEST_NGINX_KEYS/client.secret;
token_param         audience https://nobody.example.test/;
--- token_path
/a15/oauth2/v1/token
--- request
GET /api/1
--- error_code: 502
--- error_log eval
qr/oauth2 client "c": token request failed: HTTP 403, error "access_denied".*: check the token_param audience or resource/



=== TEST 16: an inline client_secret, with reserved characters
--- client
client_id      0oa-post;
auth_method    client_secret_post;
client_secret  's3cr:t %41+100%&=/?#"\'\\~;,x-Lq7vT2mX9pR4wK8nB5cJ1hF6dG3sA0eYzU0123456789';
--- token_path
/a16/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-post /,
 qr/^calls=1\n.*^auth=client_secret_post\n/ms]
--- no_error_log
[error]



=== TEST 17: Auth0's way: client_secret_post and an audience, the token's aud
--- client
auth_method         client_secret_post;
client_id           0oa-post;
client_secret_file  $TEST_NGINX_KEYS/client.secret;
token_param         audience https://api.example.test/orders;
--- token_path
/a17/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-post .*^aud=https:\/\/api.example.test\/orders\n/ms,
 qr/^calls=1\n.*^auth=client_secret_post\n.*^params=grant_type,audience,client_id,client_secret\n.*^audience=https:\/\/api.example.test\/orders\n/ms]
--- no_error_log
[error]



=== TEST 18: an extra request header: the token location's proxy_set_header
--- client
client_id           0oa-basic;
client_secret_file  $TEST_NGINX_KEYS/client.secret;
--- token_extra
proxy_set_header    X-Extra-Tenant acme;
--- token_path
/a18/oauth2/v1/token
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
[qr/^api: token ok client=0oa-basic /,
 qr/^calls=1\nheaders=accept,authorization,connection,content-length,content-type,host,x-extra-tenant\n.*^auth=client_secret_basic\n/ms]
--- no_error_log
[error]
