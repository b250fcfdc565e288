/// Text set into HTML (the dossier's report, the console's pages): everything that comes from
/// the log or a person is escaped, so that none of it becomes markup. `{` is escaped too, so
/// that no such text can spell a page's own placeholders.
public enum HTMLText {
    public static func escaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "{": escaped += "&#123;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
