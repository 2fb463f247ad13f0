import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsStore

/// The `budgets` section of `config.json`: spending limits per UTC day and month, overall and per provider.
///
/// ```json
/// {"budgets": {"daily_usd": 5, "monthly_usd": 50, "providers": {"fal": {"daily_usd": 2}}}}
/// ```
///
/// Before each provider request the worker checks the request's estimate against every limit that applies;
/// a request that would pass one (or whose price is unknown while a limit is set) is never sent. At submit, a job
/// whose first route's price is unknown while a limit applies to it is refused, naming the model and
/// `config.json: catalog.models[].prices`.
public struct BudgetsConfiguration: ConfigurationSection, Equatable {
    public static let sectionName = "budgets"
    public static let fieldNames: Set<String> = ["daily_usd", "monthly_usd", "providers"]
    public static let defaults = BudgetsConfiguration()

    /// Limits of one provider.
    public struct Limits: Sendable, Equatable, Decodable {
        public var dailyUSD: Money?
        public var monthlyUSD: Money?

        public init(dailyUSD: Money? = nil, monthlyUSD: Money? = nil) {
            self.dailyUSD = dailyUSD
            self.monthlyUSD = monthlyUSD
        }

        // The decoder converts snake_case: `daily_usd` arrives as `dailyUsd`.
        enum CodingKeys: String, CodingKey, CaseIterable {
            case dailyUSD = "dailyUsd", monthlyUSD = "monthlyUsd"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            for key in c.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "unknown field (known: daily_usd, monthly_usd)")
            }
            dailyUSD = try BudgetsConfiguration.amount(c, "dailyUsd")
            monthlyUSD = try BudgetsConfiguration.amount(c, "monthlyUsd")
        }
    }

    public var overall: Limits
    /// Limits per provider name (`local`, `openrouter`, `openai`, `fal`, `replicate`).
    public var providers: [String: Limits]

    public init(overall: Limits = Limits(), providers: [String: Limits] = [:]) {
        self.overall = overall
        self.providers = providers
    }

    public init(from decoder: any Decoder) throws {
        overall = try Limits(fromSection: decoder)
        let c = try decoder.container(keyedBy: AnyKey.self)
        providers = try c.decodeIfPresent([String: Limits].self, forKey: AnyKey("providers")) ?? [:]
        for name in providers.keys.sorted() where !ProviderRegistry.knownNames.contains(name) {
            throw DecodingError.dataCorruptedError(
                forKey: AnyKey("providers"), in: c,
                debugDescription: "'\(name)' is not a provider (one of \(ProviderRegistry.knownNames.joined(separator: ", ")))")
        }
    }

    /// The `budgets` section of the config.json at `url` (the home folder's): read afresh at each check, so a
    /// changed limit applies to the next request.
    public static func load(from url: URL) throws -> BudgetsConfiguration {
        try Configuration.load(from: url).section(BudgetsConfiguration.self)
    }

    /// Whether any limit is set.
    public var isEmpty: Bool { overall == Limits() && providers.values.allSatisfy { $0 == Limits() } }

    /// The limits a request to `provider` is checked against, with their windows: the UTC day and month of `now`.
    public func limits(for provider: String, now: Date) -> [BudgetLimit] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let day = calendar.startOfDay(for: now)
        let month = calendar.date(from: calendar.dateComponents([.year, .month], from: now)) ?? day
        var limits: [BudgetLimit] = []
        if let usd = overall.dailyUSD { limits.append(BudgetLimit(name: "budgets.daily_usd", limit: usd, since: day)) }
        if let usd = overall.monthlyUSD { limits.append(BudgetLimit(name: "budgets.monthly_usd", limit: usd, since: month)) }
        if let own = providers[provider] {
            if let usd = own.dailyUSD {
                limits.append(BudgetLimit(name: "budgets.providers.\(provider).daily_usd", limit: usd, since: day,
                                          provider: provider))
            }
            if let usd = own.monthlyUSD {
                limits.append(BudgetLimit(name: "budgets.providers.\(provider).monthly_usd", limit: usd, since: month,
                                          provider: provider))
            }
        }
        return limits
    }

    static func amount(_ c: KeyedDecodingContainer<AnyKey>, _ name: String) throws -> Money? {
        guard let money = try c.decodeIfPresent(Money.self, forKey: AnyKey(name)) else { return nil }
        guard money >= .zero else {
            throw DecodingError.dataCorruptedError(forKey: AnyKey(name), in: c, debugDescription: "must not be negative")
        }
        return money
    }
}

extension BudgetsConfiguration.Limits {
    /// The section's own `daily_usd` and `monthly_usd`, beside its `providers` object.
    init(fromSection decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        dailyUSD = try BudgetsConfiguration.amount(c, "dailyUsd")
        monthlyUSD = try BudgetsConfiguration.amount(c, "monthlyUsd")
    }
}

/// A coding key for any name.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
