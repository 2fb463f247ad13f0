import Foundation

/// A `multipart/form-data` body split into its named parts.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var data: Data
    }

    var parts: [Part]

    func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    /// Splits `body` on the boundary given in `contentType`. Throws `APIError` naming what is wrong.
    init(contentType: String, body: Data) throws {
        guard let boundaryRange = contentType.range(of: "boundary=") else {
            throw APIError.badRequest("Content-Type", "multipart/form-data needs a boundary")
        }
        var boundary = String(contentType[boundaryRange.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard !boundary.isEmpty, boundary.count <= 200 else {
            throw APIError.badRequest("Content-Type", "the multipart boundary is empty or too long")
        }
        let delimiter = Data("--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        var parts: [Part] = []
        guard var cursor = body.range(of: delimiter)?.upperBound else {
            throw APIError.badRequest("body", "no multipart boundary found")
        }
        while true {
            // After a delimiter: "--" ends the body, else CRLF then headers.
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            guard body[cursor...].starts(with: Data("\r\n".utf8)) else {
                throw APIError.badRequest("body", "malformed multipart delimiter line")
            }
            cursor += 2
            guard let headersRange = body.range(of: headerEnd, in: cursor..<body.endIndex) else {
                throw APIError.badRequest("body", "a multipart part has no end of headers")
            }
            let headerText = String(decoding: body[cursor..<headersRange.lowerBound], as: UTF8.self)
            let contentStart = headersRange.upperBound
            guard let next = body.range(of: Data("\r\n".utf8) + delimiter, in: contentStart..<body.endIndex) else {
                throw APIError.badRequest("body", "a multipart part is not closed by the boundary")
            }
            var name: String?
            var filename: String?
            for line in headerText.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = MultipartForm.parameter("name", in: line)
                filename = MultipartForm.parameter("filename", in: line)
            }
            guard let name else { throw APIError.badRequest("body", "a multipart part has no name") }
            parts.append(Part(name: name, filename: filename, data: Data(body[contentStart..<next.lowerBound])))
            cursor = next.upperBound
        }
        self.parts = parts
    }

    private static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("\(key)=") else { continue }
            return String(trimmed.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}
