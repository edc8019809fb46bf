import Essentials
import Foundation

/// Datasets rebuilt from what both stores keep: each dataset's JSON text, and its resources'
/// JSON texts in position order. The stores differ only in how they fetch the texts.
struct StoredDatasets {
    let documents: [JSONValue]

    /// Unreadable texts are skipped (a dataset is written whole, so this does not happen).
    init(texts: [String]) {
        documents = texts.compactMap { try? JSONValue.decode(Data($0.utf8)) }
    }

    /// The ids to fetch the resources of.
    var ids: [String] { documents.compactMap { $0["id"]?.stringValue } }

    /// The datasets, in the documents' order, each with its resources.
    func assemble(resources: [(datasetID: String, text: String)]) -> [CatalogDataset] {
        var byDataset: [String: [CatalogResource]] = [:]
        for (datasetID, text) in resources {
            guard let resource = CatalogResource(storedText: text) else { continue }
            byDataset[datasetID, default: []].append(resource)
        }
        return documents.compactMap { document in
            document["id"]?.stringValue.flatMap { CatalogDataset(document: document, resources: byDataset[$0] ?? []) }
        }
    }
}

extension CatalogResource {
    /// A resource from the JSON text a store keeps.
    init?(storedText: String) {
        guard let document = try? JSONValue.decode(Data(storedText.utf8)) else { return nil }
        self.init(document: document)
    }
}
