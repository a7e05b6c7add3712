#!/usr/bin/perl
# Writes JWK forms of PEM keys with CryptX, a JOSE implementation nobody
# here wrote, so that the module's JWK reader is tested on files it did
# not make itself (called by t/keys/gen.sh).
#
#   perl t/keys/jwk.pl DIR
#
# For each NAME in rsa1 ec1 ec384 ec521 rsa1024 (NAME.pem in DIR, from openssl):
#   NAME.jwk      the private JWK as Okta's Admin Console shows it: the
#                 key's members plus "kid" and "use": "sig"
#   NAME.pub.jwk  the public JWK (a key the module must refuse)
#   NAME.jkt      its RFC 7638 thumbprint (SHA-256), computed by CryptX
# and:
#   rsa1-alg.jwk  rsa1 with "alg": "RS256"
#   ec1-alg.jwk   ec1 with "alg": "ES256"
#   rsa1.jwks     {"keys": [rsa1.jwk]}
#   two.jwks      {"keys": [rsa1.jwk, ec1.jwk]} (refused: which one?)

use strict;
use warnings;

use Crypt::PK::ECC;
use Crypt::PK::RSA;
use JSON::PP;

my $dir = shift // die "usage: jwk.pl DIR\n";
my $json = JSON::PP->new->canonical(1);

sub slurp_key {
    my ($name) = @_;
    my $class = $name =~ /^rsa/ ? 'Crypt::PK::RSA' : 'Crypt::PK::ECC';
    return $class->new("$dir/$name.pem");
}

sub spew {
    my ($file, $text, $mode) = @_;
    open my $fh, '>', "$dir/$file" or die "$dir/$file: $!\n";
    print $fh $text;
    close $fh or die "$dir/$file: $!\n";
    chmod $mode, "$dir/$file";
}

my %jwk;

for my $name (qw(rsa1 ec1 ec384 ec521 rsa1024)) {
    my $pk = slurp_key($name);
    my $h = $pk->export_key_jwk('private', 1);
    $h->{kid} = "kid-$name-Qx7_2Lm";
    $h->{use} = 'sig';
    $jwk{$name} = $h;

    spew("$name.jwk", $json->pretty->encode($h), 0600);
    spew("$name.pub.jwk", $pk->export_key_jwk('public') . "\n", 0644);
    spew("$name.jkt", $pk->export_key_jwk_thumbprint('SHA256') . "\n",
         0644);
}

$json = JSON::PP->new->canonical(1);

spew('rsa1-alg.jwk', $json->encode({ %{ $jwk{rsa1} }, alg => 'RS256' }),
     0600);
spew('ec1-alg.jwk', $json->encode({ %{ $jwk{ec1} }, alg => 'ES256' }),
     0600);
spew('rsa1.jwks', $json->encode({ keys => [ $jwk{rsa1} ] }), 0600);
spew('two.jwks', $json->encode({ keys => [ $jwk{rsa1}, $jwk{ec1} ] }),
     0600);
