import Logging
import Testing
import TocsinNode

/// The daemon's log handler: no line can be forged by text a peer or an entry carries.
struct EscapingLogHandlerTests {
    @Test func messagesAndMetadataAreEscapedBeforeTheyAreWritten() {
        let recorder = LogRecorder()
        var logger = Logger(label: "tocsind") { label in
            EscapingLogHandler(wrapping: recorder.handler(label: label))
        }
        logger.logLevel = .info
        logger.warning(
            "peer reported: \("bad\n2026-11-29 notice tocsind: decision verified")",
            metadata: ["peer": "XB\u{1B}[31m", "reasons": .array(["a\rb"])])
        let line = recorder.lines(of: "tocsind").first?.text ?? ""
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{1B}"), "\(line)")
        #expect(line.contains("bad\\u{a}2026-11-29 notice"), "\(line)")
        #expect(line.contains("XB\\u{1b}[31m"), "\(line)")
        #expect(line.contains("u{d}b"), "\(line)")
    }
}
