
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The token cache: one shared memory zone for every worker, kept across
 * reloads.  An rbtree keyed by the client name holds one node a client;
 * a queue orders the nodes by last use, so that a full zone gives up the
 * least recently used tokens of other clients first.
 *
 * A node also holds what the workers agree on: which of them fetches the
 * next token (a claim, with the owner's pid and a deadline, so that a
 * worker that dies holding it blocks nobody past the deadline), when the
 * token should be refreshed, and until when no new attempt may be made
 * after a failure.  Each decision is one short critical section: a
 * lookup, and the end of a token request.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


/* bumped whenever the layout below changes */
#define NGX_HTTP_OAUTH2_CLIENT_CACHE_VERSION  5

/* node flags */
#define NGX_HTTP_OAUTH2_CLIENT_NODE_RATE    0x01   /* the server's backoff */
#define NGX_HTTP_OAUTH2_CLIENT_NODE_PURGED  0x02   /* the token was purged */
#define NGX_HTTP_OAUTH2_CLIENT_NODE_DPOP    0x04   /* a DPoP-bound token */

/* a token fetched to replace a purged one is kept at least this long */
#define NGX_HTTP_OAUTH2_CLIENT_PURGE_HOLD   10000

/* the node that follows an rbtree node's key, from its color on */
#define ngx_http_oauth2_client_node(n)                                       \
    ((ngx_http_oauth2_client_node_t *) &(n)->color)


/*
 * What the status endpoint reads of a client besides the token's times
 * (docs/status.md): its counters, which live as long as the node, across
 * reloads and resets for new settings, and the fingerprint of the token
 * stored.  Written under the zone's lock only, by the calls that already
 * hold it.
 */

typedef struct {
    ngx_http_oauth2_client_status_record_t  record;
    char         fingerprint[NGX_HTTP_OAUTH2_CLIENT_STATUS_FP_LEN];
} ngx_http_oauth2_client_node_status_t;


/*
 * Times are ngx_current_msec values: the monotonic clock, in ms.  Who
 * writes which field: docs/architecture.md.
 */

typedef struct {
    u_char                           color;
    u_char                           name_len;
    u_char                           failures;   /* in a row */
    u_char                           flags;
    uint32_t                         token_len;
    uint32_t                         token_cap;
    uint32_t                         generation; /* of the token: sh's */
    ngx_pid_t                        claim_pid;  /* 0: no fetch claimed */
    ngx_uint_t                       claim;      /* claim sequence */
    ngx_uint_t                       epoch;      /* of its configuration */
    ngx_queue_t                      queue;
    ngx_msec_t                       expires;    /* end of use */
    ngx_msec_t                       refresh;    /* refresh from then */
    ngx_msec_t                       claim_deadline;
    ngx_msec_t                       backoff;    /* no attempt before */
    ngx_msec_t                       no_purge;   /* kept till then */
    u_char                          *token;      /* token_cap bytes */

    /*
     * The DPoP-Nonce of the token endpoint and of the resource servers
     * (nonce_e): the servers', not the settings', so a reset for other
     * settings keeps them.  Each in a slab chunk of its own, made when a
     * server first sends one: the node of every client, DPoP or not, is
     * no larger (936 bytes on x86_64 with the rbtree node's head, plus
     * the name: a 1 KB slab chunk).
     */
    u_char                          *nonce[2];   /* nonce_cap bytes */
    uint16_t                         nonce_len[2];
    uint16_t                         nonce_cap[2];

    ngx_http_oauth2_client_node_status_t  status;
    u_char                           conf_id[32];
    u_char                           name[1];
} ngx_http_oauth2_client_node_t;


typedef struct {
    ngx_rbtree_t                     rbtree;
    ngx_rbtree_node_t                sentinel;
    ngx_queue_t                      queue;
    ngx_uint_t                       version;
    ngx_uint_t                       epoch;      /* configurations loaded */
    uint32_t                         generation; /* of the last token */

    /* for the status: the nodes, and those dropped to make room */
    ngx_uint_t                       entries;
    uint64_t                         evictions;
} ngx_http_oauth2_client_shctx_t;


/* a node's live fields, as a status request copies them */

typedef struct {
    ngx_uint_t                       found;
    ngx_uint_t                       token;      /* a token is stored */
    ngx_uint_t                       dpop;       /* it is DPoP-bound */
    ngx_pid_t                        claim_pid;
    ngx_msec_t                       expires;
    ngx_msec_t                       refresh;
    ngx_msec_t                       claim_deadline;
    ngx_msec_t                       backoff;
} ngx_http_oauth2_client_live_t;


/* per configuration: its epoch tells it from older and newer ones */

typedef struct {
    ngx_http_oauth2_client_shctx_t  *sh;
    ngx_slab_pool_t                 *shpool;
    ngx_uint_t                       epoch;
} ngx_http_oauth2_client_cache_t;


static ngx_int_t ngx_http_oauth2_client_cache_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static void ngx_http_oauth2_client_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_oauth2_client_node_t *ngx_http_oauth2_client_cache_find(
    ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_conf_t *client);
static ngx_http_oauth2_client_node_t *ngx_http_oauth2_client_cache_node(
    ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_conf_t *client, ngx_http_oauth2_client_node_t *n,
    ngx_uint_t *rc);
static ngx_uint_t ngx_http_oauth2_client_cache_retired(
    ngx_http_oauth2_client_lookup_t *lk);
static ngx_msec_t ngx_http_oauth2_client_cache_delay(ngx_uint_t failures,
    ngx_http_oauth2_client_outcome_t *out);
