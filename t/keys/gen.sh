#!/bin/sh
# Generate the test keys of ngx_http_oauth2_client_module with the openssl CLI.
#
# usage: t/keys/gen.sh [DIR]        (DIR defaults to t/keys)
#
# Files written into DIR:
#   rsa1.pem       RSA 2048, PKCS#8 ("BEGIN PRIVATE KEY")            + rsa1.pub.pem
#   rsa2.pem       RSA 2048, the "wrong key"; NO rsa2.pub.pem on purpose:
#                  a signature by rsa2 under kid rsa1 must fail, and kid rsa2
#                  must be an unknown kid for the mock
#   ec1.pem        EC P-256, PKCS#8                                  + ec1.pub.pem
#   ec384.pem      EC P-384, PKCS#8                                  + ec384.pub.pem
#   ec521.pem      EC P-521, PKCS#8                                  + ec521.pub.pem
#   rsa1024.pem    RSA 1024, too short (config error test)           + rsa1024.pub.pem
#                  (the mock refuses RSA keys < 2048 bits anyway)
#   ec-sec1.pem    EC P-256, SEC1 "BEGIN EC PRIVATE KEY"             + ec-sec1.pub.pem
#   rsa-pkcs1.pem  RSA 2048, PKCS#1 "BEGIN RSA PRIVATE KEY"          + rsa-pkcs1.pub.pem
#   rsa-enc.pem    RSA 2048, encrypted PKCS#8 (AES-256-CBC)          + rsa-enc.pub.pem
#   rsa-enc.pass   its passphrase (one line)
#   rsa-enc-legacy.pem  RSA 2048, PKCS#1 with "Proc-Type: 4,ENCRYPTED"
#                  (AES-256-CBC), the same passphrase      + .pub.pem
#   ec-enc.pem     EC P-256, encrypted PKCS#8 (AES-128-CBC, scrypt-free
#                  PBKDF2), the same passphrase            + .pub.pem
#   ec-enc-legacy.pem   EC P-256, SEC1 with "Proc-Type: 4,ENCRYPTED"
#                  (DES-EDE3-CBC), the same passphrase     + .pub.pem
#   rsa-enc.crlf.pass   the passphrase with a CRLF line end
#   ec-enc-utf8.pem     EC P-256, encrypted PKCS#8 under a non-ASCII
#                  passphrase, in ec-enc-utf8.pass (UTF-8)  + .pub.pem
#   rsa1.crt, ec1.crt   self-signed certificates of rsa1.pem and ec1.pem
#                  (x5t#S256 in a private_key_jwt assertion, as Entra ID
#                  wants), with their thumbprints computed by openssl:
#                  NAME.crt.x5t (SHA-1) and NAME.crt.x5t256 (SHA-256),
#                  base64url of the digest of the DER certificate;
#                  rsa1-other.crt another certificate of rsa1's key,
#                  registered nowhere (the wrong certificate)
#   NAME.jwk, NAME.pub.jwk, NAME.jkt, rsa1-alg.jwk, ec1-alg.jwk,
#   rsa1.jwks, two.jwks
#                  JWK forms of rsa1, ec1, ec384, ec521, rsa1024 by CryptX
#                  (t/keys/jwk.pl), with CryptX's RFC 7638 thumbprints
#   cert.pem       a self-signed certificate only (no private key in DIR)
#   ca.crt         a test CA (EC P-256; its key is thrown away)
#   tls.crt        a TLS server certificate the CA signed, for localhost and
#                  127.0.0.1, with its key tls.key (EC P-256, PKCS#8)
#   client.crt     a TLS client certificate the CA signed,
#                  CN=oauth2-test-client, SAN DNS:client.oauth2.test, with
#                  its key client.key (EC P-256): tls_client_auth
#   client2.crt    another one the CA signed, CN=oauth2-other-client
#                  (a subject no client registered), key client2.key
#   rogue.crt      CN=oauth2-test-client again, but signed by a CA nobody
#                  trusts (its key thrown away), key rogue.key
#   selfsigned.crt a self-signed client certificate, CN=oauth2-self-signed,
#                  key selfsigned.key: self_signed_tls_client_auth
#   client.secret  a client secret with the characters that break naive
#                  encoders (":", "%41", "100%", "+", space, "&", "=", "/",
#                  "?", "#", quotes, backslash), printable ASCII only (what
#                  RFC 6749 allows, and all oidc-provider takes), 72 bytes
#                  (HS512 wants 64 or more),
#                  no trailing newline
#   client-utf8.secret  the same with non-ASCII (UTF-8 "\u00e9" and "\u20ac")
#                  in the middle, no trailing newline
#   wrong.secret   a secret no client has
#   .stamp         written last: "version N" and the date; when it names
#                  the current version the script does nothing, an older
#                  one (or none) makes the whole set again
#
# Private keys are mode 0600. Safe to run concurrently (prove -j): a mkdir
# lock serialises runs, and keys are generated in a temporary directory and
# moved in before the stamp, so a half-written set is never used.

