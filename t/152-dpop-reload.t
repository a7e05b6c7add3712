# A reload and the DPoP key from a file (t/lib/NginxProcess.pm, so that
# the file can change between two requests): a reload that finds the
# same key keeps the token; one that finds another key fetches a new
# token, bound to the new key (its thumbprint, computed by CryptX, is the
# one the mock binds the token to); the token endpoint's nonce of the
# zone serves the new token request.

use strict;
use warnings;

use lib 't/lib';
use File::Copy qw(copy);
use File::Temp ();
use Test::More;

use NginxProcess;
use OAuth2Mock;

OAuth2Mock::start();

my $port = OAuth2Mock::free_port();
my $mock = $ENV{TEST_NGINX_MOCK_PORT};
my $keys = $ENV{TEST_NGINX_KEYS};
my $tmp = File::Temp->newdir();
my $key = "$tmp/dpop.pem";
my $path = '/s/dpop-nonce/r01/oauth2/v1/token';

sub slurp { my $f = shift; open my $fh, '<', $f or die "$f: $!"; local $/; my $s = <$fh>; $s =~ s/\s+\z//; $s }
sub use_key { copy("$keys/$_[0].pem", $key) or die "copy: $!"; chmod 0600, $key }

use_key('ec384');

my $ngx = NginxProcess->new(name => 'dpop-reload', port => $port, workers => 2);

my $conf = <<"HTTP";
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$mock$path;
        client_id       0oa-ec-dpop;
        private_key     $keys/ec1.pem;
        key_id          ec1;
        dpop            on;
        dpop_key        $key;
    }

    server {
        listen 127.0.0.1:$port;

        location = /_oauth2/okta {
            internal;
            proxy_pass http://127.0.0.1:$mock$path;
        }

        location /api/ {
            oauth2_token okta;
            proxy_pass http://127.0.0.1:$mock;
        }
    }
HTTP

sub api {
    my ($name) = @_;
    my ($status, undef, $body) = $ngx->get("/api/$name");
    is($status, 200, "$name: 200") or diag($body);
    like($body // '', qr/^api: token ok client=0oa-ec-dpop .*\ndpop=ok alg=(\S+) jkt=(\S+) /s,
         "$name: a DPoP token, the proof taken");
    return ($body // '') =~ /\ndpop=ok alg=\S+ jkt=(\S+) / ? $1 : '';
}

sub detail { OAuth2Mock::stats("$path?detail=1") // {} }

$ngx->start($conf);

is(api('first'), slurp("$keys/ec384.jkt"), 'the token is bound to the key of the file');
is(detail()->{calls}, 2, 'one token request, with its nonce round trip');

$ngx->reload($conf, gone => 1);
api('same-key');
is(detail()->{calls}, 2, 'a reload that keeps the key keeps the token');

use_key('ec521');
$ngx->reload($conf, gone => 1);
is(api('new-key'), slurp("$keys/ec521.jkt"), 'another key: the token is bound to it');

my $d = detail();
is($d->{calls}, 3, 'a new token request, and no second nonce round trip');
is($d->{errors}, 'use_dpop_nonce:1', 'the nonce of the zone served it');
is($d->{dpop}, slurp("$keys/ec521.jkt"), 'its proof is signed with the new key');

unlike($ngx->error_log, qr/\[(?:error|crit|alert|emerg)\]/, 'no errors');

$ngx->finish($?);

done_testing();
