#ifndef CMEDIACURL_SHIM_H
#define CMEDIACURL_SHIM_H

#include <curl/curl.h>

#endif
