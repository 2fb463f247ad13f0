import Foundation
import MediaJobsCore

/// Looks at a file's first bytes before FFmpeg does: an empty file, a text or HTML body saved under
/// a media name, and a PNG, JPEG or WebP that declares a size beyond the limits are refused without decoding.
enum ContentSniffer {
    /// Returns the file's size in bytes, or throws `media.empty`, `media.not_media`, `media.too_large`.
    static func inspect(_ file: URL, limits: MediaLimits) throws -> Int {
        try RegularFile.require(file)
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            // Let FFmpeg say why (missing, unreadable) with its own message.
            return -1
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()).map(Int.init) ?? -1
        if size == 0 {
            throw MediaJobsError.media(.mediaEmpty, file, "the file is empty (0 bytes)")
        }
        try? handle.seek(toOffset: 0)
        let head = (try? handle.read(upToCount: 512)) ?? Data()
        if let kind = textKind(head) {
            // What the file says is never repeated: an error may reach an HTTP client that may not read the file.
            throw MediaJobsError.media(.mediaNotMedia, file, "the file is \(kind), not media (\(size) bytes)")
        }
        if let declared = webpFileSize(head), size > declared + 1 {
            // A WebP file is one RIFF chunk. Bytes after it reach Debian's libavcodec 5.1 webp decoder as a second
            // picture, and some abort the process (`Assertion frame->buf[0] failed`, found by FuzzMediaValidator).
            throw MediaJobsError.media(
                .mediaCorrupt, file, "\(size - declared) bytes after the WebP image (its RIFF header says \(declared) bytes)")
        }
        if let (width, height) = pngSize(head) {
            try checkPicture(width: width, height: height, limits: limits, file: file, source: "PNG header")
        } else if let (width, height) = webpSize(head) {
            try checkPicture(width: width, height: height, limits: limits, file: file, source: "WebP header")
        } else if head.starts(with: [0xff, 0xd8, 0xff]) {
            // The frame header may follow EXIF data and thumbnails; walking the segments needs their lengths only.
            try? handle.seek(toOffset: 0)
            let start = (try? handle.read(upToCount: jpegScanLimit)) ?? head
            if let (width, height) = jpegSize(start) {
                try checkPicture(width: width, height: height, limits: limits, file: file, source: "JPEG frame header")
            }
        }
        return size
    }

    /// How far into a JPEG the frame header is looked for (EXIF segments are at most 64 KiB each).
    static let jpegScanLimit = 1 << 20

    /// The width and height in a JPEG's frame header (SOFn), found by walking the marker segments.
    static func jpegSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data)
        guard bytes.count > 4, bytes[0] == 0xff, bytes[1] == 0xd8 else { return nil }
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xff else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xff { offset += 1; continue }  // fill byte
            if marker == 0xd8 || marker == 0x01 || (0xd0...0xd7).contains(marker) { offset += 2; continue }
            if marker == 0xd9 || marker == 0xda { return nil }  // end of image, or the scan began without a frame
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
            if (0xc0...0xcf).contains(marker), ![0xc4, 0xc8, 0xcc].contains(marker) {
                guard offset + 9 <= bytes.count else { return nil }
                let height = Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6])
                let width = Int(bytes[offset + 7]) << 8 | Int(bytes[offset + 8])
                return (width, height)
            }
            guard length >= 2 else { return nil }
            offset += 2 + length
        }
        return nil
    }

    /// The canvas width and height in a WebP's first chunk: `VP8 ` (lossy), `VP8L` (lossless) or `VP8X` (extended).
    /// The file size a RIFF/WEBP header declares (its chunk size plus the 8 bytes of `RIFF` and the size).
    static func webpFileSize(_ head: Data) -> Int? {
        let bytes = [UInt8](head.prefix(12))
        guard bytes.count == 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x45, 0x42, 0x50]
        else { return nil }
        return (4..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 4)) } + 8
    }

    static func webpSize(_ head: Data) -> (Int, Int)? {
        let bytes = [UInt8](head.prefix(32))
        guard bytes.count >= 30, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x45, 0x42, 0x50]
        else { return nil }
        func little(_ at: Int, _ count: Int) -> Int { (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        switch String(decoding: bytes[12..<16], as: UTF8.self) {
        case "VP8 ":
            // A key frame: 3-byte tag, start code 9d 01 2a, then 14-bit width and height (2 bits of scale above).
            guard bytes[23..<26] == [0x9d, 0x01, 0x2a] else { return nil }
            return (little(26, 2) & 0x3fff, little(28, 2) & 0x3fff)
        case "VP8L":
            // Signature 0x2f, then 14 bits of width - 1 and 14 bits of height - 1.
            guard bytes[20] == 0x2f else { return nil }
            let bits = little(21, 4)
            return ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
        case "VP8X":
            // Flags and reserved (4 bytes), then 24 bits of canvas width - 1 and of height - 1.
            return (little(24, 3) + 1, little(27, 3) + 1)
        default:
            return nil
        }
    }

    /// "an HTML page", "JSON", "XML" or "text" when `head` has no bytes binary media would have.
    static func textKind(_ head: Data) -> String? {
        guard !head.isEmpty else { return nil }
        // Media containers put binary bytes (sizes, flags) in their first few hundred bytes.
        var bytes = [UInt8](head)
        // A multi-byte character cut at the end of the sample is not binary.
        while let last = bytes.last, last >= 0x80 { bytes.removeLast() }
        for byte in bytes where byte < 0x20 && byte != 0x09 && byte != 0x0a && byte != 0x0d { return nil }
        guard String(bytes: bytes, encoding: .utf8) != nil else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if text.hasPrefix("<!doctype html") || text.hasPrefix("<html") || text.contains("<body") || text.contains("<head") {
            return "an HTML page"
        }
        if text.hasPrefix("{") || text.hasPrefix("[") { return "JSON" }
        if text.hasPrefix("<?xml") || text.hasPrefix("<") { return "XML" }
        return "text"
    }

    /// The width and height in a PNG's IHDR chunk.
    static func pngSize(_ head: Data) -> (Int, Int)? {
        let bytes = [UInt8](head.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
            bytes[12..<16] == [0x49, 0x48, 0x44, 0x52]
        else { return nil }
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    static func checkPicture(width: Int, height: Int, limits: MediaLimits, file: URL, source: String) throws {
        if width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels {
            throw MediaJobsError.media(
                .mediaTooLarge, file,
                "the \(source) declares \(width)x\(height) pixels, beyond the limits (\(limits.maxWidth)x\(limits.maxHeight), \(limits.maxPixels) pixels): refused before decoding")
        }
    }

    /// The demuxers that may read a file with each extension.
    static let containersByExtension: [String: [String]] = [
        "mp3": ["mp3"], "wav": ["wav"], "flac": ["flac"], "aac": ["aac"],
        "ogg": ["ogg"], "opus": ["ogg"], "oga": ["ogg"],
        "m4a": ["mov"], "mp4": ["mov"], "mov": ["mov"], "m4v": ["mov"],
        "webm": ["matroska"], "mkv": ["matroska"],
        "png": ["png_pipe", "image2"], "jpg": ["jpeg_pipe", "image2"], "jpeg": ["jpeg_pipe", "image2"],
        "webp": ["webp_pipe", "image2"], "gif": ["gif"],
    ]

    /// Throws `media.container_mismatch` when the extension names a format the content is not.
    static func checkExtension(_ file: URL, info: MediaInfo) throws -> String? {
        let ext = file.pathExtension.lowercased()
        guard let wanted = containersByExtension[ext] else { return nil }
        let names = info.container.split(separator: ",").map(String.init)
        if names.contains(where: { wanted.contains($0) }) {
            if names == ["image2"] {
                // image2 goes by the name; the codec says what the content really is.
                let codec = info.streams.first?.codec ?? ""
                let expectedCodec = ["png": "png", "jpg": "mjpeg", "jpeg": "mjpeg", "webp": "webp"][ext]
                if let expectedCodec, codec != expectedCodec {
                    throw MediaJobsError.media(
                        .mediaContainerMismatch, file, "the extension says .\(ext) but the content is \(codec)")
                }
            }
            return "container \(info.container) matches the .\(ext) extension"
        }
        throw MediaJobsError.media(
            .mediaContainerMismatch, file,
            "the extension says .\(ext) but the content is \(info.container) (\(info.streams.map(\.codec).joined(separator: ", ")))")
    }
}

extension ContentSniffer {
    /// For a RIFF/WAVE file: the seconds its `data` chunk announces and the seconds the file holds,
    /// when the file holds less.
    static func wavShortfall(_ file: URL, size: Int) -> (announced: Double, present: Double)? {
        guard size > 44, let handle = FileHandle(forReadingAtPath: file.path) else { return nil }
        defer { try? handle.close() }
        let bytes = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        guard bytes.count >= 44, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45]
        else { return nil }
        func word(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        var offset = 12
        var byteRate = 0
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let length = word(offset + 4)
            if id == "fmt ", offset + 16 <= bytes.count { byteRate = word(offset + 16) }
            if id == "data" {
                let present = size - (offset + 8)
                // 0 and 0xFFFFFFFF mean "unknown" (a stream being written).
                guard byteRate > 0, length != 0, length != 0xFFFF_FFFF, length > present else { return nil }
                return (Double(length) / Double(byteRate), Double(present) / Double(byteRate))
            }
            offset += 8 + length + (length & 1)
        }
        return nil
    }
}
