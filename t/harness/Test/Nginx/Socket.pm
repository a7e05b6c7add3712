package Test::Nginx::Socket;

# A small stand-in for the Test::Nginx::Socket module of the upstream
# test-nginx project (CPAN "Test::Nginx"), which Debian does not package.
# See the POD at the end of this file for what it covers.

use strict;
use warnings;

use Test::Base -base;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Select ();
use IO::Socket::INET ();
use List::Util qw(shuffle);
use POSIX ();
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(sleep);

our $VERSION = '0.1';

our @EXPORT = qw(
    run_tests repeat_each workers master_on master_off master_process_enabled
    no_shuffle log_level no_long_string no_root_location env_to_nginx
    timeout worker_connections check_accum_error_log
    server_port server_root html_dir server_name server_addr
    add_block_preprocessor add_cleanup_handler bail_out is_str
);

# ---------------------------------------------------------------------------
# Settings (same environment variables and defaults as upstream)
# ---------------------------------------------------------------------------

our $NginxBinary       = $ENV{TEST_NGINX_BINARY} || default_nginx_binary();
our $ServerPort        = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $ServerAddr        = '127.0.0.1';
our $ServerName        = 'localhost';
our $Workers           = 1;
our $WorkerConnections = 64;
our $MasterProcess     = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $RepeatEach        = 1;
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoRootLocation    = 0;
our $NoLongString      = 0;
our $CheckAccumErrLog  = 0;
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $Sleep             = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $LoadModules       = $ENV{TEST_NGINX_LOAD_MODULES} || '';
our $StartTimeout      = 10;    # seconds nginx may take to start or die

our $ServRoot   = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
our $LogDir     = "$ServRoot/logs";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $PidFile    = "$LogDir/nginx.pid";
our $StderrFile = "$LogDir/nginx-stderr.log";

# Upstream exports the server root to the environment when it loads.
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;

# Run-time state.
our $NginxVersion;        # canonical, e.g. 1.022001
our $NginxPid;            # pid of the running nginx (master or single process)
our %ExitStatus;          # pid => wait status of nginx processes we reaped
our $HaveRunningConfig;   # true once some block has started nginx
our $ErrLogPos = 0;       # where the next error_log check starts reading
our $CrashScanPos = 0;    # where the next crash scan starts reading
our $ConnectFailures = 0;

my $HaveLongString = eval { require Test::LongString; 1 };

# Upstream sections this stand-in does not implement: a block using one
# of them makes the run bail out instead of silently passing.
my @UnsupportedSections = qw(
    pipelined_requests request_eval response_body_eval
    tcp_listen tcp_reply tcp_query tcp_query_len tcp_shutdown tcp_no_close
    udp_listen udp_reply udp_query stap stap_out stap_out_like stap_out_unlike
    http2 http3 curl curl_options curl_protocol curl_error grep_error_log
    grep_error_log_out access_log no_access_log shutdown_error_log
    no_shutdown_error_log skip_nginx2 skip_openssl skip_slave todo todo_nginx
    charset http09 error_log_file reload_fails server_addr_for_client
);

# ---------------------------------------------------------------------------
# Exported configuration functions
# ---------------------------------------------------------------------------

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub workers (@) {
    $Workers = shift if @_;
    return $Workers;
}

sub worker_connections (@) {
    $WorkerConnections = shift if @_;
    return $WorkerConnections;
}

sub master_on ()  { $MasterProcess = 'on' }
sub master_off () { $MasterProcess = 'off' }

sub master_process_enabled (@) {
    $MasterProcess = shift() ? 'on' : 'off' if @_;
    return $MasterProcess;
}

sub log_level (@) {
    $LogLevel = shift if @_;
    return $LogLevel;
}

sub timeout (@) {
    $Timeout = shift if @_;
    return $Timeout;
}

sub no_shuffle ()            { $NoShuffle = 1 }
sub no_long_string ()        { $NoLongString = 1 }
sub no_root_location ()      { $NoRootLocation = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }

sub server_port (@) {
    $ServerPort = $ServerPortForClient = shift if @_;
    return $ServerPort;
}

sub server_addr (@) {
    $ServerAddr = shift if @_;
    return $ServerAddr;
}

sub server_name (@) {
    $ServerName = shift if @_;
    return $ServerName;
}

sub server_root () { $ServRoot }
sub html_dir ()    { $HtmlDir }

sub env_to_nginx (@) {
    Carp::croak('env_to_nginx: no arguments specified') unless @_;
    for my $v (@_) {
        Carp::croak("env_to_nginx: bad argument value: $v")
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($)    { unshift @CleanupHandlers, shift }

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

# String comparison honouring no_long_string() and qr// expectations.
sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return Test::More::like($got, $expected, $desc)
        if ref $expected && ref $expected eq 'Regexp';
    return Test::LongString::is_string($got, $expected, $desc)
        if $HaveLongString && !$NoLongString;
    return Test::More::is($got, $expected, $desc);
}

# ---------------------------------------------------------------------------
# Main loop
# ---------------------------------------------------------------------------

sub run_tests () {
    $NginxVersion = nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        unless defined $ENV{TEST_NGINX_SERVER_PORT};

    # Interrupted runs still stop nginx (in the END block).
    for my $sig (qw(INT TERM)) {
        $SIG{$sig} = sub { warn "caught SIG$sig\n"; exit 1 }
            if !$SIG{$sig} || $SIG{$sig} eq 'DEFAULT';
    }

    my @blocks = Test::Base::blocks();
    @blocks = shuffle(@blocks) unless $NoShuffle;

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value(name => "$0 " . $block->name);
        run_block($block);
    }

    cleanup();
}

