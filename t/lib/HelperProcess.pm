package HelperProcess;

# The helper processes a test file starts in the background (the mock
# authorization server of OAuth2Mock, the oidc-provider of
# OAuth2Interop): started with their output in a log file, stopped, and
# their files kept only when a test failed.
#
#   my $pid = HelperProcess::spawn("$dir/x.log", @command);
#   HelperProcess::stop($pid);
#   HelperProcess::finish($dir, $?, 'OAuth2Mock: mock files');  # in END

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

# Forks and runs @cmd with stdin from /dev/null and stdout and stderr
# appended to $log (left alone when $log is undef); returns its pid.
sub spawn {
    my ($log, @cmd) = @_;
    my $pid = fork;
    die "HelperProcess: fork: $!\n" if !defined $pid;
    return $pid if $pid;

    open STDIN, '<', '/dev/null';
    if (defined $log) {
        open STDOUT, '>>', $log or die "$log: $!\n";
        open STDERR, '>&', \*STDOUT;
    }
    { exec @cmd }    # braces: the failure path below is intended
    # never run the test's own code (or END blocks) in this child
    print STDERR "HelperProcess: exec $cmd[0]: $!\n";
    POSIX::_exit(127);
}

# TERM, then KILL if it is still there after 5 seconds; reaped either way.
sub stop {
    my ($pid) = @_;
    return if !$pid || !kill 'TERM', $pid;
    my $deadline = time + 5;
    sleep 0.05 while waitpid($pid, WNOHANG) == 0 && time < $deadline;
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
}

# At the end of a test file whose exit status is $status: removes $dir,
# and its parent if no other run uses it, unless a test failed or
# TEST_NGINX_NO_CLEAN is set; says where the files are when one failed.
sub finish {
    my ($dir, $status, $what) = @_;
    my $failed = $status != 0;
    if (!$failed && $INC{'Test/Builder.pm'}) {
        $failed = !Test::Builder->new->is_passing;
    }
    if ($failed) {
        print STDERR "# $what kept in $dir\n";
    } elsif (!$ENV{TEST_NGINX_NO_CLEAN}) {
        remove_tree($dir);
        rmdir dirname($dir);
    }
}

1;
