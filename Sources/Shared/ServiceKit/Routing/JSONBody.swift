import Essentials
import Foundation
import Hummingbird

/// A request's JSON object body, or the 422 FastAPI gives for anything else (its clients read
/// `detail` as a list of `{loc, msg, type}`).
public enum JSONBody {
    public static func object(from request: Request, expecting description: String) async throws -> [String: JSONValue] {
        var request = request
        let buffer = try await request.collectBody(upTo: .max)
        guard let object = try? JSONValue.decode(Data(buffer: buffer)).objectValue else {
            throw APIError(.unprocessableContent, detail: [["loc": ["body"], "msg": .string(description), "type": "value_error"]])
        }
        return object
    }
}
