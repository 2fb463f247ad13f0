import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

@Suite("the route that made the file: kept on the job, shown beside the routes asked for")
struct RouteUsedTests {
    @Test("a first route that cannot serve the job: the local fallback makes it, and the job says so beside both routes")
    func fallbackIsTheRouteUsed() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.unknownModel, count: 1, provider: .openrouter, path: "/audio/speech")
            let spec = JobSpec(kind: .tts, provider: "openrouter", fallbacks: [Route(provider: "local", model: "flite")],
                               input: JobInput(text: "Made by the fallback."))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            // The first route was asked (and refused) before the fallback made the file.
            #expect(simulator.requests(.openrouter, path: "/audio/speech").count == 1)
            #expect(job.routeUsed == RouteUsed(provider: "local", model: "flite"))

            let view = try await JobView.load(job, store: home.store, artifacts: home.artifacts, withEvents: true)
            // Submission names the provider's default model on the first route.
            #expect(view.routesAsked == [Route(provider: "openrouter", model: "openai/gpt-4o-mini-tts"),
                                         Route(provider: "local", model: "flite")])
            #expect(view.routeUsed == RouteUsed(provider: "local", model: "flite"))
            #expect(view.routeTrying == nil)
            // The route asked for first is still what `provider` says; the JSON names both beside it.
            #expect(view.provider == "openrouter")
            let json = try #require(try JSONSerialization.jsonObject(with: try JobView.makeEncoder().encode(view)) as? [String: Any])
            #expect((json["routes_asked"] as? [[String: String]]) == [
                ["provider": "openrouter", "model": "openai/gpt-4o-mini-tts"], ["provider": "local", "model": "flite"],
            ])
            let used = try #require(json["route_used"] as? [String: Any])
            #expect(used["provider"] as? String == "local" && used["model"] as? String == "flite" && used["cache_hit_of"] is NSNull,
                    "\(used)")
            #expect(json["route_trying"] is NSNull)
        }
    }

    @Test("a result-cache hit names the route that made the file and the job whose result it reused")
    func cacheHitNamesTheJobReused() async throws {
        try await withSimulator { _, home in
            let spec = JobSpec(kind: .tts, input: JobInput(text: "Spoken once, heard twice."))
            let first = try await home.submitter.submit(spec).job.id
            #expect(try await home.runUntilFinal(first).routeUsed == RouteUsed(provider: "local", model: "flite"))
            let second = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(second)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(try await home.store.costs(second).map(\.source) == [.cached])
            #expect(job.routeUsed == RouteUsed(provider: "local", model: "flite", cacheHitOf: first))
            let view = try await JobView.load(job, store: home.store, artifacts: home.artifacts, withEvents: false)
            let json = try #require(try JSONSerialization.jsonObject(with: try JobView.makeEncoder().encode(view)) as? [String: Any])
            #expect((json["route_used"] as? [String: Any])?["cache_hit_of"] as? String == first.rawValue, "\(json)")
        }
    }

    @Test("while a provider works on a job, its view names the route tried: from the stage, then from the handle")
    func routeTriedWhileRunningAndWaiting() async throws {
        try await withSimulator { _, home in
            let spec = RemoteCase.first("fal", .video).spec()
            let queued = try await home.submitter.submit(spec).job
            #expect(try await JobView.load(queued, store: home.store, artifacts: home.artifacts, withEvents: false)
                .routeTrying == nil)
            let now = Date()
            let claimed = try #require(try await home.store.claim(worker: "w", now: now, leaseExpiry: now.addingTimeInterval(600)))
            // One attempt of the pipeline: fal accepts the generation, and the job would wait for it.
            let outcome = try await home.pipeline.run(claimed, worker: "w")
            guard case .waiting(let handle, let pollAt) = outcome else {
                Issue.record("fal answered a video at once: \(outcome)")
                return
            }
            let running = try #require(try await home.store.job(claimed.id))
            #expect(running.state == .running)
            let tried = try await JobView.load(running, store: home.store, artifacts: home.artifacts, withEvents: false)
            let model = try #require(tried.routeTrying?.model)
            #expect(tried.routeTrying?.provider == "fal" && model.hasPrefix("fal-ai/"), "\(String(describing: tried.routeTrying))")
            #expect(tried.routeUsed == nil)

            let waiting = try await home.store.wait(claimed.id, worker: "w", handle: handle, pollAt: pollAt, now: Date())
            let view = try await JobView.load(waiting, store: home.store, artifacts: home.artifacts, withEvents: false)
            #expect(view.routeTrying == Route(provider: "fal", model: model))
        }
    }
}
