
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * A strict reader of the Prometheus text exposition format 0.0.4, for
 * the tests and the fuzz target of the status formatter: it checks the
 * grammar of every line and more than Prometheus itself asks of it.
 *
 * ngx_http_oauth2_client_prom_check(p, len, err, errlen)
 *     checks the text p: plain ASCII lines, each ending with "\n";
 *     "# HELP name text" and "# TYPE name type" at most once per
 *     family and before its first sample; samples
 *     name{label="value",...} value [timestamp] with valid metric and
 *     label names, label values escaped (\\, \", \n only), no label
 *     twice, no reserved "__" label, a value Go's ParseFloat takes;
 *     the samples of a family together; no series twice; counters named
 *     *_total with values >= 0; histograms as bucket lines with "le"
 *     increasing and counts not decreasing, ending with le="+Inf", then
 *     _sum and _count, _count equal to the +Inf bucket.  Returns the
 *     number of samples, or -1 with err set ("line N: why").
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_PROM_CHECK_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_PROM_CHECK_H_INCLUDED_


#include <stddef.h>


long ngx_http_oauth2_client_prom_check(const char *p, size_t len, char *err,
    size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_PROM_CHECK_H_INCLUDED_ */
