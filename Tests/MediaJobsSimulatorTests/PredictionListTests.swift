import Foundation
import MediaJobsSimulator
import Testing

@Suite("Replicate GET /predictions: the caller's predictions, newest first, 100 a page")
struct PredictionListTests {
    private func create(_ sim: Simulator, prompt: String, key: String) async throws -> String {
        let reply = try await HTTP.json(
            sim.url(.replicate, "/models/black-forest-labs/flux-schnell/predictions"), ["input": ["prompt": prompt]], key: key)
        #expect(reply.status == 201, "\(reply.text)")
        return try #require(reply.json["id"] as? String)
    }

    private func ids(_ page: HTTPReply) -> [String] {
        (page.json["results"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test("pages of 100 with next and previous cursors; only the token's own predictions; a listing is not a poll")
    func pages() async throws {
        try await withSimulator(schedule: .polls(queued: 1, running: 1)) { sim in
            var created: [String] = []
            for index in 0..<130 { created.append(try await create(sim, prompt: "fox \(index)", key: "r8-one")) }
            let other = try await create(sim, prompt: "fox 0", key: "r8-two")

            let first = try await HTTP.get(sim.url(.replicate, "/predictions"), key: "r8-one")
            #expect(first.status == 200, "\(first.text)")
            #expect(ids(first) == Array(created.reversed().prefix(100)))
            #expect(first.json["previous"] is NSNull)
            let results = try #require(first.json["results"] as? [[String: Any]])
            let newest = try #require(results.first)
            #expect(newest["model"] as? String == "black-forest-labs/flux-schnell")
            #expect((newest["input"] as? [String: Any])?["prompt"] as? String == "fox 129")
            #expect(newest["status"] as? String == "starting")
            #expect(((newest["urls"] as? [String: Any])?["get"] as? String)?.hasSuffix("/predictions/\(created[129])") == true)
            let times = results.compactMap { $0["created_at"] as? String }
            #expect(times.count == 100 && times == times.sorted(by: >), "newest first")

            let nextURL = try #require((first.json["next"] as? String).flatMap(URL.init(string:)))
            let second = try await HTTP.get(nextURL, key: "r8-one")
            #expect(ids(second) == Array(created.reversed().dropFirst(100)))
            #expect(second.json["next"] is NSNull)
            let previousURL = try #require((second.json["previous"] as? String).flatMap(URL.init(string:)))
            #expect(ids(try await HTTP.get(previousURL, key: "r8-one")) == ids(first))

            #expect(ids(try await HTTP.get(sim.url(.replicate, "/predictions"), key: "r8-two")) == [other])
            #expect(try await HTTP.get(sim.url(.replicate, "/predictions"), key: nil).status == 401)
            let bad = try await HTTP.get(URL(string: sim.url(.replicate, "/predictions").absoluteString + "?cursor=zz")!,
                                         key: "r8-one")
            #expect(bad.status == 400)

            // Listed three times above, yet its first status read still finds it starting.
            let get = try await HTTP.get(sim.url(.replicate, "/predictions/\(created[129])"), key: "r8-one")
            #expect(get.json["status"] as? String == "starting")
        }
    }

    @Test("a prediction whose create answer a reset cut off was made, and is listed")
    func resetCreateIsListed() async throws {
        try await withSimulator(schedule: .seconds(queued: 0, running: 0.1)) { sim in
            sim.inject(.connectionReset, count: 1, provider: .replicate, path: "/models", method: "POST")
            await #expect(throws: (any Error).self) {
                _ = try await HTTP.json(
                    sim.url(.replicate, "/models/black-forest-labs/flux-schnell/predictions"),
                    ["input": ["prompt": "cut off"]], key: "r8-one", headers: ["Prefer": "wait=5"])
            }
            #expect(sim.requests.contains { $0.fault == "reset" })
            let list = try await HTTP.get(sim.url(.replicate, "/predictions"), key: "r8-one")
            let results = try #require(list.json["results"] as? [[String: Any]])
            #expect(results.count == 1)
            #expect((results.first?["input"] as? [String: Any])?["prompt"] as? String == "cut off")
            #expect(results.first?["status"] as? String == "succeeded")
        }
    }
}
