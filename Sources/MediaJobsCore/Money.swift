import Foundation

/// An exact amount of US dollars, kept as whole nano-dollars (10⁻⁹ USD).
///
/// Never a `Double`: sums of many small prices stay exact. JSON carries it as a decimal number.
public struct Money: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// Nano-dollars.
    public var nanos: Int64

    public init(nanos: Int64) { self.nanos = nanos }

    public static let zero = Money(nanos: 0)
    static let nanosPerDollar: Int64 = 1_000_000_000

    /// Parses a decimal text such as "0.015" or "12", refusing more than nine decimal places.
    public init?(usd text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var digits = Substring(trimmed)
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2,
              whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 9, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return nil }
        if parts.count == 2 && whole.isEmpty && fraction.isEmpty { return nil }
        fraction += String(repeating: "0", count: 9 - fraction.count)
        guard let w = Int64(whole.isEmpty ? "0" : String(whole)), let f = Int64(fraction) else { return nil }
        let (scaled, overflow) = w.multipliedReportingOverflow(by: Money.nanosPerDollar)
        guard !overflow else { return nil }
        nanos = (scaled + f) * (negative ? -1 : 1)
    }

    /// Converts an exact `Decimal`, refusing amounts finer than a nano-dollar.
    public init?(_ decimal: Decimal) {
        var scaled = decimal * Decimal(Money.nanosPerDollar)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled else { return nil }
        let number = NSDecimalNumber(decimal: rounded)
        guard number.compare(NSDecimalNumber(value: Int64.max)) != .orderedDescending,
              number.compare(NSDecimalNumber(value: Int64.min)) != .orderedAscending else { return nil }
        nanos = number.int64Value
    }

    /// The amount as an exact decimal.
    public var decimal: Decimal { Decimal(nanos) / Decimal(Money.nanosPerDollar) }

    /// Plain decimal text with no trailing zeros: "0", "0.015", "12.5".
    public var description: String {
        let sign = nanos < 0 ? "-" : ""
        let magnitude = nanos.magnitude
        let whole = magnitude / UInt64(Money.nanosPerDollar)
        var fraction = String(magnitude % UInt64(Money.nanosPerDollar))
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.nanos < rhs.nanos }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(nanos: lhs.nanos + rhs.nanos) }
    public static func += (lhs: inout Money, rhs: Money) { lhs.nanos += rhs.nanos }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let decimal = try container.decode(Decimal.self)
        guard let money = Money(decimal) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "an amount in USD with at most nine decimal places")
        }
        self = money
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }
}
