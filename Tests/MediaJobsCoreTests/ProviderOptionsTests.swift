import Foundation
import Testing
@testable import MediaJobsCore

@Suite("provider_options: OpenRouter routing preferences per job")
struct ProviderOptionsTests {
    private func parse(_ options: String) throws -> JobSpec {
        try JobSpec.parse(json: Data("""
            {"kind": "image", "provider": "openrouter", "input": {"prompt": "a fox"}, "provider_options": \(options)}
            """.utf8), source: "job.json")
    }

    private func message(_ options: String) -> String? {
        do {
            _ = try parse(options)
            return nil
        } catch let error as MediaJobsError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("every documented field decodes, and the spec survives a round trip")
    func decodes() throws {
        let spec = try parse("""
            {"openrouter": {"order": ["openai", "google-vertex"], "only": ["openai"], "ignore": ["azure"],
                            "allow_fallbacks": false, "data_collection": "deny", "zdr": true,
                            "sort": {"by": "throughput", "partition": "none"},
                            "options": {"openai": {"quality": "high"}}}}
            """)
        let routing = try #require(spec.providerOptions?.openrouter)
        #expect(routing.fields["order"] == .array([.string("openai"), .string("google-vertex")]))
        #expect(routing.fields["allow_fallbacks"] == .bool(false))
        #expect(routing.fields["options"] == .object(["openai": .object(["quality": .string("high")])]))
        let again = try JSONDecoder().decode(JobSpec.self, from: JSONEncoder().encode(spec))
        #expect(again == spec)
    }

    @Test("a wrong field is refused at parse time, naming it and the reason")
    func refusesWithFieldErrors() {
        #expect(message(#"{"openrouter": {"sort": "cheap"}}"#)
            == "job.json: provider_options.openrouter.sort: 'cheap' is not one of price, throughput, latency, exacto")
        #expect(message(#"{"openrouter": {"order": ["openai", ""]}}"#)
            == "job.json: provider_options.openrouter.order[1]: expected a provider slug (a non-empty string)")
        #expect(message(#"{"openrouter": {"only": "openai"}}"#)
            == "job.json: provider_options.openrouter.only: expected a list of provider slugs")
        #expect(message(#"{"openrouter": {"zdr": "yes"}}"#) == "job.json: provider_options.openrouter.zdr: expected true or false")
        #expect(message(#"{"openrouter": {"data_collection": "maybe"}}"#)
            == "job.json: provider_options.openrouter.data_collection: expected \"allow\" or \"deny\"")
        #expect(message(#"{"openrouter": {"sort": {"by": "price", "partition": "all"}}}"#)
            == "job.json: provider_options.openrouter.sort.partition: expected \"model\" or \"none\"")
        #expect(message(#"{"openrouter": {"options": {"openai": 3}}}"#)
            == "job.json: provider_options.openrouter.options.openai: expected an object of options for that provider")
        #expect(message(#"{"openrouter": {"speed": "fast"}}"#)?.hasPrefix(
            "job.json: provider_options.openrouter.speed: unknown field (known: allow_fallbacks,") == true)
        #expect(message(#"{"fal": {}}"#) == "job.json: provider_options.fal: unknown field")
        #expect(message(#"{"openrouter": 5}"#) == "job.json: provider_options.openrouter: expected an object")
    }

    @Test("the job's preferences win over the configuration's; options merge per provider and per option")
    func mergesJobOverConfiguration() {
        let configured = OpenRouterRouting([
            "sort": .string("price"), "zdr": .bool(true),
            "options": .object(["openai": .object(["quality": .string("low"), "style": .string("vivid")]),
                                "google-vertex": .object(["effort": .string("low")])]),
        ])
        let job = OpenRouterRouting([
            "sort": .string("latency"), "order": .array([.string("openai")]),
            "options": .object(["openai": .object(["quality": .string("high")])]),
        ])
        let merged = configured.merged(with: job)
        #expect(merged.fields["sort"] == .string("latency"))
        #expect(merged.fields["zdr"] == .bool(true))
        #expect(merged.fields["order"] == .array([.string("openai")]))
        #expect(merged.fields["options"] == .object([
            "openai": .object(["quality": .string("high"), "style": .string("vivid")]),
            "google-vertex": .object(["effort": .string("low")]),
        ]))
        #expect(configured.merged(with: nil) == configured)
    }
}
