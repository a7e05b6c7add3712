#!/usr/bin/env perl
# The Debian package, installed on this machine ("make test-deb", which
# builds it first with "make deb"; .ci/run runs it).
#
#   prove -v t/deb/install.t        (as root; the package in build/deb/)
#
# Installs build/deb/libnginx-mod-http-oauth2-client_<version>_<arch>.deb
# with apt-get, checks Debian's module layout, runs the installed nginx
# (/usr/sbin/nginx) with a configuration of its own, which loads the
# module only through "include /etc/nginx/modules-enabled/*.conf;", and
# sends a request through it that gets a token from the mock
# (t/mock/okta-mock.pl); then removes the package and checks that nginx
# still works, purges it and checks that none of its files are left.
#
# System-wide, so it needs root and is not part of "make test": it
# refuses to run when the package is already installed (it would remove
# it). The nginx it starts has its own files in a temporary directory
# (pid, logs, temporary paths) and listens on 127.0.0.1 only, on
# $TEST_NGINX_PORT or a free port; the system's nginx service is not
# touched, except that installing and removing the package trigger
# Debian's "nginx-reload", which reloads it if it runs. On any failure,
# the END block stops that nginx and purges the package.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use Test::More;

use lib dirname(abs_path(__FILE__)) . '/../lib';
use OAuth2Mock;

my $ROOT  = OAuth2Mock::root();
my $PKG   = 'libnginx-mod-http-oauth2-client';
my $NGINX = '/usr/sbin/nginx';
my $SO    = '/usr/lib/nginx/modules/ngx_http_oauth2_client_module.so';
my $AVAIL = '/usr/share/nginx/modules-available/mod-http-oauth2-client.conf';
my $LINK  = '/etc/nginx/modules-enabled/50-mod-http-oauth2-client.conf';
my $DOC   = "/usr/share/doc/$PKG";
my @APT   = ('apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300');

$ENV{DEBIAN_FRONTEND} = 'noninteractive';

my ($dir, $nginx_pid, $installed);

sub run_cmd {
    my (@cmd) = @_;
    my $out = `@{[ join ' ', map { quotemeta } @cmd ]} 2>&1`;
    return ($? == 0, $out);
}

sub pkg_status {
    my $s = `dpkg-query -W -f='\${db:Status-Abbrev}' $PKG 2>/dev/null`;
    return $s =~ s/\s+$//r;
}

sub listening {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    close $s if $s;
    return !!$s;
}

# GET through nginx: (status, body)
sub get {
    my ($port, $path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 15)
        or return (0, "connect: $@");
    print $s "GET $path HTTP/1.0\r\nHost: localhost\r\n\r\n";
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($status, $body)
        = $resp =~ m{^HTTP/1\.\d (\d+)[^\n]*\n.*?\r?\n\r?\n(.*)\z}s
        or return (0, $resp);
    return ($status, $body);
}

