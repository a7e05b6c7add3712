#!/usr/bin/env perl
# Buckets an access log of "$msec $request_time $status $oauth2_token_status"
# lines into 100 ms slots (by the time each request ended): per slot the
# number of requests, the median, 99th percentile and maximum of
# $request_time (ms), the REFRESH requests (a refresh started), those that
# waited for a token (MISS, WAIT) and the answers other than 200.
#
# usage: timeline.pl access.log > timeline.tsv

use strict;
use warnings;

my $SLOT = 0.1;
my (%slot, $t0);

while (<>) {
    my ($msec, $rt, $status, $tok) = split;
    next if !defined $tok;
    $t0 //= $msec;
    my $s = int(($msec - $t0) / $SLOT);
    my $sl = $slot{$s} //= { t => [], refresh => 0, waited => 0, bad => 0 };
    push @{ $sl->{t} }, $rt * 1000;
    $sl->{refresh}++ if $tok eq 'REFRESH';
    $sl->{waited}++ if $tok eq 'MISS' || $tok eq 'WAIT';
    $sl->{bad}++ if $status != 200;
}

sub pct {
    my ($v, $p) = @_;
    return $v->[int($p / 100 * $#$v + 0.5)];
}

print "t_s\trequests\tp50_ms\tp99_ms\tmax_ms\trefresh\twaited\tnon200\n";
for my $s (sort { $a <=> $b } keys %slot) {
    my $sl = $slot{$s};
    my @t = sort { $a <=> $b } @{ $sl->{t} };
    printf "%.1f\t%d\t%.0f\t%.0f\t%.0f\t%d\t%d\t%d\n", $s * $SLOT,
           scalar @t, pct(\@t, 50), pct(\@t, 99), $t[-1],
           $sl->{refresh}, $sl->{waited}, $sl->{bad};
}
