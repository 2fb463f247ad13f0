#ifndef CMEDIASHIMS_CURL_H
#define CMEDIASHIMS_CURL_H

// Typed, non-variadic wrappers for libcurl's variadic calls: Swift cannot call
// curl_easy_setopt or curl_easy_getinfo, and passing the wrong width through `...`
// is undefined behaviour (long options read a C long, *_LARGE options a curl_off_t).

#include <curl/curl.h>

CURLcode mj_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode mj_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode mj_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode mj_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode mj_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode mj_curl_setopt_write_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *));
CURLcode mj_curl_setopt_read_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *));
CURLcode mj_curl_setopt_header_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *));
CURLcode mj_curl_setopt_xferinfo_function(CURL *handle,
                                          int (*function)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t));

CURLcode mj_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode mj_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode mj_curl_getinfo_string(CURL *handle, CURLINFO info, const char **value);

#endif
