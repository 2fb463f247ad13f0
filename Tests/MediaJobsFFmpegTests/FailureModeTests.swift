import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

/// One test per way a provider's output can be broken, each on a real file from Samples/ (made by
/// scripts/make-samples.sh) or rendered here, each checking the failure is named by its code and message.
@Suite("validation failure modes")
struct FailureModeTests {
    let engine = Fixtures.engine

    @Test("zero length: media.empty")
    func empty() async throws {
        let file = Fixtures.sample("empty.mp3")
        let error = await mediaError { _ = try await engine.validate(file, expecting: MediaExpectation(kind: .audio)) }
        #expect(error?.code == .mediaEmpty)
        #expect(error?.message.contains("empty.mp3: the file is empty (0 bytes)") == true)
    }

    @Test("an HTML error page saved as .mp3: media.not_media, named by kind, its contents never quoted")
    func htmlBody() async throws {
        let file = Fixtures.sample("error-page.mp3")
        let error = await mediaError { _ = try await engine.validate(file, expecting: MediaExpectation(kind: .audio)) }
        #expect(error?.code == .mediaNotMedia)
        #expect(error?.message.contains("an HTML page") == true)
        #expect(error?.message.contains("DOCTYPE") == false)
        #expect(error?.message.contains("<") == false)
    }

