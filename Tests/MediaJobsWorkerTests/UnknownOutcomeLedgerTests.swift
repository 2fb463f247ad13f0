import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// A synchronous answer that broke off mid-body: the provider made (and billed) it, and nothing arrived.
struct CutAnswerCase: Sendable, CustomTestStringConvertible {
    var fault: Fault
    var remote: RemoteCase
    var provider: SimulatedProvider
    var path: String

    var testDescription: String { "\(fault) on \(remote.provider) \(remote.kind) \(path)" }

    static let all: [CutAnswerCase] = [Fault.connectionReset, .truncatedBody].flatMap { fault in [
        CutAnswerCase(fault: fault, remote: .first("openai", .tts), provider: .openai, path: "/audio/speech"),
        CutAnswerCase(fault: fault, remote: .first("openrouter", .tts), provider: .openrouter, path: "/audio/speech"),
        CutAnswerCase(fault: fault, remote: .first("openai", .image), provider: .openai, path: "/images/generations"),
    ] }
}

@Suite("every request the provider may have billed is in the ledger, even when its answer never arrived")
struct UnknownOutcomeLedgerTests {
    static func creates(_ simulator: Simulator, _ provider: SimulatedProvider) -> Int {
        simulator.requests(provider).filter { $0.method == "POST" }.count
    }

    /// Within 2 % of what the simulator billed (the ledger holds our estimate: the provider's own statement was lost).
    static func expectClose(_ recorded: Decimal, _ billed: Decimal, _ what: String) {
        #expect(billed > 0, "\(what): the simulator billed nothing")
        let gap = abs(NSDecimalNumber(decimal: recorded - billed).doubleValue)
        #expect(gap <= 0.02 * NSDecimalNumber(decimal: billed).doubleValue, "\(what): ledger \(recorded), billed \(billed)")
    }

