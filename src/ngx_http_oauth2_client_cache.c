
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The token cache: one shared memory zone for every worker, kept across
 * reloads.  An rbtree keyed by the client name holds one node a client;
 * a queue orders the nodes by last use, so that a full zone gives up the
 * least recently used tokens of other clients first.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


/* bumped whenever the layout below changes */
#define NGX_HTTP_OAUTH2_CLIENT_CACHE_VERSION  1

/* the node that follows an rbtree node's key, from its color on */
#define ngx_http_oauth2_client_node(n)                                       \
    ((ngx_http_oauth2_client_node_t *) &(n)->color)


typedef struct {
    u_char                           color;
    u_char                           name_len;
    u_short                          reserved;
    uint32_t                         token_len;
    uint32_t                         token_cap;
    ngx_queue_t                      queue;
    ngx_msec_t                       expires;    /* ngx_current_msec */
    u_char                          *token;      /* token_cap bytes */
    u_char                           conf_id[32];
    u_char                           name[1];
} ngx_http_oauth2_client_node_t;


typedef struct {
    ngx_rbtree_t                     rbtree;
    ngx_rbtree_node_t                sentinel;
    ngx_queue_t                      queue;
    ngx_uint_t                       version;
} ngx_http_oauth2_client_shctx_t;


typedef struct {
    ngx_http_oauth2_client_shctx_t  *sh;
    ngx_slab_pool_t                 *shpool;
} ngx_http_oauth2_client_cache_t;


static ngx_int_t ngx_http_oauth2_client_cache_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static void ngx_http_oauth2_client_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_oauth2_client_node_t *ngx_http_oauth2_client_cache_lookup(
    ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_conf_t *client);
static void *ngx_http_oauth2_client_cache_alloc(
    ngx_http_oauth2_client_cache_t *cache, size_t size,
    ngx_http_oauth2_client_node_t *keep);
static void ngx_http_oauth2_client_cache_free_node(
    ngx_http_oauth2_client_cache_t *cache,
    ngx_http_oauth2_client_node_t *node);


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

        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;
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

    len = sizeof(" in oauth2 zone \"\"") + shm_zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in oauth2 zone \"%V\"%Z",
                &shm_zone->shm.name);

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
ngx_http_oauth2_client_cache_lookup(ngx_http_oauth2_client_cache_t *cache,
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


ngx_int_t
ngx_http_oauth2_client_cache_get(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_pool_t *pool,
    ngx_str_t *value)
{
    u_char                          *p;
    size_t                           size;
    ngx_msec_t                       now;
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;
    now = ngx_current_msec;

    /*
     * The copy is allocated before the lock is taken, sized by the last
     * token this worker saw: nothing that may call malloc() runs under
     * the zone's mutex.  A longer token costs one more round.
     */

    size = client->token_len;

    for ( ;; ) {

        p = ngx_pnalloc(pool, sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1
                              + size);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_shmtx_lock(&cache->shpool->mutex);

        n = ngx_http_oauth2_client_cache_lookup(cache, client);

        /*
         * A token is used only while it is live and was obtained with the
         * client's current settings; an expired one is never handed out.
         */

        if (n == NULL
            || n->token_len == 0
            || (ngx_msec_int_t) (n->expires - now) <= 0
            || ngx_memcmp(n->conf_id, client->conf_id, sizeof(n->conf_id))
               != 0)
        {
            ngx_shmtx_unlock(&cache->shpool->mutex);
            return NGX_DECLINED;
        }

        if (n->token_len <= size) {
            break;
        }

        size = n->token_len;
        client->token_len = size;

        ngx_shmtx_unlock(&cache->shpool->mutex);
    }

    value->data = p;
    value->len = sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1 + n->token_len;

    p = ngx_cpymem(p, NGX_HTTP_OAUTH2_CLIENT_BEARER,
                   sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1);
    ngx_memcpy(p, n->token, n->token_len);

    client->token_len = n->token_len;

    ngx_queue_remove(&n->queue);
    ngx_queue_insert_head(&cache->sh->queue, &n->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return NGX_OK;
}


ngx_int_t
ngx_http_oauth2_client_cache_put(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, u_char *token, size_t len,
    ngx_msec_t expires, ngx_log_t *log)
{
    u_char                          *buf;
    size_t                           size;
    ngx_http_oauth2_client_node_t   *n;
    ngx_http_oauth2_client_cache_t  *cache;

    cache = shm_zone->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    n = ngx_http_oauth2_client_cache_lookup(cache, client);

    if (n == NULL) {
        size = offsetof(ngx_rbtree_node_t, color)
               + offsetof(ngx_http_oauth2_client_node_t, name)
               + client->name.len;

        buf = ngx_http_oauth2_client_cache_alloc(cache, size, NULL);
        if (buf == NULL) {
            goto nomem;
        }

        n = ngx_http_oauth2_client_node((ngx_rbtree_node_t *) buf);

        ((ngx_rbtree_node_t *) buf)->key = client->hash;
        n->name_len = (u_char) client->name.len;
        ngx_memcpy(n->name, client->name.data, client->name.len);
        n->token = NULL;
        n->token_len = 0;
        n->token_cap = 0;

        ngx_rbtree_insert(&cache->sh->rbtree, (ngx_rbtree_node_t *) buf);
        ngx_queue_insert_head(&cache->sh->queue, &n->queue);

    } else {
        ngx_queue_remove(&n->queue);
        ngx_queue_insert_head(&cache->sh->queue, &n->queue);
    }

    if (n->token_cap < len) {
        buf = ngx_http_oauth2_client_cache_alloc(cache, len, n);
        if (buf == NULL) {
            goto nomem;
        }

        if (n->token != NULL) {
            ngx_explicit_memzero(n->token, n->token_cap);
            ngx_slab_free_locked(cache->shpool, n->token);
        }

        n->token = buf;
        n->token_cap = (uint32_t) len;

    } else {
        /* no trace of the previous token is left behind */
        ngx_explicit_memzero(n->token, n->token_cap);
    }

    ngx_memcpy(n->token, token, len);
    n->token_len = (uint32_t) len;
    n->expires = expires;
    ngx_memcpy(n->conf_id, client->conf_id, sizeof(n->conf_id));

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return NGX_OK;

nomem:

    ngx_shmtx_unlock(&cache->shpool->mutex);

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "oauth2 client \"%V\": zone \"%V\" is full, "
                  "the token is not cached",
                  &client->name, &shm_zone->shm.name);

    return NGX_ERROR;
}


/*
 * Allocates under the lock; when the zone is full, gives up the least
 * recently used nodes other than "keep" until the allocation fits.
 */

static void *
ngx_http_oauth2_client_cache_alloc(ngx_http_oauth2_client_cache_t *cache,
    size_t size, ngx_http_oauth2_client_node_t *keep)
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
            ngx_http_oauth2_client_cache_free_node(cache, n);

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

    if (n->token != NULL) {
        ngx_explicit_memzero(n->token, n->token_cap);
        ngx_slab_free_locked(cache->shpool, n->token);
    }

    ngx_slab_free_locked(cache->shpool, node);
}
