# Requests that wait for a token request (src/ngx_http_oauth2_client_wait.c),
# in what a data-driven block cannot do: a shutdown while a request
# waits.
#
# One nginx run by the test itself (t/lib/NginxProcess.pm).  What a
# token request did is told by the mock (/_stats?inflight=1: "aborted"
# counts the token requests whose client hung up before the whole
# answer).

use strict;
use warnings;

use lib 't/lib';
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep);

use NginxProcess;
use OAuth2Mock;

OAuth2Mock::start();

my $port = OAuth2Mock::free_port();
my $backend = OAuth2Mock::free_port();
my $mock = $ENV{TEST_NGINX_MOCK_PORT};

my $slow = '/s/delay-3000/w01/oauth2/v1/token';
my $fast = '/w02/oauth2/v1/token';

sub conf {
    my (%o) = @_;
    my $scope = $o{scope} // 'okta.users.read';
    my $prefetch = $o{prefetch} // 'off';
    my $html = $o{html} // '/nowhere';
    return <<"HTTP";
    server {
        listen 127.0.0.1:$backend;
        access_log off;

        location / {
            return 200 "backend\\n";
        }
    }

    oauth2_client slow {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$mock$slow;
        client_id       0oa-rsa;
        private_key     $ENV{TEST_NGINX_KEYS}/rsa1.pem;
        key_id          rsa1;
    }

    oauth2_client fast {
        prefetch        $prefetch;
        token_endpoint  http://127.0.0.1:$mock$fast;
        client_id       0oa-rsa;
        private_key     $ENV{TEST_NGINX_KEYS}/rsa1.pem;
        key_id          rsa1;
        scope           $scope;
    }

    server {
        listen 127.0.0.1:$port;

        location = /_oauth2/slow {
            internal;
            proxy_pass http://127.0.0.1:$mock$slow;
        }

        # the deadline of the token requests is the longest wait: 10 s
        location /long/ {
            oauth2_token slow;
            oauth2_token_wait_timeout 10s;
            add_header X-Token-Status \$oauth2_token_status always;
            proxy_pass http://127.0.0.1:$backend;
        }

        location = /_oauth2/fast {
            internal;
            proxy_pass http://127.0.0.1:$mock$fast;
        }

        location /fast/ {
            oauth2_token fast;
            proxy_pass http://127.0.0.1:$backend;
        }

        location /p/ {
            ssi on;
            root $html;
        }

        location = /status {
            oauth2_client_status;
        }

        location = /sleep {
            proxy_pass http://127.0.0.1:$mock/_sleep?ms=1000;
        }

        location /short/ {
            oauth2_token slow;
            oauth2_token_wait_timeout 500ms;
            add_header X-Token-Status \$oauth2_token_status always;
            proxy_pass http://127.0.0.1:$backend;
        }
    }
HTTP
}

sub status_of {
    my ($ngx, $path, %o) = @_;
    my ($status, $h) = $ngx->get($path, %o);
    return defined $status ? "$status " . ($h->{'x-token-status'} // '-')
                           : 'no answer';
}

# a GET in a child process; its result comes back through a pipe
sub background_get {
    my ($ngx, $path) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        print $w status_of($ngx, $path, timeout => 15);
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    return sub { my $res = do { local $/; <$r> }; waitpid($pid, 0); $res };
}

sub inflight {
    my ($path) = @_;
    for (1 .. 100) {
        my $st = OAuth2Mock::stats("$path?inflight=1") // {};
        return $st if ($st->{inflight} // 0) >= 1;
        sleep 0.05;
    }
    return {};
}

# --- a shutting-down worker ends the token request its last waiter left --

{
    my $ngx = NginxProcess->new(name => 'wait', port => $port, workers => 1);
    $ngx->start(conf());

    my $bg = background_get($ngx, '/short/1');

    is(inflight($slow)->{inflight}, 1,
       'a request waits for the token request it had the module start');

    $ngx->quit;

    is($bg->(), '503 ERROR',
       'the worker shuts down: the request is served to its wait\'s end');

    my $st = OAuth2Mock::stats("$slow?inflight=1") // {};
    is($st->{calls}, 1, 'one token request');
    is($st->{aborted}, 1,
       '... ended when its last waiter left, not answered seconds later');

    $ngx->finish(Test::More->builder->is_passing ? 0 : 1);
}

# --- a worker of a configuration a reload replaced keeps its own token ---

{
    my $ngx = NginxProcess->new(name => 'wait', port => $port, workers => 1);
    my $html = "$ngx->{dir}/html";
    mkdir $html;
    mkdir "$html/p";
    open my $fh, '>', "$html/p/page.html" or die "page: $!";
    print $fh '<!--# include virtual="/sleep" wait="yes" -->',
              map { "[<!--# include virtual=\"/fast/$_\" wait=\"yes\" -->]" }
              1 .. 3;
    close $fh;

    $ngx->start(conf(html => $html));

    # the page's includes run one after another, the first after 1 s

    my $bg = background_get($ngx, '/p/page.html');
    sleep 0.3;

    $ngx->reload(conf(html => $html, scope => 'okta.groups.read',
                      prefetch => 'on'));

    is($bg->(), '200 -', 'the old worker serves the page across the reload');

    my $st = OAuth2Mock::stats($fast) // {};
    is($st->{calls}, 2,
       'one token request of the new workers (prefetch), one of the old '
       . 'worker for its three includes');

    my (undef, undef, $prom) = $ngx->get('/status?format=prometheus');
    my ($hits) = ($prom // '') =~ /^oauth2_client_requests_total\{client="fast",[^}]*token_status="HIT"\} (\d+)$/m;
    is($hits, 2, '... whose two later includes the status counts HIT');

    $ngx->finish(Test::More->builder->is_passing ? 0 : 1);
}

# --- waiters on another worker's token request: one poll for them all ---

SKIP: {
    skip 'nginx is not built --with-debug: no waits in the log', 2
        if !NginxProcess::has_debug();

    my $ngx = NginxProcess->new(name => 'wait', port => $port, workers => 2);

    # reuseport: the kernel spreads the connections over both workers
    (my $c = conf()) =~ s/listen 127\.0\.0\.1:$port;/listen 127.0.0.1:$port reuseport;/
        or die 'no listen';
    $ngx->start($c);

    my $burst = OAuth2Mock::get("/_burst?port=$port&path=/long/b&n=20&c=20")
                // '';
    like($burst, qr/^n=20\nok=20\n/, '20 requests at once wait for the token');

    # each waiter waits once, and once more at most after a wake-up; a
    # waiter polling on its own would wait again every 25 ms for 3 s

    my (%waits, %pids);
    my $log = $ngx->error_log;
    while ($log =~ /^\S+ \S+ \[debug\] (\d+)#\d+: \*(\d+) oauth2 client "slow": waiting, /mg) {
        $waits{$2}++;
        $pids{$1}++;
    }

    my @often = grep { $waits{$_} > 2 } sort keys %waits;
    ok(keys %pids == 2 && !@often,
       sprintf('waiters in %d workers, %d connections waited more than '
               . 'twice', scalar keys %pids, scalar @often))
        or diag(join ', ', map { "*$_: $waits{$_}" } @often);

    $ngx->finish(Test::More->builder->is_passing ? 0 : 1);
}

done_testing();
