#include "ffmpeg_shims.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>

int mj_averror(int posix_errno) { return AVERROR(posix_errno); }
int mj_averror_eof(void) { return AVERROR_EOF; }
int mj_averror_eagain(void) { return AVERROR(EAGAIN); }
int mj_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
int mj_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
int mj_averror_encoder_not_found(void) { return AVERROR_ENCODER_NOT_FOUND; }
int mj_averror_demuxer_not_found(void) { return AVERROR_DEMUXER_NOT_FOUND; }
int mj_averror_muxer_not_found(void) { return AVERROR_MUXER_NOT_FOUND; }
int mj_averror_filter_not_found(void) { return AVERROR_FILTER_NOT_FOUND; }
int mj_averror_exit(void) { return AVERROR_EXIT; }

void mj_error_string(int errnum, char *buffer, size_t size) {
    if (buffer == NULL || size == 0) {
        return;
    }
    // av_strerror writes a generic message itself when the code is unknown.
    av_strerror(errnum, buffer, size);
    buffer[size - 1] = '\0';
}

int64_t mj_av_nopts_value(void) { return AV_NOPTS_VALUE; }
AVRational mj_av_time_base_q(void) { return AV_TIME_BASE_Q; }
int mj_av_time_base(void) { return AV_TIME_BASE; }

uint8_t *mj_frame_data(const AVFrame *frame, int plane) {
    if (frame == NULL || plane < 0 || plane >= AV_NUM_DATA_POINTERS) {
        return NULL;
    }
    return frame->data[plane];
}

int mj_frame_linesize(const AVFrame *frame, int plane) {
    if (frame == NULL || plane < 0 || plane >= AV_NUM_DATA_POINTERS) {
        return 0;
    }
    return frame->linesize[plane];
}

uint8_t *mj_frame_extended_data(const AVFrame *frame, int plane) {
    if (frame == NULL || frame->extended_data == NULL || plane < 0) {
        return NULL;
    }
    return frame->extended_data[plane];
}

void mj_av_log_message(void *context, int level, const char *message) {
    av_log(context, level, "%s", message ? message : "");
}

static _Atomic(mj_log_sink) installed_sink = NULL;
static atomic_int installed_max_level = AV_LOG_INFO;

static void mj_log_trampoline(void *avcl, int level, const char *fmt, va_list vl) {
    mj_log_sink sink = atomic_load(&installed_sink);
    if (sink == NULL || level > atomic_load(&installed_max_level)) {
        return;
    }
    // One line per call: FFmpeg's own prefix ("[mp3float @ 0x...] ") is kept.
    static _Thread_local int print_prefix = 1;
    char line[1024];
    line[0] = '\0';
    av_log_format_line2(avcl, level, fmt, vl, line, (int)sizeof(line), &print_prefix);
    sink(level, line);
}

void mj_av_log_install(mj_log_sink sink, int max_level) {
    atomic_store(&installed_max_level, max_level);
    atomic_store(&installed_sink, sink);
    if (sink == NULL) {
        av_log_set_callback(av_log_default_callback);
    } else {
        av_log_set_callback(mj_log_trampoline);
    }
}

struct mj_cancel_flag {
    atomic_int is_set;
};

mj_cancel_flag *mj_cancel_flag_create(void) {
    mj_cancel_flag *flag = calloc(1, sizeof(*flag));
    if (flag != NULL) {
        atomic_init(&flag->is_set, 0);
    }
    return flag;
}

void mj_cancel_flag_free(mj_cancel_flag *flag) { free(flag); }

void mj_cancel_flag_set(mj_cancel_flag *flag) {
    if (flag != NULL) {
        atomic_store(&flag->is_set, 1);
    }
}

int mj_cancel_flag_is_set(const mj_cancel_flag *flag) {
    return flag != NULL && atomic_load(&((mj_cancel_flag *)flag)->is_set) != 0;
}

static int mj_interrupt_callback(void *opaque) {
    return mj_cancel_flag_is_set((const mj_cancel_flag *)opaque);
}

void mj_format_set_interrupt(AVFormatContext *context, mj_cancel_flag *flag) {
    if (context == NULL) {
        return;
    }
    context->interrupt_callback.callback = mj_interrupt_callback;
    context->interrupt_callback.opaque = flag;
}
