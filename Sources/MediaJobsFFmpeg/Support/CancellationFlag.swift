import CMediaShims
import Synchronization

/// Set by a task's cancellation handler, read by FFmpeg loops running on the media thread pool and,
/// through its C twin, by FFmpeg's own `AVIOInterruptCB` (so blocking reads give up too).
///
/// `@unchecked Sendable`: the C flag is an atomic int allocated once in init and freed in deinit;
/// it is only read and set through atomic operations, from any thread.
final class CancellationFlag: @unchecked Sendable {
    private let state = Atomic<Bool>(false)
    /// The `mj_cancel_flag` an interrupt callback reads; lives as long as this object.
    let interruptFlag: OpaquePointer?

    init() {
        interruptFlag = mj_cancel_flag_create()
    }

    deinit {
        mj_cancel_flag_free(interruptFlag)
    }

    var isCanceled: Bool { state.load(ordering: .relaxed) }

    func cancel() {
        state.store(true, ordering: .relaxed)
        mj_cancel_flag_set(interruptFlag)
    }
}
