# The life of token requests across reloads and shutdowns, and their
# claims: every claim taken is given back exactly once, whatever ended
# its token request (a token, each class of failure, a client that went
# away, the deadline, a worker killed and its claim taken over, a reload,
# a shutdown); workers fetch a token when they start and after a reload
# that changed the client; a graceful shutdown does not wait for a token
# request nobody waits for.
#
# One nginx run by the test itself (t/lib/NginxProcess.pm), as its
# configuration changes between requests.  The claims are read from the
# debug log ("claim N taken", "claim N given back"): without an nginx
# built --with-debug those checks are skipped.

use strict;
use warnings;

use lib 't/lib';
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

use NginxProcess;
use OAuth2Mock;

OAuth2Mock::start();

my $port = OAuth2Mock::free_port();
my $backend = OAuth2Mock::free_port();
my $dead = OAuth2Mock::free_port();    # nobody listens there
my $mock = $ENV{TEST_NGINX_MOCK_PORT};

my $ngx = NginxProcess->new(name => 'lifecycle', port => $port, workers => 2);

# name => [token path, client directives, token location, api location]
my @clients = (
    [ok       => '/l01/oauth2/v1/token'],
    [http4xx  => '/s/invalid-client/l02/oauth2/v1/token'],
    [http429  => '/s/rate-limit-1/l03/oauth2/v1/token'],
    [http5xx  => '/s/status-503/l04/oauth2/v1/token'],
    [timeout  => '/s/delay-2000/l05/oauth2/v1/token', '',
                 'proxy_read_timeout 300ms;'],
    [noresp   => '/l06/oauth2/v1/token', '', '', '', $dead],
    [invalid  => '/s/bad-json/l07/oauth2/v1/token'],
    [toolarge => '/s/big/l08/oauth2/v1/token'],
    [abort    => '/s/delay-1000/l09/oauth2/v1/token'],
    [deadline => '/s/trickle/l10/oauth2/v1/token', '', '',
                 'oauth2_token_wait_timeout 1s;'],
    [takeover => '/l11/oauth2/v1/token', '',
                 'proxy_set_header X-Worker-Pid $pid;',
                 'oauth2_token_wait_timeout 5s;'],
    [reload   => '/s/delay-1500/l12/oauth2/v1/token'],
    [pre      => '/l13/oauth2/v1/token', 'prefetch on; scope okta.users.read;'],
    [preoff   => '/l14/oauth2/v1/token'],
    [slowpre  => '/s/delay-30000/l15/oauth2/v1/token', 'prefetch on;', '',
                 'oauth2_token_wait_timeout 60s;'],
);

my %path = map { $_->[0] => $_->[1] } @clients;