sub run_block {
    my ($block) = @_;
    my $name = $block->name;

    for my $section (@UnsupportedSections) {
        bail_out("$name - section '--- $section' is not supported by the "
                 . "Test::Nginx::Socket stand-in in t/harness")
            if defined $block->$section;
    }

    my $rand_ports = {};
    my $config = expand_env_in_text(scalar $block->config, $name, $rand_ports);

    local $LogLevel = $block->log_level || $LogLevel;

    my ($skip_count, $skip_reason) = block_skip_info($block);

    if (defined $block->must_die) {
        run_must_die_block($block, $config, $rand_ports, $skip_count, $skip_reason);
        return;
    }

    if (!defined $skip_count) {
        if (defined $config) {
            stop_nginx($name);
            setup_server_root();
            write_user_files($block, $rand_ports);
            write_config_file($block, $config, $rand_ports);
            start_nginx($block);
        } elsif (!$HaveRunningConfig) {
            bail_out("$name - No '--- config' section specified and could "
                     . "not get previous one.");
        }
    }

    if (defined $block->init) {
        eval $block->init;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogPos = 0;
    for my $rep (0 .. $RepeatEach - 1) {
        if (defined $skip_count) {
            SKIP: { Test::More::skip("$name - $skip_reason", $skip_count) }
            next;
        }
        write_user_files($block, $rand_ports) if $rep > 0;
        run_requests($block, $rep);
    }

    check_nginx_health($block) unless defined $skip_count;
}

# "--- skip_eval" and "--- skip_nginx", as upstream: "N: condition".
sub block_skip_info {
    my ($block) = @_;
    my $name = $block->name;

    if (defined(my $spec = $block->skip_eval)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- skip_eval spec: $spec");
        my ($n, $code) = ($1, $2);
        my $skip = eval $code;
        bail_out("$name - skip_eval - failed to eval the Perl code \"$code\": $@")
            if $@;
        return ($n, 'skip_eval') if $skip;
    }

    if (defined(my $spec = $block->skip_nginx)) {
        $spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/
            or bail_out("$name - Invalid --- skip_nginx spec: $spec");
        my ($n, $op, $reason) = ($1, $2, $6);
        my $ver = canon_version($3, $4, $5);
        $reason = "nginx version $op $3.$4.$5" unless $reason;
        return ($n, $reason) if eval "$NginxVersion $op $ver";
    }

    return;
}

# ---------------------------------------------------------------------------
# must_die blocks: nginx has to fail at start-up
# ---------------------------------------------------------------------------

sub run_must_die_block {
    my ($block, $config, $rand_ports, $skip_count, $skip_reason) = @_;
    my $name = $block->name;
    my $must_die = $block->must_die;

    if (defined $skip_count) {
        for (1 .. $RepeatEach) {
            SKIP: { Test::More::skip("$name - $skip_reason", $skip_count) }
        }
        return;
    }

    stop_nginx($name);
    setup_server_root();
    write_user_files($block, $rand_ports);
    write_config_file($block, $config // '', $rand_ports);

    $ErrLogPos = 0;
    for my $rep (0 .. $RepeatEach - 1) {
        my ($status, $stderr, $pid) = run_nginx();

        if ($status == -1) {
            Test::More::fail("$name - failed to execute the nginx command line");
        } elsif ($status & 128) {
            Test::More::fail("$name - nginx core dumped");
        } elsif (looks_like_number($must_die)) {
            Test::More::is($status >> 8, $must_die,
                           "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        # nginx without "-e" (older than 1.19.5) printed its start-up
        # errors only to stderr: make them visible to error_log checks.
        if (!nginx_has_e_option() && length $stderr) {
            append_to_file($ErrLogFile, $stderr);
        }

        sleep $block->wait if $block->wait;
        check_error_log($block, $rep);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; killing it (req $rep)\n";
            stop_process($pid, $name);
        }
    }

    $HaveRunningConfig = 0;
}

# ---------------------------------------------------------------------------
# Requests and response checks
# ---------------------------------------------------------------------------

sub run_requests {
    my ($block, $rep) = @_;
    my $name = $block->name;

    my $requests = requests_from_block($block);
    my $need_array = @$requests > 1;
    my $timeout = parse_time(scalar $block->timeout) // $Timeout;

    for my $idx (0 .. $#$requests) {
        my $bits = $requests->[$idx];
        my $is_head = join('', map { $_->{value} } @$bits) =~ /^\s*HEAD\s+/;

        my $raw = send_request($block, $bits, $timeout);
        $raw = '' unless defined $raw;

        unless (defined $block->ignore_response) {
            my ($res, $raw_headers) = parse_response($name, $raw, $is_head);
            check_error_code($block, $res, $idx, $need_array);
            check_raw_response_headers($block, $raw_headers, $idx, $need_array);
            check_response_headers($block, $res, $raw_headers, $idx, $need_array);
            transform_response_body($block, $res, $idx);
            check_response_body($block, $res, $idx, $rep, $need_array);
        }

        # As upstream, the error log is checked after every request.
        if ($idx < $#$requests) {
            sleep $block->wait if $block->wait;
            check_error_log($block, $rep);
        }
    }

    sleep $block->wait if $block->wait;
    check_error_log($block, $rep);
}

# Returns a list of requests, each a list of {value, delay_before} packets.
sub requests_from_block {
    my ($block) = @_;
    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {
        my @packets = ref $raw eq 'ARRAY' ? @$raw : ($raw);
        return [[ map { ref $_ ? $_ : { value => $_ } } @packets ]];
    }

    my $request = $block->request;
    my $more_headers = $block->more_headers;
    $more_headers = '' unless defined $more_headers;

    my @list;
    if (!ref $request) {
        @list = ($request);
    } elsif (ref $request eq 'ARRAY') {
        @list = @$request;
    } else {
        bail_out("$name - invalid --- request: MUST be string or array of requests");
    }

    my @requests;
    for my $i (0 .. $#list) {
        my $one = $list[$i];
        bail_out("$name - request packet arrays are not supported by the "
                 . "Test::Nginx::Socket stand-in")
            if ref $one;

        my $hdrs = $more_headers;
        if (ref $more_headers eq 'ARRAY') {
            $hdrs = $more_headers->[$i];
            bail_out("$name - --- more_headers lacks data for the ${i}th request")
                unless defined $hdrs;
        }

        push @requests, [{ value => build_request($name, $one, $hdrs) }];
    }

    return \@requests;
}

# Turns "METHOD [URI [VERSION]]\nbody" into a full HTTP request like
# upstream: Host and "Connection: close" unless given in more_headers,
# Content-Length for a (whitespace-trimmed) body.
sub build_request {
    my ($name, $request, $more_headers) = @_;

    bail_out("$name - Request line should be non-empty")
        if !defined $request;

    # Leading comment lines and blank space are dropped.
    1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//s;

    my ($first, $content) = split /\n/, $request, 2;
    bail_out("$name - Request line should be non-empty")
        if !defined $first || $first !~ /\S/;

    my ($method, $uri, $version) = split ' ', $first;
    $uri = '/' unless defined $uri;
    $version = 'HTTP/1.1' unless defined $version;
    $content = '' unless defined $content;

    my ($headers, $is_chunked) = parse_more_headers($more_headers);

    my $len_header = '';
    if (!$is_chunked && $content ne ''
        && $headers !~ /(?:^|\n)Content-Length:/)
    {
        $content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($content) . "\r\n";
    }

    my $auto = '';
    $auto .= "Host: $ServerName\r\n" if $headers !~ /(?:^|\n)Host:/msi;
    $auto .= "Connection: close\r\n" if $headers !~ /(?:^|\n)Connection/msi;

    return "$method $uri $version\r\n$auto$headers$len_header\r\n$content";
}

sub parse_more_headers {
    my ($text) = @_;
    my ($out, $is_chunked) = ('', 0);

    for my $line (split /\n+/, $text) {
        next if $line =~ /^\s*\#/ || $line !~ /\S/;
        my ($key, $val) = split /:\s*/, $line, 2;
        $val = '' unless defined $val;
        $is_chunked = 1 if lc($key) eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }

    return ($out, $is_chunked);
}

sub check_error_code {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->{code}) || '';

    if (defined $block->error_code_like) {
        my $pat = indexed_value($name, scalar $block->error_code_like, $idx, $need_array);
        Test::More::like($code, qr/$pat/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        Test::More::is($code,
                       indexed_value($name, scalar $block->error_code, $idx, $need_array),
                       "$name - status code ok");
    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }
}

sub check_raw_response_headers {
    my ($block, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->raw_response_headers_like) {
        my $pat = indexed_value($name, scalar $block->raw_response_headers_like,
                                $idx, $need_array);
        Test::More::like($raw_headers, qr/$pat/s, "$name - raw resp headers like");
    }

    if (defined $block->raw_response_headers_unlike) {
        my $pat = indexed_value($name, scalar $block->raw_response_headers_unlike,
                                $idx, $need_array);
        Test::More::unlike($raw_headers, qr/$pat/s, "$name - raw resp headers unlike");
    }
}

sub check_response_headers {
    my ($block, $res, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        my $spec = indexed_value($name, scalar $block->response_headers, $idx, $need_array);
        for my $h (parse_header_spec($spec)) {
            my ($key, $val) = @$h;
            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/msi,
                                   "$name - header $key not present in the raw headers");
                next;
            }
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            my $actual = response_header($res, $key);
            Test::More::is(defined $actual ? $actual : '', $val, "$name - header $key ok");
        }
    } elsif (defined $block->response_headers_like) {
        my $spec = indexed_value($name, scalar $block->response_headers_like, $idx, $need_array);
        for my $h (parse_header_spec($spec)) {
            my ($key, $val) = @$h;
            my $actual = response_header($res, $key);
            Test::More::like(defined $actual ? $actual : '', qr/^$val$/,
                             "$name - header $key like ok");
        }
    }
}

# "Name: value" lines; "!Name" means the header must be absent.
sub parse_header_spec {
    my ($spec) = @_;
    my @headers;
    for my $line (split /\n/, $spec) {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            push @headers, [$line, undef];
        } else {
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            push @headers, [$key, defined $val ? $val : ''];
        }
    }
    return @headers;
}

