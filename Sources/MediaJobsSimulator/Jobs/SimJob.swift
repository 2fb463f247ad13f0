import Foundation
import MediaJobsFFmpeg

/// What a generated file is.
enum MediaKind: String, Sendable {
    case speech, transcript, image, video
}

/// A stored output file, served at a URL of the simulator.
struct StoredFile: Sendable {
    var data: Data
    var contentType: String
    var name: String
}

/// What a submitted job asked for, in the simulator's terms.
struct JobRequest: Sendable {
    var kind: MediaKind
    var model: String
    var prompt: String?
    var durationSeconds: Double?
    /// Frames a second of a video whose length the model takes as frames at a rate (Wan); nil: the simulator's
    /// own (12), the length clamped to 1–20 s.
    var frameRate: Double? = nil
    var width: Int?
    var height: Int?
    var voice: String?
    /// An audio URL or data URI to transcribe.
    var audio: String?
    /// The input as received, JSON-encoded, echoed back where the provider echoes it.
    var inputJSON: Data
    /// For images: the format asked for (nil: PNG) and how many.
    var imageFormat: ImageFormat? = nil
    var count = 1
    /// For video: whether it has a sound track (fal veo3 unless `generate_audio: false`; Wan never).
    var sound = true
}

/// An asynchronous job on its way through the schedule.
struct SimJob: Sendable {
    enum Phase: Sendable, Equatable {
        case queued, running, succeeded, failed(String), canceled
        var isTerminal: Bool { self != .queued && self != .running }
    }

    var id: String
    var provider: SimulatedProvider
    var request: JobRequest
    var schedule: JobSchedule
    var submittedAt: Date
    var polls = 0
    var failure: String?
    var canceledAt: Date?
    var corruptMedia = false
    /// A `pngInsteadOfAskedFormat` fault: images come out PNG whatever `imageFormat` says.
    var deliversPNG = false
    /// A `canceledAtProvider` fault: the job is cancelled at the provider when it would have ended.
    var endsCanceled = false
    /// A `resultExpired` fault: the job succeeds (and is billed), and its result has expired when fetched (fal).
    var resultExpired = false
    var generationID: String
    /// The credential that created the job, where the provider lists a caller's own jobs (Replicate).
    var owner: String?
    /// File ids in the simulator's file store, once generated.
    var outputs: [String] = []
    /// Seconds the model ran, as Replicate's `predict_time` and fal's `inference_time` report it: six decimals,
    /// fixed at submission (see `SimulatorState.predictTime`), exact.
    var predictTime: Decimal = 1
    /// What the provider bills when the job succeeds; nil for nothing.
    var charge: Charge?
    /// Set once the charge is in the billing log, so it is billed once however often the job is read.
    var billed = false

    /// Where the job stands after `polls` status reads at `now`.
    func phase(at now: Date) -> Phase {
        if canceledAt != nil { return .canceled }
        let done: Bool
        let started: Bool
        switch schedule {
        case .polls(let queued, let running):
            started = polls > queued
            done = polls > queued + running
        case .seconds(let queued, let running):
            let elapsed = now.timeIntervalSince(submittedAt)
            started = elapsed >= queued
            done = elapsed >= queued + running
        }
        if done { return endsCanceled ? .canceled : failure.map { .failed($0) } ?? .succeeded }
        return started ? .running : .queued
    }

    /// Set the first time the job is seen running / terminal.
    var startedAt: Date?
    var completedAt: Date?

    /// Records when the job was first seen started and ended.
    mutating func observe(at now: Date) {
        let phase = phase(at: now)
        if phase != .queued, startedAt == nil {
            if case .seconds(let queued, _) = schedule {
                startedAt = min(now, submittedAt.addingTimeInterval(queued))
            } else {
                startedAt = now
            }
        }
        if phase.isTerminal, completedAt == nil {
            if case .seconds(let queued, let running) = schedule, canceledAt == nil {
                completedAt = min(now, submittedAt.addingTimeInterval(queued + running))
            } else {
                completedAt = canceledAt ?? now
            }
        }
    }
}

/// What an asynchronous job bills when it succeeds.
struct Charge: Sendable {
    enum Amount: Sendable {
        /// Lines known at submission (fal, OpenRouter video).
        case lines([BillingEntry.Line])
        /// A Replicate rate, applied to the job's outputs or its `predict_time` once it ends.
        case replicate(Prices.ReplicateRate, images: Int)
        /// A model the simulator has no price for.
        case unpriced
    }

    var model: String
    /// "POST /fal-ai/veo3/fast".
    var endpoint: String
    var text: String?
    /// The create request's body as text, for `Simulator.billed(markedWith:)`.
    var searchable: String
    var amount: Amount

    /// The billing entry for `job`, which has just succeeded.
    func entry(for job: SimJob, at date: Date) -> BillingEntry {
        var lines: [BillingEntry.Line] = []
        var priced = true
        switch amount {
        case .lines(let given): lines = given
        case .replicate(let rate, let images):
            lines = Prices.replicate(rate, images: images, predictTime: job.predictTime)
        case .unpriced: priced = false
        }
        var entry = BillingEntry(
            provider: job.provider, model: model, endpoint: endpoint, requestID: job.id, text: text, lines: lines,
            priced: priced, billedAt: date)
        entry.searchable = searchable
        return entry
    }
}