    @Test("a JSON body saved as .png: media.not_media")
    func jsonBody() async throws {
        let file = try Fixtures.temporaryFolder().appendingPathComponent("result.png")
        try Data(#"{"error": {"code": 429, "message": "rate limited"}}"#.utf8).write(to: file)
        let error = await mediaError { _ = try await engine.validate(file, expecting: MediaExpectation(kind: .image)) }
        #expect(error?.code == .mediaNotMedia)
        #expect(error?.message.contains("JSON") == true)
    }

    @Test("a WAV under an .mp3 name: media.container_mismatch naming both")
    func containerMismatch() async throws {
        let file = Fixtures.sample("mismatch.mp3")
        let error = await mediaError { _ = try await engine.validate(file) }
        #expect(error?.code == .mediaContainerMismatch)
        #expect(error?.message.contains("the extension says .mp3 but the content is wav") == true)
    }

    @Test("a cut MP4: media.truncated with the decoded and announced lengths")
    func truncatedVideo() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("truncated.mp4")) }
        #expect(error?.code == .mediaTruncated)
        #expect(error?.message.contains("of the 4.00 s its header announces") == true)
        #expect(error?.message.contains("bytes past the end of the") == true)
    }

    @Test("a WAV whose data stops halfway: media.truncated")
    func truncatedAudio() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("truncated.wav")) }
        #expect(error?.code == .mediaTruncated)
        #expect(error?.message.contains("holds 1.00 s of the 2.00 s") == true)
    }

    @Test("an MP4 with noise in its packets: media.corrupt counting the corrupt packets")
    func corruptPackets() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("corrupt.mp4")) }
        #expect(error?.code == .mediaCorrupt)
        #expect(error?.message.contains("corrupt packet(s) (0 tolerated)") == true)
        // The count is reported and tolerating that many lets the file through.
        let count = try #require(error?.message.split(separator: " ").compactMap { Int($0) }.first)
        #expect(count > 1)
        let report = try await engine.validate(
            Fixtures.sample("corrupt.mp4"), expecting: MediaExpectation(maxDecodeErrors: count))
        #expect(report.decodeErrors == count)
    }

    @Test("a PNG declaring 100000x100000 pixels: media.too_large before decoding")
    func pictureBomb() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("bomb.png"), expecting: MediaExpectation(kind: .image)) }
        #expect(error?.code == .mediaTooLarge)
        #expect(error?.message.contains("100000x100000") == true)
        #expect(error?.message.contains("refused before decoding") == true)
    }

    @Test("a JPEG and a WebP declaring huge sizes: media.too_large from their headers, naming size and limit",
          arguments: [("bomb.jpg", "JPEG frame header declares 60000x60000"), ("bomb.webp", "WebP header declares 16383x16383")])
    func pictureBombs(_ name: String, _ declared: String) async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample(name), expecting: MediaExpectation(kind: .image)) }
        #expect(error?.code == .mediaTooLarge)
        #expect(error?.message.contains(declared) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("beyond the limits (8192x8192, 35651584 pixels): refused before decoding") == true)
    }

    @Test("the header sizes of real JPEG and WebP files are read as FFmpeg decodes them")
    func headerSizes() async throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for format in [ImageFormat.jpeg, .webp] {
            let file = folder.appendingPathComponent("image.\(format.fileExtension)")
            try await engine.convertImage(
                Fixtures.sample("clip.mp4"), to: file, options: ImageOutputOptions(format: format, width: 150, height: 90),
                atSeconds: 1)
            let head = try Data(contentsOf: file)
            let size = format == .jpeg ? ContentSniffer.jpegSize(head) : ContentSniffer.webpSize(head)
            #expect(size.map { [$0.0, $0.1] } == [150, 90], "\(format)")
        }
    }

    @Test("an MP3 cut mid-frame (no demuxer or decoder error): media.truncated naming the short frame")
    func cutMP3() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("cut.mp3"), expecting: MediaExpectation(kind: .audio)) }
        #expect(error?.code == .mediaTruncated)
        #expect(error?.message.contains("holds 256 of the 288 bytes its header declares") == true, "\(error?.message ?? "")")
        // The whole file, whose frames are all complete, passes.
        _ = try await engine.validate(Fixtures.sample("speech.mp3"), expecting: MediaExpectation(kind: .audio))
    }

    @Test("a video larger than the configured limits: media.too_large from its header")
    func videoBeyondLimits() async throws {
        var limits = MediaLimits()
        limits.maxWidth = 100
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("clip.mp4"), limits: limits) }
        #expect(error?.code == .mediaTooLarge)
        #expect(error?.message.contains("160x120") == true)
    }

    @Test("media longer than the configured limit: media.too_large")
    func durationBeyondLimits() async throws {
        var limits = MediaLimits()
        limits.maxDurationS = 1
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("speech.wav"), limits: limits) }
        #expect(error?.code == .mediaTooLarge)
        #expect(error?.message.contains("beyond the limit of 1.00 s") == true)
    }

    @Test("digital silence from end to end: media.silent")
    func silence() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("silent.wav"), expecting: MediaExpectation(kind: .audio)) }
        #expect(error?.code == .mediaSilent)
        #expect(error?.message.contains("silent from start to end") == true)
    }

    @Test("black from end to end: media.black (blackdetect)")
    func black() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("black.mp4"), expecting: MediaExpectation(kind: .video)) }
        #expect(error?.code == .mediaBlack)
        #expect(error?.message.contains("20 of 20 frames") == true)
    }

    @Test("one picture held for the whole video: media.frozen (freezedetect)")
    func frozen() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("frozen.mp4"), expecting: MediaExpectation(kind: .video)) }
        #expect(error?.code == .mediaFrozen)
    }

    @Test("a flat-colour image: media.flat_image")
    func flatImage() async throws {
        let error = await mediaError { _ = try await engine.validate(Fixtures.sample("flat.png"), expecting: MediaExpectation(kind: .image)) }
        #expect(error?.code == .mediaFlatImage)
    }

    @Test("speech far too short for its text (the end was dropped): media.implausible_length")
    func speechTooShort() async throws {
        // speech.wav says about 100 characters in about 7 s; claim it was made from 1,000.
        let error = await mediaError {
            _ = try await engine.validate(Fixtures.sample("speech.wav"), expecting: MediaExpectation(kind: .audio, spokenCharacters: 1000))
        }
        #expect(error?.code == .mediaImplausibleLength)
        #expect(error?.message.contains("the end of the text was probably dropped") == true)
    }

    @Test("speech far too long for its text: media.implausible_length")
    func speechTooLong() async throws {
        let error = await mediaError {
            _ = try await engine.validate(Fixtures.sample("speech.wav"), expecting: MediaExpectation(kind: .audio, spokenCharacters: 25))
        }
        #expect(error?.code == .mediaImplausibleLength)
    }

    @Test("the sample's real text passes the speech length check")
    func speechPlausible() async throws {
        let text = "MediaJobs turns media requests into validated files. This recording was made by the project itself."
        let report = try await engine.validate(
            Fixtures.sample("speech.wav"), expecting: MediaExpectation(kind: .audio, spokenCharacters: text.count))
        #expect(report.checks.contains { $0.hasPrefix("speech") && $0.contains("characters/s") })
    }

    @Test("a video of the wrong size, rate, length or sound: media.mismatch naming what differs")
    func mismatch() async throws {
        let clip = Fixtures.sample("clip.mp4")
        let size = await mediaError { _ = try await engine.validate(clip, expecting: MediaExpectation(kind: .video, width: 1280, height: 720)) }
        #expect(size?.code == .mediaMismatch)
        #expect(size?.message.contains("160x120, not the 1280x720 asked for") == true)
        let rate = await mediaError { _ = try await engine.validate(clip, expecting: MediaExpectation(kind: .video, frameRate: 24)) }
        #expect(rate?.code == .mediaMismatch)
        #expect(rate?.message.contains("10.00 fps, not the 24.00 fps") == true)
        let length = await mediaError { _ = try await engine.validate(clip, expecting: MediaExpectation(kind: .video, durationSeconds: 5)) }
        #expect(length?.code == .mediaMismatch)
        #expect(length?.message.contains("not the 5.00 s asked for (± 0.50 s)") == true)
        let silent = await mediaError {
            _ = try await engine.validate(Fixtures.sample("black.mp4"), expecting: MediaExpectation(kind: .video, audioTrack: true))
        }
        #expect(silent?.code == .mediaMismatch)
        #expect(silent?.message.contains("a sound track was asked for") == true)
    }

    @Test("a good video passes every check and the report says what was checked")
    func goodVideo() async throws {
        let report = try await engine.validate(
            Fixtures.sample("clip.mp4"),
            expecting: MediaExpectation(
                kind: .video, durationSeconds: 2, width: 160, height: 120, frameRate: 10, audioTrack: true, format: "mp4"))
        let text = report.checks.joined(separator: "; ")
        #expect(text.contains("size 160x120 as asked"))
        #expect(text.contains("frame rate 10.00 fps as asked"))
        #expect(text.contains("sound track present as asked"))
        #expect(text.contains("within 0.50 s of 2.00 s"))
        #expect(text.contains("not silent"))
        #expect(text.contains("freezedetect: the picture changes"))
        #expect(report.blackFrames == 0)
    }
}

@Suite("the media section of the configuration")
struct MediaLimitsConfigurationTests {
    @Test("docs/config.example.json shows every media threshold, at its default")
    func exampleShowsEveryField() throws {
        let url = Fixtures.samples.deletingLastPathComponent().appendingPathComponent("docs/config.example.json")
        let data = try Data(contentsOf: url)
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let media = try #require(document["media"] as? [String: Any])
        #expect(Set(media.keys) == MediaLimits.fieldNames)
        #expect(try Configuration(json: data).section(MediaLimits.self) == MediaLimits.defaults)
    }
}