# "--- response_body_filters", as upstream: the body goes through filters
# before response_body* look at it.  A filter is a code reference or the
# name of a built-in (md5_hex sha1_hex uc lc ucfirst lcfirst length); the
# section is one filter, a list of them (applied in turn, the same for
# every request), a string of names, or a list of lists (one per request).
my %BodyFilters = (
    md5_hex  => sub { require Digest::MD5; Digest::MD5::md5_hex($_[0]) },
    sha1_hex => sub { require Digest::SHA; Digest::SHA::sha1_hex($_[0]) },
    uc       => sub { uc $_[0] },
    lc       => sub { lc $_[0] },
    ucfirst  => sub { ucfirst $_[0] },
    lcfirst  => sub { lcfirst $_[0] },
    length   => sub { length $_[0] },
);

sub transform_response_body {
    my ($block, $res, $idx) = @_;
    my $name = $block->name;
    my $filters = $block->response_body_filters;

    return unless defined $filters && $res && defined $res->{body};

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//g;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    if (@$filters && ref $filters->[0] eq 'ARRAY') {
        bail_out("$name - --- response_body_filters: a list of lists must have"
                 . " a list for every request")
            if grep { ref $_ ne 'ARRAY' } @$filters;
        $filters = $filters->[$idx];
        bail_out("$name - --- response_body_filters has no list for request"
                 . " $idx") unless defined $filters;
    }

    for my $f (@$filters) {
        my $code = ref $f eq 'CODE' ? $f : !ref $f ? $BodyFilters{$f} : undef;
        bail_out("$name - unknown filter \"$f\" in --- response_body_filters")
            unless $code;
        $res->{body} = $code->($res->{body});
    }
}

