import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsStore

/// Paying once: a create request whose outcome is unknown, or that a dead worker sent without storing the answer,
/// is looked for at the provider (where the provider can list what was submitted) before anything is sent again.
extension Pipeline {
    /// Starts `request` at `provider`. A remote create request is marked first (`markSubmissionStarted`), so a worker
    /// that dies before storing the answer leaves a submission risk. Before it, a risk an earlier attempt left is
    /// looked for at the provider; after it, a request whose answer never came (`provider.outcome_unknown`) is too.
    /// A generation found there comes back as `.pending` with its handle: it is polled, not sent again.
    func submit(_ request: ProviderRequest, to provider: any Provider, model: String, job: Job, worker: String)
        async throws -> ProviderStart
    {
        guard provider.name != "local" else { return try await provider.start(request) }
        let route = "\(provider.name)/\(model)"
        if let adopted = try await adoptLostSubmission(job, provider: provider, route: route, request: request, worker: worker) {
            return adopted
        }
        let submittedAt = Date()
        // Before the create request: if this worker dies before the answer is stored, the rescue says so, and puts
        // what the request costs in the ledger.
        try await store.markSubmissionStarted(
            job.id, worker: worker, detail: route, cost: sentCost(request, provider: provider, model: model, job: job),
            now: submittedAt)
        do {
            return try await provider.start(request)
        } catch let error as ProviderError where error.error.code == .providerOutcomeUnknown && !Task.isCancelled {
            do {
                return try await findUnknownOutcome(error, job: job, provider: provider, request: request,
                                                    since: submittedAt, worker: worker)
            } catch let unknown as ProviderError where unknown.error.code == .providerOutcomeUnknown {
                // Not found: the provider may have billed it, so it goes in the ledger now, marked.
                try await store.noteUnknownOutcome(job.id, worker: worker, detail: """
                    \(SubmissionRisk.unknownOutcomePrefix): attempt \(job.attempts)'s create request to \(route) was \
                    sent and its answer never arrived whole (\(unknown.error.message)); it is in the ledger at its \
                    estimated cost until the provider's invoice says otherwise
                    """, now: Date())
                throw unknown
            }
        }
    }

    /// What a create request costs if the provider makes it (the price lines of the request as sent), recorded with
    /// an unknown outcome should its answer never arrive.
    func sentCost(_ request: ProviderRequest, provider: any Provider, model: String, job: Job) -> CostRecord {
        let estimate = provider.estimate(request)
        return CostRecord(
            jobID: job.id, attempt: job.attempts, provider: provider.name, model: model, units: estimate.units,
            usd: estimate.usd, source: .estimated, lines: estimate.lines, charged: true, outcome: .unknown, at: Date())
    }

    /// After a create request whose answer never came: the generation it started, when the provider lists it.
    /// Otherwise the error is thrown again, saying what the look-up found, and `failure` applies the job's policy
    /// (fail naming the risk, or retry under `allow_duplicate_charge`).
    private func findUnknownOutcome(
        _ error: ProviderError, job: Job, provider: any Provider, request: ProviderRequest, since: Date, worker: String
    ) async throws -> ProviderStart {
        let said: String
        do {
            switch try await provider.findSubmission(request, since: since) {
            case .found(let match):
                try await store.addEvent(job.id, kind: .note, worker: worker,
                                         detail: Pipeline.foundDetail(match, provider: provider.name), now: Date())
                return .pending(handle: match.handle, pollAfter: 0)
            case .notFound(let examined):
                said = "the look-up at \(provider.name) found nothing (\(examined) generation(s) created since the "
                    + "request compared)"
            case .unsupported:
                said = "\(provider.name) offers no way to look the submission up"
            }
        } catch let lookupError as ProviderError where !Task.isCancelled {
            said = "the look-up at \(provider.name) found nothing: it failed (\(lookupError.error.message))"
        }
        var unknown = error
        unknown.error.message += "; \(said)"
        throw unknown
    }

    /// Before a new create request: if an earlier attempt of this job died after sending one to this route (an
    /// unsettled submission risk), looks for that generation at the provider. Found: the risk is settled as found,
    /// and the generation is adopted. Listed as absent: the risk is settled as never created, and the attempt sends
    /// its own. A provider that cannot look, or a look-up that fails, leaves the risk open and the attempt submits
    /// as before.
    private func adoptLostSubmission(
        _ job: Job, provider: any Provider, route: String, request: ProviderRequest, worker: String
    ) async throws -> ProviderStart? {
        guard let risk = try await store.unsettledSubmissionRisk(job.id), risk.route == nil || risk.route == route else {
            return nil
        }
        let since = risk.submittedAt ?? job.createdAt
        let lookup: SubmissionLookup
        do {
            lookup = try await provider.findSubmission(request, since: since)
        } catch let error as ProviderError where !Task.isCancelled {
            try await store.addEvent(job.id, kind: .note, worker: worker, detail: """
                could not look for attempt \(risk.attempt)'s lost submission at \(provider.name) \
                (\(error.error.message)); sending it again
                """, now: Date())
            return nil
        }
        switch lookup {
        case .unsupported:
            return nil
        case .notFound(let examined):
            // Only a look-up on the route it was sent to proves it absent.
            guard risk.route == route else { return nil }
            try await store.resolveSubmissionRisk(
                job.id, attempt: risk.attempt, resolution: .absentAtProvider,
                detail: "no \(route) generation of this request among the \(examined) created since it was sent; "
                    + "sending it now", worker: worker, now: Date())
            return nil
        case .found(let match):
            let detail = Pipeline.foundDetail(match, provider: provider.name)
                + " (attempt \(risk.attempt) sent it and its worker died before storing the answer)"
            try await store.addEvent(job.id, kind: .note, worker: worker, detail: detail, now: Date())
            try await store.resolveSubmissionRisk(
                job.id, attempt: risk.attempt, resolution: .foundAtProvider, detail: "\(provider.name) generation \(match.id)",
                worker: worker, now: Date())
            return .pending(handle: match.handle, pollAfter: 0)
        }
    }

    /// "found the submission at replicate: <id>; polling it instead of sending again", and how many matched.
    static func foundDetail(_ match: SubmissionMatch, provider: String) -> String {
        var detail = "found the submission at \(provider): \(match.id); polling it instead of sending again"
        if match.matches > 1 {
            detail += " (\(match.matches) generations of this very request matched; took the newest)"
        }
        return detail
    }
}