set -eu

dir=${1:-t/keys}
pass='oauth2-test-pass'

# Raise it when the set of files changes, so that older sets are replaced.
version=5

current() {
    [ "$(head -n 1 "$dir/.stamp" 2>/dev/null)" = "version $version" ]
}

mkdir -p "$dir"
current && exit 0

lock="$dir/.lock"
waited=0
until mkdir "$lock" 2>/dev/null; do
    # another run is generating; wait for it (or take over a stale lock)
    current && exit 0
    waited=$((waited + 1))
    if [ "$waited" -gt 120 ]; then
        echo "gen.sh: removing stale lock $lock" >&2
        rmdir "$lock" 2>/dev/null || true
        waited=0
    fi
    sleep 0.5
done
tmp=
trap '[ -n "$tmp" ] && rm -rf "$tmp"; rmdir "$lock" 2>/dev/null || true' EXIT INT TERM
tmp=$(mktemp -d "$dir/.gen.XXXXXX")

# Re-check under the lock: the run we waited for may have finished.
if current; then
    exit 0
fi

umask 077

rsa() {  # rsa NAME BITS -> PKCS#8 RSA key
    openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" \
        -out "$tmp/$1.pem" 2>/dev/null
}

ec() {   # ec NAME CURVE -> PKCS#8 EC key with a named curve
    openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$2" \
        -pkeyopt ec_param_enc:named_curve -out "$tmp/$1.pem" 2>/dev/null
}

pub() {  # pub NAME [openssl pkey args] -> NAME.pub.pem (SubjectPublicKeyInfo)
    name=$1; shift
    openssl pkey -in "$tmp/$name.pem" "$@" -pubout -out "$tmp/$name.pub.pem"
}

rsa rsa1 2048
rsa rsa2 2048
ec  ec1 P-256
ec  ec384 P-384
ec  ec521 P-521
rsa rsa1024 1024

# SEC1 ("BEGIN EC PRIVATE KEY") form of a fresh P-256 key
ec  ec-sec1-tmp P-256
openssl ec -in "$tmp/ec-sec1-tmp.pem" -out "$tmp/ec-sec1.pem" 2>/dev/null
rm -f "$tmp/ec-sec1-tmp.pem"

# PKCS#1 ("BEGIN RSA PRIVATE KEY") form of a fresh RSA 2048 key
rsa rsa-pkcs1-tmp 2048
openssl rsa -in "$tmp/rsa-pkcs1-tmp.pem" -traditional \
    -out "$tmp/rsa-pkcs1.pem" 2>/dev/null
rm -f "$tmp/rsa-pkcs1-tmp.pem"

# Encrypted PKCS#8 ("BEGIN ENCRYPTED PRIVATE KEY")
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -aes-256-cbc -pass "pass:$pass" -out "$tmp/rsa-enc.pem" 2>/dev/null
printf '%s\n' "$pass" > "$tmp/rsa-enc.pass"