sub check_response_body {
    my ($block, $res, $idx, $rep, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->{body} : undef;

    if (defined $block->response_body) {
        my $expected = indexed_value($name, scalar $block->response_body, $idx, $need_array);
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }
        if (ref $expected) {
            Test::More::like($content, $expected,
                "$name - response_body - like (repeated req $rep, req $idx)");
        } else {
            is_str($content, $expected,
                "$name - response_body - response is expected (repeated req $rep, req $idx)");
        }
        return;
    }

    for my $type (qw(like unlike)) {
        my $patterns = $block->${\"response_body_$type"};
        next unless defined $patterns;

        my $pat = indexed_value($name, $patterns, $idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

        my $summary = defined $content ? $content : '';
        $summary =~ s/^\s+|\s+$//g;
        $summary =~ s/\n/ /gs;
        $summary =~ s/\s{2,}/ /gs;

        my $cmp = $type eq 'like' ? \&Test::More::like : \&Test::More::unlike;
        $cmp->($content, qr/$pat/s,
               "$name - response_body_$type - response is expected ($summary)");
        return;
    }
}

# With several requests in a block every expectation must be an array
# (one entry per request); a single request also accepts a 1-array.
sub indexed_value {
    my ($name, $value, $idx, $need_array) = @_;
    my $is_array = ref $value && ref $value eq 'ARRAY';

    if ($need_array) {
        return $value->[$idx] if $is_array;
        bail_out("$name - You asked for many requests, the expected results "
                 . "should be arrays as well.");
    }

    return $is_array ? $value->[0] : $value;
}

# ---------------------------------------------------------------------------
# error_log / no_error_log and crash detection
# ---------------------------------------------------------------------------

# Lines the error log gained since the previous check of this block.
sub error_log_data {
    sleep $Sleep * 3;    # let nginx finish logging (e.g. the log phase)

    open my $in, '<', $ErrLogFile or return [];
    seek $in, $ErrLogPos, 0 if !$CheckAccumErrLog && $ErrLogPos > 0;
    my @lines = <$in>;
    $ErrLogPos = tell $in unless $CheckAccumErrLog;
    close $in;

    return \@lines;
}

sub pattern_list {
    my ($pats) = @_;
    if (!ref $pats) {
        chomp $pats;
        return [ split /\n+/, $pats ];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub line_matches {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ $pat : index($line, $pat) >= 0;
}

sub value_contains {
    my ($val, $str) = @_;
    return grep { !ref $_ && index($_, $str) >= 0 } @{ pattern_list($val) };
}

sub fmt_str {
    my ($s) = @_;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}

sub check_error_log {
    my ($block, $rep) = @_;
    my $name = $block->name;
    my $lines = error_log_data();

    my %warn_level = map { $_ => 1 } qw(alert crit emerg);

    if (defined(my $spec = $block->error_log)) {
        for my $level (keys %warn_level) {
            delete $warn_level{$level} if value_contains($spec, "[$level");
        }

        my $pats = pattern_list($spec);
        for my $line (@$lines) {
            for my $pat (@$pats) {
                next if !defined $pat || !line_matches($line, $pat);
                Test::More::pass("$name - pattern \"$pat\" matches a line in error.log (req $rep)");
                undef $pat;
            }
        }
        for my $pat (grep { defined } @$pats) {
            Test::More::fail("$name - pattern \"$pat\" should match a line in error.log (req $rep)");
        }
    }

    if (defined(my $spec = $block->no_error_log)) {
        for my $level (keys %warn_level) {
            delete $warn_level{$level} if value_contains($spec, "[$level");
        }

        my $pats = pattern_list($spec);
        my %found;
        for my $line (@$lines) {
            for my $pat (@$pats) {
                next if !defined $pat || !line_matches($line, $pat);
                $found{$pat} = 1;
                Test::More::fail(sprintf(
                    "%s - pattern \"%s\" should not match any line in error.log "
                    . "but matches line \"%s\" (req %s)",
                    $name, fmt_str($pat), fmt_str($line), $rep));
            }
        }
        for my $pat (grep { defined && !$found{$_} } @$pats) {
            Test::More::pass(sprintf(
                "%s - pattern \"%s\" does not match a line in error.log (req %s)",
                $name, fmt_str($pat), $rep));
        }
    }

    for my $line (@$lines) {
        for my $level (keys %warn_level) {
            warn "WARNING: $name - ", fmt_str($line), "\n"
                if $line =~ /\[\Q$level\E\]/;
        }
        if ($line =~ /\bAssertion .*?failed\b/) {
            chomp(my $l = $line);
            Test::More::fail("$name - $l");
        }
    }
}

# After a block: nginx must still be alive and no worker may have crashed.
# Adds a failing test only when something is wrong.
sub check_nginx_health {
    my ($block) = @_;
    my $name = $block->name;
    return unless $NginxPid;

    if (!is_running($NginxPid)) {
        my $how = defined $ExitStatus{$NginxPid}
                ? ' (' . describe_status($ExitStatus{$NginxPid}) . ')' : '';
        Test::More::fail("$name - nginx (pid $NginxPid) died unexpectedly$how");
        undef $NginxPid;
        $HaveRunningConfig = 0;
    }

    # a test that kills a worker on purpose says so, in the block's
    # error_log or for the whole file with TEST_NGINX_EXPECT_CRASH
    my $expected = $ENV{TEST_NGINX_EXPECT_CRASH}
                   || (defined $block->error_log
                       && value_contains($block->error_log,
                                         'exited on signal'));

    open my $in, '<', $ErrLogFile or return;
    seek $in, $CrashScanPos, 0;
    while (my $line = <$in>) {
        next unless $line =~ /exited on signal/;
        next if $expected;
        Test::More::fail("$name - " . fmt_str($line));
    }
    $CrashScanPos = tell $in;
    close $in;
}

# ---------------------------------------------------------------------------
# The HTTP client
# ---------------------------------------------------------------------------

sub connect_to_server {
    my ($block, $timeout) = @_;
    my $name = $block->name;
    my $err;

    for my $try (1 .. 50) {
        my $sock = IO::Socket::INET->new(
            PeerAddr => $ServerAddr,
            PeerPort => $ServerPortForClient,
            Proto    => 'tcp',
            Timeout  => $timeout,
        );
        return $sock if $sock;
        $err = $!;

        last if $NginxPid && !is_running($NginxPid);

        my $wait = ($Sleep + $Sleep * $try) * $try / 2;
        $wait = 1 if $wait > 1;
        warn "$name - Can't connect to $ServerAddr:$ServerPortForClient: $err; "
             . "retrying in $wait sec\n" if $wait >= 0.6;
        sleep $wait;
    }

    my $msg = "$name - Can't connect to $ServerAddr:$ServerPortForClient: $err (aborted)";
    bail_out($msg) if ++$ConnectFailures >= 3;
    Test::More::fail($msg);
    return;
}

# Sends one request (a list of packets) on a new connection and reads the
# response until the server closes the connection.
sub send_request {
    my ($block, $bits, $timeout) = @_;
    my $name = $block->name;

    my $sock = connect_to_server($block, $timeout) or return;
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';

    my $sel = IO::Select->new($sock);
    my $resp = '';
    my $middle_delay = parse_time(scalar $block->raw_request_middle_delay);

  WRITE:
    for my $i (0 .. $#$bits) {
        my $delay = $bits->[$i]{delay_before};
        $delay = $middle_delay if !defined $delay && $i > 0;
        sleep $delay if $delay;

        my $buf = $bits->[$i]{value};
        my $off = 0;
        while ($off < length $buf) {
            if (!$sel->can_write($timeout)) {
                client_timeout($block, $sock);
                return $resp;
            }
            my $n = syswrite($sock, $buf, length($buf) - $off, $off);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                warn "WARNING: $name - write failed: $!\n";
                last WRITE;
            }
            $off += $n;
        }
    }

    if (defined(my $how = $block->shutdown)) {
        shutdown($sock, $how =~ /^\s*$/ ? 1 : $how);
    }

    while (1) {
        if (!$sel->can_read($timeout)) {
            client_timeout($block, $sock);
            return $resp;
        }
        my $n = sysread($sock, my $chunk, 8192);
        if (!defined $n) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            warn "WARNING: $name - HTTP response read failure: $!\n";
            last;
        }
        last if $n == 0;
        $resp .= $chunk;
    }

    close $sock;
    return $resp;
}

sub client_timeout {
    my ($block, $sock) = @_;
    close $sock;
    Test::More::fail("ERROR: client socket timed out - " . $block->name)
        unless defined $block->abort;
}

# Returns ({code, headers => [[name, value]...], body}, $raw_headers).
# The body is decoded for chunked transfer encoding and cut to
# Content-Length; otherwise it is whatever came before the connection
# was closed.
sub parse_response {
    my ($name, $raw, $is_head) = @_;

    my ($head, $body) = split /\r?\n\r?\n/, $raw, 2;
    $body = '' unless defined $body;
    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';

    my @lines = split /\r?\n/, defined $head ? $head : '';
    my $status_line = shift @lines;
    my %res = (headers => [], body => $body);
    if (defined $status_line && $status_line =~ m{^HTTP/\d+\.\d+\s+(\d+)}) {
        $res{code} = $1;
    }

    for my $line (@lines) {
        my ($key, $val) = split /:/, $line, 2;
        next unless defined $val;
        $val =~ s/^\s+|\s+$//g;
        push @{ $res{headers} }, [$key, $val];
    }

    my $code = $res{code};
    return (\%res, $raw_headers) if $code && ($code == 304 || $code == 101);

    my $te = response_header(\%res, 'Transfer-Encoding');
    my $len = response_header(\%res, 'Content-Length');

    if (defined $te && $te eq 'chunked') {
        my $decoded = decode_chunked($name, $body);
        return (undef, $raw_headers) unless defined $decoded;
        $res{body} = $decoded;
    } elsif (defined $len && $len =~ /^\d+$/) {
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
                 . "but got " . length($body) . "\n" unless $is_head;
        } elsif (length $body > $len) {
            $res{body} = substr $body, 0, $len;
        }
    }

    return (\%res, $raw_headers);
}