    @Test("a request whose answer is still arriving when the job's deadline stops it is in the ledger")
    func stoppedAtTheDeadline() async throws {
        try await withSimulator { simulator, home in
            // The answer takes 60 s to arrive; the deadline stops the attempt in the middle. The request must reach
            // the simulator before the deadline, which a machine busy with the whole suite can delay: then the job
            // times out with nothing sent, and the case is run again with a longer deadline (still under 60 s).
            let fault = Fault.slowBody(seconds: 60)
            simulator.inject(fault, count: 1, provider: .openai, path: "/audio/speech", method: "POST")
            var stopped: Job?
            var markedEarlier: [JobID] = []
            for deadline in [10.0, 25, 40] {
                var spec = RemoteCase.first("openai", .tts).spec()
                spec.deadlineSeconds = deadline
                let id = try await home.submitter.submit(spec).job.id
                let job = try await home.runUntilFinal(id)
                #expect(job.state == .failed && job.error?.code == MediaJobsError.Code.jobTimeout.rawValue,
                        "\(job.error?.description ?? "")")
                if simulator.requests.contains(where: { $0.fault == fault.description }) {
                    stopped = job
                    break
                }
                // Nothing reached the simulator. If the attempt had marked its request as sent, the request may still
                // have been on its way: then, and only then, it is in the ledger once, of unknown outcome.
                let costs = try await home.store.costs(id)
                let marked = try await home.store.events(id, after: nil).contains {
                    $0.detail.hasPrefix("submission started")
                }
                #expect(costs.count == (marked ? 1 : 0) && costs.allSatisfy { $0.outcome == .unknown }, "\(costs)")
                if marked { markedEarlier.append(id) }
            }
            // A machine so busy that no request reached the simulator within 40 s of its submission shows nothing
            // more; every other run goes on to the checks below.
            guard let job = stopped else { return }
            let events = try await home.store.events(job.id, after: nil)
            #expect(simulator.billing().count == 1, "\(simulator.billing())")

            let costs = try await home.store.costs(job.id)
            #expect(costs.count == 1, "the billed request is not in the ledger: \(costs), \(events.map(\.detail))")
            let record = try #require(costs.first)
            #expect(record.outcome == .unknown && record.charged && record.attempt == 1, "\(record)")
            Self.expectClose(try #require(record.usd).decimal, simulator.totalBilled, "stopped at the deadline")
            let risks = try await home.store.submissionRisks(since: nil, until: nil)
            // An earlier try whose request was marked as sent holds its own risk; the stopped job holds exactly one.
            #expect(Set(risks.map(\.jobID)) == Set(markedEarlier + [job.id]) && risks.count == markedEarlier.count + 1,
                    "\(risks)")
            #expect(risks.filter { $0.jobID == job.id }.allSatisfy { $0.detail.contains("deadline") }, "\(risks)")
        }
    }

    @Test("the billed request is in the ledger and costs, marked unknown outcome, and is not bought again",
          arguments: CutAnswerCase.all)
    func cutMidBody(_ cut: CutAnswerCase) async throws {
        try await withSimulator { simulator, home in
            simulator.inject(cut.fault, count: 1, provider: cut.provider, path: cut.path, method: "POST")
            let id = try await home.submitter.submit(cut.remote.spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(simulator.requests.contains { $0.fault == cut.fault.description }, "the fault never fired")
            #expect(job.state == .failed && job.error?.code == MediaJobsError.Code.providerOutcomeUnknown.rawValue, "\(job.error?.description ?? "")")
            #expect(job.error?.message.contains("allow_duplicate_charge") == true, "\(job.error?.message ?? "")")
            #expect(Self.creates(simulator, cut.provider) == 1, "bought again: \(simulator.requests(cut.provider).map(\.path))")

            let costs = try await home.store.costs(id)
            #expect(costs.count == 1, "\(costs)")
            let record = try #require(costs.first)
            #expect(record.outcome == .unknown && record.charged && record.attempt == 1, "\(record)")
            #expect(record.source == .estimated && !record.lines.isEmpty, "\(record)")
            // The provider's own statement of the amount was lost with the answer: the record holds the price of the
            // request as sent (speech audio estimated from its text, an image of `auto` quality at the most it can
            // cost), which is not far below the bill.
            let billed = simulator.totalBilled
            #expect(billed > 0, "the simulator billed nothing")
            #expect(record.usd.map { $0.decimal >= billed * Decimal(string: "0.9")! } == true,
                    "\(cut): ledger \(String(describing: record.usd)), billed \(billed) (\(simulator.billing()))")

            let risks = try await home.store.submissionRisks(since: nil, until: nil)
            #expect(risks.map(\.jobID) == [id], "\(risks)")
            #expect(risks.first?.detail.hasPrefix(SubmissionRisk.unknownOutcomePrefix) == true, "\(risks)")
            #expect(risks.first?.route == "\(cut.remote.provider)/\(record.model)", "\(risks)")

            let report = CostReport(lines: try await home.store.costLines(since: nil, until: nil, label: nil),
                                    groupBy: ["provider"], submissionRisks: risks)
            #expect(report.unknownOutcomes == 1 && report.groups.first?.unknownOutcomes == 1)
            #expect(report.usd == record.usd, "the total holds the request: \(String(describing: report.usd))")
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.hasPrefix(SubmissionRisk.unknownOutcomePrefix) }, "\(notes)")
        }
    }

    @Test("with allow_duplicate_charge the job buys again, and both purchases are in the ledger")
    func duplicateAllowed() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.connectionReset, count: 1, provider: .openai, path: "/audio/speech", method: "POST")
            var spec = RemoteCase.first("openai", .tts).spec()
            spec.allowDuplicateCharge = true
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(Self.creates(simulator, .openai) == 2)
            let costs = try await home.store.costs(id)
            #expect(costs.map(\.outcome) == [.unknown, .answered], "\(costs)")
            #expect(costs.allSatisfy { $0.charged })
            let recorded = costs.reduce(Decimal(0)) { $0 + ($1.usd?.decimal ?? 0) }
            Self.expectClose(recorded, simulator.totalBilled, "two purchases")
        }
    }

    @Test("a lost create the provider can show is collected, not bought again, and costed once")
    func foundAtProvider() async throws {
        try await withSimulator { simulator, home in
            // Replicate answers a create within `Prefer: wait`; the answer breaks off, and the prediction is listed.
            simulator.inject(.truncatedBody, count: 1, provider: .replicate, path: "/models", method: "POST")
            let id = try await home.submitter.submit(RemoteCase.first("replicate", .image).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(simulator.requests.contains { $0.fault == Fault.truncatedBody.description }, "the fault never fired")
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(Self.creates(simulator, .replicate) == 1)
            let costs = try await home.store.costs(id)
            #expect(costs.count == 1 && costs.allSatisfy { $0.outcome == .answered && $0.charged }, "\(costs)")
            #expect(try await home.store.submissionRisks(since: nil, until: nil).isEmpty)
            Self.expectClose(costs.first?.usd?.decimal ?? 0, simulator.totalBilled, "found at the provider")
        }
    }
}