sub write_conf {
    my ($name, $http) = @_;
    my $conf = "$dir/$name.conf";
    open my $fh, '>', $conf or die "$conf: $!\n";
    print $fh <<"END";
# written by t/deb/install.t: the module comes from the package, through
# Debian's modules-enabled directory only
include /etc/nginx/modules-enabled/*.conf;

user www-data;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;

events {
    worker_connections 64;
}

http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

$http
}
END
    close $fh;
    return $conf;
}

sub nginx_t {
    my ($conf) = @_;
    return run_cmd($NGINX, '-t', '-q', '-e', "$dir/error.log", '-c', $conf);
}

sub nginx_start {
    my ($conf, $port) = @_;
    my ($ok, $out) = run_cmd($NGINX, '-e', "$dir/error.log", '-c', $conf);
    return (0, $out) if !$ok;
    my $deadline = time + 10;
    sleep 0.05 until listening($port) || time > $deadline;
    open my $fh, '<', "$dir/nginx.pid" or return (0, "no pid file: $!");
    ($nginx_pid) = <$fh> =~ /(\d+)/;
    return (listening($port), $out);
}

sub nginx_stop {
    return 1 if !$nginx_pid;
    kill 'QUIT', $nginx_pid;
    my $deadline = time + 10;
    sleep 0.05 while kill(0, $nginx_pid) && time < $deadline;
    kill 'KILL', $nginx_pid if kill 0, $nginx_pid;
    my $gone = !kill 0, $nginx_pid;
    $nginx_pid = undef;
    return $gone;
}

sub error_log {
    open my $fh, '<', "$dir/error.log" or return '';
    local $/;
    return <$fh>;
}


# preconditions: root, the package built, not installed
$> == 0 or BAIL_OUT("t/deb/install.t installs a package: run it as root");
my $version = `sh $ROOT/scripts/version.sh`;
chomp $version;
my $arch = `dpkg-architecture -qDEB_HOST_ARCH`;
chomp $arch;
my $deb = "$ROOT/build/deb/${PKG}_${version}_$arch.deb";
-f $deb or BAIL_OUT("$deb not found: run make deb (or make test-deb)");
pkg_status() !~ /^.i/
    or BAIL_OUT("$PKG is installed: remove it first (the test would)");

my @files = map { m{^\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\.(/\S*[^/])$} ? $1 : () }
            split /\n/, `dpkg-deb -c $deb`;
my @before = grep { -e || -l } (@files, $LINK, "$LINK.removed",
                                dirname($SO), dirname($AVAIL));
is("@before", '', 'none of the files of the package are here yet');

$dir = tempdir('oauth2-deb-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;
mkdir "$dir/tmp";
my $system_ok = -f '/etc/nginx/nginx.conf'
                && (nginx_t('/etc/nginx/nginx.conf'))[0];
my $port = $ENV{TEST_NGINX_PORT} || OAuth2Mock::free_port();
ok(!listening($port), "port $port is free");
OAuth2Mock::start();
my $mport = $ENV{TEST_NGINX_MOCK_PORT};
my $keys  = $ENV{TEST_NGINX_KEYS};


# install
my ($ok, $out) = run_cmd(@APT, 'install', $deb);
$installed = 1;
ok($ok, "apt-get install $deb") or diag($out);
like(pkg_status(), qr/^ii/, 'the package is installed');

ok(-f $SO, "$SO");
open my $fh, '<', $AVAIL;
is(($fh ? <$fh> : undef),
   "load_module modules/ngx_http_oauth2_client_module.so;\n",
   "$AVAIL loads the module");
is(readlink($LINK), $AVAIL, "$LINK links to it");
ok(-f "$DOC/copyright" && -f "$DOC/README.md.gz" && -f "$DOC/CHANGES.gz"
   && -f "$DOC/docs/directives.md.gz", "copyright and docs in $DOC");
like(`dpkg-query -W -f='\${Version}' $PKG`, qr/^\Q$version\E$/,
     "version $version, that of CHANGES");

my $depends = `dpkg-query -W -f='\${Depends}' $PKG`;
my ($abi) = $depends =~ /(nginx-abi-[^\s,]+)/;
my @provided = map { /^ii\s+(.*)/ ? split(/[\s,]+/, $1) : () }
               `dpkg-query -W -f='\${db:Status-Abbrev} \${Provides}\n'`;
ok($abi && grep({ $_ eq $abi } @provided),
   "it depends on $abi, which the installed nginx provides");
like($depends, qr/\blibjansson4 \(>= [^)]+\)/, 'and on libjansson4');
like($depends, qr/\blibssl3 \(>= [^)]+\)/, 'and on libssl3');


# the module through modules-enabled only, with a token from the mock
# fetched for the first request (no prefetch at worker start)
my $http = <<"END";
    oauth2_client deb {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$mport/oauth2/v1/token;
        client_id       0oa-deb;
        private_key     $keys/rsa1.pem;
        key_id          rsa1;
        scope           okta.users.read;
    }

    server {
        listen 127.0.0.1:$port;

        location = /_oauth2/deb {
            internal;
            subrequest_output_buffer_size 16k;
            proxy_pass http://127.0.0.1:$mport/oauth2/v1/token;
        }

        location /api/ {
            oauth2_token deb;
            proxy_set_header X-Token-Status \$oauth2_token_status;
            proxy_pass http://127.0.0.1:$mport;
        }
    }
END
my $conf = write_conf('oauth2', $http);
($ok, $out) = nginx_t($conf);
ok($ok, 'nginx -t: modules-enabled and an oauth2_client block')
    or diag($out, error_log());

($ok, $out) = nginx_start($conf, $port);
ok($ok, "the installed nginx runs on 127.0.0.1:$port")
    or diag($out, error_log());

my ($status, $body) = get($port, '/api/hello');
is($status, 200, 'a request through it gets 200 from the API');
like($body, qr/^api: token ok client=0oa-deb scope=okta\.users\.read /m,
     'with a token from the mock');
like($body, qr/^x-token-status=MISS$/m, 'fetched for that request');
($status, $body) = get($port, '/api/hello');
like($body, qr/^x-token-status=HIT$/m, 'the next request uses the cached one');
is(OAuth2Mock::stats('/oauth2/v1/token')->{calls}, 1,
   'one token request reached the mock');
like(error_log(), qr/oauth2 client "deb": new token sha256:[0-9a-f]{8}/,
     'the new token is logged');
ok(nginx_stop(), 'nginx stopped');


# remove: the module is gone, nginx works without it
($ok, $out) = run_cmd(@APT, 'remove', $PKG);
ok($ok, "apt-get remove $PKG") or diag($out);
like(pkg_status(), qr/^rc/, 'removed, its configuration left');
ok(!-e $SO && !-e $AVAIL, 'the module and its load file are gone');
ok(!-l $LINK && -l "$LINK.removed",
   "$LINK is $LINK.removed, as Debian's modules do");

($ok, $out) = nginx_t($conf);
ok(!$ok && $out =~ /unknown directive "oauth2_client"/,
   'nginx -t: the module is not loaded any more') or diag($out);

$conf = write_conf('plain', <<"END");
    server {
        listen 127.0.0.1:$port;
        location / {
            return 200 "nginx without the module\\n";
        }
    }
END
($ok, $out) = nginx_t($conf);
ok($ok, 'nginx -t: modules-enabled without the module') or diag($out);
($ok, $out) = nginx_start($conf, $port);
ok($ok, 'nginx starts') or diag($out, error_log());
($status, $body) = get($port, '/');
is("$status $body", "200 nginx without the module\n", 'and answers');
ok(nginx_stop(), 'nginx stopped');

SKIP: {
    skip('/etc/nginx/nginx.conf did not pass nginx -t before the test', 1)
        if !$system_ok;
    ($ok, $out) = nginx_t('/etc/nginx/nginx.conf');
    ok($ok, 'nginx -t: the system configuration still passes') or diag($out);
}


# purge: nothing left
($ok, $out) = run_cmd(@APT, 'purge', $PKG);
ok($ok, "apt-get purge $PKG") or diag($out);
is(pkg_status(), '', 'the package is gone') and $installed = 0;
my @left = grep { -e || -l } (@files, $LINK, "$LINK.removed",
                              dirname($SO), dirname($AVAIL));
is("@left", '', 'none of its files are left');

done_testing();


END {
    my $status = $?;
    nginx_stop() if $nginx_pid;
    if ($installed) {
        diag("t/deb/install.t: purging $PKG");
        system(@APT, 'purge', $PKG);
    }
    $? = $status;
}