static ngx_uint_t ngx_http_oauth2_client_cache_get(
    ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_lookup_t *lk, ngx_pid_t dead);
static ngx_uint_t ngx_http_oauth2_client_cache_live(
    ngx_http_oauth2_client_cache_t *cache, ngx_http_oauth2_client_node_t *n,
    ngx_http_oauth2_client_lookup_t *lk);
static ngx_uint_t ngx_http_oauth2_client_cache_none(
    ngx_http_oauth2_client_node_t *n, ngx_http_oauth2_client_lookup_t *lk,
    ngx_pid_t dead);
static void ngx_http_oauth2_client_cache_claim(
    ngx_http_oauth2_client_node_t *n, ngx_msec_t now,
    ngx_http_oauth2_client_lookup_t *lk);
static void ngx_http_oauth2_client_cache_recount(
    ngx_http_oauth2_client_node_t *n, ngx_http_oauth2_client_lookup_t *lk,
    ngx_uint_t served);
static ngx_int_t ngx_http_oauth2_client_cache_store(
    ngx_http_oauth2_client_cache_t *cache, ngx_http_oauth2_client_node_t *n,
    ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_outcome_t *out);
static void ngx_http_oauth2_client_cache_fail(
    ngx_http_oauth2_client_node_t *n, ngx_http_oauth2_client_outcome_t *out);
static void ngx_http_oauth2_client_cache_nonce_store(
    ngx_http_oauth2_client_cache_t *cache, ngx_http_oauth2_client_node_t *n,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t which,
    ngx_str_t *nonce);
static void *ngx_http_oauth2_client_cache_alloc(
    ngx_http_oauth2_client_cache_t *cache, size_t size,
    ngx_http_oauth2_client_node_t *keep,
    ngx_http_oauth2_client_conf_t *client);
static void ngx_http_oauth2_client_cache_free_node(
    ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_node_t *node);
static void ngx_http_oauth2_client_cache_copy(
    ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_conf_t **clients,
    ngx_http_oauth2_client_status_snapshot_t *s,
    ngx_http_oauth2_client_live_t *live);
static void ngx_http_oauth2_client_cache_show(
    ngx_http_oauth2_client_status_client_t *sc,
    ngx_http_oauth2_client_live_t *lv, ngx_msec_t now);


ngx_shm_zone_t *
ngx_http_oauth2_client_cache_add_zone(ngx_conf_t *cf, ngx_str_t *name,
    ssize_t size)
{
    ngx_shm_zone_t                  *shm_zone;
    ngx_http_oauth2_client_cache_t  *cache;

    shm_zone = ngx_shared_memory_add(cf, name, size,
                                     &ngx_http_oauth2_client_module);
    if (shm_zone == NULL) {
        return NULL;
    }

    if (shm_zone->data != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", name);
        return NULL;
    }

    /* allocated with the new cycle's pool: it lives as long as the zone */

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth2_client_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    shm_zone->init = ngx_http_oauth2_client_cache_init_zone;
    shm_zone->data = cache;

    return shm_zone;
}