sub conf {
    my (%o) = @_;
    my $c = <<"HTTP";
    map \$http_authorization \$has_bearer {
        "~^Bearer ."  bearer;
        default       none;
    }

    server {
        listen 127.0.0.1:$backend;
        access_log off;

        location / {
            return 200 "backend \$has_bearer\\n";
        }
    }
HTTP
    my $locations = '';
    for my $cl (@clients) {
        my ($name, $tp, $cx, $tx, $ax, $tport) = @$cl;
        $cx //= '';
        $cx =~ s/okta\.users\.read/$o{scope}/ if $o{scope};
        $cx = "prefetch off; $cx" if $cx !~ /prefetch/;
        my $to = $tport // $mock;
        $c .= <<"HTTP";

    oauth2_client $name {
        token_endpoint  http://127.0.0.1:$mock$tp;
        client_id       0oa-rsa;
        private_key     $ENV{TEST_NGINX_KEYS}/rsa1.pem;
        key_id          rsa1;
        $cx
    }
HTTP
        $locations .= <<"LOC";

        location = /_oauth2/$name {
            internal;
            ${\ ($tx // '')}
            proxy_pass http://127.0.0.1:$to$tp;
        }

        location /c/$name/ {
            oauth2_token $name;
            ${\ ($ax // '')}
            add_header X-Token-Status \$oauth2_token_status always;
            proxy_pass http://127.0.0.1:$backend;
        }
LOC
    }
    $c .= <<"HTTP";

    server {
        listen 127.0.0.1:$port;
$locations
    }
HTTP
    return $c;
}

sub status_of {
    my ($path, %o) = @_;
    my ($status, $h) = $ngx->get($path, %o);
    return defined $status ? "$status " . ($h->{'x-token-status'} // '-')
                           : 'no answer';
}

sub mock_stats {
    my ($name) = @_;
    return OAuth2Mock::stats("$path{$name}?inflight=1") // {};
}

# a GET in a child process; its result comes back through a pipe
sub background_get {
    my ($path) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        print $w status_of($path, timeout => 15);
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    return sub { my $res = do { local $/; <$r> }; waitpid($pid, 0); $res };
}

$ngx->start(conf(scope => 'okta.users.read'));

# --- every way a token request ends --------------------------------------

is(status_of('/c/ok/1'), '200 MISS', 'a token');
is(status_of('/c/ok/2'), '200 HIT', 'the token is cached, the claim free');

for my $name (qw(http4xx http429 http5xx timeout noresp invalid toolarge)) {
    is(status_of("/c/$name/1"), '502 ERROR', "$name: 502");
}

is(status_of('/c/abort/1', timeout => 0.1), 'no answer',
   'a client that goes away during the token request');
sleep 1.3;
is(status_of('/c/abort/2'), '200 HIT',
   '... did not cancel it: its token is cached');

is(status_of('/c/deadline/1'), '502 ERROR',
   'a token endpoint that trickles: 502 at the deadline');

ok(OAuth2Mock::get("/_fail?path=$path{takeover}&scenario=kill-worker&count=1"),
   'the next token request of "takeover" kills its worker');
my $killed = background_get('/c/takeover/1');
sleep 0.5;
like(status_of('/c/takeover/2'), qr/^200 (?:MISS|WAIT)$/,
     'another worker takes the claim of the killed one over');
is($killed->(), 'no answer', '... whose client got no answer');

# a reload while a token request is in flight for a request of the old
# workers: it ends as usual, for that request
my $reloading = background_get('/c/reload/1');
sleep 0.3;
$ngx->reload;
is($reloading->(), '200 MISS',
   'a reload: the old worker ends the token request its request waits for');

# --- prefetch at start and after a reload that changes the client --------

my $st = mock_stats('pre');
is($st->{calls}, 1, 'prefetch: one token request at start, for 2 workers, '
                   . 'none after a reload that changed nothing');
is($st->{last_scope}, 'okta.users.read', '... with the scope configured');
is(mock_stats('preoff')->{calls}, 0, 'prefetch off: none');

$ngx->reload(conf(scope => 'okta.groups.read'), gone => 1);

for (1 .. 50) {
    last if (mock_stats('pre')->{calls} // 0) >= 2;
    sleep 0.1;
}
$st = mock_stats('pre');
is($st->{calls}, 2, 'a reload that changes the client: the new workers fetch');
is($st->{last_scope}, 'okta.groups.read', '... with the new scope');
is(status_of('/c/pre/1'), '200 HIT', '... so that the first request finds it');

# --- a graceful shutdown does not wait on a token request nobody waits for

for (1 .. 50) {
    last if (mock_stats('slowpre')->{inflight} // 0) == 1;
    sleep 0.1;
}
$st = mock_stats('slowpre');
is($st->{inflight}, 1, 'the prefetch of a 30 s token endpoint is in flight');
my $aborted = $st->{aborted} // 0;

# had nginx waited for the token request, the mock would have answered
# it; it sees nginx hang up instead
ok($ngx->quit, 'nginx -s quit: nginx exits by itself');

for (1 .. 50) {
    last if (mock_stats('slowpre')->{inflight} // 1) == 0;
    sleep 0.1;
}
$st = mock_stats('slowpre');
is($st->{inflight}, 0, '... and the token request is over');
is($st->{aborted}, $aborted + 1, '... ended by nginx, not answered: the '
                                 . 'shutdown did not wait for it');
is($st->{max_inflight}, 1, '... never two at once, across the reload');

my $log = $ngx->error_log;

my @alerts = grep { !/worker process \d+ exited on signal 9$/ }
             $log =~ /^.*\[(?:alert|crit|emerg)\].*$/mg;
ok(!@alerts, 'no alert, crit or emerg but the killed worker\'s')
    or diag(join "\n", @alerts);

like($log, qr/oauth2 client "deadline": token endpoint response \(HTTP 200\) is incomplete after 1000 ms, the deadline of the token request; next attempt in/,
     'the deadline is logged as such');
like($log, qr/oauth2 client "takeover": the token request of process (\d+) is gone or late, taking it over/,
     'the take-over is logged');

# --- every claim taken is given back exactly once -------------------------

SKIP: {
    skip 'nginx is not built --with-debug: no claims in the log', 4
        if !NginxProcess::has_debug();

    my (%taken, %back, %classes, %pid_of);

    while ($log =~ /\[debug\] (\d+)#\d+: (?:\*\d+ )?oauth2 client "([^"]+)": claim (\d+) taken, token request \d+ \((\w+)\)/g) {
        $taken{"$2 $3"}++;
        $pid_of{"$2 $3"} = $1;
    }

    while ($log =~ /\[debug\] \d+#\d+: (?:\*\d+ )?oauth2 client "([^"]+)": claim (\d+) given back(?:, it had been taken over)? \((\w+)\)/g) {
        $back{"$1 $2"}++;
        $classes{$3}++;
    }

    # the claims the killed worker held, and that others took over
    my %over;
    $over{$1}++ while $log =~ /oauth2 client "([^"]+)": the token request of process \d+ is gone or late, taking it over/g;

    my @wrong;

    for my $claim (sort keys %taken) {
        my ($client) = split / /, $claim;
        my $back = $back{$claim} // 0;

        if ($taken{$claim} != 1 || $back > 1) {
            push @wrong, "$claim taken $taken{$claim}, given back $back";

        } elsif ($back == 0 && !$over{$client}--) {
            push @wrong, "$claim taken, never given back nor taken over";
        }
    }

    push @wrong, "$_ given back, never taken" for grep { !$taken{$_} } keys %back;

    ok(keys %taken >= 16 && !@wrong,
       scalar(keys %taken) . ' claims taken, each given back once, or taken '
       . 'over from the killed worker') or diag(join "\n", @wrong);

    my @missing = grep { !$classes{$_} }
                  qw(ok http_4xx http_429 http_5xx timeout no_response
                     invalid too_large canceled);
    ok(!@missing, 'claims given back after each outcome: '
                  . join(', ', sort keys %classes))
        or diag("missing: @missing");

    cmp_ok($classes{canceled} // 0, '>=', 2,
           'prefetches canceled at the reload and at the shutdown');

    # a worker keeps the pool of its last token request for the next
    # (but in the ASan build, which says so, so that ASan sees a use of
    # a token request's memory after its end)
    my %pools;
    $pools{$1}++ while $log =~ /\[debug\] \d+#\d+: (?:\*\d+ )?oauth2 client: token request pool (created|reused|not kept \(ASan\))$/mg;

    $pools{$_} //= 0 for 'created', 'reused', 'not kept (ASan)';
    my $asan = $pools{'not kept (ASan)'} > 0;

    ok(($asan ? $pools{reused} == 0 : $pools{reused} > 0)
       && $pools{created} + $pools{reused} >= keys %taken,
       sprintf('token request pools: %d created, %d reused%s, for %d claims',
               $pools{created}, $pools{reused}, $asan ? ' (ASan)' : '',
               scalar keys %taken));
}

$ngx->finish($?);

done_testing();
