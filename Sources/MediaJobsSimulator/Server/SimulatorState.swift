import Foundation
import NIOConcurrencyHelpers

/// Everything the simulator remembers between requests: faults, schedules, jobs, files and the request log.
final class SimulatorState: Sendable {
    private struct Contents {
        var rules: [FaultRule] = []
        var schedules: [SimulatedProvider: JobSchedule] = [:]
        var defaultSchedule: JobSchedule
        var jobs: [String: SimJob] = [:]
        var files: [String: StoredFile] = [:]
        var generations: [String: Data] = [:]
        var requests: [RecordedRequest] = []
        var random: SplitMix
        var billing: [BillingEntry] = []
        /// `predict_time` set by a test, by model ("*": every model).
        var predictTimes: [String: Decimal] = [:]
        /// OpenRouter speech models released since the simulator's list was written, with their price per character.
        var releasedSpeech: [String: Decimal] = [:]
    }

    private let box: NIOLockedValueBox<Contents>

    init(rules: [FaultRule], schedule: JobSchedule, seed: UInt64) {
        box = NIOLockedValueBox(Contents(rules: rules, defaultSchedule: schedule, random: SplitMix(seed: seed)))
    }

    // MARK: Faults

    func add(_ rule: FaultRule) { box.withLockedValue { $0.rules.append(rule) } }
    func clearFaults() { box.withLockedValue { $0.rules.removeAll() } }
    var rules: [FaultRule] { box.withLockedValue { $0.rules } }

    /// The fault for this request, if a rule matches and fires; a `next(n)` rule counts down.
    func fault(provider: SimulatedProvider?, path: String, method: String) -> Fault? {
        box.withLockedValue { contents in
            for index in contents.rules.indices {
                let rule = contents.rules[index]
                guard rule.matches(provider: provider, path: path, method: method) else { continue }
                switch rule.frequency {
                case .next(let count):
                    if count <= 1 {
                        contents.rules.remove(at: index)
                    } else {
                        contents.rules[index].frequency = .next(count - 1)
                    }
                    return rule.fault
                case .rate(let rate):
                    if contents.random.nextUnit() < rate { return rule.fault }
                }
            }
            return nil
        }
    }

    // MARK: Models released later

    func releaseSpeechModel(_ model: String, pricePerCharacter: Decimal) {
        box.withLockedValue { $0.releasedSpeech[model] = pricePerCharacter }
    }

    /// The price per character of a released speech model; nil when none was released under that name.
    func releasedSpeechPrice(_ model: String) -> Decimal? { box.withLockedValue { $0.releasedSpeech[model] } }

    // MARK: Schedules

    func setSchedule(_ schedule: JobSchedule, for provider: SimulatedProvider?) {
        box.withLockedValue { contents in
            if let provider {
                contents.schedules[provider] = schedule
            } else {
                contents.defaultSchedule = schedule
                contents.schedules.removeAll()
            }
        }
    }

    func schedule(for provider: SimulatedProvider) -> JobSchedule {
        box.withLockedValue { $0.schedules[provider] ?? $0.defaultSchedule }
    }

    // MARK: Jobs

    func insert(_ job: SimJob) { box.withLockedValue { $0.jobs[job.id] = job } }

    func job(_ id: String, provider: SimulatedProvider) -> SimJob? {
        box.withLockedValue { contents in
            guard var job = contents.jobs[id], job.provider == provider else { return nil }
            job.observe(at: Date())
            Self.settle(&job, in: &contents)
            contents.jobs[id] = job
            return job
        }
    }

    /// Every job of `provider` as it now stands, without counting a status read (a listing is not a poll).
    func jobs(provider: SimulatedProvider) -> [SimJob] {
        box.withLockedValue { contents in
            var listed: [SimJob] = []
            for (id, var job) in contents.jobs where job.provider == provider {
                job.observe(at: Date())
                Self.settle(&job, in: &contents)
                contents.jobs[id] = job
                listed.append(job)
            }
            return listed
        }
    }

