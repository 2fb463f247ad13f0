import Foundation

/// A decimal written into a JSON answer digit for digit (`0.0519728384`, `37.123456`), not through `Double`.
///
/// `JSONSerialization` only writes doubles, so an answer carries a placeholder string for each exact number and
/// `Answer.json` swaps the placeholder for the literal once the document is serialised.
enum ExactNumber {
    private static let open = "~~exact("
    private static let close = ")~~"

    /// The placeholder to put in a JSON object where `value` should appear as a number.
    static func json(_ value: Decimal) -> String { open + plain(value) + close }

    /// `value` in plain notation: "0.00000025", never "2.5e-07".
    static func plain(_ value: Decimal) -> String {
        var value = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 18, .plain)
        return rounded.description
    }

    /// Replaces every quoted placeholder in serialised JSON with its number.
    static func substitute(in data: Data) -> Data {
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains(open) else { return data }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "\"" + open) {
            output += rest[..<start.lowerBound]
            let afterOpen = rest[start.upperBound...]
            guard let end = afterOpen.range(of: close + "\"") else {
                rest = rest[start.lowerBound...]
                break
            }
            output += afterOpen[..<end.lowerBound]
            rest = afterOpen[end.upperBound...]
        }
        output += rest
        return Data(output.utf8)
    }
}
