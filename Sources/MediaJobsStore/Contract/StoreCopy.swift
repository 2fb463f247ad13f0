import Foundation

/// One column's value in one stored row, as the SQLite store holds it: what a copy to another database carries.
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One table of a store: its name and its columns, in order.
public struct StoredTable: Sendable, Equatable {
    public var name: String
    public var columns: [String]

    public init(name: String, columns: [String]) {
        self.name = name
        self.columns = columns
    }
}

/// What a copy of a store checks on both sides: rows per table, the ledger's total and its unknown amounts, and jobs
/// per state.
public struct StoreTally: Sendable, Equatable {
    /// Rows per table, by table name.
    public var rows: [String: Int]
    /// The sum of `costs.usd_picos` (the known amounts).
    public var usdPicos: Int64
    /// Cost records whose amount is unknown (`usd_picos` NULL).
    public var unknownCosts: Int
    /// Jobs per state name.
    public var jobsByState: [String: Int]

    public init(rows: [String: Int], usdPicos: Int64, unknownCosts: Int, jobsByState: [String: Int]) {
        self.rows = rows
        self.usdPicos = usdPicos
        self.unknownCosts = unknownCosts
        self.jobsByState = jobsByState
    }
}
