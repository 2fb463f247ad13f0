import CMediaFFmpeg
import CMediaShims

/// The loudest sample of decoded audio, as a fraction of full scale (0…1).
enum AudioLevel {
    static func peak(of frame: UnsafePointer<AVFrame>) -> Double {
        let format = AVSampleFormat(rawValue: frame.pointee.format)
        let channels = Int(frame.pointee.ch_layout.nb_channels)
        let samples = Int(frame.pointee.nb_samples)
        let planar = av_sample_fmt_is_planar(format) != 0
        let planes = planar ? channels : 1
        let perPlane = planar ? samples : samples * channels
        var peak = 0.0
        for plane in 0..<planes {
            guard let data = mj_frame_extended_data(frame, Int32(plane)) else { continue }
            switch av_get_packed_sample_fmt(format) {
            case AV_SAMPLE_FMT_U8:
                peak = max(peak, scan(data, UInt8.self, perPlane) { abs(Double($0) - 128) / 128 })
            case AV_SAMPLE_FMT_S16:
                peak = max(peak, scan(data, Int16.self, perPlane) { abs(Double($0)) / 32768 })
            case AV_SAMPLE_FMT_S32:
                peak = max(peak, scan(data, Int32.self, perPlane) { abs(Double($0)) / 2_147_483_648 })
            case AV_SAMPLE_FMT_FLT:
                peak = max(peak, scan(data, Float.self, perPlane) { abs(Double($0)) })
            case AV_SAMPLE_FMT_DBL:
                peak = max(peak, scan(data, Double.self, perPlane) { abs($0) })
            default:
                // A format without a scan here (s64) is taken as loud rather than refused.
                return 1
            }
        }
        return peak
    }

    private static func scan<T>(_ data: UnsafeMutablePointer<UInt8>, _: T.Type, _ count: Int, _ level: (T) -> Double)
        -> Double
    {
        let values = UnsafeRawPointer(data).bindMemory(to: T.self, capacity: count)
        var peak = 0.0
        for index in 0..<count {
            let value = level(values[index])
            if value > peak { peak = value }
        }
        return peak
    }

    /// `fraction` of full scale in dBFS (−∞ for 0 is reported as −200).
    static func decibels(_ fraction: Double) -> Double {
        fraction > 0 ? 20 * log10(fraction) : -200
    }
}
