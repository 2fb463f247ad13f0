import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// The ledger checked against what the provider billed, model by model. The simulator bills from providers.md §5 in
/// its own code; the client prices from its catalog: when they disagree, one of them has a price wrong.
@Suite("every model of the built-in catalog: one job through the simulator, and the ledger matches the bill")
struct CatalogLedgerTests {
    /// `provider model` of every remote model in the built-in catalog.
    static let models: [String] = ModelCatalog.builtIn.models.filter { $0.provider != "local" }.map { "\($0.provider) \($0.id)" }

    @Test("the ledger equals the bill for reported amounts, is within 2 % of it for estimated ones, never unknown",
          arguments: models)
    func ledgerMatchesBill(_ name: String) async throws {
        let parts = name.split(separator: " ", maxSplits: 1).map(String.init)
        let model = try #require(ModelCatalog.builtIn.model(provider: parts[0], id: parts[1]))
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(Self.spec(for: model)).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(name): \(job.error?.description ?? "")")
            let costs = try await home.store.costs(id)
            let billed = simulator.totalBilled
            let bills = simulator.billing()
            let unpriced = bills.filter { !$0.priced }
            #expect(unpriced.isEmpty, "\(name): the simulator has no price: \(unpriced)")
            #expect(costs.count == 1, "\(name): \(costs)")
            let cost = try #require(costs.first)
            #expect(cost.source != .unknown, "\(name): \(cost)")
            let amount = try #require(cost.usd, "\(name): no amount")
            let recorded = amount.decimal
            #expect(billed > 0, "\(name): the simulator billed nothing")
            switch cost.source {
            case .reported:
                #expect(recorded == billed, "\(name): ledger \(recorded), billed \(billed)")
            default:
                let gap = abs(NSDecimalNumber(decimal: recorded - billed).doubleValue)
                #expect(gap <= 0.02 * NSDecimalNumber(decimal: billed).doubleValue,
                        "\(name): ledger \(recorded) (\(cost.lines)), billed \(billed) (\(bills))")
            }
        }
    }

    @Test("a Replicate prediction of predict_time 37.123456 s on $0.0014/s hardware is recorded as exactly $0.0519728384, estimated")
    func replicatePredictTime() async throws {
        try await withSimulator { simulator, home in
            let model = "wan-video/wan-2.2-t2v-fast"
            simulator.setPredictTime(Decimal(string: "37.123456")!, model: model)
            let spec = JobSpec(kind: .video, provider: "replicate", model: model, input: JobInput(prompt: "a boat at sunset"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let cost = try #require(try await home.store.costs(id).first)
            #expect(cost.source == .estimated)
            #expect(cost.usd?.description == "0.0519728384", "\(cost)")
            #expect(cost.units["predict_seconds"] == Decimal(string: "37.123456"))
            #expect(cost.lines.map(\.unit) == ["predict_seconds"] && cost.lines.first?.usdPerUnit == Decimal(string: "0.0014"))
            #expect(cost.usd?.decimal == simulator.totalBilled)
        }
    }

    /// A job the model serves, with the inputs of its kind.
    static func spec(for model: CatalogModel) -> JobSpec {
        var input = JobInput()
        let kind = model.kinds[0]
        switch kind {
        case .tts: input.text = sampleSpeechText
        case .transcribe: input.audio = repository.appendingPathComponent("Samples/speech.wav").path
        case .image: input.prompt = "a red panda astronaut"
        case .video:
            input.prompt = "a boat at sunset"
            input.durationSeconds = model.limits.durations?.first
        }
        return JobSpec(kind: kind, provider: model.provider, model: model.id, input: input)
    }
}
