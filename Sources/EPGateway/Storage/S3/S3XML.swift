import Essentials
import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An S3 answer's XML as a small tree: S3 answers are a few levels of elements with text
/// (`ListBucketResult`, `Error`, `InitiateMultipartUploadResult`), so a tree read with
/// Foundation's XML parser (libxml2) is all the client needs. Namespaces are ignored: S3,
/// MinIO and moto differ in whether they send one.
struct S3XML: Sendable, Equatable {
    var name: String
    var text: String
    var children: [S3XML]

    /// The first child element called `name`.
    func child(_ name: String) -> S3XML? { children.first { $0.name == name } }

    /// Every child element called `name`, in document order.
    func children(_ name: String) -> [S3XML] { children.filter { $0.name == name } }

    /// The text of the first child called `name`.
    subscript(_ name: String) -> String? { child(name)?.text }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// The document element of `data`.
    static func parse(_ data: Data) throws -> S3XML {
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw Malformed(description: parser.parserError.map { "\($0)" } ?? "no document element")
        }
        return root
    }

    /// Builds the tree from the parser's events; text is kept only for elements without children.
    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [S3XML] = []
        var root: S3XML?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            stack.append(S3XML(name: elementName, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard var element = stack.popLast() else { return }
            if !element.children.isEmpty { element.text = "" }
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }
    }

    /// `text` with XML's five special characters escaped, for request bodies.
    static func escape(_ text: String) -> String { MarkupText.escape(text) }
}
