package OAuth2Mock;

# Start t/mock/okta-mock.pl for a test file.
#
#   use lib 't/lib';
#   use OAuth2Mock;
#   OAuth2Mock::start();          # before run_tests()
#
# start() generates the test keys if needed (t/keys/gen.sh), picks a free
# loopback port, starts the mock in the background and waits until it
# accepts connections. It sets
#   $ENV{TEST_NGINX_MOCK_PORT}   the port
#   $ENV{TEST_NGINX_KEYS}        absolute path of the key directory
#   $ENV{TEST_NGINX_MOCK_STATE}  the mock's state directory
# and returns the port. With IO::Socket::SSL (libio-socket-ssl-perl, which
# make deps installs) the mock also serves HTTPS on a second port, asking
# for a client certificate (tls_client_auth), and start() sets
#   $ENV{TEST_NGINX_MOCK_TLS_PORT}  that port
# The mock is stopped (TERM, then KILL) when the
# process that started it exits, even if the test dies.
#
# Files of a run live in t/servroot-mock/<pid>/ (mock.log, state/, pidfile);
# the directory is removed at the end unless a test failed or
# TEST_NGINX_NO_CLEAN is set. OAUTH2_MOCK_VERBOSE=1 sends the mock's log to
# stderr instead of mock.log.
#
# Small helpers for Perl-level checks: get($path) returns the body of a GET
# to the mock (undef on failure); stats($token_path) parses /_stats into a
# hash; reset_state() clears the mock's counters and jti store.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

use HelperProcess;

# Project root: this file is <root>/t/lib/OAuth2Mock.pm
my $ROOT = abs_path(dirname(abs_path(__FILE__)) . '/../..');

my ($mock_pid, $starter_pid, $port, $tls_port, $run_dir);

sub root { $ROOT }

sub keys_dir { "$ROOT/t/keys" }

sub port { $port }

sub tls_port { $tls_port }

sub start {
    return $port if $mock_pid;    # already running

    my $keys = keys_dir();
    if (!-f "$keys/.stamp") {
        system('sh', "$keys/gen.sh", $keys) == 0
            or die "OAuth2Mock: $keys/gen.sh failed (status $?)\n";
    }

    $run_dir = "$ROOT/t/servroot-mock/$$";
    remove_tree($run_dir);
    make_path("$run_dir/state");
    my $mock = "$ROOT/t/mock/okta-mock.pl";

    # Picking a port by binding to port 0 can race with another process
    # taking it before the mock binds; try a few ports.
    my $tls = eval { require IO::Socket::SSL; 1 };
    for my $attempt (1 .. 5) {
        $port = free_port();
        $tls_port = $tls ? free_port() : undef;
        $tls_port = free_port() while $tls && $tls_port == $port;
        $starter_pid = $$;
        $mock_pid = HelperProcess::spawn(
            $ENV{OAUTH2_MOCK_VERBOSE} ? undef : "$run_dir/mock.log",
            $^X, $mock, '--port', $port, '--keys', $keys,
            '--state', "$run_dir/state",
            $tls ? ('--tls-port', $tls_port) : (),
            '--pidfile', "$run_dir/mock.pid", '--watch-pid', $$);
        if (wait_listening($port, 10) && (!$tls || wait_listening($tls_port, 5))) {
            $ENV{TEST_NGINX_MOCK_PORT}  = $port;
            $ENV{TEST_NGINX_KEYS}       = $keys;
            $ENV{TEST_NGINX_MOCK_STATE} = "$run_dir/state";
            $ENV{TEST_NGINX_MOCK_TLS_PORT} = $tls_port if $tls;
            return $port;
        }
        stop();
    }
    die "OAuth2Mock: the mock did not start; see $run_dir/mock.log\n";
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "OAuth2Mock: cannot bind a loopback port: $@\n";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub wait_listening {
    my ($p, $timeout) = @_;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        return 0 if waitpid($mock_pid, WNOHANG) == $mock_pid;    # it died
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p,
                                      Proto => 'tcp', Timeout => 1);
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    return 0;
}

sub stop {
    return if !$mock_pid || $$ != $starter_pid;
    HelperProcess::stop($mock_pid);
    $mock_pid = undef;
}

# A GET to the mock; returns the body, or undef if the status is not 200.
sub get {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 15)
        or return undef;
    print $s "GET $path HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n\r\n";
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($status, $body) = $resp =~ m{^HTTP/1\.\d (\d+)[^\n]*\n.*?\r?\n\r?\n(.*)\z}s
        or return undef;
    return $status == 200 ? $body : undef;
}

sub stats {
    my ($token_path) = @_;
    my $body = get("/_stats$token_path") // return undef;
    return { map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } split /\n/, $body };
}

sub reset_state { defined get('/_reset') }

END {
    my $status = $?;    # keep the test's exit status
    if ($run_dir && $starter_pid && $$ == $starter_pid) {
        stop();
        HelperProcess::finish($run_dir, $status, 'OAuth2Mock: mock files');
    }
    $? = $status;
}

1;
