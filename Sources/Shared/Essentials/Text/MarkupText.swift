/// Text placed in HTML or XML (element content or a quoted attribute value): the five
/// characters markup gives a meaning to, written as references, so no value becomes markup.
public enum MarkupText {
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            // &#39; rather than &apos;: HTML 4 readers know only the numeric form.
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
