import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the CLI may do on its outputs: colour and redrawn progress lines only on a terminal,
/// and colour never with `NO_COLOR` set (https://no-color.org) or `TERM=dumb`.
struct Terminal: Sendable {
    /// Whether standard output and standard error are terminals.
    let outputIsTerminal: Bool
    let errorIsTerminal: Bool
    let colour: Bool

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        outputIsTerminal = isatty(1) == 1
        errorIsTerminal = isatty(2) == 1
        let noColour = !(environment["NO_COLOR"] ?? "").isEmpty || environment["TERM"] == "dumb"
        colour = outputIsTerminal && !noColour
    }

    static let current = Terminal()

    enum Colour: String {
        case red = "31"
        case green = "32"
        case yellow = "33"
    }

    /// `text` in `colour` when colour is allowed, else as it is.
    func paint(_ text: String, _ colour: Colour) -> String {
        self.colour ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// A progress report on standard error: one line redrawn in place on a terminal, plain
    /// lines (one per report) otherwise. `finish()` ends the redrawn line.
    final class Progress {
        private let terminal: Terminal
        private var drawn = false

        init(terminal: Terminal = .current) {
            self.terminal = terminal
        }

        func report(_ text: String) {
            if terminal.errorIsTerminal {
                // Clear the line, then draw: shorter text leaves nothing behind.
                FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
                drawn = true
            } else {
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            }
        }

        func finish() {
            guard drawn else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
            drawn = false
        }
    }
}
