package NginxConf;

# Runs "nginx -t" on a configuration built from test blocks and returns
# its exit status and what it printed.
#
# Used by t/030-config.t.  It needs no Test::Nginx: nginx prints
# configuration errors on stderr whatever its compiled-in error log is
# (Debian's is stderr itself, where a Test::Nginx-driven must_die block
# could not see them), so the same file runs under either harness.
#
# $TEST_NGINX_FOO in the configuration is replaced by $ENV{TEST_NGINX_FOO},
# as Test::Nginx does; the module comes from TEST_NGINX_LOAD_MODULES and
# the binary from TEST_NGINX_BINARY.

use strict;
use warnings;

use Cwd qw(cwd);
use File::Path qw(make_path remove_tree);

my $dir = cwd() . "/t/servroot-conf/$$";

sub expand {
    my ($text) = @_;
    $text //= '';
    $text =~ s{\$(TEST_NGINX_[A-Za-z0-9_]+)}{
        defined $ENV{$1} ? $ENV{$1} : die "NginxConf: no environment $1\n"
    }ge;
    return $text;
}

sub nginx_t {
    my (%args) = @_;

    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my $modules = join '', map { "load_module $_;\n" }
                  split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');

    make_path("$dir/conf", "$dir/logs");

    open my $fh, '>', "$dir/conf/nginx.conf"
        or die "NginxConf: cannot write $dir/conf/nginx.conf: $!\n";
    print $fh $modules, <<"CONF";
pid logs/nginx.pid;
error_log logs/error.log;

events {
    worker_connections 64;
}

http {
    access_log off;

@{[ expand($args{http_config}) ]}
    server {
        listen 127.0.0.1:1;
        server_name localhost;

@{[ expand($args{config}) ]}
    }
}
CONF
    close $fh;

    my $out = qx{$bin -t -p $dir/ -c conf/nginx.conf 2>&1};
    return ($? >> 8, $out);
}

END {
    remove_tree($dir) if defined $dir && -d $dir;
    rmdir cwd() . '/t/servroot-conf';
}

1;
