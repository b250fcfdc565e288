/// The fields of a console form (issuing a bulletin, opening a proposal): the values given,
/// and the API's error shown at the field it names, marked for assistive technology.
struct ConsoleFormFields {
    typealias Language = ConsoleCatalogue.Language

    let values: ConsoleForm
    let error: (field: String, message: String)?
    let language: Language
    /// The fields this form shows: an error naming another is shown above the form.
    let fields: [String]

    func invalid(_ field: String) -> String {
        error?.field == field ? " aria-invalid=\"true\" aria-describedby=\"error-\(field)\"" : ""
    }

    func errorText(_ field: String) -> String {
        guard let error, error.field == field else { return "" }
        return "<p class=\"error\" id=\"error-\(field)\">\(ConsolePages.escape(error.message))</p>"
    }

    func input(
        _ field: String, _ key: ConsoleCatalogue.Key, required: Bool = false, hint: String? = nil, preset: String = ""
    ) -> String {
        """
        <label for="field-\(field)">\(ConsolePages.t(key, language))</label>
        \(hint.map { "<p id=\"hint-\(field)\">\(ConsolePages.escape($0))</p>" } ?? "")
        <input id="field-\(field)" name="\(field)" value="\(ConsolePages.escape(values[field] ?? preset))"\(required ? " required" : "")\(invalid(field))>
        \(errorText(field))
        """
    }

    /// A choice among `options` (an empty option reads "any"), `preset` chosen unless the
    /// form gave another.
    func select(_ field: String, _ key: ConsoleCatalogue.Key, _ options: [String], _ preset: String) -> String {
        let chosen = values[field] ?? preset
        let choices = options.map { option -> String in
            let label = option.isEmpty ? ConsoleCatalogue.text(.any, language) : ConsoleCatalogue.word(option, language)
            return
                "<option value=\"\(ConsolePages.escape(option))\"\(option == chosen ? " selected" : "")>\(ConsolePages.escape(label))</option>"
        }
        return """
            <label for="field-\(field)">\(ConsolePages.t(key, language))</label>
            <select id="field-\(field)" name="\(field)"\(invalid(field))>\(choices.joined())</select>
            \(errorText(field))
            """
    }

    /// A file to upload (the form must be `multipart/form-data`).
    func file(_ field: String, _ key: ConsoleCatalogue.Key, accept: String) -> String {
        """
        <label for="field-\(field)">\(ConsolePages.t(key, language))</label>
        <input id="field-\(field)" name="\(field)" type="file" accept="\(accept)" required\(invalid(field))>
        \(errorText(field))
        """
    }

    func textArea(_ field: String, _ key: ConsoleCatalogue.Key) -> String {
        """
        <label for="field-\(field)">\(ConsolePages.t(key, language))</label>
        <textarea id="field-\(field)" name="\(field)" rows="4"\(invalid(field))>\(ConsolePages.escape(values[field] ?? ""))</textarea>
        \(errorText(field))
        """
    }

    /// The notice above a form that the API refused: what to do, and an error naming a field
    /// the form does not show.
    var notice: String {
        guard let error else { return "" }
        let elsewhere =
            fields.contains(error.field)
            ? "" : "<p class=\"problem\">\(ConsolePages.escape(error.field)): \(ConsolePages.escape(error.message))</p>"
        return "<p class=\"problem\" role=\"alert\">\(ConsolePages.t(.fieldError, language))</p>\(elsewhere)"
    }
}
