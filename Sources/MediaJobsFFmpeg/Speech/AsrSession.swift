import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// One loaded pocketsphinx recognizer: an `abuffer → asr → abuffersink` graph fed 16 kHz mono s16.
///
/// The graph is kept running between pieces (never sent end-of-stream), so the model is loaded
/// once per session. Each piece is followed by silence so `asr` publishes its last utterance.
final class AsrSession {
    static let sampleRate: Int32 = 16000

    private let graph: FilterGraph
    private let source: FilterGraph.Filter
    private let sink: FilterGraph.Filter
    private let input: Frame
    private let output: Frame
    private var nextPts: Int64 = 0

    init(model: PocketsphinxModel) throws {
        graph = try FilterGraph()
        source = try graph.add(
            "abuffer", name: "in",
            options: [
                ("time_base", "1/\(Self.sampleRate)"), ("sample_rate", "\(Self.sampleRate)"),
                ("sample_fmt", "s16"), ("channel_layout", "mono"),
            ])
        let asr = try graph.add(
            "asr", name: "asr",
            options: [
                ("rate", "\(Self.sampleRate)"), ("hmm", model.acousticModel), ("dict", model.dictionary),
                ("lm", model.languageModel),
            ])
        sink = try graph.add("abuffersink", name: "out")
        try graph.chain([source, asr, sink])
        try graph.configure()
        input = try Frame()
        output = try Frame()
    }

    /// What `asr` published while hearing `samples` then `trailingSilence` zero samples:
    /// each utterance's text with the sample offset (from the start of `samples`) where it was published.
    func recognize(_ samples: ArraySlice<Int16>, trailingSilence: Int, cancel: CancellationFlag, file: URL)
        throws -> [(endSample: Int, text: String)]
    {
        let base = nextPts
        var heard: [(endSample: Int, text: String)] = []
        let chunk = 1600
        let silence = [Int16](repeating: 0, count: trailingSilence)
        for part in [samples, silence[...]] {
            var offset = part.startIndex
            while offset < part.endIndex {
                try cancel.check(file)
                let end = min(offset + chunk, part.endIndex)
                try feed(part[offset..<end])
                offset = end
                try collect(base: base, into: &heard)
            }
        }
        return heard
    }

    private func feed(_ samples: ArraySlice<Int16>) throws {
        let frame = input.pointer
        av_frame_unref(frame)
        frame.pointee.format = AV_SAMPLE_FMT_S16.rawValue
        frame.pointee.sample_rate = Self.sampleRate
        av_channel_layout_default(&frame.pointee.ch_layout, 1)
        frame.pointee.nb_samples = Int32(samples.count)
        try check(av_frame_get_buffer(frame, 0), "av_frame_get_buffer")
        samples.withUnsafeBytes { bytes in
            mj_frame_data(frame, 0).update(from: bytes.bindMemory(to: UInt8.self).baseAddress!, count: bytes.count)
        }
        frame.pointee.pts = nextPts
        nextPts += Int64(samples.count)
        try check(av_buffersrc_add_frame_flags(source, frame, 0), "av_buffersrc_add_frame")
    }

    private func collect(base: Int64, into heard: inout [(endSample: Int, text: String)]) throws {
        while true {
            let status = av_buffersink_get_frame(sink, output.pointer)
            if status == AVStatus.tryAgain || status == AVStatus.endOfFile { return }
            try check(status, "av_buffersink_get_frame")
            defer { output.unref() }
            if let text = output.metadata("lavfi.asr.text"), !text.trimmingCharacters(in: .whitespaces).isEmpty {
                let end = output.pointer.pointee.pts - base + Int64(output.pointer.pointee.nb_samples)
                heard.append((Int(end), text.trimmingCharacters(in: .whitespaces)))
            }
        }
    }
}

/// Loaded recognizers shared by the whole process, at most one per core.
///
/// Pocketsphinx keeps one process-wide log file that each new recognizer reopens and closes the
/// old one of: a recognizer created while another is decoding can make that one write to a closed
/// file. So recognizers are created only when none is in use (all at once), and reused after.
final class AsrSessionPool: @unchecked Sendable {
    // @unchecked: every stored property is read and written only with `condition` locked, and a
    // session is used by the one thread that checked it out.
    static let shared = AsrSessionPool(capacity: ProcessInfo.processInfo.activeProcessorCount)

    let capacity: Int
    private let condition = NSCondition()
    private var idle: [AsrSession] = []
    private var created = 0
    private var busy = 0
    private var retired: [AsrSession] = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// A session for this thread's exclusive use; waits while all are in use.
    func checkOut(model: PocketsphinxModel) throws -> AsrSession {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let session = idle.popLast() {
                busy += 1
                return session
            }
            if busy == 0 && created < capacity {
                retired.removeAll()
                while created < capacity {
                    idle.append(try AsrSession(model: model))
                    created += 1
                }
                continue
            }
            condition.wait()
        }
    }

    func checkIn(_ session: AsrSession) {
        condition.lock()
        idle.append(session)
        busy -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Drops a session that failed; it is freed when no other session is decoding.
    func retire(_ session: AsrSession) {
        condition.lock()
        retired.append(session)
        created -= 1
        busy -= 1
        condition.broadcast()
        condition.unlock()
    }
}
