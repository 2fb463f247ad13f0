import Foundation
import MediaJobsCore

/// Makes job ids without a system call per id: `JobID.generate` draws 16 random numbers, and the
/// system generator is one `getrandom` call each. Seeded once per store from the system generator,
/// so two processes draw unrelated sequences; ids stay unique by time plus 80 pseudo-random bits.
final class JobIDSource: @unchecked Sendable {
    // @unchecked: `generator` is only used while holding `lock`.
    private let lock = NSLock()
    private var generator: SplitMix64

    init() {
        var system = SystemRandomNumberGenerator()
        generator = SplitMix64(seed: system.next())
    }

    func next(now: Date) -> JobID {
        lock.lock()
        defer { lock.unlock() }
        return JobID.generate(now: now, using: &generator)
    }
}

/// Steele, Lea and Flood's SplitMix64: fast, full-period, good enough for id suffixes (not for secrets).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
