# The configurations A-D (and B, D with an access log for the timeline)
# as nginx instances under $OUT: sourced by bench/hotpath.sh and
# bench/profile.sh after bench/lib.sh, with TOKEN set (a 1 KB token for A
# and C) and the mock running.  hotpath_configs writes them all.

TOKEN_SIZE=${BENCH_TOKEN_SIZE:-1024}
D_EXPIRES=${BENCH_D_EXPIRES:-5}

LUA_MODULES="/usr/lib/nginx/modules/ndk_http_module.so
             /usr/lib/nginx/modules/ngx_http_lua_module.so"

# each instance has a token path of its own, so the mock counts apart
b_path() { echo "/s/size-$TOKEN_SIZE/bench-$1/oauth2/v1/token"; }
d_path() { echo "/s/expires-$D_EXPIRES-size-$TOKEN_SIZE/bench-$1/oauth2/v1/token"; }

cfgs="A B C D E"
port_of() {
    case $1 in
        A) echo $((PORT_BASE + 2)) ;;
        B) echo $((PORT_BASE + 3)) ;;
        C) echo $((PORT_BASE + 4)) ;;
        D) echo $((PORT_BASE + 5)) ;;
        E) echo $((PORT_BASE + 8)) ;;
        B-log) echo $((PORT_BASE + 6)) ;;
        D-log) echo $((PORT_BASE + 7)) ;;
    esac
}

# --- configurations ----------------------------------------------------------

proxy='
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";'

# oauth2_client_conf NAME TOKEN_PATH [DIRECTIVES]
oauth2_client_conf() {
    cat <<EOF
    oauth2_token_cache zone=bench:1m;

    oauth2_client bench {
        token_endpoint  http://127.0.0.1:$MOCK_PORT$2;
        client_id       0oa-bench;
        private_key     $KEYS/ec1.pem;
        key_id          ec1;
        scope           okta.users.read;
        ${3:-}
    }
EOF
}

oauth2_server_conf() {
    cat <<EOF
    server {
        listen 127.0.0.1:$(port_of "$1") backlog=4096;
        $3

        location = /_oauth2/bench {
            internal;
            subrequest_output_buffer_size 16k;
            proxy_pass http://127.0.0.1:$MOCK_PORT$2;
            proxy_connect_timeout 3s;
            proxy_send_timeout 2s;
            proxy_read_timeout 5s;
        }

        location / {
            oauth2_token bench;$proxy
        }
    }
EOF
}

hotpath_configs() {
    upstream_snippet="
        server {
            listen 127.0.0.1:$UP_PORT backlog=4096;
            location / {
                return 200 \"ok\\n\";
            }
        }"

    nginx_conf upstream 1 "" "$upstream_snippet"

    nginx_conf A 2 "" "
        server {
            listen 127.0.0.1:$(port_of A) backlog=4096;
            location / {
                proxy_set_header Authorization \"Bearer $TOKEN\";$proxy
            }
        }"

    nginx_conf B 2 "$MODULE" "$(oauth2_client_conf B "$(b_path B)")
    $(oauth2_server_conf B "$(b_path B)" "")"

    nginx_conf C 2 "$LUA_MODULES" "
        lua_shared_dict tokens 1m;

        init_by_lua_block {
            ngx.shared.tokens:set(\"bench\", \"$TOKEN\")
        }

        server {
            listen 127.0.0.1:$(port_of C) backlog=4096;
            location / {
                access_by_lua_block {
                    local token = ngx.shared.tokens:get(\"bench\")
                    if token == nil then
                        return ngx.exit(503)
                    end
                    ngx.req.set_header(\"Authorization\", \"Bearer \" .. token)
                }
    $proxy
            }
        }"

    nginx_conf D 2 "$MODULE" "$(oauth2_client_conf D "$(d_path D)")
    $(oauth2_server_conf D "$(d_path D)" "")"

    # B with DPoP: a proof a request, ES256 with the generated P-256 key
    nginx_conf E 2 "$MODULE" "$(oauth2_client_conf E "$(b_path E)" "dpop on;")
    $(oauth2_server_conf E "$(b_path E)" "")"

    # the timeline: B and D again, with an access log of every request
    log_fmt='
        log_format timeline "$msec $request_time $status $oauth2_token_status";'
    log_on='access_log logs/access.log timeline buffer=256k flush=1s;'

    nginx_conf B-log 2 "$MODULE" "$log_fmt
    $(oauth2_client_conf B "$(b_path B-log)")
    $(oauth2_server_conf B-log "$(b_path B-log)" "$log_on")"

    nginx_conf D-log 2 "$MODULE" "$log_fmt
    $(oauth2_client_conf D "$(d_path D-log)")
    $(oauth2_server_conf D-log "$(d_path D-log)" "$log_on")"
}
