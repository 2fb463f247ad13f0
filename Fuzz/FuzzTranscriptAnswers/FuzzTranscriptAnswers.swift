import CFuzzDriver
import FuzzSupport
import Foundation
import MediaJobsCore
import MediaJobsHTTP
import MediaJobsProviders

/// Any bytes as the body of a provider's transcription answer, read the way each provider reads it, then
/// rendered in every format the way the pipeline stores it.
///
/// OpenAI: a JSON object (`json`, `verbose_json`), else srt/vtt/text cues. OpenRouter: a JSON object.
/// Replicate: the prediction's `output` object (whisper's `segments`/`transcription`, fal-like `chunks`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTranscriptAnswer(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let body = start.map { Data(bytes: $0, count: count) } ?? Data()
    let response = HTTPResponse(status: 200, headers: HTTPHeaders(), body: body)
    var transcripts: [Transcript] = []
    if let object = response.jsonObject {
        // The upload's measured length, as OpenAI and OpenRouter pass it; Replicate passes none.
        transcripts += [12.5, nil].compactMap { TranscriptDecoding.transcript(fromJSON: object, audioSeconds: $0) }
        if let output = object["output"] as? [String: Any] {
            transcripts += [TranscriptDecoding.transcript(fromJSON: output, audioSeconds: nil)].compactMap { $0 }
        }
    } else {
        transcripts.append(TranscriptDecoding.transcript(fromCues: String(decoding: body, as: UTF8.self)))
    }
    for transcript in transcripts {
        SubtitleCheck.renderAndCheck(transcript)
    }
    return 0
}

/// The program's entry point under SwiftPM (see CFuzzDriver.h): libFuzzer's driver.
@_cdecl("FuzzTranscriptAnswers_main")
public func FuzzTranscriptAnswersMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    mediajobs_fuzz_main(argc, argv)
}