static ngx_int_t
ngx_http_oauth2_client_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_oauth2_client_cache_t  *ocache = data;

    size_t                           len;
    ngx_queue_t                     *q;
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;

    if (ocache != NULL) {
        /* a reload: adopt the old zone, and with it every cached token */

        if (ocache->sh->version != NGX_HTTP_OAUTH2_CLIENT_CACHE_VERSION) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "oauth2 zone \"%V\" was created by another "
                          "version of the module: rename the zone or "
                          "restart nginx", &shm_zone->shm.name);
            return NGX_ERROR;
        }

        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;

        /*
         * A reload is how an operator says "fixed, try again": the
         * backoff of every client is lifted, but for a wait the server
         * itself asked for (429), which a reload does not shorten.
         */

        ngx_shmtx_lock(&cache->shpool->mutex);

        cache->epoch = ++cache->sh->epoch;

        for (q = ngx_queue_head(&cache->sh->queue);
             q != ngx_queue_sentinel(&cache->sh->queue);
             q = ngx_queue_next(q))
        {
            n = ngx_queue_data(q, ngx_http_oauth2_client_node_t, queue);

            if (!(n->flags & NGX_HTTP_OAUTH2_CLIENT_NODE_RATE)) {
                n->backoff = ngx_current_msec;
                n->failures = 0;
            }
        }

        ngx_shmtx_unlock(&cache->shpool->mutex);

        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;
        cache->epoch = cache->sh->epoch;
        return NGX_OK;
    }

    cache->sh = ngx_slab_alloc(cache->shpool,
                               sizeof(ngx_http_oauth2_client_shctx_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_http_oauth2_client_rbtree_insert_value);
    ngx_queue_init(&cache->sh->queue);
    cache->sh->version = NGX_HTTP_OAUTH2_CLIENT_CACHE_VERSION;
    cache->sh->epoch = 1;
    cache->sh->generation = 0;
    cache->sh->entries = 0;
    cache->sh->evictions = 0;
    cache->epoch = 1;

    len = sizeof(" in oauth2 zone \"\"") + shm_zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in oauth2 zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is logged by us, naming what was dropped, not by slab */

    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_oauth2_client_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t              **p;
    ngx_http_oauth2_client_node_t   *n, *t;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else { /* node->key == temp->key */

            n = ngx_http_oauth2_client_node(node);
            t = ngx_http_oauth2_client_node(temp);

            p = (ngx_memn2cmp(n->name, t->name, n->name_len, t->name_len)
                 < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_http_oauth2_client_node_t *
ngx_http_oauth2_client_cache_find(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_conf_t *client)
{
    ngx_int_t                       rc;
    ngx_rbtree_node_t              *node, *sentinel;
    ngx_http_oauth2_client_node_t  *n;

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (client->hash < node->key) {
            node = node->left;
            continue;
        }

        if (client->hash > node->key) {
            node = node->right;
            continue;
        }

        /* client->hash == node->key */

        n = ngx_http_oauth2_client_node(node);

        rc = ngx_memn2cmp(client->name.data, n->name, client->name.len,
                          n->name_len);

        if (rc == 0) {
            return n;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/*
 * The answer for the client, claiming the next token request when one is
 * due.  A claim whose owner is gone (a worker killed, say) is taken over
 * at once rather than at its deadline: kill(pid, 0) is asked only on the
 * rare path of no token and a claim of another process.
 */

ngx_uint_t
ngx_http_oauth2_client_cache_lookup(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_lookup_t *lk)
{
    ngx_int_t   served[NGX_HTTP_OAUTH2_CLIENT_TOKEN_STATUS_N];
    ngx_pid_t   dead;
    ngx_uint_t  rc;

    dead = 0;

    for ( ;; ) {
        rc = ngx_http_oauth2_client_cache_get(shm_zone->data, lk, dead);

        if (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_RETIRED) {
            rc = ngx_http_oauth2_client_cache_retired(lk);

            /*
             * Counted for the status as the zone counts its own answers
             * (the rare path of an old worker: a critical section more)
             */

            if (lk->pool != NULL
                && (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT
                    || rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_BACKOFF))
            {
                ngx_memzero(served, sizeof(served));
                served[rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT
                       ? NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT
                       : NGX_HTTP_OAUTH2_CLIENT_STATUS_BACKOFF] = 1;

                ngx_http_oauth2_client_cache_served(shm_zone, lk->client,
                                                    served);
            }

            return rc;
        }

        if (rc != NGX_HTTP_OAUTH2_CLIENT_CACHE_BUSY
            || lk->owner == ngx_pid
            || lk->owner == dead
            || kill(lk->owner, 0) == 0
            || ngx_errno != NGX_ESRCH)
        {
            break;
        }

        dead = lk->owner;
    }

    if (lk->took_over) {
        ngx_log_error(NGX_LOG_WARN, lk->log, 0,
                      "oauth2 client \"%V\": the token request of process "
                      "%P is gone or late, taking it over",
                      &lk->client->name, lk->took_over);
    }

    return rc;
}


/*
 * A worker of a configuration a reload replaced: its own token, or its
 * own backoff, kept by this worker (no lock: nobody else sees them), so
 * that it makes one token request per token lifetime, or per backoff,
 * as long as it serves requests.  RETIRED: none; a token request
 * without a claim is to be made.
 */

static ngx_uint_t
ngx_http_oauth2_client_cache_retired(ngx_http_oauth2_client_lookup_t *lk)
{
    ngx_msec_t                         now;
    ngx_http_oauth2_client_retired_t  *rt;

    rt = &lk->client->retired;
    now = ngx_current_msec;

    if (rt->len != 0 && (ngx_msec_int_t) (rt->expires - now) > 0) {

        if (lk->pool != NULL) {
            if (lk->buf->len < rt->len) {
                lk->buf->data = ngx_pnalloc(lk->pool, rt->len);
                if (lk->buf->data == NULL) {
                    lk->buf->len = 0;
                    return NGX_HTTP_OAUTH2_CLIENT_CACHE_ERROR;
                }

                lk->buf->len = rt->len;
            }

            lk->value.data = ngx_cpymem(lk->buf->data, rt->token, rt->len)
                             - rt->len;
            lk->value.len = rt->len;
            lk->generation = 0;
            lk->expires = rt->expires;
        }

        return NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT;
    }

    if ((ngx_msec_int_t) (rt->backoff - now) > 0) {
        lk->retry = rt->backoff - now;
        return NGX_HTTP_OAUTH2_CLIENT_CACHE_BACKOFF;
    }

    return NGX_HTTP_OAUTH2_CLIENT_CACHE_RETIRED;
}


/*
 * The end of a token request without a claim, of a worker whose
 * configuration a reload replaced: what cache_end() does in the zone,
 * done in the worker's own memory.  Without memory for the token, the
 * waiters have their copies still; the next request makes another.
 */

void
ngx_http_oauth2_client_cache_retired_end(ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_outcome_t *out, ngx_log_t *log)
{
    size_t                             len;
    u_char                            *p;
    ngx_http_oauth2_client_retired_t  *rt;

    rt = &client->retired;

    out->taken_over = 0;
    out->stored = 0;
    out->delay = 0;

    if (out->token.data == NULL) {
        if (out->min != 0) {
            if (rt->failures < 64) {
                rt->failures++;
            }

            out->delay = ngx_http_oauth2_client_cache_delay(rt->failures,
                                                            out);
            rt->backoff = ngx_current_msec + out->delay;
        }

        return;
    }

    rt->failures = 0;

    /* a DPoP-bound token goes as "DPoP <token>", with a proof, here too */

    len = (out->dpop ? NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN
                     : NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN)
          + out->token.len;

    if (rt->token != NULL) {
        ngx_explicit_memzero(rt->token, rt->cap);
        rt->len = 0;
    }

    if (len > rt->cap) {
        ngx_free(rt->token);

        rt->token = ngx_alloc(len, log);
        rt->cap = (rt->token != NULL) ? len : 0;

        if (rt->token == NULL) {
            return;
        }
    }

    if (out->dpop) {
        p = ngx_cpymem(rt->token, NGX_HTTP_OAUTH2_CLIENT_DPOP,
                       NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN);

    } else {
        p = ngx_cpymem(rt->token, NGX_HTTP_OAUTH2_CLIENT_BEARER,
                       NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN);
    }

    ngx_memcpy(p, out->token.data, out->token.len);

    rt->len = len;
    rt->expires = out->expires;
    out->stored = 1;

    client->token_len = out->token.len;
}


static ngx_uint_t
ngx_http_oauth2_client_cache_get(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_lookup_t *lk, ngx_pid_t dead)
{
    size_t                          size;
    ngx_str_t                      *buf;
    ngx_uint_t                      rc;
    ngx_pool_t                     *pool;
    ngx_http_oauth2_client_conf_t  *client;
    ngx_http_oauth2_client_node_t  *n;

    client = lk->client;
    pool = lk->pool;
    buf = lk->buf;
    lk->took_over = 0;

    /*
     * The copy goes to buf, allocated before the lock is taken and sized
     * by the last token this worker saw: nothing that may call malloc()
     * runs under the zone's mutex.  A longer token costs one more round.
     * A request that looks again (while it waits) reuses its buf.
     */

    size = NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN + client->token_len;

    for ( ;; ) {

        if (pool != NULL && buf->len < size) {
            buf->data = ngx_pnalloc(pool, size);
            if (buf->data == NULL) {
                buf->len = 0;
                return NGX_HTTP_OAUTH2_CLIENT_CACHE_ERROR;
            }

            buf->len = size;
        }

        ngx_shmtx_lock(&cache->shpool->mutex);

        n = ngx_http_oauth2_client_cache_find(cache, client);

        if (n == NULL
            || ngx_memcmp(n->conf_id, client->conf_id, sizeof(n->conf_id))
               != 0)
        {
            n = ngx_http_oauth2_client_cache_node(cache, client, n, &rc);

            if (n == NULL) {
                ngx_shmtx_unlock(&cache->shpool->mutex);
                return rc;
            }
        }

        /* an expired token is never handed out */

        if (n->token_len == 0
            || (ngx_msec_int_t) (n->expires - ngx_current_msec) <= 0)
        {
            rc = ngx_http_oauth2_client_cache_none(n, lk, dead);
            ngx_shmtx_unlock(&cache->shpool->mutex);
            return rc;
        }

        size = NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN + n->token_len;

        if (pool == NULL || size <= buf->len) {
            return ngx_http_oauth2_client_cache_live(cache, n, lk);
        }

        client->token_len = n->token_len;

        ngx_shmtx_unlock(&cache->shpool->mutex);
    }
}


/* a live token: copied out, and refreshed when due; unlocks the zone */

static ngx_uint_t
ngx_http_oauth2_client_cache_live(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_node_t *n, ngx_http_oauth2_client_lookup_t *lk)
{
    u_char      *p;
    ngx_msec_t   now;

    if (lk->pool != NULL) {
        p = lk->buf->data;

        lk->value.data = p;
        lk->generation = n->generation;
        lk->expires = n->expires;

        if (n->flags & NGX_HTTP_OAUTH2_CLIENT_NODE_DPOP) {
            lk->value.len = NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN + n->token_len;
            p = ngx_cpymem(p, NGX_HTTP_OAUTH2_CLIENT_DPOP,
                           NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN);

        } else {
            lk->value.len = NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN + n->token_len;
            p = ngx_cpymem(p, NGX_HTTP_OAUTH2_CLIENT_BEARER,
                           NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN);
        }

        ngx_memcpy(p, n->token, n->token_len);

        lk->client->token_len = n->token_len;

        /*
         * The request is counted for the status here, where the lock is
         * held anyway: one increment, HIT; the rare answers below, STALE
         * and REFRESH, correct it, and so does the handler for a request
         * that waited (WAIT).
         */

        n->status.record.served[NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_HIT]++;
    }

    /* most used first; with one client, it is there already */

    if (ngx_queue_head(&cache->sh->queue) != &n->queue) {
        ngx_queue_remove(&n->queue);
        ngx_queue_insert_head(&cache->sh->queue, &n->queue);
    }

    now = ngx_current_msec;

    if ((ngx_msec_int_t) (n->refresh - now) > 0
        || (n->claim_pid != 0
            && (ngx_msec_int_t) (n->claim_deadline - now) > 0))
    {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT;
    }

    /* in the refresh window, and nobody refreshing */

    if ((ngx_msec_int_t) (n->backoff - now) > 0) {
        ngx_http_oauth2_client_cache_recount(n, lk,
                                   NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_STALE);
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_HTTP_OAUTH2_CLIENT_CACHE_STALE;
    }

    /* an exiting worker starts no refresh */

    if (!lk->refresh) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT;
    }

    ngx_http_oauth2_client_cache_claim(n, now, lk);

    ngx_http_oauth2_client_cache_recount(n, lk,
                                 NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_REFRESH);

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return NGX_HTTP_OAUTH2_CLIENT_CACHE_REFRESH;
}


/* no live token: another fetches one, a backoff holds, or we fetch it */

static ngx_uint_t
ngx_http_oauth2_client_cache_none(ngx_http_oauth2_client_node_t *n,
    ngx_http_oauth2_client_lookup_t *lk, ngx_pid_t dead)
{
    ngx_msec_t  now;

    now = ngx_current_msec;

    /* a claim is live till its deadline, unless its owner is known dead */

    if (n->claim_pid != 0
        && n->claim_pid != dead
        && (ngx_msec_int_t) (n->claim_deadline - now) > 0)
    {
        lk->owner = n->claim_pid;
        return NGX_HTTP_OAUTH2_CLIENT_CACHE_BUSY;
    }

    if ((ngx_msec_int_t) (n->backoff - now) > 0) {
        lk->retry = n->backoff - now;

        if (lk->pool != NULL) {
            n->status.record.served[
                              NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_BACKOFF]++;
        }

        return NGX_HTTP_OAUTH2_CLIENT_CACHE_BACKOFF;
    }

    /* a look only (the poll of the waiters): no claim */

    if (lk->claim_for == 0) {
        return NGX_HTTP_OAUTH2_CLIENT_CACHE_MISS;
    }

    ngx_http_oauth2_client_cache_claim(n, now, lk);

    return NGX_HTTP_OAUTH2_CLIENT_CACHE_MISS;
}


static void
ngx_http_oauth2_client_cache_claim(ngx_http_oauth2_client_node_t *n,
    ngx_msec_t now, ngx_http_oauth2_client_lookup_t *lk)
{
    /* a claim left behind: its owner died, or hangs past the deadline */

    if (n->claim_pid != 0) {
        lk->took_over = n->claim_pid;
        n->status.record.takeovers++;
    }

    n->claim++;
    n->claim_pid = ngx_pid;
    n->claim_deadline = now + lk->claim_for;

    lk->claim = n->claim;
}


/* a request that cache_live() counted HIT is STALE or REFRESH instead */

static void
ngx_http_oauth2_client_cache_recount(ngx_http_oauth2_client_node_t *n,
    ngx_http_oauth2_client_lookup_t *lk, ngx_uint_t served)
{
    if (lk->pool != NULL) {
        n->status.record.served[NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_HIT]--;
        n->status.record.served[served]++;
    }
}


/*
 * The node of the client when the one found, n, is missing (made now) or
 * is of other settings: it starts over, unless a newer configuration
 * left it, as old and new workers run side by side after a reload, and
 * the old ones must not undo what the new ones did.
 */

static ngx_http_oauth2_client_node_t *
ngx_http_oauth2_client_cache_node(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_conf_t *client, ngx_http_oauth2_client_node_t *n,
    ngx_uint_t *rc)
{
    size_t              size;
    ngx_rbtree_node_t  *node;

    if (n != NULL) {

        if (n->epoch > cache->epoch) {
            *rc = NGX_HTTP_OAUTH2_CLIENT_CACHE_RETIRED;
            return NULL;
        }

        ngx_memcpy(n->conf_id, client->conf_id, sizeof(n->conf_id));

        if (n->token != NULL) {
            ngx_explicit_memzero(n->token, n->token_cap);
        }

        n->token_len = 0;
        n->failures = 0;
        n->flags = 0;
        n->backoff = ngx_current_msec;
        n->epoch = cache->epoch;

        /* a fetch in flight is for the other settings: not waited for */
        n->claim++;
        n->claim_pid = 0;

        return n;
    }

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_oauth2_client_node_t, name)
           + client->name.len;

    node = ngx_http_oauth2_client_cache_alloc(cache, size, NULL, client);
    if (node == NULL) {
        *rc = NGX_HTTP_OAUTH2_CLIENT_CACHE_ERROR;
        return NULL;
    }

    n = ngx_http_oauth2_client_node(node);

    ngx_memzero(n, offsetof(ngx_http_oauth2_client_node_t, name));

    node->key = client->hash;
    n->name_len = (u_char) client->name.len;
    ngx_memcpy(n->name, client->name.data, client->name.len);
    ngx_memcpy(n->conf_id, client->conf_id, sizeof(n->conf_id));
    n->backoff = ngx_current_msec;
    n->epoch = cache->epoch;

    ngx_rbtree_insert(&cache->sh->rbtree, node);
    ngx_queue_insert_head(&cache->sh->queue, &n->queue);
    cache->sh->entries++;

    return n;
}


/*
 * The end of a token request, in one critical section: its claim is
 * given back (unless another took it over), and its token stored, or
 * the backoff of its failure set.
 */

void
ngx_http_oauth2_client_cache_end(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_outcome_t *out, ngx_log_t *log)
{
    ngx_int_t                        rc;
    ngx_uint_t                       none;
    ngx_http_oauth2_client_node_t   *n, *found;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;
    rc = NGX_OK;
    none = NGX_HTTP_OAUTH2_CLIENT_CACHE_ERROR;

    out->taken_over = 1;
    out->stored = 0;
    out->delay = 0;

    ngx_shmtx_lock(&cache->shpool->mutex);

    found = ngx_http_oauth2_client_cache_find(cache, client);
    n = found;

    if (n == NULL
        || ngx_memcmp(n->conf_id, client->conf_id, sizeof(n->conf_id)) != 0)
    {
        n = ngx_http_oauth2_client_cache_node(cache, client, n, &none);
    }

    /*
     * The status counts the exchange for the client's name, whatever
     * became of its claim or of its token: the server received it.
     */

    if (out->status != NULL && (n != NULL || found != NULL)) {
        ngx_http_oauth2_client_status_record_result(
                                 &(n != NULL ? n : found)->status.record,
                                 out->status);
    }

    if (n != NULL) {

        if (n->claim == out->claim) {
            out->taken_over = 0;

            if (n->claim_pid == ngx_pid) {
                n->claim_pid = 0;
            }
        }

        if (out->nonce.len != 0
            && out->nonce.len <= NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE)
        {
            ngx_http_oauth2_client_cache_nonce_store(cache, n, client,
                                            NGX_HTTP_OAUTH2_CLIENT_NONCE_TOKEN,
                                            &out->nonce);
        }

        if (out->token.data != NULL) {
            rc = ngx_http_oauth2_client_cache_store(cache, n, client, out);

        } else if (out->min != 0 && !out->taken_over) {
            ngx_http_oauth2_client_cache_fail(n, out);
        }

    } else if (out->token.data != NULL
               && none == NGX_HTTP_OAUTH2_CLIENT_CACHE_ERROR)
    {
        rc = NGX_ERROR;
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "oauth2 client \"%V\": zone \"%V\" is full, "
                      "the token is not cached",
                      &client->name, &shm_zone->shm.name);
    }
}


static ngx_int_t
ngx_http_oauth2_client_cache_store(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_node_t *n, ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_outcome_t *out)
{
    u_char  *buf;
    size_t   len;

    len = out->token.len;

    ngx_queue_remove(&n->queue);
    ngx_queue_insert_head(&cache->sh->queue, &n->queue);

    n->failures = 0;
    n->backoff = ngx_current_msec;

    /*
     * A token that replaces a purged one cannot be purged at once:
     * an upstream that refuses every token must not turn every request
     * into a token request.
     */

    n->no_purge = (n->flags & NGX_HTTP_OAUTH2_CLIENT_NODE_PURGED)
                  ? ngx_current_msec + NGX_HTTP_OAUTH2_CLIENT_PURGE_HOLD
                  : ngx_current_msec;
    n->flags = out->dpop ? NGX_HTTP_OAUTH2_CLIENT_NODE_DPOP : 0;

    if (n->token_cap < len) {
        buf = ngx_http_oauth2_client_cache_alloc(cache, len, n, client);

        if (n->token != NULL) {
            ngx_explicit_memzero(n->token, n->token_cap);
        }

        if (buf == NULL) {
            n->token_len = 0;
            return NGX_ERROR;
        }

        if (n->token != NULL) {
            ngx_slab_free_locked(cache->shpool, n->token);
        }

        n->token = buf;
        n->token_cap = (uint32_t) len;

    } else {
        /* no trace of the previous token is left behind */
        ngx_explicit_memzero(n->token, n->token_cap);
    }

    ngx_memcpy(n->token, out->token.data, len);
    n->token_len = (uint32_t) len;
    ngx_memcpy(n->status.fingerprint, out->fingerprint,
               sizeof(n->status.fingerprint));
    n->expires = out->expires;
    n->refresh = out->refresh;

    /*
     * Zone-wide, not the node's: a node given up and made again would
     * count from 1 again, and a worker's hash of an earlier token of
     * that number (proof.c's ath) would pass for the new token's.
     * 0 is no token.
     */

    if (++cache->sh->generation == 0) {
        cache->sh->generation = 1;
    }

    n->generation = cache->sh->generation;
    out->generation = n->generation;
    out->stored = 1;

    return NGX_OK;
}


/*
 * A failed attempt: no new one before the backoff ends.  min is the
 * first delay and max the cap of an exponential backoff over the
 * failures in a row, with jitter; a server's own wait (429), when given,
 * is taken as it is.
 */

static void
ngx_http_oauth2_client_cache_fail(ngx_http_oauth2_client_node_t *n,
    ngx_http_oauth2_client_outcome_t *out)
{
    ngx_msec_t  delay;

    if (n->failures < 64) {
        n->failures++;
    }

    delay = ngx_http_oauth2_client_cache_delay(n->failures, out);

    if (out->wait) {
        n->flags |= NGX_HTTP_OAUTH2_CLIENT_NODE_RATE;

    } else {
        n->flags &= ~NGX_HTTP_OAUTH2_CLIENT_NODE_RATE;
    }

    n->backoff = ngx_current_msec + delay;
    out->delay = delay;
}


/* the backoff after that many failures in a row: the server's, or ours */

static ngx_msec_t
ngx_http_oauth2_client_cache_delay(ngx_uint_t failures,
    ngx_http_oauth2_client_outcome_t *out)
{
    ngx_uint_t  i;
    ngx_msec_t  delay;

    if (out->wait) {
        return out->wait;
    }

    delay = out->min;

    for (i = 1; i < failures && delay < out->max; i++) {
        delay *= 2;
    }

    delay = ngx_min(delay, out->max);

    /* "equal jitter": a fleet of nginx nodes does not retry in step */

    return delay / 2 + (ngx_msec_t) ngx_random() % (delay / 2 + 1);
}


/*
 * A DPoP nonce of the client (which: the token endpoint's, or the
 * resource servers'), shared by every worker: set when a server sends
 * one (every DPoP-Nonce replaces it), read into buf (at least
 * NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE bytes) for the next proof; 0: none.
 * A nonce longer than the zone keeps is not kept.
 */

void
ngx_http_oauth2_client_cache_nonce_set(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t which,
    ngx_str_t *nonce)
{
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    if (nonce->len == 0 || nonce->len > NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE) {
        return;
    }

    cache = shm_zone->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    n = ngx_http_oauth2_client_cache_find(cache, client);

    if (n != NULL) {
        ngx_http_oauth2_client_cache_nonce_store(cache, n, client, which,
                                                 nonce);
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


/*
 * Under the lock: a chunk sized to the nonce, replaced by a larger one
 * when a longer nonce comes (a server's nonces have one length, as a
 * rule).  No room: the nonce is not kept, the server asks again.
 */

static void
ngx_http_oauth2_client_cache_nonce_store(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_node_t *n, ngx_http_oauth2_client_conf_t *client,
    ngx_uint_t which, ngx_str_t *nonce)
{
    u_char  *buf;

    if (n->nonce_cap[which] < nonce->len) {
        buf = ngx_http_oauth2_client_cache_alloc(cache, nonce->len, n, client);

        if (n->nonce[which] != NULL) {
            ngx_slab_free_locked(cache->shpool, n->nonce[which]);
        }

        n->nonce[which] = buf;
        n->nonce_cap[which] = (buf != NULL) ? (uint16_t) nonce->len : 0;
        n->nonce_len[which] = 0;

        if (buf == NULL) {
            return;
        }
    }

    ngx_memcpy(n->nonce[which], nonce->data, nonce->len);
    n->nonce_len[which] = (uint16_t) nonce->len;
}


size_t
ngx_http_oauth2_client_cache_nonce_get(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t which, u_char *buf)
{
    size_t                           len;
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;
    len = 0;

    ngx_shmtx_lock(&cache->shpool->mutex);

    n = ngx_http_oauth2_client_cache_find(cache, client);

    if (n != NULL && n->nonce_len[which] != 0) {
        len = n->nonce_len[which];
        ngx_memcpy(buf, n->nonce[which], len);
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return len;
}


ngx_int_t
ngx_http_oauth2_client_cache_purge(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, uint32_t generation)
{
    ngx_int_t                        rc;
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;
    rc = NGX_DECLINED;

    /*
     * Generation 0: a token the zone never held, of a worker whose
     * configuration a reload replaced (or that found the zone full):
     * dropped from the worker's own memory, if it is there.
     */

    if (generation == 0) {
        if (client->retired.len != 0) {
            ngx_explicit_memzero(client->retired.token, client->retired.cap);
            client->retired.len = 0;
            rc = NGX_OK;
        }

        return rc;
    }

    ngx_shmtx_lock(&cache->shpool->mutex);

    n = ngx_http_oauth2_client_cache_find(cache, client);

    /* only the token that was refused: a newer one stays, as do others' */

    if (n != NULL && n->token_len != 0 && n->generation == generation
        && ngx_memcmp(n->conf_id, client->conf_id, sizeof(n->conf_id)) == 0)
    {

        if ((ngx_msec_int_t) (n->no_purge - ngx_current_msec) > 0) {
            rc = NGX_BUSY;

        } else {
            ngx_explicit_memzero(n->token, n->token_cap);
            n->token_len = 0;
            n->flags |= NGX_HTTP_OAUTH2_CLIENT_NODE_PURGED;
            n->status.record.purges++;
            rc = NGX_OK;
        }
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return rc;
}


/*
 * Allocates under the lock; when the zone is full, gives up the least
 * recently used nodes other than "keep" until the allocation fits.  Each
 * node given up is logged: a zone too small for its clients costs token
 * requests, and the operator should know why.
 */

static void *
ngx_http_oauth2_client_cache_alloc(ngx_http_oauth2_client_cache_t *cache,
    size_t size, ngx_http_oauth2_client_node_t *keep,
    ngx_http_oauth2_client_conf_t *client)
{
    void                           *p;
    ngx_queue_t                    *q, *prev;
    ngx_http_oauth2_client_node_t  *n;

    p = ngx_slab_alloc_locked(cache->shpool, size);
    if (p != NULL) {
        return p;
    }

    q = ngx_queue_last(&cache->sh->queue);

    while (q != ngx_queue_sentinel(&cache->sh->queue)) {
        prev = ngx_queue_prev(q);
        n = ngx_queue_data(q, ngx_http_oauth2_client_node_t, queue);

        if (n != keep) {
            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "oauth2 client \"%V\": no room%s, dropped the "
                          "cached token of client \"%*s\", the least "
                          "recently used", &client->name,
                          cache->shpool->log_ctx, (size_t) n->name_len,
                          n->name);

            ngx_http_oauth2_client_cache_free_node(cache, n);
            cache->sh->evictions++;

            p = ngx_slab_alloc_locked(cache->shpool, size);
            if (p != NULL) {
                return p;
            }
        }

        q = prev;
    }

    return NULL;
}


static void
ngx_http_oauth2_client_cache_free_node(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_node_t *n)
{
    ngx_rbtree_node_t  *node;

    node = (ngx_rbtree_node_t *)
               ((u_char *) n - offsetof(ngx_rbtree_node_t, color));

    ngx_queue_remove(&n->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, node);
    cache->sh->entries--;

    if (n->token != NULL) {
        ngx_explicit_memzero(n->token, n->token_cap);
        ngx_slab_free_locked(cache->shpool, n->token);
    }

    if (n->nonce[NGX_HTTP_OAUTH2_CLIENT_NONCE_TOKEN] != NULL) {
        ngx_slab_free_locked(cache->shpool,
                             n->nonce[NGX_HTTP_OAUTH2_CLIENT_NONCE_TOKEN]);
    }

    if (n->nonce[NGX_HTTP_OAUTH2_CLIENT_NONCE_API] != NULL) {
        ngx_slab_free_locked(cache->shpool,
                             n->nonce[NGX_HTTP_OAUTH2_CLIENT_NONCE_API]);
    }

    ngx_slab_free_locked(cache->shpool, node);
}



/*
 * The status (docs/status.md): what the zone holds of each client of s
 * (clients[i] for s->clients[i]), copied in one critical section that
 * allocates nothing and formats nothing; the live fields are read into
 * what the status shows once the lock is released.
 */

ngx_int_t
ngx_http_oauth2_client_cache_snapshot(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t **clients,
    ngx_http_oauth2_client_status_snapshot_t *s, ngx_pool_t *pool,
    ngx_log_t *log)
{
    ngx_uint_t                       i;
    ngx_msec_t                       now;
    ngx_http_oauth2_client_live_t   *live;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;

    live = ngx_palloc(pool, (s->nclients + 1)
                            * sizeof(ngx_http_oauth2_client_live_t));
    if (live == NULL) {
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                   "oauth2 status: locking the zone to copy %uz clients",
                   s->nclients);

    ngx_shmtx_lock(&cache->shpool->mutex);

    ngx_http_oauth2_client_cache_copy(cache, clients, s, live);
    now = ngx_current_msec;

    ngx_shmtx_unlock(&cache->shpool->mutex);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                   "oauth2 status: zone unlocked, %uz clients copied",
                   s->nclients);

    s->zone.size = shm_zone->shm.size;
    s->zone.used = (s->zone.free < s->zone.size)
                   ? s->zone.size - s->zone.free : 0;

    for (i = 0; i < s->nclients; i++) {
        ngx_http_oauth2_client_cache_show(&s->clients[i], &live[i], now);
    }

    return NGX_OK;
}


/* under the lock: plain copies */

static void
ngx_http_oauth2_client_cache_copy(ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_conf_t **clients,
    ngx_http_oauth2_client_status_snapshot_t *s,
    ngx_http_oauth2_client_live_t *live)
{
    ngx_uint_t                      i;
    ngx_http_oauth2_client_node_t  *n;

    s->zone.free = (uint64_t) cache->shpool->pfree << ngx_pagesize_shift;
    s->zone.entries = cache->sh->entries;
    s->zone.evictions = cache->sh->evictions;

    for (i = 0; i < s->nclients; i++) {
        n = ngx_http_oauth2_client_cache_find(cache, clients[i]);

        if (n == NULL) {
            live[i].found = 0;
            continue;
        }

        ngx_memcpy(&s->clients[i].record, &n->status.record,
                   sizeof(ngx_http_oauth2_client_status_record_t));

        /* a node of other settings holds no token of this client's */

        live[i].found = 1;
        live[i].token = n->token_len != 0
                        && ngx_memcmp(n->conf_id, clients[i]->conf_id,
                                      sizeof(n->conf_id)) == 0;
        live[i].dpop = (n->flags & NGX_HTTP_OAUTH2_CLIENT_NODE_DPOP) != 0;
        live[i].claim_pid = n->claim_pid;
        live[i].expires = n->expires;
        live[i].refresh = n->refresh;
        live[i].claim_deadline = n->claim_deadline;
        live[i].backoff = n->backoff;

        ngx_memcpy(s->clients[i].fingerprint, n->status.fingerprint,
                   sizeof(n->status.fingerprint));
    }
}


/* after the lock: what the copy says, from the time of the copy */

static void
ngx_http_oauth2_client_cache_show(ngx_http_oauth2_client_status_client_t *sc,
    ngx_http_oauth2_client_live_t *lv, ngx_msec_t now)
{
    ngx_msec_int_t  left;

    sc->state = NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_NO_TOKEN;

    sc->token_type = NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_BEARER;

    if (!lv->found) {
        return;
    }

    /* the type of the token stored: DPoP-bound, or not */

    if (lv->token && lv->dpop) {
        sc->token_type = NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_DPOP;
    }

    left = (ngx_msec_int_t) (lv->expires - now);

    if (lv->token && left > 0) {
        sc->token_cached = 1;
        sc->has_expires_in = 1;
        sc->expires_in = left / 1000;
        sc->has_refresh_in = 1;
        sc->refresh_in = (ngx_msec_int_t) (lv->refresh - now) / 1000;
        sc->state = NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_VALID;

    } else {
        sc->fingerprint[0] = '\0';
    }

    if (lv->claim_pid != 0
        && (ngx_msec_int_t) (lv->claim_deadline - now) > 0)
    {
        sc->fetching = 1;
        sc->fetch_pid = lv->claim_pid;

        if (sc->token_cached) {
            sc->state = NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_REFRESHING;
        }
    }

    /* as the Retry-After of a 503 says it: rounded up */

    left = (ngx_msec_int_t) (lv->backoff - now);

    if (left > 0) {
        sc->has_next_attempt_in = 1;
        sc->next_attempt_in = (left + 999) / 1000;
        sc->state = NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_BACKOFF;
    }
}


/*
 * Requests counted for the status off the hit path, by their
 * $oauth2_token_status (a count each, or a correction: -1 HIT, +1 WAIT
 * for a request that waited): a token handed to the waiters of a token
 * request, a failure, a request that waited.  Rare, each after a wait or
 * a failure, so a critical section of their own.
 */

void
ngx_http_oauth2_client_cache_served(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, const ngx_int_t *served)
{
    ngx_uint_t                       i;
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    /* by $oauth2_token_status value: its index in served[] */

    static const ngx_uint_t  index[] = {
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N,         /* none */
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_HIT,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_MISS,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_ERROR,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_REFRESH,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_STALE,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_WAIT,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_BACKOFF,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_DPOP
    };

    cache = shm_zone->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    n = ngx_http_oauth2_client_cache_find(cache, client);

    if (n != NULL) {
        for (i = 1; i < NGX_HTTP_OAUTH2_CLIENT_TOKEN_STATUS_N; i++) {
            n->status.record.served[index[i]] += (uint64_t) (int64_t)
                                                 served[i];
        }
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


/* a token request of an old configuration, which has no claim */

void
ngx_http_oauth2_client_cache_record(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client,
    const ngx_http_oauth2_client_status_result_t *res)
{
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    n = ngx_http_oauth2_client_cache_find(cache, client);

    if (n != NULL) {
        ngx_http_oauth2_client_status_record_result(&n->status.record, res);
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}
