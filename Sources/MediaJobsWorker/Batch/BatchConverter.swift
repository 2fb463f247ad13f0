import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore

/// What `batch convert` will do: each distinct input converted once, the files it refuses and why.
public struct ConversionPlan: Sendable {
    /// One conversion, and every input path (relative to the source) with the same content.
    public struct Item: Sendable {
        public var inputs: [String]
        /// The absolute path of the first input.
        public var file: URL
        public var sha256: String
        /// Seconds of media in the input (0 for a picture), for checking the output's length.
        public var durationSeconds: Double
        /// Output paths relative to `out`, one per input.
        public var outputs: [String]
    }

    public var request: BatchRequest
    public var conversion: MediaConversion.Resolved
    public var items: [Item]
    public var rejections: [BatchPlan.Rejection]
    /// Inputs with the same content as another, converted once for both.
    public var duplicates: Int
}

/// `batch convert`: every media file of a folder converted to one format and validated, here in this
/// process: no provider, no job, no cost.
///
/// Outputs mirror the source tree under `out` and are written atomically (a temporary file beside the
/// output, validated, then renamed), so a failed conversion never replaces an existing output. Identical
/// inputs are converted once. The batch and one entry per input are kept in the store, with the input's
/// and the output's hashes: a later run of the same batch skips every output that is still the one it
/// wrote from the same input, so a stopped batch resumes where it was.
public struct BatchConverter: Sendable {
    public let engine: MediaEngine
    public let store: any JobStore

    public init(engine: MediaEngine, store: any JobStore) {
        self.engine = engine
        self.store = store
    }

    /// How one output ended.
    public struct Result: Sendable, Equatable {
        public enum State: String, Sendable {
            /// Converted and written now.
            case written
            /// An earlier run wrote it from the same input; left as it is.
            case unchanged
            case failed
        }

        public var input: String
        public var output: String
        public var state: State
        public var action: ConversionAction?
        public var reason: String?
        /// The content hash of the input converted.
        public var inputSHA256: String
        /// The content hash of the output file (written or unchanged).
        public var outputSHA256: String?
    }

    /// What a run did.
    public struct Run: Sendable {
        public var results: [Result]
        /// False when stopped (`shouldStop`) before every item was converted.
        public var complete: Bool
    }

    /// Converts every item of `plan` (`concurrency` at a time), then records the batch and its entries.
    /// `progress` gets (outputs finished, outputs failed, outputs in all).
    public func run(
        _ plan: ConversionPlan, concurrency: Int, now: Date = Date(), shouldStop: @escaping @Sendable () -> Bool = { false },
        progress: @escaping @Sendable (Int, Int, Int) -> Void = { _, _, _ in }
    ) async throws -> Run {
        let out = URL(fileURLWithPath: plan.request.out)
        let previous = Dictionary(
            try await store.batchEntries(plan.request.id).filter { $0.outcome == .done }.map { ($0.output, $0) },
            uniquingKeysWith: { first, _ in first })
        let total = plan.items.map(\.outputs.count).reduce(0, +)
        let (results, complete) = try await withThrowingTaskGroup(of: [Result].self) { group in
            var results: [Result] = []
            var stopped = false
            var next = 0
            func add() {
                guard next < plan.items.count, !stopped else { return }
                if shouldStop() {
                    stopped = true
                    group.cancelAll()
                    return
                }
                let item = plan.items[next]
                next += 1
                group.addTask { await self.convert(item, plan: plan, out: out, previous: previous) }
            }
            for _ in 0..<max(1, concurrency) { add() }
            while let finished = try await group.next() {
                results += finished
                progress(results.count, results.filter { $0.state == .failed }.count, total)
                add()
            }
            return (results, !stopped && next == plan.items.count)
        }
        try await record(plan, results: results, previous: previous, now: now)
        return Run(results: results, complete: complete)
    }

