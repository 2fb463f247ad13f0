import Foundation

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
    var width: Int?
    var height: Int?
    var voice: String?
    /// An audio URL or data URI to transcribe.
    var audio: String?
    /// The input as received, JSON-encoded, echoed back where the provider echoes it.
    var inputJSON: Data
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
    var generationID: String
    /// The credential that created the job, where the provider lists a caller's own jobs (Replicate).
    var owner: String?
    /// File ids in the simulator's file store, once generated.
    var outputs: [String] = []

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
        if done { return failure.map { .failed($0) } ?? .succeeded }
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

    /// Seconds between start and end, as Replicate's `predict_time` and fal's `inference_time` report.
    var predictTime: Double {
        guard let startedAt, let completedAt else { return 0 }
        return max(0.001, completedAt.timeIntervalSince(startedAt))
    }
}
