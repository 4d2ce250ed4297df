/*
 * vouch service — paging a store list through a predicate (private to the
 * service layer; adapters call vsvc_list_matching and
 * vsvc_occurrence_list): the lists whose filter the store cannot index
 * (Cloud Run v1 label selectors, Container Analysis
 * has_suffix(resourceUrl, ...)) still return full pages and a token that
 * resumes exactly after the last item returned.
 *
 * The pager reads the store in fixed batches; its token is
 * "<skip>.<store token>": resume at the store page that starts at the
 * store token, skipping its first <skip> items. A token is opaque to
 * clients; a malformed one is VOUCH_EINVAL.
 *
 * Thread safety: reentrant; uses the caller's connection.
 */
#ifndef VSVC_PAGER_H
#define VSVC_PAGER_H

#include <stddef.h>

#include "store.h"
#include "vsvc.h"

/* Items read from the store per round trip. */
#define VSVC_PAGER_BATCH 200u

/*
 * Does stored resource `r` belong to the list? 1 yes, 0 no, or a negative
 * vouch_code with `err` filled (the list stops with it).
 */
typedef int (*vsvc__pager_match)(const vouch_resource *r, void *payload,
                                 vouch_error *err);

/*
 * One page of at most `limit` (>= 1) matching resources of the query `q`
 * (kind, parent, attr1, attr2; its page_size and page_token are ignored),
 * resuming at `token` (NULL or "": the start).
 *
 * @param[out] out  Filled; clear with vouch_resource_page_clear(). Its
 *                  next_page_token is a pager token, NULL on the last
 *                  page.
 * @return 0; VOUCH_EINVAL (malformed token); the predicate's or the
 *         store's error; VOUCH_ENOMEM.
 */
int vsvc__pager_list(vouch_store_conn *conn, const vouch_resource_query *q,
                     const char *token, size_t limit,
                     vsvc__pager_match match, void *payload,
                     vouch_resource_page *out, vouch_error *err);

/*
 * The same as a vsvc_page of at most page->size items (0: the default,
 * lowered to VSVC_PAGE_MAX), resuming at page->token. A store failure is
 * wrapped as "store: ..."; a bad token is VOUCH_EINVAL as it is.
 */
int vsvc__pager_page(vouch_store_conn *conn, const vouch_resource_query *q,
                     const vsvc_page_request *page, vsvc__pager_match match,
                     void *payload, vsvc_page *out, vouch_error *err);

#endif /* VSVC_PAGER_H */
