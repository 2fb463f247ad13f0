import Foundation

/// An exact amount of US dollars, kept as whole pico-dollars (10⁻¹² USD).
///
/// Never a `Double`: sums of many small prices stay exact, and a per-second price with six decimals times a
/// duration with six decimals (Replicate's `predict_time`) fits without losing a digit. The range is about
/// ±9.2 million dollars. JSON carries it as a decimal number.
public struct Money: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// Pico-dollars.
    public var picos: Int64

    public init(picos: Int64) { self.picos = picos }

    public static let zero = Money(picos: 0)
    /// Fraction digits kept exactly.
    public static let fractionDigits = 12
    static let picosPerDollar: Int64 = 1_000_000_000_000

    /// Parses a decimal text such as "0.015" or "12", refusing more than twelve decimal places.
    public init?(usd text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var digits = Substring(trimmed)
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2,
              whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= Money.fractionDigits, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber)
        else { return nil }
        if parts.count == 2 && whole.isEmpty && fraction.isEmpty { return nil }
        fraction += String(repeating: "0", count: Money.fractionDigits - fraction.count)
        guard let w = Int64(whole.isEmpty ? "0" : String(whole)), let f = Int64(fraction) else { return nil }
        let (scaled, overflow) = w.multipliedReportingOverflow(by: Money.picosPerDollar)
        guard !overflow else { return nil }
        let (sum, overflowed) = scaled.addingReportingOverflow(f)
        guard !overflowed else { return nil }
        picos = sum * (negative ? -1 : 1)
    }

    /// Converts an exact `Decimal` when it has at most twelve decimal places; nil when it is finer or out of range.
    public init?(exactly decimal: Decimal) {
        guard let money = Money(decimal), money.decimal == decimal else { return nil }
        self = money
    }

    /// Converts a `Decimal`, rounded half-to-even to the pico-dollar when it is finer (a product of prices can be);
    /// nil only when it is not a number or out of range. Never drops an amount: the rounding moves it by at most
    /// half a pico-dollar.
    public init?(_ decimal: Decimal) {
        guard !decimal.isNaN else { return nil }
        var scaled = decimal * Decimal(Money.picosPerDollar)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .bankers)
        let number = NSDecimalNumber(decimal: rounded)
        guard number.compare(NSDecimalNumber(value: Int64.max)) != .orderedDescending,
              number.compare(NSDecimalNumber(value: Int64.min)) != .orderedAscending else { return nil }
        // `int64Value` goes through a binary float for large values; the text is exact.
        guard let value = Int64(rounded.description) else { return nil }
        picos = value
    }

    /// The amount as an exact decimal.
    public var decimal: Decimal { Decimal(picos) / Decimal(Money.picosPerDollar) }

    /// Plain decimal text with every digit kept and no trailing zeros: "0", "0.015", "0.0519728384".
    public var description: String {
        let sign = picos < 0 ? "-" : ""
        let magnitude = picos.magnitude
        let whole = magnitude / UInt64(Money.picosPerDollar)
        var fraction = String(magnitude % UInt64(Money.picosPerDollar))
        fraction = String(repeating: "0", count: Money.fractionDigits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// Dollars for a person to read: "$0.0520" (rounded half-to-even to `places`, at least four), or
    /// "$0.0000003" when rounding would show a non-zero amount as zero.
    public func display(places: Int = 4) -> String {
        let places = max(0, min(places, Money.fractionDigits))
        var value = decimal
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, places, .bankers)
        if rounded == 0 && picos != 0 { return "$" + description }
        var text = NSDecimalNumber(decimal: rounded).stringValue
        if places > 0 {
            if !text.contains(".") { text += "." }
            let present = text.count - (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? 0) - 1
            if present < places { text += String(repeating: "0", count: places - present) }
        }
        return text.hasPrefix("-") ? "-$" + text.dropFirst() : "$" + text
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.picos < rhs.picos }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(picos: lhs.picos + rhs.picos) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(picos: lhs.picos - rhs.picos) }
    public static func += (lhs: inout Money, rhs: Money) { lhs.picos += rhs.picos }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let decimal = try container.decode(Decimal.self)
        guard let money = Money(decimal) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "an amount in USD")
        }
        self = money
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }
}

extension Optional where Wrapped == Money {
    /// "$0.0520", or "unknown" for an amount nobody knows: never "$0".
    public func display(places: Int = 4) -> String {
        switch self {
        case .some(let money): money.display(places: places)
        case .none: "unknown"
        }
    }
}
