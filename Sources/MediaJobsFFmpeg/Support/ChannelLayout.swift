import CMediaFFmpeg

enum ChannelLayout {
    /// A name libavfilter's option parser accepts ("mono", "stereo", "5.1"); FFmpeg's default layout
    /// for the count when the layout has no channel order.
    static func name(of layout: AVChannelLayout) -> String {
        var layout = layout
        if layout.order == AV_CHANNEL_ORDER_UNSPEC {
            return defaultName(channels: layout.nb_channels)
        }
        return describe(&layout)
    }

    static func defaultName(channels: Int32) -> String {
        var layout = AVChannelLayout()
        av_channel_layout_default(&layout, channels)
        defer { av_channel_layout_uninit(&layout) }
        return describe(&layout)
    }

    private static func describe(_ layout: UnsafePointer<AVChannelLayout>) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        return buffer.withUnsafeMutableBufferPointer { bytes in
            if av_channel_layout_describe(layout, bytes.baseAddress, bytes.count) < 0 {
                return "\(layout.pointee.nb_channels)c"
            }
            return String(cString: bytes.baseAddress!)
        }
    }
}

enum SampleFormat {
    static func name(_ format: AVSampleFormat) -> String {
        guard let name = av_get_sample_fmt_name(format) else { return "none" }
        return String(cString: name)
    }
}
