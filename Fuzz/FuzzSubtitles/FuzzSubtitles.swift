import CFuzzDriver
import Foundation
import FuzzSupport
import MediaJobsCore

/// Any transcript rendered as txt, json, srt and vtt with any layout; srt and vtt must keep their shape (see
/// `SubtitleCheck`). The input is a transcript's JSON (`segments`, `words`, `language`) where times may also be
/// `"inf"`, `"-inf"` and `"nan"` (what a provider's numbers can become), with the layout beside it:
/// `{"max_line_width": 42, "max_lines_per_cue": 2, "segments": [{"start": 0, "end": "inf", "text": "hi"}]}`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSubtitles(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let (transcript, layout) = SubtitleCase.decode(data) else { return 0 }
    SubtitleCheck.renderAndCheck(transcript, maxLineWidth: layout.maxLineWidth, linesPerCue: layout.maxLinesPerCue)
    SubtitleCheck.renderAndCheck(transcript)
    return 0
}

/// The program's entry point under SwiftPM (see CFuzzDriver.h): libFuzzer's driver.
@_cdecl("FuzzSubtitles_main")
public func FuzzSubtitlesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    mediajobs_fuzz_main(argc, argv)
}
