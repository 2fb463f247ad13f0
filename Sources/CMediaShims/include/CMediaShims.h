#ifndef CMEDIASHIMS_H
#define CMEDIASHIMS_H

#include "ffmpeg_shims.h"
#include "curl_shims.h"

#endif
