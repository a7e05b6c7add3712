#!/usr/bin/perl
# Checks what the module's crypto code makes with tools nobody here
# wrote: Crypt::JWT verifies DPoP proofs (with the key of their own jwk
# header, as a DPoP verifier does) and client assertions, CryptX computes
# thumbprints and digests, MIME::Base64 the Basic credentials.
#
#   perl t/unit/verify.pl build/test_emit [KEYDIR]
#
# TAP output (Test::More); exits non-zero on any failure.

use strict;
use warnings;

use Crypt::Digest::SHA1 qw(sha1_b64u);
use Crypt::Digest::SHA256 qw(sha256_b64u);
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::ECC;
use Crypt::PK::RSA;
use MIME::Base64 qw(decode_base64 encode_base64);
use Test::More;

my $emit = shift // die "usage: verify.pl EMIT [KEYDIR]\n";
my $dir = shift // 't/keys';

open my $fh, '-|', $emit, $dir or die "$emit: $!\n";
my @lines = <$fh>;
close $fh;
is($?, 0, "$emit ran");

my (%seen_jti, %count);

sub pk {
    my ($file) = @_;
    return $file =~ /^rsa/ ? Crypt::PK::RSA->new("$dir/$file")
                           : Crypt::PK::ECC->new("$dir/$file");
}

# application/x-www-form-urlencoded as RFC 6749 appendix B has it
sub form {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~ ])/sprintf('%%%02X', ord $1)/ge;
    $s =~ tr/ /+/;
    return $s;
}

sub der_of_pem_cert {
    my ($file) = @_;
    open my $c, '<', "$dir/$file" or die "$dir/$file: $!\n";
    local $/;
    my $pem = <$c>;
    $pem =~ /-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----/s
        or die "no certificate in $file\n";
    return decode_base64($1);
}

sub tampered {
    my ($jws) = @_;
    my ($h, $p, $s) = split /\./, $jws;
    substr($s, 5, 1) = substr($s, 5, 1) eq 'A' ? 'B' : 'A';
    return "$h.$p.$s";
}

for my $line (@lines) {
    chomp $line;
    my ($kind, @f) = split /\t/, $line;
    $count{$kind}++;

    if ($kind eq 'dpop') {
        my ($alg, $key, $htm, $htu, $nonce, $token, $iat, $proof) = @f;
        my ($h, $c) = eval {
            decode_jwt(token => $proof, key_from_jwk_header => 1,
                       decode_header => 1, accepted_alg => $alg)
        };
        ok($h, "dpop $alg $htm: Crypt::JWT verifies it with its jwk")
            or diag($@);
        next unless $h;

        is($h->{typ}, 'dpop+jwt', 'typ');
        is($h->{alg}, $alg, 'alg');
        is(join(',', sort keys %$h), 'alg,jwk,typ', 'header members');

        # the jwk is the key's public part and nothing more
        my $jwk = $h->{jwk};
        ok(!exists $jwk->{d} && !exists $jwk->{p}, 'no private member');
        my $want = pk($key);
        my $got = $key =~ /^rsa/ ? Crypt::PK::RSA->new($jwk)
                                 : Crypt::PK::ECC->new($jwk);
        is($got->export_key_jwk_thumbprint('SHA256'),
           $want->export_key_jwk_thumbprint('SHA256'),
           'jwk thumbprint is the key file\'s');

        is($c->{htm}, $htm, 'htm');
        # the claims are decoded JSON: characters, the line is bytes
        utf8::decode($htu);
        is($c->{htu}, $htu, 'htu');
        is($c->{iat}, $iat, 'iat');
        like($c->{jti}, qr/^[A-Za-z0-9_-]{22}$/, 'jti: 128 bits base64url');
        ok(!$seen_jti{$c->{jti}}++, 'jti never seen before');

        if ($nonce eq '-') {
            ok(!exists $c->{nonce}, 'no nonce');
        } else {
            is($c->{nonce}, $nonce, 'nonce');
        }

        if ($token eq '-') {
            ok(!exists $c->{ath}, 'no ath');
        } else {
            is($c->{ath}, sha256_b64u($token), 'ath = SHA-256 of the token');
        }

        my $n = 4 + ($nonce ne '-') + ($token ne '-');
        is(scalar keys %$c, $n, 'no other claims');

        ok(!eval { decode_jwt(token => tampered($proof),
                              key_from_jwk_header => 1); 1 },
           'a tampered proof is refused');

    } elsif ($kind eq 'hmac') {
        my ($alg, $hex, $cid, $aud, $iat, $life, $jwt) = @f;
        my $secret = pack 'H*', $hex;
        my ($h, $c) = eval {
            decode_jwt(token => $jwt, key => $secret, decode_header => 1,
                       accepted_alg => $alg)
        };
        ok($h, "$alg client_secret_jwt verifies with the secret")
            or diag($@);
        next unless $h;

        is($h->{alg}, $alg, 'alg');
        is($h->{typ}, 'JWT', 'typ');
        is($c->{iss}, $cid, 'iss');
        is($c->{sub}, $cid, 'sub');
        is($c->{aud}, $aud, 'aud');
        is($c->{iat}, $iat, 'iat');
        is($c->{exp}, $iat + $life, 'exp');
        like($c->{jti}, qr/^[A-Za-z0-9_-]{22}$/, 'jti');
        ok(!eval { decode_jwt(token => $jwt, key => "$secret!",
                              accepted_alg => $alg); 1 },
           'another secret does not verify it');

    } elsif ($kind eq 'pkjwt') {
        my ($alg, $pub, $cert, $cid, $aud, $jwt) = @f;
        my ($h, $c) = eval {
            decode_jwt(token => $jwt, key => Crypt::PK::RSA->new("$dir/$pub"),
                       decode_header => 1, accepted_alg => $alg)
        };
        ok($h, "$alg private_key_jwt with x5t#S256 verifies") or diag($@);
        next unless $h;

        my $der = der_of_pem_cert($cert);
        is($h->{'x5t#S256'}, sha256_b64u($der),
           'x5t#S256 = SHA-256 of the DER certificate');
        is($h->{x5t}, sha1_b64u($der), 'x5t = SHA-1 of the DER certificate');
        is($c->{iss}, $cid, 'iss');
        is($c->{aud}, $aud, 'aud');

    } elsif ($kind eq 'basic') {
        my ($idhex, $shex, $value) = @f;
        my ($id, $secret) = (pack('H*', $idhex), pack('H*', $shex));
        my $want = 'Basic ' . encode_base64(form($id) . ':' . form($secret),
                                            '');
        is($value, $want, 'client_secret_basic: form-encoded, then base64');

        # what a server does: base64, split at the first ':', form-decode
        my ($u, $p) = split /:/, decode_base64(substr($value, 6)), 2;
        for ($u, $p) { tr/+/ /; s/%([0-9A-F]{2})/chr hex $1/ge; }
        is($u, $id, 'the server gets the id back');
        is($p, $secret, 'the server gets the secret back');

    } else {
        fail("unknown line: $line");
    }
}

ok($count{dpop} >= 50, 'DPoP proofs checked');
ok($count{hmac} == 3, 'HS256, HS384, HS512 checked');
ok($count{pkjwt} == 2, 'x5t#S256 assertions checked');
ok($count{basic} == 3, 'client_secret_basic checked');

done_testing();
