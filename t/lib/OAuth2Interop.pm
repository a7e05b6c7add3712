package OAuth2Interop;

# Start t/interop/server.mjs (panva's oidc-provider) for a test file.
#
#   use lib 't/lib';
#   use Test::Nginx::Socket;
#   use OAuth2Interop;
#
#   if (my $why = OAuth2Interop::missing()) {
#       plan skip_all => $why;
#   }
#   OAuth2Interop::start();       # before run_tests()
#
# missing() says why the server cannot run here (no node, a node older
# than 18, or t/interop/node_modules not installed: "make interop-deps"),
# or returns undef. OAUTH2_INTEROP_NODE names the node binary (default:
# node from PATH).
#
# start() generates the test keys if needed (t/keys/gen.sh), starts the
# server, waits until it has written the ports it listens on, and sets
#   $ENV{TEST_NGINX_OP_PORT}         provider "op", plain HTTP
#   $ENV{TEST_NGINX_OP_TLS_PORT}     provider "op", HTTPS
#   $ENV{TEST_NGINX_OP_CUSTOM_PORT}  provider "custom" (Okta's paths)
#   $ENV{TEST_NGINX_OP_MTLS_PORT}    provider "op", HTTPS asking for a
#                                    client certificate (tls_client_auth)
#   $ENV{TEST_NGINX_KEYS}            absolute path of the key directory
# The server stops (TERM, then KILL) when the process that started it
# exits, even if the test dies, and stops by itself when that process
# is gone.
#
# Its files are in t/servroot-interop/<pid>/ (provider.log, ports),
# removed at the end unless a test failed or TEST_NGINX_NO_CLEAN is set.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

use HelperProcess;

my $ROOT = abs_path(dirname(abs_path(__FILE__)) . '/../..');
my $DIR  = "$ROOT/t/interop";

my ($pid, $starter_pid, $run_dir);

sub node { $ENV{OAUTH2_INTEROP_NODE} || 'node' }

sub missing {
    my $node = node();
    my $version = `$node --version 2>/dev/null` // '';
    return "no $node: install Node.js 18 or later (make deps) to run the"
         . " interoperability tests"
        if $? != 0 || $version !~ /^v(\d+)\./;
    return "$node is $version; the interoperability tests need 18 or later"
        if $1 < 18;
    return "t/interop/node_modules is missing: run \"make interop-deps\""
         . " (npm ci in t/interop)"
        if !-f "$DIR/node_modules/oidc-provider/package.json";
    return undef;
}

sub start {
    return if $pid;

    my $keys = "$ROOT/t/keys";
    system('sh', "$keys/gen.sh", $keys) == 0
        or die "OAuth2Interop: $keys/gen.sh failed (status $?)\n";

    $run_dir = "$ROOT/t/servroot-interop/$$";
    remove_tree($run_dir);
    make_path($run_dir);
    my $ready = "$run_dir/ports";

    $starter_pid = $$;
    $pid = HelperProcess::spawn("$run_dir/provider.log", node(),
                                "$DIR/server.mjs", '--keys', $keys,
                                '--ready', $ready, '--watch-pid', $$);

    my $deadline = time + 20;
    until (-f $ready) {
        if (waitpid($pid, WNOHANG) == $pid || time > $deadline) {
            stop();
            die "OAuth2Interop: the server did not start;"
              . " see $run_dir/provider.log\n";
        }
        sleep 0.05;
    }

    open my $fh, '<', $ready or die "OAuth2Interop: $ready: $!\n";
    my %port = map { /^(\w+)=(\d+)$/ ? ($1, $2) : () } <$fh>;
    close $fh;

    $ENV{TEST_NGINX_OP_PORT}        = $port{http};
    $ENV{TEST_NGINX_OP_TLS_PORT}    = $port{tls};
    $ENV{TEST_NGINX_OP_CUSTOM_PORT} = $port{custom};
    $ENV{TEST_NGINX_OP_MTLS_PORT}   = $port{mtls};
    $ENV{TEST_NGINX_KEYS}           = $keys;
}

sub stop {
    return if !$pid || $$ != $starter_pid;
    HelperProcess::stop($pid);
    $pid = undef;
}

END {
    my $status = $?;
    if ($run_dir && $starter_pid && $$ == $starter_pid) {
        stop();
        HelperProcess::finish($run_dir, $status,
                              'OAuth2Interop: server files');
    }
    $? = $status;
}

1;
