import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore

extension BatchPlanner {
    /// Plans `batch convert`: scans the folder, decodes every candidate in full (refusing what is corrupt,
    /// empty, not media, or has no stream the format needs), and groups identical inputs.
    public func planConversion(_ request: BatchRequest) async throws -> ConversionPlan {
        guard let settings = request.conversion else {
            throw MediaJobsError.invalidInput("--format", "give the format to convert to")
        }
        let conversion = try settings.resolved()
        let source = URL(fileURLWithPath: request.source).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaJobsError(.fileNotFound, "DIR: \(request.source) is not a folder")
        }
        if URL(fileURLWithPath: request.out).standardizedFileURL.path == source.path {
            throw MediaJobsError.invalidInput("--out", "must not be the folder being converted (outputs could replace inputs)")
        }
        let paths = try scan(request)
        let checked = try await inParallel(paths.count) { index in
            await self.checkConvertible(source.appendingPathComponent(paths[index]), named: paths[index], for: conversion)
        }
        var items: [ConversionPlan.Item] = []
        var bySHA: [String: Int] = [:]
        var rejections: [BatchPlan.Rejection] = []
        var duplicates = 0
        for (path, result) in zip(paths, checked) {
            switch result {
            case .failure(let rejection):
                rejections.append(rejection)
            case .success(let (sha, duration)):
                let output = outputPath(path, format: conversion.fileExtension)
                if let index = bySHA[sha] {
                    items[index].inputs.append(path)
                    items[index].outputs.append(output)
                    duplicates += 1
                    continue
                }
                bySHA[sha] = items.count
                items.append(ConversionPlan.Item(
                    inputs: [path], file: source.appendingPathComponent(path), sha256: sha, durationSeconds: duration,
                    outputs: [output]))
            }
        }
        var outputs = items.map(\.outputs)
        BatchPlanner.disambiguate(&outputs, inputs: items.map(\.inputs))
        for index in items.indices { items[index].outputs = outputs[index] }
        return ConversionPlan(request: request, conversion: conversion, items: items, rejections: rejections,
                              duplicates: duplicates)
    }

    /// Decodes one input in full and checks it has what the conversion needs: sound for an audio format,
    /// moving pictures for a video format, a picture for an image format. Answers its hash and duration.
    private func checkConvertible(
        _ url: URL, named path: String, for conversion: MediaConversion.Resolved
    ) async -> Result<(String, Double), BatchPlan.Rejection> {
        func reject(_ reason: String) -> Result<(String, Double), BatchPlan.Rejection> {
            .failure(BatchPlan.Rejection(path: path, reason: reason))
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
            return reject("\(url.path): no such file")
        }
        if (attributes[.size] as? NSNumber)?.int64Value == 0 { return reject("empty file") }
        do {
            let report = try await engine.validate(url, expecting: MediaExpectation(kind: .any, checkContent: false))
            let info = report.info
            switch conversion {
            case .audio:
                guard !info.audioStreams.isEmpty else { return reject("no audio stream to convert to audio (\(info.container))") }
            case .video:
                guard let video = info.videoStreams.first else {
                    return reject("no video stream to convert to video (\(info.container))")
                }
                if (report.videoFrames ?? 2) <= 1 || info.container.hasSuffix("_pipe") {
                    return reject("a still picture (\(video.codec)), not a video")
                }
            case .image:
                guard !info.videoStreams.isEmpty else { return reject("no picture to convert to an image (\(info.container))") }
            }
            let sha = try ArtifactStore.sha256(ofFile: url).sha256
            return .success((sha, report.durationSeconds))
        } catch let error as MediaJobsError {
            return reject("not usable media: " + error.message.replacingOccurrences(of: url.path, with: path))
        } catch {
            return reject("not usable media: \(error)")
        }
    }
}