# The legacy PEM encryption ("Proc-Type: 4,ENCRYPTED") of RSA and EC keys,
# an encrypted PKCS#8 EC key, and one under a non-ASCII passphrase
rsa rsa-enc-legacy-tmp 2048
openssl rsa -in "$tmp/rsa-enc-legacy-tmp.pem" -traditional -aes256 \
    -passout "pass:$pass" -out "$tmp/rsa-enc-legacy.pem" 2>/dev/null
rm -f "$tmp/rsa-enc-legacy-tmp.pem"
ec  ec-enc-tmp P-256
openssl pkcs8 -topk8 -in "$tmp/ec-enc-tmp.pem" -v2 aes-128-cbc \
    -passout "pass:$pass" -out "$tmp/ec-enc.pem"
openssl ec -in "$tmp/ec-enc-tmp.pem" -des3 -passout "pass:$pass" \
    -out "$tmp/ec-enc-legacy.pem" 2>/dev/null
rm -f "$tmp/ec-enc-tmp.pem"
printf '%s\r\n' "$pass" > "$tmp/rsa-enc.crlf.pass"
utf8pass=$(printf 'p\303\244ssw\303\266rd \342\202\254 unit')
printf '%s\n' "$utf8pass" > "$tmp/ec-enc-utf8.pass"
ec  ec-enc-utf8-tmp P-256
openssl pkcs8 -topk8 -in "$tmp/ec-enc-utf8-tmp.pem" -v2 aes-256-cbc \
    -passout "file:$tmp/ec-enc-utf8.pass" -out "$tmp/ec-enc-utf8.pem"
rm -f "$tmp/ec-enc-utf8-tmp.pem"

# Certificates of rsa1 and ec1, and their x5t and x5t#S256 thumbprints
for k in rsa1 ec1; do
    openssl req -x509 -new -key "$tmp/$k.pem" -subj "/CN=oauth2 $k" \
        -days 3650 -out "$tmp/$k.crt" 2>/dev/null
    for d in sha1:x5t sha256:x5t256; do
        openssl x509 -in "$tmp/$k.crt" -outform DER \
            | openssl dgst "-${d%%:*}" -binary | openssl base64 -A \
            | tr '+/' '-_' | tr -d '=' > "$tmp/$k.crt.${d#*:}"
        echo >> "$tmp/$k.crt.${d#*:}"
    done
done

# JWK forms, by CryptX
perl "$(dirname "$0")/jwk.pl" "$tmp"

# A certificate alone; its key is thrown away
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/cert-key.tmp" \
    -subj '/CN=oauth2-test' -days 3650 -out "$tmp/cert.pem" 2>/dev/null
rm -f "$tmp/cert-key.tmp"

# A test CA, and a server certificate it signed for localhost and
# 127.0.0.1 (the TLS token endpoint of t/090-interop.t); the CA's key is
# thrown away
ec ca-key.tmp P-256
openssl req -x509 -new -key "$tmp/ca-key.tmp.pem" -subj '/CN=oauth2 test CA' \
    -days 3650 -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$tmp/ca.crt"
ec tls-key.tmp P-256
printf '%s\n' 'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' \
    'subjectAltName=DNS:localhost,IP:127.0.0.1' > "$tmp/tls.ext"
openssl req -new -key "$tmp/tls-key.tmp.pem" -subj '/CN=localhost' \
    | openssl x509 -req -CA "$tmp/ca.crt" -CAkey "$tmp/ca-key.tmp.pem" \
        -set_serial 2 -days 3650 -extfile "$tmp/tls.ext" \
        -out "$tmp/tls.crt" 2>/dev/null
mv "$tmp/tls-key.tmp.pem" "$tmp/tls.key"