sub decode_chunked {
    my ($name, $raw) = @_;
    my $decoded = '';

    while (1) {
        if ($raw =~ /\G0[ \t]*\r\n\r\n/gc) {
            return $decoded;
        }
        if ($raw =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
            my $size = hex $1;
            if ($raw !~ /\G(.{$size})\r\n/gcs) {
                Test::More::fail("$name - invalid chunked data received");
                return;
            }
            $decoded .= $1;
            next;
        }
        Test::More::fail("$name - no last chunk found - $raw");
        return;
    }
}

# Value of a response header (case-insensitive); repeated headers are
# joined with ", " as HTTP::Headers does.
sub response_header {
    my ($res, $key) = @_;
    return unless $res;
    my @vals = map { $_->[1] } grep { lc $_->[0] eq lc $key } @{ $res->{headers} };
    return @vals ? join(', ', @vals) : undef;
}

# ---------------------------------------------------------------------------
# Server root, configuration and process management
# ---------------------------------------------------------------------------

sub default_nginx_binary {
    for my $dir (split /:/, $ENV{PATH} || '') {
        next if $dir eq '';
        return 'nginx' if -f "$dir/nginx" && -x _;
    }
    return '/usr/sbin/nginx';
}

sub canon_version { sprintf '%d.%03d%03d', @_[0 .. 2] }

