package NginxProcess;

# One nginx, master and workers, run by a test file itself rather than by
# Test::Nginx: for what a data-driven block cannot do, such as changing
# the configuration between two requests, or shutting it down.
#
#   my $ngx = NginxProcess->new(name => 'lifecycle');
#   $ngx->start($conf);              # the http { } block's contents
#   my ($status, $headers, $body) = $ngx->get('/path');
#   $ngx->reload($new_conf);         # HUP, returns once new workers run
#   my $ok = $ngx->quit;             # QUIT; 1 if nginx exited by itself
#   my $log = $ngx->error_log;
#
# The module comes from TEST_NGINX_LOAD_MODULES and the binary from
# TEST_NGINX_BINARY, as for Test::Nginx; $TEST_NGINX_FOO in the
# configuration is replaced by $ENV{TEST_NGINX_FOO}.  Files live in
# t/servroot-<name>/; the error log is kept when a test failed.

use strict;
use warnings;

use Cwd qw(cwd);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(alarm sleep time);

use HelperProcess;

sub new {
    my ($class, %a) = @_;
    my $self = bless {
        dir     => cwd() . "/t/servroot-$a{name}",
        workers => $a{workers} // 2,
        port    => $a{port},
    }, $class;
    remove_tree($self->{dir});
    make_path("$self->{dir}/conf", "$self->{dir}/logs");
    return $self;
}

sub port { $_[0]{port} }

# 1 if the nginx binary logs at debug level (--with-debug)
sub has_debug {
    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my $v = qx{$bin -V 2>&1} // '';
    return $v =~ /--with-debug\b/ ? 1 : 0;
}

sub expand {
    my ($text) = @_;
    $text =~ s{\$(TEST_NGINX_[A-Za-z0-9_]+)}{
        defined $ENV{$1} ? $ENV{$1} : die "NginxProcess: no environment $1\n"
    }ge;
    return $text;
}

sub write_conf {
    my ($self, $http) = @_;
    my $modules = join '', map { "load_module $_;\n" }
                  split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');
    open my $fh, '>', "$self->{dir}/conf/nginx.conf"
        or die "NginxProcess: cannot write the configuration: $!\n";
    print $fh $modules, <<"CONF", expand($http), "}\n";
daemon off;
master_process on;
worker_processes $self->{workers};
pid logs/nginx.pid;
error_log logs/error.log debug;

events {
    worker_connections 1024;
}

http {
    access_log logs/access.log;

CONF
    close $fh;
}

sub start {
    my ($self, $http) = @_;
    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    $self->write_conf($http);
    unlink "$self->{dir}/logs/nginx.pid";
    $self->{pid} = HelperProcess::spawn("$self->{dir}/logs/stderr.log", $bin,
        '-p', "$self->{dir}/", '-c', 'conf/nginx.conf',
        '-e', 'logs/error.log');
    my $deadline = time + 10;
    while (time < $deadline) {
        die "NginxProcess: nginx exited at start, see $self->{dir}/logs\n"
            if waitpid($self->{pid}, WNOHANG) == $self->{pid};
        last if -s "$self->{dir}/logs/nginx.pid" && $self->workers >= $self->{workers};
        sleep 0.05;
    }
    $self->wait_listening;
    return $self->{pid};
}

sub wait_listening {
    my ($self) = @_;
    my $deadline = time + 10;
    while (time < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $self->{port}, Timeout => 1);
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    die "NginxProcess: nothing listens on $self->{port}\n";
}

# the pids of the master's children that are workers now
sub workers {
    my ($self) = @_;
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        my ($pid, $pp) = $line =~ /^(\d+) \(.*\) \S+ (\d+)/s or next;
        next if $pp != ($self->{pid} // -1);
        open my $cl, '<', "/proc/$pid/cmdline" or next;
        my $cmd = do { local $/; <$cl> } // '';
        push @w, $pid if $cmd =~ /^nginx: worker process\0*$/;
    }
    return wantarray ? @w : scalar @w;
}

# HUP, with a new configuration if given: returns once the new workers
# run and, with gone => 1, the old ones have exited
sub reload {
    my ($self, $http, %o) = @_;
    my %old = map { $_ => 1 } $self->workers;
    $self->write_conf($http) if defined $http;
    kill 'HUP', $self->{pid} or die "NginxProcess: HUP: $!\n";
    my $deadline = time + 10;
    while (time < $deadline) {
        my @now = $self->workers;
        my @new = grep { !$old{$_} } @now;
        return scalar @new
            if @new >= $self->{workers} && (!$o{gone} || @new == @now);
        sleep 0.05;
    }
    die "NginxProcess: no new workers after a reload\n";
}

# QUIT; 1 if the master exited by itself (within 30 s, after which it is
# killed), else 0
sub quit {
    my ($self) = @_;
    my $exited = 0;
    kill 'QUIT', $self->{pid};
    my $deadline = time + 30;
    while (time < $deadline) {
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            $exited = 1;
            last;
        }
        sleep 0.02;
    }
    HelperProcess::stop($self->{pid}) if !$exited;
    delete $self->{pid};
    return $exited;
}

# GET path, with optional headers; ($status, \%headers, $body), or
# (undef) when the answer did not come within timeout seconds (5)
sub get {
    my ($self, $path, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port}, Timeout => 5)
        or return;
    print $s "GET $path HTTP/1.0\r\nHost: localhost\r\n\r\n";
    my $raw = '';
    my $ok = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($o{timeout} // 5);
        1 while sysread($s, $raw, 65536, length $raw);
        alarm 0;
        1;
    };
    close $s;
    return if !$ok;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.\d (\d{3})} or return;
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } split /\r\n/, $head;
    return ($status, \%h, $body // '');
}

sub error_log {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/error.log" or return '';
    local $/;
    return <$fh> // '';
}

sub DESTROY {
    my ($self) = @_;
    HelperProcess::stop($self->{pid}) if $self->{pid};
}

sub finish {
    my ($self, $status) = @_;
    HelperProcess::stop($self->{pid}) if $self->{pid};
    delete $self->{pid};
    HelperProcess::finish($self->{dir}, $status, 'NginxProcess: nginx files');
}

1;
