#!/usr/bin/env perl
# Summarises the data of bench/*.sh (in build/bench/) into results.md and
# copies the raw files beside it.
#
# usage: report.pl DATA_DIR RESULTS_DIR

use strict;
use warnings;

use File::Copy qw(copy);
use File::Path qw(make_path);

my ($in, $out) = @ARGV;
die "usage: $0 DATA_DIR RESULTS_DIR\n" if !defined $out;
make_path($out);

sub read_tsv {
    my ($file) = @_;
    open my $fh, '<', $file or return;
    chomp(my $head = <$fh>);
    my @cols = split /\t/, $head;
    my @rows;
    while (<$fh>) {
        chomp;
        my %r;
        @r{@cols} = split /\t/;
        push @rows, \%r;
    }
    copy($file, $out) or die "copy $file: $!\n";
    return @rows;
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return undef if !@v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub minmax {
    my @v = sort { $a <=> $b } @_;
    return ($v[0], $v[-1]);
}

sub sh { my $v = `$_[0]`; chomp $v; $v }

my $md = '';

# --- the machine --------------------------------------------------------------

my ($cpu) = sh("grep -m1 '^model name' /proc/cpuinfo") =~ /:\s*(.*)/;
$md .= "## Machine\n\n";
$md .= sprintf "- %s CPUs (`nproc`), %s\n", sh('nproc'), $cpu // 'unknown CPU';
$md .= sprintf "- kernel %s, %s\n", sh('uname -r'),
               sh("sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '\"'");
$md .= sprintf "- %s; %s\n", sh('/usr/sbin/nginx -v 2>&1'),
               sh("wrk -v 2>&1 | head -1 | cut -d' ' -f1-2");
$md .= sprintf "- reported %s\n\n", sh('date -u +"%Y-%m-%d %H:%M UTC"');

# --- A-D -----------------------------------------------------------------------

my @hot = read_tsv("$in/hotpath.tsv");
my (%by, %round);
for my $r (@hot) {
    push @{ $by{ $r->{config} } }, $r;
    $round{ $r->{round} }{ $r->{config} } = $r;
}

my %name = (
    A => 'A: static `proxy_set_header` (the limit)',
    B => 'B: `oauth2_token`, cached token',
    C => 'C: Lua, `lua_shared_dict` + `ngx.req.set_header`',
    D => 'D: `oauth2_token`, 5 s tokens refreshed under load',
    E => 'E: B with `dpop on`, a proof a request (ES256)',
);

if (@hot) {
    my $rounds = keys %round;
    $md .= "## Hot path: A-D\n\n";
    $md .= "$rounds rounds, A B C D in turn in each; median over the rounds,"
         . " min-max in brackets. CPU is the user + system time of the"
         . " nginx worker processes (/proc/PID/stat) over the requests"
         . " completed.\n\n";
    $md .= "| Configuration | requests/s | p50 latency, us | p99 latency, us"
         . " | worker CPU per request, us |\n| --- | --- | --- | --- | --- |\n";

    open my $sum, '>', "$out/hotpath-summary.tsv" or die;
    print $sum "config\trps\trps_min\trps_max\tcpu\tcpu_min\tcpu_max\n";

    for my $c (sort keys %by) {
        my @r = @{ $by{$c} };
        my @rps = map { $_->{rps} } @r;
        my @cpu = map { $_->{cpu_us_per_req} } @r;
        my @p50 = map { $_->{p50_us} } @r;
        my @p99 = map { $_->{p99_us} } @r;
        my $errs = 0;
        $errs += $_->{errors} for @r;
        die "config $c: $errs errors\n" if $errs;

        $md .= sprintf "| %s | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f)"
                     . " | %.2f (%.2f-%.2f) |\n",
            $name{$c} // $c, median(@rps), minmax(@rps), median(@p50),
            minmax(@p50), median(@p99), minmax(@p99), median(@cpu),
            minmax(@cpu);
        printf $sum "%s\t%.0f\t%.0f\t%.0f\t%.3f\t%.3f\t%.3f\n", $c,
            median(@rps), minmax(@rps), median(@cpu), minmax(@cpu);
    }
    close $sum;

    # ratios within each round: A, B, C and D ran minutes apart at most
    $md .= "\nPaired by round (each round's B against the same round's A"
         . " or C), median and min-max over the rounds:\n\n"
         . "| | throughput ratio | CPU per request, B minus the other, us |\n"
         . "| --- | --- | --- |\n";
    for my $o (qw(A C)) {
        my (@ratio, @diff);
        for my $r (values %round) {
            next if !$r->{B} || !$r->{$o};
            push @ratio, $r->{B}{rps} / $r->{$o}{rps};
            push @diff, $r->{B}{cpu_us_per_req} - $r->{$o}{cpu_us_per_req};
        }
        next if !@ratio;
        $md .= sprintf "| B/%s | %.3f (%.3f-%.3f) | %+.2f (%+.2f to %+.2f) |\n",
            $o, median(@ratio), minmax(@ratio), median(@diff), minmax(@diff);
    }
    $md .= "\n";
}

# --- instructions ----------------------------------------------------------------

my @prof = read_tsv("$in/profile.tsv");
if (@prof) {
    my %p = map { $_->{config} => $_ } @prof;
    $md .= "## Instructions per request (callgrind)\n\n"
         . "One nginx process under callgrind, $prof[0]{requests} requests"
         . " one after another on a keep-alive connection after a warm-up;"
         . " user-space instructions only (the kernel's network work,"
         . " most of the CPU time above, is not counted).\n\n"
         . "| Configuration | instructions per request | over A |\n"
         . "| --- | --- | --- |\n";
    for my $c (sort keys %p) {
        $md .= sprintf "| %s | %d | %s |\n", $c, $p{$c}{instructions_per_req},
            $c eq 'A' || !$p{A} ? '' : sprintf('%+d (%+.1f%%)',
                $p{$c}{instructions_per_req} - $p{A}{instructions_per_req},
                100 * ($p{$c}{instructions_per_req} / $p{A}{instructions_per_req} - 1));
    }
    if ($p{B} && $p{B}{handler_per_req}) {
        $md .= sprintf "\nOf B's, %d are in the module's precontent handler"
                     . " (cache lookup, token copy, header).\n",
                       $p{B}{handler_per_req};
    }
    $md .= "\n";
}

# --- timeline --------------------------------------------------------------------

for my $c (qw(B-log D-log)) {
    my @t = read_tsv("$in/timeline-$c.tsv") or next;
    my @refresh = grep { $_->{refresh} > 0 } @t;
    my @other = grep { $_->{refresh} == 0 } @t;
    my $waited = 0;
    $waited += $_->{waited} for @t;
    my $bad = 0;
    $bad += $_->{non200} for @t;
    $md .= "## Latency timeline, $c\n\n" if $c eq 'B-log';
    $md .= sprintf "- %s: %d slots of 100 ms, %d with a refresh;"
                 . " p99 per slot: median %.0f ms (max %.0f) in slots with a"
                 . " refresh, median %.0f ms (max %.0f) in the others;"
                 . " max %s ms; %d requests waited for a token; %d answers"
                 . " not 200\n",
        $c, scalar @t, scalar @refresh,
        median(map { $_->{p99_ms} } @refresh) // 0,
        (minmax(map { $_->{p99_ms} } @refresh))[1] // 0,
        median(map { $_->{p99_ms} } @other),
        (minmax(map { $_->{p99_ms} } @other))[1],
        (minmax(map { $_->{max_ms} } @t))[1], $waited, $bad;
}
$md .= "\n";

my @tok = read_tsv("$in/hotpath-token-requests.tsv");

# --- signing ---------------------------------------------------------------------

my @sign = read_tsv("$in/sign.tsv");
if (@sign) {
    $md .= "## Assertion signing\n\n"
         . "| Key, algorithm | token request body, us (median, p10-p90) |"
         . " JWS signature alone, us |\n| --- | --- | --- |\n";
    $md .= sprintf "| %s | %.1f (%.1f-%.1f) | %.1f |\n", $_->{case},
        $_->{body_median_us}, $_->{body_p10_us}, $_->{body_p90_us},
        $_->{sign_median_us} for @sign;
    $md .= "\n";
}

# --- cold start --------------------------------------------------------------------

my @cold = read_tsv("$in/coldstart.tsv");
if (@cold) {
    $md .= "## Cold-start burst\n\n"
         . "| Run | connections | workers | token requests | requests |"
         . " errors | slowest, ms |\n| --- | --- | --- | --- | --- | --- | --- |\n";
    $md .= sprintf "| %d | %d | %d | %d | %d | %d | %d |\n",
        @$_{qw(run connections workers token_requests requests errors
               max_latency_ms)} for @cold;
    $md .= "\n";
}

# --- zone ----------------------------------------------------------------------------

my @zone = read_tsv("$in/zone.tsv");
if (@zone) {
    $md .= "## Zone capacity\n\n"
         . "| Zone | token bytes | clients | tokens cached | token requests |"
         . " \"dropped\" warnings | \"not cached\" errors |\n"
         . "| --- | --- | --- | --- | --- | --- | --- |\n";
    $md .= sprintf "| %s | %d | %d | %d | %d | %d | %d |\n",
        @$_{qw(zone token_bytes clients cached token_requests dropped_warnings
               not_cached_errors)} for @zone;
    $md .= "\n";
}

open my $fh, '>', "$out/results.md" or die "$out/results.md: $!\n";
print $fh "# Benchmark results\n\nWritten by `make bench` (bench/run.sh);"
        . " see docs/performance.md.\n\n$md";
close $fh;
print $md;
