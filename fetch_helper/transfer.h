/* One HTTP(S) transfer through libcurl, inside scnet-quota-fetch. */
#ifndef SCNET_FETCH_TRANSFER_H
#define SCNET_FETCH_TRANSFER_H

#include <curl/curl.h>

#include "fetch_wire.h"

/* Perform req on easy (reset first, so a connection kept from an earlier request to the same
 * server is reused): HTTPS with peer and host verification, no redirects, no proxy unless
 * given, nothing taken from the environment or ~/.netrc. Fills reply (body only with
 * HTTP_OK; caller frees it with fetch_wire_reply_free). Header copies are wiped. */
void transfer_perform(CURL *easy, const struct http_request *req, struct fetch_wire_reply *reply);

#endif