# TLS client certificates (RFC 8705): two the CA signed, one signed by
# another CA, one self-signed
client_cert() {  # client_cert NAME CN CA-CERT CA-KEY SERIAL
    ec "$1-key.tmp" P-256
    printf '%s\n' 'basicConstraints=CA:FALSE' 'extendedKeyUsage=clientAuth' \
        'subjectAltName=DNS:client.oauth2.test' > "$tmp/$1.ext"
    openssl req -new -key "$tmp/$1-key.tmp.pem" -subj "/CN=$2" \
        | openssl x509 -req -CA "$3" -CAkey "$4" -set_serial "$5" \
            -days 3650 -extfile "$tmp/$1.ext" -out "$tmp/$1.crt" 2>/dev/null
    mv "$tmp/$1-key.tmp.pem" "$tmp/$1.key"
    rm -f "$tmp/$1.ext"
}
client_cert client oauth2-test-client "$tmp/ca.crt" "$tmp/ca-key.tmp.pem" 3
client_cert client2 oauth2-other-client "$tmp/ca.crt" "$tmp/ca-key.tmp.pem" 4
ec rogue-ca-key.tmp P-256
openssl req -x509 -new -key "$tmp/rogue-ca-key.tmp.pem" \
    -subj '/CN=oauth2 rogue CA' -days 3650 \
    -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$tmp/rogue-ca.tmp"
client_cert rogue oauth2-test-client "$tmp/rogue-ca.tmp" \
    "$tmp/rogue-ca-key.tmp.pem" 5
rm -f "$tmp/ca-key.tmp.pem" "$tmp/tls.ext" "$tmp/rogue-ca-key.tmp.pem" \
    "$tmp/rogue-ca.tmp"
ec selfsigned-key.tmp P-256
openssl req -x509 -new -key "$tmp/selfsigned-key.tmp.pem" \
    -subj '/CN=oauth2-self-signed' -days 3650 \
    -addext 'basicConstraints=CA:FALSE' \
    -addext 'extendedKeyUsage=clientAuth' -out "$tmp/selfsigned.crt"
mv "$tmp/selfsigned-key.tmp.pem" "$tmp/selfsigned.key"

# Another certificate of rsa1's key (rsa1.crt is made above, with its
# thumbprints)
openssl req -x509 -new -key "$tmp/rsa1.pem" -subj '/CN=oauth2-rsa1-other' \
    -days 3650 -out "$tmp/rsa1-other.crt"

# Client secrets: fixed text (the tests and the servers must agree), with
# the characters RFC 6749 2.3.1 form-encoding exists for; no newline
printf '%s' 's3cr:t %41+100%&=/?#"'"'"'\~;,x-Lq7vT2mX9pR4wK8nB5cJ1hF6dG3sA0eYzU0123456789' \
    > "$tmp/client.secret"
printf 's3cr:t %%41+100%%&=/?#\303\251\342\202\254"'"'"'\\~;,x-Lq7vT2mX9pR4wK8nB5cJ1hF6dG3sA0eYzU0123456789' \
    > "$tmp/client-utf8.secret"
printf '%s' 'not-the-secret:%41+ x-Lq7vT2mX9pR4wK8nB5cJ1hF6dG3sA0eYzUv0123456789' \
    > "$tmp/wrong.secret"

# Public keys; deliberately none for rsa2
for k in rsa1 ec1 ec384 ec521 rsa1024 ec-sec1 rsa-pkcs1; do
    pub "$k"
done
for k in rsa-enc rsa-enc-legacy ec-enc ec-enc-legacy; do
    pub "$k" -passin "pass:$pass"
done
pub ec-enc-utf8 -passin "file:$tmp/ec-enc-utf8.pass"

chmod 0600 "$tmp"/*.pem "$tmp"/*.pass "$tmp"/*.key "$tmp"/*.secret \
    "$tmp"/*.jwk "$tmp"/*.jwks
chmod 0644 "$tmp"/*.pub.pem "$tmp"/*.pub.jwk "$tmp"/*.jkt "$tmp"/*.crt \
    "$tmp"/*.crt.* "$tmp/cert.pem"

mv -f "$tmp"/* "$dir"/
{ echo "version $version"; date; } > "$dir/.stamp"
exit 0
