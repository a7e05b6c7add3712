# ngx_http_oauth2_client_module
#
#   make                 build build/ngx_http_oauth2_client_module.so
#   make test            unit tests, the self-checks of the mock and of
#                        oidc-provider's setup, then the Test::Nginx suite
#                        (with the interoperability tests against
#                        oidc-provider when node and npm are here: make
#                        interop-deps)
#   make demo            a local token server, API and nginx; see README
#   make demo-stop
#   make bench           A-D side by side, signing, cold start, zone
#                        capacity: bench/results/, docs/performance.md
#   make deb             the Debian package, against the installed nginx:
#                        build/deb/libnginx-mod-http-oauth2-client_*.deb
#   make test-deb        make deb, then install, use, remove and purge it
#                        (as root: it changes the system's packages)
#
# NGINX_SRC=/path/to/nginx builds against that source tree instead of the
# installed nginx; TEST_NGINX_BINARY picks the nginx the suite runs.

MODULE   := build/ngx_http_oauth2_client_module.so
SOURCES  := config $(wildcard src/*.c src/*.h)
# the nginx-free files, unit-tested and fuzzed on their own
LIBFREE  := error alg encode key jose json body \
            file pem jwk keyfile dpop challenge jwt secret cert status creds
LIBSRCS  := $(LIBFREE:%=src/ngx_http_oauth2_client_%.c)
LIBHDRS  := $(LIBFREE:%=src/ngx_http_oauth2_client_%.h)
UNIT     := build/test_jose
# the crypto building blocks of DPoP, JWK, encrypted PEM, secrets and
# certificates: one test file per concern, on the keys of t/keys
CRYPTO   := build/test_crypto
EMIT     := build/test_emit
# the status core: the record, the JSON and Prometheus outputs
STATUS   := build/test_status
STATUS_TESTS := t/unit/test_status.c t/unit/prom_check.c t/unit/test_util.c
CRYPTO_TESTS := t/unit/test_crypto.c t/unit/test_util.c \
            t/unit/test_file.c t/unit/test_pem.c t/unit/test_jwk.c \
            t/unit/test_keyfile.c t/unit/test_dpop.c t/unit/test_jwt.c \
            t/unit/test_secret.c t/unit/test_cert.c t/unit/test_creds.c
CC       ?= cc
UNIT_CFLAGS := -std=c99 -O1 -g -Wall -Wextra -Werror \
               -D_POSIX_C_SOURCE=200809L -Isrc

TEST_NGINX_BINARY       ?= /usr/sbin/nginx
TEST_NGINX_LOAD_MODULES ?= $(CURDIR)/$(MODULE)
export TEST_NGINX_BINARY TEST_NGINX_LOAD_MODULES

.PHONY: all module unit test test-unit test-mock test-nginx keys deps \
        demo demo-stop clean fuzz bench interop-deps test-version deb \
        test-deb interop-selfcheck

all: module

module: $(MODULE)

$(MODULE): $(SOURCES) scripts/build-module.sh
	scripts/build-module.sh

$(UNIT): t/unit/test_jose.c $(LIBSRCS) $(LIBHDRS)
	@mkdir -p build
	$(CC) $(UNIT_CFLAGS) -o $@ t/unit/test_jose.c $(LIBSRCS) \
	    -lcrypto -ljansson

$(CRYPTO): $(CRYPTO_TESTS) t/unit/test_util.h $(LIBSRCS) $(wildcard src/*.h)
	@mkdir -p build
	$(CC) $(UNIT_CFLAGS) -It/unit -o $@ $(CRYPTO_TESTS) $(LIBSRCS) \
	    -lcrypto -ljansson

# what the crypto code makes, for t/unit/verify.pl (Crypt::JWT, CryptX)
$(EMIT): t/unit/emit.c $(LIBSRCS) $(wildcard src/*.h)
	@mkdir -p build
	$(CC) $(UNIT_CFLAGS) -o $@ t/unit/emit.c $(LIBSRCS) -lcrypto -ljansson

$(STATUS): $(STATUS_TESTS) t/unit/prom_check.h t/unit/test_util.h \
           $(LIBSRCS) $(wildcard src/*.h)
	@mkdir -p build
	$(CC) $(UNIT_CFLAGS) -It/unit -o $@ $(STATUS_TESTS) $(LIBSRCS) \
	    -lcrypto -ljansson

unit: $(UNIT) $(CRYPTO) $(EMIT) $(STATUS)

keys:
	sh t/keys/gen.sh t/keys

test: deps test-version test-unit test-mock interop-deps interop-selfcheck \
      test-nginx

# no terminal: a test that made OpenSSL prompt for a passphrase fails;
# the status outputs go to build/status for promtool (status-check.sh)
test-unit: $(UNIT) $(CRYPTO) $(EMIT) $(STATUS) keys
	$(UNIT)
	$(CRYPTO) < /dev/null
	prove t/unit/verify.pl :: $(EMIT) t/keys
	rm -rf build/status && mkdir -p build/status
	$(STATUS) build/status
	sh t/unit/status-check.sh build/status

# the version of CHANGES is the one README.md states
test-version:
	sh scripts/version.sh --check

# the mock token endpoint's own checks: the suite trusts what it says
test-mock: keys
	perl t/mock/selftest.pl

test-nginx: $(MODULE) keys
	t/run-tests $(TESTS)

deps:
	sh scripts/deps.sh

# npm ci in t/interop (the oidc-provider of t/090-interop.t) when node and
# npm exist and t/interop/node_modules is missing or older than its lock
interop-deps:
	sh scripts/interop-deps.sh

# t/interop/selfcheck.mjs plays against oidc-provider (t/interop/server.mjs)
# the clients the module is to be (DPoP, secrets, mTLS...): the referee of
# t/090-interop.t tested; a few seconds. Skipped, saying so, without node.
interop-selfcheck: keys interop-deps
	@if command -v node >/dev/null 2>&1 \
	    && [ -f t/interop/node_modules/oidc-provider/package.json ]; then \
	    node t/interop/selfcheck.mjs --keys t/keys; \
	else \
	    echo "interop-selfcheck: no node or t/interop/node_modules: skipped"; \
	fi

demo:
	sh scripts/deps.sh
	$(MAKE) module keys
	sh demo/demo.sh start

demo-stop:
	sh demo/demo.sh stop

fuzz:
	sh fuzz/run.sh

# benchmarks report numbers, tests assert behaviour: not part of make test
bench:
	sh bench/run.sh

# the Debian package, built with dpkg-buildpackage and debian/ like
# Debian's own libnginx-mod-* packages, checked with lintian; see
# scripts/build-deb.sh
deb:
	sh scripts/build-deb.sh

# the package installed on this machine, used through the installed
# nginx, removed and purged (t/deb/install.t): needs root and changes the
# system's packages, so it is not part of make test; .ci/run runs it
test-deb: deb keys
	prove -v t/deb/install.t

clean:
	rm -rf build t/servroot t/servroot-mock t/servroot-interop

# make test-asan: nginx itself (Debian's source package) and the module
# built with -fsanitize=address,undefined, then the whole t/ suite against
# them with LeakSanitizer on; any ASan/UBSan report, or a leak report that
# involves the module, fails it. See scripts/asan-build.sh and
# scripts/test-asan.sh (TESTS=... runs only those files).
.PHONY: test-asan asan-build
asan-build:
	scripts/asan-build.sh

test-asan: asan-build keys
	scripts/test-asan.sh $(TESTS)
