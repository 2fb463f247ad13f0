import MediaJobsSimulator

/// Runs `body` against a fresh simulator and stops it afterwards, whatever happens.
func withSimulator<T>(
    schedule: JobSchedule = .polls(queued: 1, running: 1), _ body: (Simulator) async throws -> T
) async throws -> T {
    let sim = try await Simulator.start(schedule: schedule)
    do {
        let result = try await body(sim)
        await sim.stop()
        return result
    } catch {
        await sim.stop()
        throw error
    }
}
