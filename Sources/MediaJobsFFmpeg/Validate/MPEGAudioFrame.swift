/// What an MPEG audio (MP1, MP2, MP3) frame header declares, to tell a last frame cut short: a download
/// that stops mid-frame leaves a short final packet that FFmpeg's demuxer and decoder pass without a word.
enum MPEGAudioFrame {
    /// Bitrates in kbit/s by bitrate index 1–14: MPEG-1 layers I, II, III, then MPEG-2/2.5 layer I, layers II and III.
    private static let bitrates: [[Int]] = [
        [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
        [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
        [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
        [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ]

    /// The frame length in bytes that the 4-byte big-endian `header` declares; nil for no valid header
    /// (or a free-format frame, whose length is not in its header).
    static func declaredLength(header: UInt32) -> Int? {
        guard header & 0xffe0_0000 == 0xffe0_0000 else { return nil }
        let version = (header >> 19) & 3  // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
        let layer = (header >> 17) & 3  // 3: layer I, 2: layer II, 1: layer III
        let bitrateIndex = Int((header >> 12) & 0xf)
        let rateIndex = Int((header >> 10) & 3)
        let padding = Int((header >> 9) & 1)
        guard version != 1, layer != 0, (1...14).contains(bitrateIndex), rateIndex != 3 else { return nil }
        let mpeg1 = version == 3
        let sampleRate = [44100, 48000, 32000][rateIndex] >> (mpeg1 ? 0 : version == 2 ? 1 : 2)
        let table = mpeg1 ? Int(3 - layer) : (layer == 3 ? 3 : 4)
        let bitsPerSecond = bitrates[table][bitrateIndex - 1] * 1000
        switch layer {
        case 3: return (12 * bitsPerSecond / sampleRate + padding) * 4
        case 2: return 144 * bitsPerSecond / sampleRate + padding
        default: return (mpeg1 ? 144 : 72) * bitsPerSecond / sampleRate + padding
        }
    }

    /// The first four bytes of `data` as a header word (0 when shorter).
    static func header(_ data: UnsafePointer<UInt8>?, size: Int) -> UInt32 {
        guard let data, size >= 4 else { return 0 }
        return (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(data[$1]) }
    }
}
