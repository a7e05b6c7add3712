package OAuth2Blocks;

# The configuration the blocks of t/060-single-flight.t and
# t/070-worker-kill.t share, filled in by a block preprocessor:
#
#   add_block_preprocessor { OAuth2Blocks::fill(@_) };
#
# A block names its token endpoint path in --- token_path and may add
# --- client_extra (inside oauth2_client; "prefetch off" unless it says
# otherwise), --- token_extra (inside the
# token location), --- api_extra (inside /api/), --- extra_config
# (more locations) and --- http_extra (more of http{}: limit_req_zone,
# ...).  A block with its own http_config or config keeps it.
#
# What the configuration gives:
#   /api/...            oauth2_token okta, proxied to a backend server of
#                       the same nginx that echoes "backend <bearer|none>
#                       <X-Token-Status>"
#   /sleep/MS           the mock sleeps MS ms
#   /fail/SCENARIO[/N]  the next N (or all) token requests fail that way
#   /fire/PATH          the mock sends GET PATH to nginx in the background
#   /stats, /inflight, /status, /errors
#                       the mock's counters of the token path (with the
#                       token requests in flight, ?inflight=1); the access
#                       log of the block ("$uri $status
#                       $oauth2_token_status $sent_http_retry_after");
#                       the error log
#
# Needs TEST_NGINX_MOCK_PORT, TEST_NGINX_KEYS (OAuth2Mock::start()),
# TEST_NGINX_BACKEND_PORT and TEST_NGINX_LOGDIR.

use strict;
use warnings;

sub section {
    my ($block, $name) = @_;
    return '' unless $block->can($name);
    my $v = $block->$name;
    return defined $v ? $v : '';
}

sub indent {
    my ($text, $prefix) = @_;
    chomp $text;
    return '' if $text eq '';
    return join '', map { "$prefix$_\n" } split /\n/, $text;
}

sub fill {
    my ($block) = @_;

    my $path = section($block, 'token_path');
    chomp $path;
    return if $path eq '';

    my $client_extra = indent(section($block, 'client_extra'), '        ');

    # the blocks start cold, as they count token requests: those that
    # test the prefetch at worker start say "prefetch on;"
    $client_extra = "        prefetch        off;\n$client_extra"
        if section($block, 'client_extra') !~ /\bprefetch\b/;
    my $token_extra  = indent(section($block, 'token_extra'), '        ');
    my $api_extra    = indent(section($block, 'api_extra'), '        ');
    my $extra        = section($block, 'extra_config');
    my $http_extra   = section($block, 'http_extra');

    $block->set_value('http_config', <<"HTTP") unless defined $block->http_config;
    map \$http_authorization \$has_bearer {
        "~^Bearer ."  bearer;
        default       none;
    }

    log_format oauth2 '\$uri \$status \$oauth2_token_status \$sent_http_retry_after';

    # for an access_log ... if=\$oauth2_not_hit of a block that sends many
    map \$oauth2_token_status \$oauth2_not_hit {
        HIT      0;
        default  1;
    }

    server {
        listen 127.0.0.1:\$TEST_NGINX_BACKEND_PORT;
        access_log off;

        location / {
            return 200 "backend \$has_bearer \$http_x_token_status\\n";
        }
    }

    oauth2_client okta {
        token_endpoint  http://127.0.0.1:\$TEST_NGINX_MOCK_PORT$path;
        client_id       0oa-rsa;
        private_key     \$TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
$client_extra    }
$http_extra
HTTP

    $block->set_value('config', <<"CONFIG") unless defined $block->config;
    access_log \$TEST_NGINX_LOGDIR/status.log oauth2;

    location = /_oauth2/okta {
        internal;
$token_extra        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT$path;
    }

    location /api/ {
        oauth2_token okta;
$api_extra        proxy_set_header X-Token-Status \$oauth2_token_status;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_BACKEND_PORT;
    }

    location ~ ^/sleep/(\\d+)\$ {
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT/_sleep?ms=\$1;
    }

    location ~ ^/fail/([a-z0-9-]+)/(\\d+)\$ {
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT/_fail?path=$path&scenario=\$1&count=\$2;
    }

    location ~ ^/fail/([a-z0-9-]+)\$ {
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT/_fail?path=$path&scenario=\$1;
    }

    location ~ ^/fire(/.*)\$ {
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT/_fire?port=\$TEST_NGINX_SERVER_PORT&path=\$1;
    }

    location = /stats {
        access_log off;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT/_stats$path;
    }

    location = /inflight {
        access_log off;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT/_stats$path?inflight=1;
    }

    location = /status {
        access_log off;
        default_type text/plain;
        alias \$TEST_NGINX_LOGDIR/status.log;
    }

    location = /errors {
        access_log off;
        default_type text/plain;
        alias \$TEST_NGINX_LOGDIR/error.log;
    }
$extra
CONFIG
}

1;