    /// Counts one status read of the job and returns it as it now stands.
    func poll(_ id: String, provider: SimulatedProvider) -> SimJob? {
        box.withLockedValue { contents in
            guard var job = contents.jobs[id], job.provider == provider else { return nil }
            job.polls += 1
            job.observe(at: Date())
            Self.settle(&job, in: &contents)
            contents.jobs[id] = job
            return job
        }
    }

    /// Cancels a job that has not ended; returns it as it now stands.
    func cancel(_ id: String, provider: SimulatedProvider) -> SimJob? {
        box.withLockedValue { contents in
            guard var job = contents.jobs[id], job.provider == provider else { return nil }
            if !job.phase(at: Date()).isTerminal {
                job.canceledAt = Date()
            }
            job.observe(at: Date())
            Self.settle(&job, in: &contents)
            contents.jobs[id] = job
            return job
        }
    }

    /// Bills a job the first time it is seen succeeded.
    private static func settle(_ job: inout SimJob, in contents: inout Contents) {
        guard !job.billed, job.phase(at: Date()) == .succeeded, let charge = job.charge else { return }
        job.billed = true
        contents.billing.append(charge.entry(for: job, at: job.completedAt ?? Date()))
    }

    func setOutputs(_ outputs: [String], of id: String) {
        box.withLockedValue { $0.jobs[id]?.outputs = outputs }
    }

    // MARK: Files

    func store(_ file: StoredFile) -> String {
        let id = randomID(24)
        box.withLockedValue { $0.files[id] = file }
        return id
    }

    func file(_ id: String) -> StoredFile? { box.withLockedValue { $0.files[id] } }

    // MARK: Generations (OpenRouter's cost lookup)

    func recordGeneration(_ id: String, _ record: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: record) else { return }
        box.withLockedValue { $0.generations[id] = data }
    }

    func generation(_ id: String) -> [String: Any]? {
        box.withLockedValue { $0.generations[id] }.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }
    }

    // MARK: Billing

    func bill(_ entry: BillingEntry) { box.withLockedValue { $0.billing.append(entry) } }
    var billing: [BillingEntry] { box.withLockedValue { $0.billing } }
    func clearBilling() { box.withLockedValue { $0.billing.removeAll() } }

    /// Makes every job of `model` (nil: of every model) submitted from now on report `seconds` as its
    /// `predict_time`; nil goes back to the simulator's own.
    func setPredictTime(_ seconds: Decimal?, model: String?) {
        box.withLockedValue { $0.predictTimes[model ?? "*"] = seconds }
    }

    /// The `predict_time` of a new job: a test's value if one is set, else a plausible run time for `kind` with six
    /// decimals, drawn from the job's id (so it is the same in every read): video 30–45 s, transcripts 2–6 s,
    /// images and speech 1–3 s; times `scale` (how much more or less work this job is than the kind's usual one).
    func predictTime(model: String, kind: MediaKind, id: String, scale: Double = 1) -> Decimal {
        if let set = box.withLockedValue({ $0.predictTimes[model] ?? $0.predictTimes["*"] }) { return set }
        var generator = SplitMix(seed: id.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 })
        let (base, spread): (Int, Int) =
            switch kind {
            case .video: (30, 15)
            case .transcript: (2, 4)
            case .image, .speech: (1, 2)
            }
        let micros = base * 1_000_000 + Int(generator.next() % UInt64(spread * 1_000_000))
        let scaled = scale == 1 ? micros : max(1, Int((Double(micros) * scale).rounded()))
        return Decimal(scaled) / Decimal(1_000_000)
    }

    // MARK: Request log

    func record(_ request: RecordedRequest) { box.withLockedValue { $0.requests.append(request) } }
    var requests: [RecordedRequest] { box.withLockedValue { $0.requests } }
    func clearRequests() { box.withLockedValue { $0.requests.removeAll() } }
}

/// A small seeded generator, so a rate fault fires the same way in every run with the same seed.
struct SplitMix: Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
