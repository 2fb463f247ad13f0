import CMediaFFmpeg
import CMediaShims

/// Reads a `MediaInfo` from an opened file's container and stream headers.
enum MediaProbe {
    static func info(of input: InputFile) -> MediaInfo {
        let context = input.context.pointee
        let duration = context.duration != AVStatus.noTimestamp && context.duration > 0
            ? Double(context.duration) / Double(mj_av_time_base()) : nil
        let streams = (0..<input.streamCount).map { streamInfo(input.stream($0), index: $0) }
        return MediaInfo(
            container: input.formatName,
            durationSeconds: duration,
            bitRate: context.bit_rate > 0 ? Int(context.bit_rate) : nil,
            streams: streams)
    }

    static func streamInfo(_ stream: UnsafeMutablePointer<AVStream>, index: Int) -> StreamInfo {
        let parameters = stream.pointee.codecpar.pointee
        var info = StreamInfo(
            index: index, type: typeName(parameters.codec_type),
            codec: String(cString: avcodec_get_name(parameters.codec_id)))
        info.bitRate = parameters.bit_rate > 0 ? Int(parameters.bit_rate) : nil
        if stream.pointee.duration != AVStatus.noTimestamp && stream.pointee.duration > 0 {
            info.durationSeconds = Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
        }
        switch parameters.codec_type {
        case AVMEDIA_TYPE_AUDIO:
            info.sampleRate = Int(parameters.sample_rate)
            info.channels = Int(parameters.ch_layout.nb_channels)
            info.channelLayout = parameters.ch_layout.nb_channels > 0 ? ChannelLayout.name(of: parameters.ch_layout) : nil
        case AVMEDIA_TYPE_VIDEO:
            info.width = Int(parameters.width)
            info.height = Int(parameters.height)
            let rate = stream.pointee.avg_frame_rate.num > 0 && stream.pointee.avg_frame_rate.den > 0
                ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
            info.frameRate = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : nil
            info.isAttachedPicture = stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0
        default:
            break
        }
        return info
    }

    static func typeName(_ type: AVMediaType) -> String {
        switch type {
        case AVMEDIA_TYPE_AUDIO: "audio"
        case AVMEDIA_TYPE_VIDEO: "video"
        case AVMEDIA_TYPE_SUBTITLE: "subtitle"
        case AVMEDIA_TYPE_DATA: "data"
        case AVMEDIA_TYPE_ATTACHMENT: "attachment"
        default: "unknown"
        }
    }
}
