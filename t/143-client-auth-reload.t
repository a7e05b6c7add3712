# The cache key covers everything of client authentication that shapes a
# token (issue 13): a reload that changes the secret, the method's
# certificate, x5t, a token_param or the token location's mTLS client
# certificate fetches a new token; one that changes
# none of them keeps it (HIT, no token request).  One nginx run by the
# test itself (t/lib/NginxProcess.pm), its configuration changed between
# requests; the mock counts the token requests of each path.

use strict;
use warnings;

use lib 't/lib';
use Test::More;

use NginxProcess;
use OAuth2Mock;

OAuth2Mock::start();

my $port = OAuth2Mock::free_port();
my $mock = $ENV{TEST_NGINX_MOCK_PORT};
my $keys = $ENV{TEST_NGINX_KEYS};
my $tls = $ENV{TEST_NGINX_MOCK_TLS_PORT}
    or plan skip_all => 'the mock has no TLS port (IO::Socket::SSL)';

my $ngx = NginxProcess->new(name => 'authreload', port => $port,
                            workers => 1);

my %path = (secret => '/r01/oauth2/v1/token',
            cert   => '/r02/oauth2/v1/token',
            mtls   => '/r03/oauth2/v1/token');

# the client directives of each client, changed by the options
sub conf {
    my (%o) = @_;
    my $secret = $o{secret} // 'client.secret';
    my $param = $o{param} // 'x_tenant a';
    my $cert = $o{cert} // '';
    my $mtls = $o{mtls} // 'client';

    return <<"HTTP";
    oauth2_client secret {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$mock$path{secret};
        client_id           0oa-basic;
        client_secret_file  $keys/$secret;
        token_param         $param;
    }

    oauth2_client cert {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$mock$path{cert};
        client_id           0oa-rsa;
        private_key         $keys/rsa1.pem;
        key_id              rsa1;
        $cert
    }

    oauth2_client mtls {
        prefetch            off;
        token_endpoint      https://127.0.0.1:$tls$path{mtls};
        client_id           0oa-mtls;
        auth_method         tls_client_auth;
    }

    server {
        listen 127.0.0.1:$port;

        location = /_oauth2/secret {
            internal;
            proxy_pass http://127.0.0.1:$mock$path{secret};
        }

        location = /_oauth2/cert {
            internal;
            proxy_pass http://127.0.0.1:$mock$path{cert};
        }

        location = /_oauth2/mtls {
            internal;
            proxy_pass https://127.0.0.1:$tls$path{mtls};
            proxy_ssl_certificate          $keys/$mtls.crt;
            proxy_ssl_certificate_key      $keys/$mtls.key;
            proxy_ssl_trusted_certificate  $keys/ca.crt;
            proxy_ssl_verify               on;
            proxy_ssl_name                 localhost;
        }

        location /mtls/ {
            oauth2_token mtls;
            add_header X-Token-Status \$oauth2_token_status always;
            proxy_pass http://127.0.0.1:$mock/api/;
        }

        location /secret/ {
            oauth2_token secret;
            add_header X-Token-Status \$oauth2_token_status always;
            proxy_pass http://127.0.0.1:$mock/api/;
        }

        location /cert/ {
            oauth2_token cert;
            add_header X-Token-Status \$oauth2_token_status always;
            proxy_pass http://127.0.0.1:$mock/api/;
        }
    }
HTTP
}

sub status_of {
    my ($p) = @_;
    my ($status, $h) = $ngx->get($p);
    return defined $status ? "$status " . ($h->{'x-token-status'} // '-')
                           : 'no answer';
}

sub calls {
    my ($name) = @_;
    return (OAuth2Mock::stats($path{$name}) // {})->{calls} // 0;
}

$ngx->start(conf());

is(status_of('/secret/1'), '200 MISS', 'a secret client: a token');
is(status_of('/secret/2'), '200 HIT', '... cached');
is(status_of('/cert/1'), '200 MISS', 'a key client: a token');
is(status_of('/mtls/1'), '200 MISS', 'an mTLS client: a token');

$ngx->reload(conf(), gone => 1);

is(status_of('/secret/3'), '200 HIT', 'a reload that changes nothing: kept');
is(status_of('/cert/2'), '200 HIT', '... for every client');
is(status_of('/mtls/2'), '200 HIT', '... the mTLS one too');
is(calls('secret'), 1, '... no token request');

$ngx->reload(conf(param => 'x_tenant b'), gone => 1);

is(status_of('/secret/4'), '200 MISS', 'another token_param value: a new token');
is(calls('secret'), 2, '... one token request');

$ngx->reload(conf(param => 'x_tenant b', secret => 'wrong.secret'),
             gone => 1);

is(status_of('/secret/5'), '502 ERROR',
   'another secret: a new token request (refused)');
is(calls('secret'), 3, '... made');

$ngx->reload(conf(cert => "certificate $keys/rsa1.crt;"), gone => 1);

is(status_of('/cert/3'), '200 MISS', 'a certificate added: a new token');

$ngx->reload(conf(cert => "certificate $keys/rsa1.crt x5t;"), gone => 1);

is(status_of('/cert/4'), '200 MISS', 'x5t added: a new token');

$ngx->reload(conf(cert => "certificate $keys/rsa1.crt x5t;"), gone => 1);

is(status_of('/cert/5'), '200 HIT', 'the same again: kept');
is(calls('cert'), 3, '... three token requests in all');

$ngx->reload(conf(mtls => 'client2'), gone => 1);

is(status_of('/mtls/3'), '502 ERROR',
   'another proxy_ssl_certificate: a new token request (refused)');
is(calls('mtls'), 2, '... made');

$ngx->finish($?);

done_testing();