    /// Converts one distinct input and writes it to each of its outputs that is not already done. A conversion
    /// cancelled (the batch was stopped) ends as failed, like any other, and a later run converts it again.
    private func convert(
        _ item: ConversionPlan.Item, plan: ConversionPlan, out: URL, previous: [String: BatchEntry]
    ) async -> [Result] {
        var results: [Result] = []
        var pending: [(input: String, output: String)] = []
        for (input, output) in zip(item.inputs, item.outputs) {
            let destination = out.appendingPathComponent(output)
            if let entry = previous[output], entry.inputSHA256 == item.sha256, let written = entry.resultSHA256,
               (try? ArtifactStore.sha256(ofFile: destination).sha256) == written {
                results.append(Result(input: input, output: output, state: .unchanged, inputSHA256: item.sha256,
                                      outputSHA256: written))
            } else {
                pending.append((input, output))
            }
        }
        guard let first = pending.first else { return results }
        let firstDestination = out.appendingPathComponent(first.output)
        let temporary = firstDestination.deletingLastPathComponent()
            .appendingPathComponent(".\(firstDestination.lastPathComponent).\(UUID().uuidString.prefix(8)).part.\(plan.conversion.fileExtension)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        do {
            try FileManager.default.createDirectory(at: temporary.deletingLastPathComponent(), withIntermediateDirectories: true)
            let action = try await engine.convert(item.file, to: temporary, plan.conversion)
            _ = try await engine.validate(temporary, expecting: expectation(for: item, conversion: plan.conversion))
            let written = try ArtifactStore.sha256(ofFile: temporary).sha256
            for (index, target) in pending.enumerated() {
                let destination = out.appendingPathComponent(target.output)
                if index == pending.count - 1 {
                    try BatchConverter.replace(destination, with: temporary)
                } else {
                    try BatchConverter.copyAtomically(temporary, to: destination)
                }
                results.append(Result(input: target.input, output: target.output, state: .written, action: action,
                                      inputSHA256: item.sha256, outputSHA256: written))
            }
        } catch {
            let reason = MediaJobsError.wrapping(error).message
                .replacingOccurrences(of: temporary.path, with: first.output)
                .replacingOccurrences(of: item.file.path, with: item.inputs[0])
            results += pending.map {
                Result(input: $0.input, output: $0.output, state: .failed, reason: reason, inputSHA256: item.sha256)
            }
        }
        return results
    }

    /// What a converted file must be: the kind and format asked for, as long as its input, the size asked for.
    private func expectation(for item: ConversionPlan.Item, conversion: MediaConversion.Resolved) -> MediaExpectation {
        var expectation = MediaExpectation(kind: conversion.expectationKind, checkContent: false)
        switch conversion {
        case .audio:
            if item.durationSeconds > 0 { expectation.durationSeconds = item.durationSeconds }
        case .video(let options):
            if item.durationSeconds > 0 { expectation.durationSeconds = item.durationSeconds }
            expectation.height = options.height
            expectation.width = options.height == nil ? nil : options.width
            expectation.frameRate = options.frameRate
        case .image(let options, _):
            expectation.width = options.width
            expectation.height = options.height
        }
        return expectation
    }

    private static func replace(_ destination: URL, with file: URL) throws {
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard rename(file.path, destination.path) == 0 else {
            throw MediaJobsError(.invalidInput, "--out: cannot write \(destination.path): \(String(cString: strerror(errno)))")
        }
    }

    private static func copyAtomically(_ file: URL, to destination: URL) throws {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString.prefix(8)).part")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: temporary)
        try replace(destination, with: temporary)
    }

    /// Saves the batch with one entry per input: how its conversion ended (kept from an earlier run for
    /// items this run did not reach), or why it was refused.
    private func record(_ plan: ConversionPlan, results: [Result], previous: [String: BatchEntry], now: Date) async throws {
        var entries: [BatchEntry] = []
        var seen = Set<String>()
        for result in results {
            seen.insert(result.output)
            let failed = result.state == .failed
            entries.append(BatchEntry(
                input: result.input, output: result.output, jobID: nil, rejection: failed ? result.reason : nil,
                outcome: failed ? .failed : .done, inputSHA256: result.inputSHA256, resultSHA256: result.outputSHA256))
        }
        for item in plan.items {
            for (input, output) in zip(item.inputs, item.outputs) where !seen.contains(output) {
                if let earlier = previous[output] { entries.append(BatchEntry(
                    input: input, output: output, jobID: nil, rejection: nil, outcome: .done,
                    inputSHA256: earlier.inputSHA256, resultSHA256: earlier.resultSHA256)) }
            }
        }
        for rejection in plan.rejections {
            entries.append(BatchEntry(input: rejection.path, output: "", jobID: nil, rejection: rejection.reason))
        }
        try await plan.request.save(entries: entries, to: store, now: now)
    }
}
