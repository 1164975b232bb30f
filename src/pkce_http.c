/*
 * pkce_http.c: bounded libcurl requests sharing one connection cache.
 */
#include <string.h>

#include <curl/curl.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "pkce_http.h"
#include "pkce_url.h"

struct pkce_http_t {
    pkce_http_opts_t opts;
    CURLSH *share;
    /* One lock per kind of shared data, as libcurl's share interface requires. */
    apr_thread_mutex_t *locks[CURL_LOCK_DATA_LAST];
};

typedef struct body_buf_t {
    char *data;
    apr_size_t len;
    apr_size_t cap;
    apr_size_t max;
    int too_big;
    apr_pool_t *p;
} body_buf_t;

apr_status_t pkce_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? APR_SUCCESS
                                                             : PKCE_EHTTP;
}

static void share_lock(CURL *handle, curl_lock_data data,
                       curl_lock_access access, void *userptr)
{
    pkce_http_t *http = userptr;

    if (data < CURL_LOCK_DATA_LAST && http->locks[data] != NULL) {
        apr_thread_mutex_lock(http->locks[data]);
    }
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userptr)
{
    pkce_http_t *http = userptr;

    if (data < CURL_LOCK_DATA_LAST && http->locks[data] != NULL) {
        apr_thread_mutex_unlock(http->locks[data]);
    }
}

static apr_status_t share_cleanup(void *data)
{
    pkce_http_t *http = data;

    curl_share_cleanup(http->share);
    http->share = NULL;
    return APR_SUCCESS;
}

apr_status_t pkce_http_create(pkce_http_t **phttp, const pkce_http_opts_t *opts,
                              apr_pool_t *p)
{
    pkce_http_t *http = apr_pcalloc(p, sizeof(*http));
    int i;

    *phttp = NULL;
    http->opts = *opts;
    if (opts->ca_file != NULL) {
        http->opts.ca_file = apr_pstrdup(p, opts->ca_file);
    }
    for (i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        if (apr_thread_mutex_create(&http->locks[i], APR_THREAD_MUTEX_DEFAULT,
                                    p) != APR_SUCCESS) {
            return PKCE_EHTTP;
        }
    }
    http->share = curl_share_init();
    if (http->share == NULL) {
        return PKCE_EHTTP;
    }
    apr_pool_cleanup_register(p, http, share_cleanup, apr_pool_cleanup_null);
    if (curl_share_setopt(http->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK
        || curl_share_setopt(http->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK
        || curl_share_setopt(http->share, CURLSHOPT_USERDATA, http) != CURLSHE_OK
        || curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK
        || curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK
        || curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        return PKCE_EHTTP;
    }
    *phttp = http;
    return APR_SUCCESS;
}

static size_t write_body(char *data, size_t size, size_t nmemb, void *userp)
{
    body_buf_t *buf = userp;
    apr_size_t n = size * nmemb;

    if (n > buf->max - buf->len) {
        buf->too_big = 1;
        return 0;  /* makes curl abort with CURLE_WRITE_ERROR */
    }
    if (buf->len + n + 1 > buf->cap) {
        apr_size_t cap = (buf->cap ? buf->cap : 4096);
        char *grown;
        while (cap < buf->len + n + 1) {
            cap *= 2;
        }
        grown = apr_palloc(buf->p, cap);
        if (buf->len) {
            memcpy(grown, buf->data, buf->len);
        }
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return n;
}

static void set_common_options(CURL *curl, pkce_http_t *http, const char *url,
                               body_buf_t *buf, char *errbuf)
{
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_SHARE, http->share);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, http->opts.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     http->opts.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (http->opts.ca_file != NULL) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, http->opts.ca_file);
    }
    /* Proxies come only from configuration, never from the environment. */
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "mod_pkce_auth/" "0.1");
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
}

/* Run a prepared handle and fill the response. */
static apr_status_t perform(pkce_http_response_t **presp, CURL *curl,
                            const char *url, body_buf_t *buf, char *errbuf,
                            pkce_err_t *err, apr_pool_t *p)
{
    pkce_http_response_t *resp;
    CURLcode rc = curl_easy_perform(curl);
    char *ctype = NULL;

    if (buf->too_big) {
        return pkce_err_set(err, PKCE_ETOOBIG, "too_big",
                            "response from %s is larger than %lu bytes", url,
                            (unsigned long)buf->max);
    }
    if (rc != CURLE_OK) {
        return pkce_err_set(err, PKCE_EHTTP,
                            rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "connect",
                            "request to %s failed: %s", url,
                            errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    resp = apr_pcalloc(p, sizeof(*resp));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &resp->seconds);
    if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK
        && ctype != NULL) {
        resp->content_type = apr_pstrdup(p, ctype);
    }
    resp->body = buf->data ? buf->data : "";
    resp->body_len = buf->len;
    *presp = resp;
    return APR_SUCCESS;
}

static apr_status_t request(pkce_http_response_t **presp, pkce_http_t *http,
                            const char *url, const char *form,
                            const char *user, const char *password,
                            pkce_err_t *err, apr_pool_t *p)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    body_buf_t buf = { NULL, 0, 0, http->opts.max_response, 0, p };
    char errbuf[CURL_ERROR_SIZE] = "";
    apr_status_t rv;

    *presp = NULL;
    if (curl == NULL) {
        return pkce_err_set(err, PKCE_EHTTP, "curl", "curl_easy_init failed");
    }
    set_common_options(curl, http, url, &buf, errbuf);
    headers = curl_slist_append(headers, "Accept: application/json");
    if (form != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
        headers = curl_slist_append(
            headers, "Content-Type: application/x-www-form-urlencoded");
    }
    if (user != NULL) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, pkce_url_encode(user, p));
        curl_easy_setopt(curl, CURLOPT_PASSWORD,
                         pkce_url_encode(password ? password : "", p));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    rv = perform(presp, curl, url, &buf, errbuf, err, p);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    return rv;
}

apr_status_t pkce_http_get(pkce_http_response_t **presp, pkce_http_t *http,
                           const char *url, pkce_err_t *err, apr_pool_t *p)
{
    return request(presp, http, url, NULL, NULL, NULL, err, p);
}

apr_status_t pkce_http_post_form(pkce_http_response_t **presp,
                                 pkce_http_t *http, const char *url,
                                 const char *body, const char *basic_user,
                                 const char *basic_password, pkce_err_t *err,
                                 apr_pool_t *p)
{
    return request(presp, http, url, body, basic_user, basic_password, err, p);
}
