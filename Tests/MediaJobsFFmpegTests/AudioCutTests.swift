import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

@Suite("cutting long recordings")
struct AudioCutTests {
    let engine = Fixtures.engine
    static let upload = AudioOutputOptions(format: .opus, bitrateKbps: 24, sampleRate: 16000, channels: 1)

    /// Flite sentences joined with `pause` seconds between them; returns the file and the known pauses.
    func recording(_ sentences: [String], pause: Double, in folder: URL) async throws -> (URL, [Range<Double>]) {
        var parts: [URL] = []
        for (index, sentence) in sentences.enumerated() {
            let part = folder.appendingPathComponent("sentence-\(index).wav")
            try await engine.synthesizeSpeech(text: sentence, voice: "kal16", to: part)
            parts.append(part)
        }
        let output = folder.appendingPathComponent("recording.wav")
        let report = try await engine.joinAudio(
            parts, pauseSeconds: pause, to: output, options: AudioOutputOptions(format: .wav))
        var pauses: [Range<Double>] = []
        var time = 0.0
        for seconds in report.inputSeconds.dropLast() {
            time += seconds
            pauses.append(time..<(time + pause))
            time += pause
        }
        return (output, pauses)
    }

    /// The plan's invariants: owned parts tile [0, duration), overlaps as asked, no piece over the maximum.
    func checkPlan(_ plan: AudioCutPlan, maxPieceSeconds: Double, overlap: Double) {
        #expect(plan.pieces.first?.ownStart == 0)
        #expect(plan.pieces.last?.ownEnd == plan.durationSeconds)
        for (piece, next) in zip(plan.pieces, plan.pieces.dropFirst()) {
            #expect(piece.ownEnd == next.ownStart)
            #expect(piece.ownStart < piece.ownEnd)
        }
        let owned = plan.pieces.reduce(0) { $0 + ($1.ownEnd - $1.ownStart) }
        #expect(abs(owned - plan.durationSeconds) < 1e-9)
        for piece in plan.pieces {
            #expect(piece.end - piece.start <= maxPieceSeconds)
            #expect(abs(piece.start - max(0, piece.ownStart - overlap)) < 1e-9)
            #expect(abs(piece.end - min(plan.durationSeconds, piece.ownEnd + overlap)) < 1e-9)
        }
    }