sub nginx_version {
    my $out = `$NginxBinary -V 2>&1`;
    bail_out("Failed to get the version of the nginx binary \"$NginxBinary\": "
             . ($out // ''))
        if !defined $out || $? != 0;
    return canon_version($1, $2, $3)
        if $out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s;
    bail_out("Failed to parse the output of \"nginx -V\": $out");
}

# "-e" (1.19.5+) sets the log nginx writes start-up errors to. Pointing
# it at error.log makes nginx builds whose compiled-in error log is
# stderr (such as Debian's) log start-up errors where a build with the
# default logs/error.log would, so must_die blocks can check them.
sub nginx_has_e_option { $NginxVersion >= canon_version(1, 19, 5) }

sub setup_server_root {
    if (-d $ServRoot) {
        # Only remove what this harness creates, never the whole tree.
        remove_tree($ConfDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
    }
    make_path($ServRoot, $LogDir, $HtmlDir, $ConfDir);
    -d $ConfDir or bail_out("Failed to create $ConfDir");

    write_file("$HtmlDir/index.html",
        '<html><head><title>It works!</title></head><body>It works!</body></html>');

    $ErrLogPos = 0;
    $CrashScanPos = 0;
}

sub write_file {
    my ($path, $content) = @_;
    open my $out, '>', $path or bail_out("Can't open $path for writing: $!");
    binmode $out;
    print $out $content;
    close $out;
}

sub append_to_file {
    my ($path, $content) = @_;
    open my $out, '>>', $path or bail_out("Can't open $path for appending: $!");
    print $out $content;
    close $out;
}

# "--- user_files": ">>> name [touch-date]" headers followed by content,
# or an eval'ed [[name, content, date], ...]. Relative names go to html/.
sub write_user_files {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, '', $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type for --- user_files: " . ref $files);
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        (my $dir = $path) =~ s{/[^/]*$}{};
        make_path($dir) unless -d $dir;
        write_file($path, expand_env_in_text(defined $body ? $body : '',
                                             $name, $rand_ports));
        if ($date) {
            local $ENV{TZ} = 'GMT';
            system('touch', '-t', $date, $path) == 0
                or bail_out("$name - failed to touch $path with date $date");
        }
    }
}

# $TEST_NGINX_FOO is replaced by $ENV{TEST_NGINX_FOO}; an unset variable
# aborts the run, as upstream. $TEST_NGINX_RAND_PORT_N is a free port.
sub expand_env_in_text {
    my ($text, $name, $rand_ports) = @_;
    return unless defined $text;

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            $rand_ports->{$var} //= random_port($name, $rand_ports);
        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $ENV{$var};
        }
    }eg;

    return $text;
}

