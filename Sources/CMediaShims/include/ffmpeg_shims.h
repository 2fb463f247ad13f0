// What Swift cannot import from FFmpeg directly: function-like macros, compound
// literals, fixed-size arrays and the variadic logging API.
#ifndef MEDIAJOBS_FFMPEG_SHIMS_H
#define MEDIAJOBS_FFMPEG_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/rational.h>

#ifdef __cplusplus
extern "C" {
#endif

// Error codes (AVERROR and the tag errors are macros).
int mj_averror(int posix_errno);
int mj_averror_eof(void);
int mj_averror_eagain(void);
int mj_averror_invaliddata(void);
int mj_averror_decoder_not_found(void);
int mj_averror_encoder_not_found(void);
int mj_averror_demuxer_not_found(void);
int mj_averror_muxer_not_found(void);
int mj_averror_filter_not_found(void);
int mj_averror_exit(void);

/// Writes FFmpeg's message for `errnum` into `buffer` (always NUL-terminated).
void mj_error_string(int errnum, char *buffer, size_t size);

// Timestamps.
int64_t mj_av_nopts_value(void);
AVRational mj_av_time_base_q(void);
int mj_av_time_base(void);

// AVFrame's fixed-size arrays.
uint8_t *mj_frame_data(const AVFrame *frame, int plane);
int mj_frame_linesize(const AVFrame *frame, int plane);
uint8_t *mj_frame_extended_data(const AVFrame *frame, int plane);

/// Logs `message` verbatim through av_log (never as a format string).
void mj_av_log_message(void *context, int level, const char *message);

/// A plain function that receives each formatted FFmpeg log line.
/// Called from whatever thread FFmpeg logs on.
typedef void (*mj_log_sink)(int level, const char *line);

/// Routes every av_log call at `max_level` or more severe to `sink`, formatted
/// with av_log_format_line2. Passing NULL restores FFmpeg's default callback.
void mj_av_log_install(mj_log_sink sink, int max_level);

/// A cancellation flag that an AVIOInterruptCB can read from FFmpeg's thread.
typedef struct mj_cancel_flag mj_cancel_flag;
mj_cancel_flag *mj_cancel_flag_create(void);
void mj_cancel_flag_free(mj_cancel_flag *flag);
void mj_cancel_flag_set(mj_cancel_flag *flag);
int mj_cancel_flag_is_set(const mj_cancel_flag *flag);
/// Makes blocking I/O on `context` give up (AVERROR_EXIT) once `flag` is set.
/// The flag must outlive the context.
void mj_format_set_interrupt(AVFormatContext *context, mj_cancel_flag *flag);

#ifdef __cplusplus
}
#endif

#endif
