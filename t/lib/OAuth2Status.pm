package OAuth2Status;

# Helpers of t/140-status.t, as response_body_filters (code references:
# they work under the upstream Test::Nginx::Socket too).
#
#   flat($body)      the status JSON, parsed, as sorted "path=value" lines
#                    (clients.okta.token_requests.ok=1), null, true and
#                    false as such, arrays by index; or "INVALID JSON: why"
#   promtool($body)  "promtool: ok\n" if promtool check metrics takes the
#                    Prometheus text, else what it said
#   headers($body)   the mock's /_headers of a request that carried the
#                    token in X-Token and the variables in X-Fp, X-Client,
#                    X-Status, X-Expires-In: "fingerprint=ok" if X-Fp is
#                    the SHA-256 fingerprint (8 hex digits) of X-Token,
#                    which it remembers, then "client=", "status=",
#                    "expires_in=" lines
#   fingerprint()    that fingerprint
#   lock_check()     reads the error log (debug): for every status read,
#                    no line of its process between "locking the zone" and
#                    "zone unlocked" but nginx's own "shmtx lock" and
#                    "shmtx unlock" (no allocation, no formatting, nothing
#                    else), and its output formatted after; "lock: ok\n"
#                    or what went wrong
#
# promtool is the one scripts/promtool.sh brings into build/ (or
# TEST_NGINX_PROMTOOL).

use strict;
use warnings;

use Cwd qw(cwd);
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempfile);
use JSON::PP;

my $fingerprint = '';

sub flat {
    my ($body) = @_;
    my $data = eval { JSON::PP->new->decode($body) };
    return "INVALID JSON: $@" if !defined $data;

    my @lines;
    walk(\@lines, '', $data);
    return join('', map { "$_\n" } sort @lines);
}

sub walk {
    my ($lines, $path, $v) = @_;

    if (ref $v eq 'HASH') {
        walk($lines, $path eq '' ? $_ : "$path.$_", $v->{$_}) for keys %$v;
    } elsif (ref $v eq 'ARRAY') {
        walk($lines, "$path.$_", $v->[$_]) for 0 .. $#$v;
    } elsif (!defined $v) {
        push @$lines, "$path=null";
    } elsif (JSON::PP::is_bool($v)) {
        push @$lines, "$path=" . ($v ? 'true' : 'false');
    } else {
        push @$lines, "$path=$v";
    }
}

sub promtool_path {
    return $ENV{TEST_NGINX_PROMTOOL} if $ENV{TEST_NGINX_PROMTOOL};
    my $p = `sh scripts/promtool.sh`;
    chomp $p;
    die "OAuth2Status: no promtool (scripts/promtool.sh)\n" if $? || $p eq '';
    return $ENV{TEST_NGINX_PROMTOOL} = $p;
}

sub promtool {
    my ($body) = @_;
    my ($fh, $file) = tempfile(UNLINK => 1);
    print $fh $body;
    close $fh;

    my $bin = promtool_path();
    my $out = `'$bin' check metrics < '$file' 2>&1`;
    return "promtool: ok\n" if $? == 0 && $out eq '';
    return "promtool: status $?: $out";
}

sub fingerprint { $fingerprint }

# the mock's /_headers of a request that carried the token in X-Token and
# the variables in X-Fp, X-Client, X-Status, X-Expires-In: whether X-Fp
# is the fingerprint of X-Token (remembered), and the others
sub headers {
    my ($body) = @_;
    my %h = map { /^([^:]+): (.*)$/ ? (lc $1 => $2) : () } split /\n/, $body;
    my $token = $h{'x-token'} // '';
    my $fp = substr(sha256_hex($token), 0, 8);
    $fingerprint = $fp if $token ne '';
    return 'fingerprint=' . ($token ne '' && ($h{'x-fp'} // '') eq $fp
                             ? 'ok' : 'bad') . "\n"
           . 'client=' . ($h{'x-client'} // '') . "\n"
           . 'status=' . ($h{'x-status'} // '') . "\n"
           . 'expires_in=' . ($h{'x-expires-in'} // '') . "\n";
}

sub lock_check {
    my $log = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
              . '/logs/error.log';
    open my $fh, '<', $log or return "lock: cannot read $log: $!\n";

    my (%locked, %copied, $reads);

    while (my $line = <$fh>) {
        my ($pid) = $line =~ /\[debug\] (\d+)#/ or next;

        if ($line =~ /oauth2 status: locking the zone to copy \d+ clients/) {
            $locked{$pid} = 1;
            next;
        }

        if ($line =~ /oauth2 status: zone unlocked, \d+ clients copied/) {
            return "lock: unlocked without a lock in $pid\n" if !$locked{$pid};
            delete $locked{$pid};
            $copied{$pid} = 1;
            next;
        }

        if ($line =~ /oauth2 status: \d+ bytes of \w+ formatted/) {
            return "lock: formatted before the copy in $pid\n"
                if !delete $copied{$pid};
            $reads++;
            next;
        }

        next if $line =~ /\bshmtx (?:lock|unlock|wait \d+|awoke|wake \d+)$/;

        return "lock: under the lock in $pid: $line" if $locked{$pid};
    }

    return "lock: no status read logged\n" if !$reads;
    return "lock: ok\n";
}

1;