sub random_port {
    my ($name, $used) = @_;
    # the port being drawn is in %$used already, undef
    my %taken = map { $_ => 1 } $ServerPort, grep { defined } values %$used;
    for (1 .. 1000) {
        my $port = int(rand 63550) + 1985;
        next if $taken{$port};
        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr, LocalPort => $port, Proto => 'tcp');
        next unless $sock;
        close $sock;
        return $port;
    }
    bail_out("$name - Cannot find an available listening port number.");
}

sub write_config_file {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;

    my $load_modules = join '', map { "load_module $_;\n" }
                                grep { length } split /\s+/, $LoadModules;
    my %text;
    for my $section (qw(main_config post_main_config http_config)) {
        my $value = $block->$section;
        $text{$section} = expand_env_in_text(defined $value ? $value : '',
                                             $name, $rand_ports);
    }
    my ($main_config, $post_main_config, $http_config)
        = @text{qw(main_config post_main_config http_config)};
    $config = '' unless defined $config;

    my $server_name = defined $block->server_name ? $block->server_name : $ServerName;
    $server_name =~ s/\\/\\\\/g;
    $server_name =~ s/'/\\'/g;

    my $env = join '', map { "env $_;\n" } qw(LD_PRELOAD LD_LIBRARY_PATH ASAN_OPTIONS),
                       map { /\s/ ? "'$_'" : $_ } @EnvToNginx;

    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $user = $> == 0 ? "user root;\n" : '';

    write_file($ConfFile, <<"_EOC_");
# generated by the Test::Nginx::Socket stand-in (t/harness)
${load_modules}worker_processes  $Workers;
daemon off;
master_process $MasterProcess;
error_log $ErrLogFile $LogLevel;
pid       $PidFile;
$env
$main_config

http {
    access_log $AccLogFile;

    default_type text/plain;
    keepalive_timeout  68;

$http_config

    server {
        listen          $ServerPort;
        server_name     '$server_name';

        client_max_body_size 30M;

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
$user
_EOC_
}

# nginx runs in the foreground ("daemon off") as a child of this process,
# in its own session, so that the harness reaps it and knows how it ended.


sub nginx_command {
    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile);
    push @cmd, '-e', $ErrLogFile if nginx_has_e_option();
    return @cmd;
}

sub spawn_nginx {
    my @cmd = nginx_command();
    unlink $PidFile;

    my $pid = fork;
    bail_out("fork() failed: $!") unless defined $pid;

    if ($pid == 0) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $StderrFile;
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        POSIX::_exit(127);
    }

    return $pid;
}

# Waits until nginx has started (its pid file names it, which nginx
# writes once it listens) or has exited. Returns "started", "exited" or
# "timeout".
sub wait_for_startup {
    my ($pid, $limit) = @_;
    for (my $t = 0; $t < $limit; $t += 0.01) {
        return 'exited' unless is_running($pid);
        my $from_file = read_pid_file();
        return 'started' if $from_file && $from_file == $pid;
        sleep 0.01;
    }
    return 'timeout';
}

sub read_stderr_file {
    open my $in, '<', $StderrFile or return '';
    local $/;
    my $text = <$in>;
    close $in;
    return defined $text ? $text : '';
}

# Starts nginx and waits for its fate. Returns (wait status, stderr
# text, pid); the status is 0 if nginx is up and running.
sub run_nginx {
    my $pid = spawn_nginx();
    my $state = wait_for_startup($pid, $StartTimeout);
    my $status = $state eq 'exited' ? $ExitStatus{$pid} : 0;
    $status = -1 if $status == (127 << 8);    # exec failed
    if ($state eq 'timeout') {
        stop_process($pid, 'start-up');
        $status = -1;
    }
    return ($status, read_stderr_file(), $pid);
}

sub start_nginx {
    my ($block) = @_;
    my $name = $block->name;
    my $waited = 0;

    while (1) {
        my ($status, $stderr, $pid) = run_nginx();

        if ($status == 0) {
            $NginxPid = $pid;
            $HaveRunningConfig = 1;
            return;
        }

        # A previous server may still hold the port for a moment.
        if ($stderr =~ /Address already in use/ && $waited < 10) {
            sleep 0.2;
            $waited += 0.2;
            next;
        }

        bail_out("$name - Cannot start nginx using command \""
                 . join(' ', nginx_command()) . "\" ("
                 . describe_status($status) . "): $stderr");
    }
}

sub describe_status {
    my ($status) = @_;
    return 'it could not be run or did not start in time' if $status == -1;
    return 'killed by signal ' . ($status & 127) if $status & 127;
    return 'exit code ' . ($status >> 8);
}

sub read_pid_file {
    open my $in, '<', $PidFile or return;
    my $pid = <$in>;
    close $in;
    return unless defined $pid && $pid =~ /^\s*(\d+)/;
    return $1;
}

# Alive, not a zombie. Reaps the process if it is our child and has
# exited, keeping its wait status in %ExitStatus.
sub is_running {
    my ($pid) = @_;
    return 0 unless $pid;
    return 0 if exists $ExitStatus{$pid};

    if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
        $ExitStatus{$pid} = $?;
        return 0;
    }
    return 0 unless kill 0, $pid;

    if (open my $in, '<', "/proc/$pid/stat") {
        my $stat = <$in>;
        close $in;
        return 0 if defined $stat && $stat =~ /\)\s+Z/;
    }
    return 1;
}