    /// Cuts per `plan` into compact Opus and checks each file: one opus stream, decoded length within 30 ms.
    func checkCut(_ input: URL, plan: AudioCutPlan, folder: URL) async throws {
        let files = try await engine.cutAudio(
            input, plan: plan, into: folder.appendingPathComponent("pieces"), options: Self.upload)
        #expect(files.map(\.lastPathComponent) == plan.pieces.indices.map { String(format: "piece-%03d.ogg", $0 + 1) })
        for (file, piece) in zip(files, plan.pieces) {
            let report = try await engine.validate(file, expecting: MediaExpectation(kind: .audio, checkContent: false))
            #expect(report.info.audioStreams.count == 1)
            #expect(report.info.audioStreams.first?.codec == "opus")
            #expect(abs(report.durationSeconds - (piece.end - piece.start)) <= 0.03,
                    "\(file.lastPathComponent): \(report.durationSeconds) s for \(piece.end - piece.start) s")
        }
    }

    @Test("speech with known pauses is cut inside the pauses, into pieces that tile it and decode to their planned length")
    func speechWithPauses() async throws {
        let folder = try Fixtures.temporaryFolder()
        let (speech, pauses) = try await recording(ChunkingFixtures.sentences, pause: 1.0, in: folder)
        let source = try await engine.validate(speech, expecting: MediaExpectation(kind: .audio))

        let plan = try await engine.planAudioCuts(speech, maxPieceSeconds: 16, overlapSeconds: 0.5, searchSeconds: 2)
        #expect(abs(plan.durationSeconds - source.durationSeconds) < 0.01)
        #expect(plan.pieces.count == Int((plan.durationSeconds / 11).rounded(.up)))
        checkPlan(plan, maxPieceSeconds: 16, overlap: 0.5)
        for piece in plan.pieces.dropLast() {
            #expect(piece.endsInSilence)
            #expect(pauses.contains { $0.contains(piece.ownEnd) }, "cut at \(piece.ownEnd) s, pauses \(pauses)")
        }
        try await checkCut(speech, plan: plan, folder: folder)
    }

    @Test("noise with no silence is cut at its quietest points, endsInSilence false, into valid pieces")
    func noiseWithoutSilence() async throws {
        let folder = try Fixtures.temporaryFolder()
        let noise = folder.appendingPathComponent("noise.wav")
        try ChunkingFixtures.ffmpeg(["-f", "lavfi", "-i", "anoisesrc=d=40:c=pink:a=0.3:r=16000", "-ac", "1", noise.path])

        let plan = try await engine.planAudioCuts(noise, maxPieceSeconds: 20, overlapSeconds: 1, searchSeconds: 2)
        #expect(abs(plan.durationSeconds - 40) < 0.01)
        #expect(plan.pieces.count == 3)
        checkPlan(plan, maxPieceSeconds: 20, overlap: 1)
        for (index, piece) in plan.pieces.dropLast().enumerated() {
            #expect(!piece.endsInSilence)
            let target = plan.durationSeconds * Double(index + 1) / 3
            #expect(abs(piece.ownEnd - target) <= 2)
        }
        try await checkCut(noise, plan: plan, folder: folder)
    }

    @Test("a recording shorter than the maximum is one piece, cut as a whole from an mp3")
    func shortRecording() async throws {
        let plan = try await engine.planAudioCuts(Fixtures.sample("speech.mp3"), maxPieceSeconds: 30)
        #expect(plan.pieces.count == 1)
        let piece = try #require(plan.pieces.first)
        #expect(piece.start == 0 && piece.ownStart == 0 && piece.endsInSilence)
        #expect(piece.end == plan.durationSeconds && piece.ownEnd == plan.durationSeconds)
        #expect(abs(plan.durationSeconds - 7) < 0.2)
        try await checkCut(Fixtures.sample("speech.mp3"), plan: plan, folder: try Fixtures.temporaryFolder())
    }

    @Test("a missing file and files that are not media are refused with errors naming them")
    func badFiles() async throws {
        let missing = try Fixtures.temporaryFolder().appendingPathComponent("missing.wav")
        let plan = AudioCutPlan(
            durationSeconds: 1, pieces: [.init(start: 0, end: 1, ownStart: 0, ownEnd: 1, endsInSilence: true)])
        let notAudio = ["notes.txt", "error-page.mp3", "image.png"].map(Fixtures.sample)
        for file in [missing] + notAudio {
            let planned = await mediaError { _ = try await engine.planAudioCuts(file, maxPieceSeconds: 60) }
            #expect(planned?.message.contains(file.path) == true, "\(String(describing: planned))")
            let folder = try Fixtures.temporaryFolder()
            let cut = await mediaError {
                _ = try await engine.cutAudio(file, plan: plan, into: folder, options: Self.upload)
            }
            #expect(cut?.message.contains(file.path) == true, "\(String(describing: cut))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
        let text = await mediaError { _ = try await engine.planAudioCuts(Fixtures.sample("notes.txt"), maxPieceSeconds: 60) }
        #expect(text?.code == .mediaNotMedia)
        let absent = await mediaError { _ = try await engine.planAudioCuts(missing, maxPieceSeconds: 60) }
        #expect(absent?.code == .mediaOpenFailed)
    }

    @Test("a maximum too small for the overlaps and search, a negative parameter or another file's plan is refused")
    func badParameters() async throws {
        let speech = Fixtures.sample("speech.wav")
        let small = await mediaError {
            _ = try await engine.planAudioCuts(speech, maxPieceSeconds: 15, overlapSeconds: 1, searchSeconds: 2)
        }
        #expect(small?.code == .invalidInput)
        #expect(small?.message.hasPrefix("maxPieceSeconds:") == true, "\(String(describing: small))")
        let negative = await mediaError {
            _ = try await engine.planAudioCuts(speech, maxPieceSeconds: 60, overlapSeconds: -1)
        }
        #expect(negative?.message.hasPrefix("overlapSeconds:") == true)
        let beyond = AudioCutPlan(
            durationSeconds: 60, pieces: [.init(start: 30, end: 60, ownStart: 30, ownEnd: 60, endsInSilence: true)])
        let folder = try Fixtures.temporaryFolder()
        let late = await mediaError {
            _ = try await engine.cutAudio(speech, plan: beyond, into: folder, options: Self.upload)
        }
        #expect(late?.code == .invalidInput)
        #expect(late?.message.hasPrefix("plan.durationSeconds:") == true, "\(String(describing: late))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("cancelling a cut stops it with media.canceled and leaves no piece")
    func cancelCut() async throws {
        let folder = try Fixtures.temporaryFolder()
        let noise = folder.appendingPathComponent("noise.wav")
        // A quarter of an hour (at 8 kHz, 14 MB, to spare the suite's disk): encoding it takes far longer than any
        // wait below, however busy the machine, so the cancel always lands while the cut runs (the failure guarded
        // against is a cut that runs to its end).
        try ChunkingFixtures.ffmpeg(["-f", "lavfi", "-i", "anoisesrc=d=900:c=pink:a=0.3:r=8000", "-ac", "1", noise.path])
        let plan = AudioCutPlan(durationSeconds: 900, pieces: [
            .init(start: 0, end: 451, ownStart: 0, ownEnd: 450, endsInSilence: false),
            .init(start: 449, end: 900, ownStart: 450, ownEnd: 900, endsInSilence: true),
        ])
        let pieces = folder.appendingPathComponent("pieces")
        let task = Task { try await engine.cutAudio(noise, plan: plan, into: pieces, options: Self.upload) }
        let clock = ContinuousClock()
        let started = clock.now
        // Cancelled once the cut is writing (its first piece exists).
        while !FileManager.default.fileExists(atPath: pieces.appendingPathComponent("piece-001.ogg").path),
            clock.now - started < .seconds(120)
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        let canceled = clock.now
        let error = await mediaError { _ = try await task.value }
        #expect(error?.code == .mediaCanceled)
        #expect(error?.message.contains(noise.path) == true)
        #expect(clock.now - canceled < .seconds(20), "stopped \(clock.now - canceled) after the cancel")
        #expect(try FileManager.default.contentsOfDirectory(atPath: pieces.path).isEmpty)
    }

    @Test("the planner prefers a longer pause to a nearer short dip when they are close, the nearer run when not")
    func plannerPrefersLongerPause() {
        let planner = AudioCutPlanner(maxPieceSeconds: 35, overlapSeconds: 1, searchSeconds: 5)
        var levels = [Float](repeating: -20, count: 2000)  // 40 s of speech at −20 dBFS
        for window in 995..<1002 { levels[window] = -80 }  // a 140 ms dip at 19.97 s
        for window in 1150..<1175 { levels[window] = -90 }  // a 500 ms pause at 23.25 s
        let near = planner.chooseCut(levels: levels, threshold: -50, target: 20, low: 15, high: 25)
        #expect(near.silent && abs(near.time - 19.97) < 1e-9)
        for window in 1015..<1040 { levels[window] = -90 }  // a 500 ms pause at 20.55 s
        let longer = planner.chooseCut(levels: levels, threshold: -50, target: 20, low: 15, high: 25)
        #expect(longer.silent && abs(longer.time - 20.55) < 1e-9)
        let plan = planner.plan(levels: levels, durationSeconds: 40)
        #expect(plan.pieces.count == 2)
        #expect(abs(plan.pieces[0].ownEnd - 20.55) < 1e-9)
    }
}
