import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Speaks text with libavfilter's `flite` source filter and writes it with an `AudioWriter`.
struct SpeechSynthesizer {
    /// Spoken one after another, with `pauseSeconds` of silence between them.
    let texts: [String]
    let voice: String
    let pauseSeconds: Double
    let output: URL
    let options: AudioOutputOptions
    let cancel: CancellationFlag

    func run() throws {
        guard FilterGraph.isAvailable("flite") else {
            throw MediaJobsError(
                .mediaFilterUnavailable,
                "libavfilter has no flite filter: install an FFmpeg built with --enable-libflite (Debian 12: apt install libavfilter8 libflite1)")
        }
        guard MediaEngine.fliteVoices.contains(voice) else {
            throw MediaJobsError.invalidInput(
                "input.voice", "flite has no voice \"\(voice)\"; use one of \(MediaEngine.fliteVoices.joined(separator: ", "))")
        }
        let texts = texts.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        guard !texts.isEmpty else {
            throw MediaJobsError.invalidInput("input.text", "there is no text to speak")
        }
        do {
            try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot synthesize speech with flite voice \(voice)") {
                let writer = try AudioWriter(url: output, options: options)
                let frame = try Frame()
                for (number, text) in texts.enumerated() {
                    if number > 0 { try writeSilence(pauseSeconds, to: writer, using: frame) }
                    try speak(text, into: writer, using: frame)
                }
                try writer.finish(source: output)
            }
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }

    /// Runs one flite graph for `text`.
    private func speak(_ text: String, into writer: AudioWriter, using frame: Frame) throws {
        let graph = try FilterGraph()
        // The text goes in through av_opt_set, untouched by the filtergraph parser.
        let flite = try graph.add("flite", name: "speech", options: [("voice", voice), ("text", text)])
        let sink = try graph.add("abuffersink", name: "out")
        try graph.chain([flite, sink])
        try graph.configure()
        while true {
            try cancel.check(output)
            frame.unref()
            let status = av_buffersink_get_frame(sink, frame.pointer)
            if status == AVStatus.endOfFile { break }
            try check(status, "av_buffersink_get_frame")
            try writer.write(frame.pointer)
        }
    }

    /// Writes `seconds` of silence as signed 16-bit mono at the writer's input rate.
    private func writeSilence(_ seconds: Double, to writer: AudioWriter, using frame: Frame) throws {
        let pointer = frame.pointer
        frame.unref()
        pointer.pointee.format = AV_SAMPLE_FMT_S16.rawValue
        pointer.pointee.sample_rate = writer.inputSampleRate
        av_channel_layout_default(&pointer.pointee.ch_layout, 1)
        let total = Int32(seconds * Double(pointer.pointee.sample_rate))
        guard total > 0 else { return }
        pointer.pointee.nb_samples = total
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer")
        try check(
            av_samples_set_silence(
                pointer.pointee.extended_data, 0, total, pointer.pointee.ch_layout.nb_channels,
                AVSampleFormat(rawValue: pointer.pointee.format)),
            "av_samples_set_silence")
        try writer.write(pointer)
        frame.unref()
    }
}

extension MediaEngine {
    /// Speaks `text` with flite's `voice` (one of `fliteVoices`) into a WAV (pcm_s16le, the voice's
    /// own rate: 8 kHz for kal, 16 kHz for the others) at `output`.
    ///
    /// The text reaches flite as an option value, never inside a filtergraph string, so any
    /// characters are safe. Throws `input.invalid` for an unknown voice or empty text,
    /// `media.filter_unavailable` when libavfilter lacks flite.
    public func synthesizeSpeech(text: String, voice: String, to output: URL) async throws {
        try await synthesizeSpeech(text: text, voice: voice, to: output, options: AudioOutputOptions(format: .wav))
    }

    /// Speaks `text` with flite's `voice` and writes it as `options` says (any `AudioFormat`).
    public func synthesizeSpeech(text: String, voice: String, to output: URL, options: AudioOutputOptions)
        async throws
    {
        try await synthesizeSpeech(sentences: [text], voice: voice, pauseSeconds: 0, to: output, options: options)
    }

    /// Speaks each of `sentences` in turn with `pauseSeconds` of silence between them (a script, a
    /// recording with natural breaks), written as `options` says.
    public func synthesizeSpeech(
        sentences: [String], voice: String, pauseSeconds: Double, to output: URL,
        options: AudioOutputOptions = AudioOutputOptions(format: .wav)
    ) async throws {
        try await run { cancel in
            try SpeechSynthesizer(
                texts: sentences, voice: voice, pauseSeconds: pauseSeconds, output: output, options: options,
                cancel: cancel
            ).run()
        }
    }
}
