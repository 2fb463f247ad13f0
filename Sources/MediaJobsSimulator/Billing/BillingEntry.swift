import Foundation

/// What a simulated provider charged for one request it accepted, in exact decimal dollars.
///
/// The simulator bills from the price list in `Prices` (providers.md §5), in its own code, never through the
/// client's catalog: a test can compare the client's ledger with what the provider billed. Synchronous answers
/// (OpenAI, OpenRouter speech, transcriptions and images) are billed when the answer is made, even if a body
/// fault then spoils its delivery; asynchronous jobs (OpenRouter video, fal, Replicate) when they first show
/// `succeeded`. Refused requests, status faults and failed or cancelled jobs bill nothing.
public struct BillingEntry: Sendable, Equatable {
    /// One priced quantity: `1500` `"character"` at `0.0000006` each.
    public struct Line: Sendable, Equatable {
        /// What is counted: "input characters", "audio output seconds", "video seconds (audio on)", "image 1024x1024 medium".
        public var item: String
        public var quantity: Decimal
        /// The unit the price is per: "character", "second", "image", "megapixel".
        public var unit: String
        public var unitPrice: Decimal
        /// `quantity × unitPrice`, exact.
        public var usd: Decimal { quantity * unitPrice }

        public init(item: String, quantity: Decimal, unit: String, unitPrice: Decimal) {
            self.item = item
            self.quantity = quantity
            self.unit = unit
            self.unitPrice = unitPrice
        }
    }

    public var provider: SimulatedProvider
    /// The model as the provider names it: "gpt-4o-mini-tts", "fal-ai/veo3/fast", "openai/whisper".
    public var model: String
    /// The create request: "POST /audio/speech", "POST /fal-ai/veo3/fast", "POST /predictions".
    public var endpoint: String
    /// The provider's id for what was billed: a generation, request or prediction id; nil where it has none.
    public var requestID: String?
    /// The request's text (prompt, input, initial prompt), where it had one: how a caller marks a job.
    public var text: String?
    public var lines: [Line]
    /// False when the simulator has no price for this model (the real provider would still charge): `usd` is 0
    /// then and means "unknown", not "free".
    public var priced: Bool
    public var billedAt: Date
    /// Text searched by `Simulator.billed(markedWith:)`: the request's text and its JSON body.
    var searchable: String = ""

    /// The amount billed: the sum of the lines, exact.
    public var usd: Decimal { lines.reduce(Decimal(0)) { $0 + $1.usd } }

    public init(
        provider: SimulatedProvider, model: String, endpoint: String, requestID: String? = nil, text: String? = nil,
        lines: [Line], priced: Bool = true, billedAt: Date = Date()
    ) {
        self.provider = provider
        self.model = model
        self.endpoint = endpoint
        self.requestID = requestID
        self.text = text
        self.lines = lines
        self.priced = priced
        self.billedAt = billedAt
    }

    public static func == (a: BillingEntry, b: BillingEntry) -> Bool {
        a.provider == b.provider && a.model == b.model && a.endpoint == b.endpoint && a.requestID == b.requestID
            && a.text == b.text && a.lines == b.lines && a.priced == b.priced && a.billedAt == b.billedAt
    }
}
