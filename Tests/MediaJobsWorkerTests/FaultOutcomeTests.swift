import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsWorker
import Testing

/// One injected fault, the job it hits, and how that job must end.
struct FaultCase: Sendable, CustomTestStringConvertible {
    enum Ending: Sendable {
        /// Tried again (a later attempt, or the same one after Retry-After), then succeeded; an event says `said`.
        case retried(said: String)
        /// Succeeded at the first attempt, the fault notwithstanding.
        case unharmed
        /// Failed at the first attempt with `code`, the message saying `said`.
        case failed(MediaJobsError.Code, said: String)
    }

    var fault: Fault
    var remote: RemoteCase
    var provider: SimulatedProvider
    var path: String
    var method: String?
    var ending: Ending

    var testDescription: String { "\(fault) on \(remote.provider) \(method ?? "") \(path)" }

    static let all: [FaultCase] = [
        FaultCase(fault: .status(500), remote: .first("openai", .tts), provider: .openai, path: "/audio/speech",
                  ending: .retried(said: "HTTP 500")),
        FaultCase(fault: .status(502), remote: .first("openrouter", .image), provider: .openrouter, path: "/images",
                  ending: .retried(said: "HTTP 502")),
        FaultCase(fault: .status(503), remote: .first("openai", .image), provider: .openai, path: "/images/generations",
                  ending: .retried(said: "HTTP 503")),
        FaultCase(fault: .status(524), remote: .first("openrouter", .tts), provider: .openrouter, path: "/audio/speech",
                  ending: .retried(said: "HTTP 524")),
        FaultCase(fault: .status(529), remote: .first("openrouter", .image), provider: .openrouter, path: "/images",
                  ending: .retried(said: "HTTP 529")),
        FaultCase(fault: .status(429, retryAfter: 1), remote: .first("replicate", .image), provider: .replicate,
                  path: "/models", ending: .retried(said: "HTTP 429")),
        FaultCase(fault: .status(401), remote: .first("openai", .tts), provider: .openai, path: "/audio/speech",
                  ending: .failed(.providerUnauthorized, said: "HTTP 401: You didn't provide an API key")),
        // A paid answer whose bytes are an HTML page cannot be fetched again: it is asked again (judged by its bytes).
        FaultCase(fault: .wrongContentType, remote: .first("openai", .tts), provider: .openai, path: "/audio/speech",
                  ending: .retried(said: "media.not_media")),
        FaultCase(fault: .slowBody(seconds: 1), remote: .first("openai", .tts), provider: .openai, path: "/audio/speech",
                  ending: .unharmed),
        // A paid create whose answer broke off may have been generated and billed: never sent again blindly.
        FaultCase(fault: .connectionReset, remote: .first("openai", .tts), provider: .openai, path: "/audio/speech",
                  ending: .failed(.providerOutcomeUnknown, said: "not sent again blindly")),
        FaultCase(fault: .truncatedBody, remote: .first("openrouter", .image), provider: .openrouter, path: "/images",
                  ending: .failed(.providerOutcomeUnknown, said: "not sent again blindly")),
        // A download that broke off is only a download: fetched again.
        FaultCase(fault: .connectionReset, remote: .first("fal", .image), provider: .fal, path: "/files", method: "GET",
                  ending: .retried(said: "fal download")),
        FaultCase(fault: .truncatedBody, remote: .first("fal", .video), provider: .fal, path: "/files", method: "GET",
                  ending: .retried(said: "fal download")),
    ]
}

@Suite("every fault mode ends as designed: retried, unharmed, or failed saying what happened")
struct FaultOutcomeTests {
    @Test("the job ends as designed", arguments: FaultCase.all)
    func ends(_ fault: FaultCase) async throws {
        try await withSimulator { simulator, home in
            simulator.inject(fault.fault, count: 1, provider: fault.provider, path: fault.path, method: fault.method)
            let id = try await home.submitter.submit(fault.remote.spec()).job.id
            let job = try await home.runUntilFinal(id)
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(simulator.requests.contains { $0.fault == fault.fault.description }, "the fault never fired")
            switch fault.ending {
            case .retried(let said):
                #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
                #expect(notes.contains { $0.contains(said) }, "\(notes)")
            case .unharmed:
                #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
                #expect(job.attempts == 1)
            case .failed(let code, let said):
                #expect(job.state == .failed)
                #expect(job.attempts == 1)
                #expect(job.error?.code == code.rawValue, "\(job.error?.description ?? "")")
                #expect(job.error?.message.contains(said) == true, "\(job.error?.message ?? "")")
            }
        }
    }
}
