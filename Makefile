# ngx_http_oauth2_client_module
#
#   make                 build build/ngx_http_oauth2_client_module.so
#   make test            unit tests, then the Test::Nginx suite (with the
#                        interoperability tests against oidc-provider
#                        when node and npm are here: make interop-deps)
#   make demo            a local token server, API and nginx; see README
#   make demo-stop
#   make bench           A-D side by side, signing, cold start, zone
#                        capacity: bench/results/, docs/performance.md
#
# NGINX_SRC=/path/to/nginx builds against that source tree instead of the
# installed nginx; TEST_NGINX_BINARY picks the nginx the suite runs.

MODULE   := build/ngx_http_oauth2_client_module.so
SOURCES  := config $(wildcard src/*.c src/*.h)
# the nginx-free files, unit-tested and fuzzed on their own
LIBFREE  := error alg encode key jose json body
LIBSRCS  := $(LIBFREE:%=src/ngx_http_oauth2_client_%.c)
LIBHDRS  := $(LIBFREE:%=src/ngx_http_oauth2_client_%.h)
UNIT     := build/test_jose
CC       ?= cc
UNIT_CFLAGS := -std=c99 -O1 -g -Wall -Wextra -Werror \
               -D_POSIX_C_SOURCE=200809L -Isrc

TEST_NGINX_BINARY       ?= /usr/sbin/nginx
TEST_NGINX_LOAD_MODULES ?= $(CURDIR)/$(MODULE)
export TEST_NGINX_BINARY TEST_NGINX_LOAD_MODULES

.PHONY: all module unit test test-unit test-mock test-nginx keys deps \
        demo demo-stop clean fuzz bench interop-deps

all: module

module: $(MODULE)

$(MODULE): $(SOURCES) scripts/build-module.sh
	scripts/build-module.sh

$(UNIT): t/unit/test_jose.c $(LIBSRCS) $(LIBHDRS)
	@mkdir -p build
	$(CC) $(UNIT_CFLAGS) -o $@ t/unit/test_jose.c $(LIBSRCS) \
	    -lcrypto -ljansson

unit: $(UNIT)

keys:
	sh t/keys/gen.sh t/keys

test: deps test-unit test-mock interop-deps test-nginx

test-unit: $(UNIT)
	$(UNIT)

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