sub wait_for_exit {
    my ($pid, $limit) = @_;
    for (my $t = 0; $t < $limit; $t += 0.02) {
        return 1 unless is_running($pid);
        sleep 0.02;
    }
    return !is_running($pid);
}

# QUIT (graceful), then TERM, then KILL of its process group.
sub stop_process {
    my ($pid, $name) = @_;
    return unless is_running($pid);

    kill 'QUIT', $pid;
    return if wait_for_exit($pid, $Timeout);
    warn "$name - timeout when waiting for the nginx process $pid to exit\n";

    kill 'TERM', $pid;
    return if wait_for_exit($pid, 2);

    warn "$name - WARNING: killing the nginx process $pid with force...\n";
    my $pgrp = getpgrp($pid);
    kill 'KILL', (defined $pgrp && $pgrp == $pid) ? -$pid : $pid;
    wait_for_exit($pid, 2);
}

# Stops the nginx this harness started, or a stale one that a previous
# run left in the same server root.
sub stop_nginx {
    my ($name) = @_;
    my $pid = $NginxPid || read_pid_file();
    undef $NginxPid;
    $HaveRunningConfig = 0;
    stop_process($pid, $name) if $pid;
}

sub cleanup {
    $_->() for @CleanupHandlers;
}

# "1.5", "1.5s" or "150ms" -> seconds.
sub parse_time {
    my ($tm) = @_;
    return unless defined $tm;
    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        $tm = $tm / 1000;
    } else {
        $tm =~ s/([^_a-zA-Z])s$/$1/;
    }
    return $tm;
}

END {
    local $?;
    cleanup();
    stop_nginx('END') unless $ENV{TEST_NGINX_NO_CLEAN};
}

1;
__END__

=head1 NAME

Test::Nginx::Socket - stand-in for upstream Test::Nginx::Socket (subset)

=head1 SYNOPSIS

    use Test::Nginx::Socket;          # or: use Test::Nginx::Socket 'no_plan';

    repeat_each(2);
    plan tests => repeat_each() * (3 * blocks());
    run_tests();

    __DATA__

    === TEST 1: sanity
    --- config
        location = /t { return 200 "hello\n"; }
    --- request
    GET /t
    --- response_body
    hello
    --- no_error_log
    [error]

=head1 DESCRIPTION

This is a small stand-in for the C<Test::Nginx::Socket> module of the
upstream test-nginx project (CPAN distribution C<Test::Nginx>), which
Debian does not package. It implements only the subset of upstream's
features that this project's test suite uses, with upstream's
semantics, so the same F<.t> files pass under either module. F<t/run-tests>
picks upstream when it is installed and this stand-in otherwise.

Like upstream it is a L<Test::Base> subclass; for every block it writes
F<t/servroot/conf/nginx.conf>, (re)starts nginx with
C<-p t/servroot/ -c conf/nginx.conf> (plus C<-e logs/error.log> on nginx
1.19.5 and later, so start-up errors land in F<error.log> even when nginx
was built to log them to stderr), sends the requests over plain TCP and
checks the responses and the lines the block added to F<error.log>.
Unlike upstream, nginx runs with C<daemon off> as a child of the test
process, which waits for its pid file, stops it (QUIT, TERM, KILL) before
the next block and reaps it.

Supported sections: C<config>, C<http_config>, C<main_config>,
C<post_main_config>, C<server_name>, C<user_files>, C<init>, C<request>
(string or array of strings, one connection each), C<raw_request>,
C<more_headers>, C<error_code>, C<error_code_like>, C<response_body>,
C<response_body_like>, C<response_body_unlike>, C<response_body_filters>
(code references and the built-in names), C<response_headers>,
C<response_headers_like>, C<raw_response_headers_like>,
C<raw_response_headers_unlike>, C<error_log>, C<no_error_log>,
C<must_die>, C<log_level>, C<timeout>, C<wait>, C<abort>, C<shutdown>,
C<ignore_response>, C<raw_request_middle_delay>, C<skip_eval>,
C<skip_nginx>, plus Test::Base's C<ONLY>, C<SKIP> and C<LAST>. Other
upstream sections make the run bail out rather than pass silently.

Environment: C<TEST_NGINX_BINARY>, C<TEST_NGINX_LOAD_MODULES>,
C<TEST_NGINX_SERVER_PORT>/C<TEST_NGINX_PORT>, C<TEST_NGINX_CLIENT_PORT>,
C<TEST_NGINX_SERVROOT>, C<TEST_NGINX_LOG_LEVEL>,
C<TEST_NGINX_MASTER_PROCESS>, C<TEST_NGINX_NO_SHUFFLE>,
C<TEST_NGINX_TIMEOUT>, C<TEST_NGINX_SLEEP> and C<TEST_NGINX_NO_CLEAN>.
C<$TEST_NGINX_*> variables are expanded in the configuration sections and
user files; an unset one aborts the run, as upstream. As upstream, only
C<TEST_NGINX_SERVER_ROOT> and C<TEST_NGINX_SERVER_PORT> are set by the
module; a test that uses C<$TEST_NGINX_HTML_DIR> sets it itself:

    $ENV{TEST_NGINX_HTML_DIR} ||= html_dir();

Beyond upstream, a block fails when its nginx died or a worker
"exited on signal" (these checks add a test only when they fail).

=cut
