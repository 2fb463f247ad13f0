import Foundation
import MediaJobsCore

extension CatalogBackedProvider {
    /// Refuses, at submit, frames and reference images that the catalog says `model` does not take, naming the
    /// field: `input.last_frame: fal/fal-ai/veo3/fast takes no last frame`. A model the catalog does not describe
    /// is left to the adapter's own rules.
    func checkImageLimits(_ spec: JobSpec, model: String) throws {
        guard let limits = client.catalog.model(provider: name, id: model)?.limits else { return }
        if let frames = limits.frameImages {
            if spec.input.firstFrame != nil, !frames.contains("first_frame") {
                throw MediaJobsError.invalidInput("input.first_frame", "\(name)/\(model) takes no first frame")
            }
            if spec.input.lastFrame != nil, !frames.contains("last_frame") {
                throw MediaJobsError.invalidInput("input.last_frame", "\(name)/\(model) takes no last frame")
            }
        }
        if let references = spec.input.referenceImages, let max = limits.maxReferenceImages, references.count > max {
            throw MediaJobsError.invalidInput("input.reference_images", max == 0
                ? "\(name)/\(model) takes no reference images"
                : "\(name)/\(model) takes at most \(max) reference images, not \(references.count)")
        }
    }

    /// Refuses image inputs given as URLs, for a provider that takes only the bytes.
    func refuseImageURLs(_ spec: JobSpec, model: String, why: String) throws {
        if let (field, _) = spec.input.images.first(where: { InputImage.isURL($0.value) }) {
            throw MediaJobsError.invalidInput(field, "\(name)/\(model) takes the image itself, not a URL (\(why)); "
                + "download it and give the file")
        }
    }
}

extension RemoteClient {
    /// The image as a provider takes it inline: a `data:` URI of the stored file, or the job's URL as given.
    func imageReference(_ image: InputImage) throws -> String {
        switch image.source {
        case .url(let url):
            return url
        case .file(let file, let mime):
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw ProviderError(.fatal, MediaJobsError(.artifactNotFound,
                    "\(image.field): the stored image \(file.lastPathComponent) cannot be read", underlying: error))
            }
            return "data:\(mime);base64,\(data.base64EncodedString())"
        }
    }
}
