#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import Synchronization

/// A yes/no set once and read from any thread: "the wait is over", "Ctrl-C was pressed".
final class SharedFlag: @unchecked Sendable {
    // @unchecked: `value` is a Mutex; `source` is written once in `installForSIGINT`, before the
    // flag is shared, and only kept alive afterwards.
    private let value = Mutex(false)
    private var source: (any DispatchSourceSignal)?

    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }

    /// A flag that SIGINT (Ctrl-C) sets, so a batch stops submitting or waiting and exits cleanly.
    static func installForSIGINT() -> SharedFlag {
        let flag = SharedFlag()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak flag] in flag?.set() }
        source.resume()
        flag.source = source
        return flag
    }
}
