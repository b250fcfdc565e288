import SwiftProtobuf

/// A message read from a peer: `Entries`, the bulk of replication, as `EntriesMessage`; any
/// other as SwiftProtobuf decodes it.
public enum PeerMessage: Sendable {
    case entries(EntriesMessage)
    case message(Tocsin_V1_Message)

    /// Decodes a frame's payload: an `Entries` in the form every node writes is read straight
    /// into `EntriesMessage`; anything else, and anything that reader does not take, is
    /// decoded by SwiftProtobuf, which accepts it or names the error.
    public init(decoding payload: FramePayload) throws {
        if let entries = payload.withUnsafeBytes({ EntriesMessage(messageBytes: $0) }) {
            self = .entries(entries)
            return
        }
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 32
        self.init(try Tocsin_V1_Message(serializedBytes: payload, options: options))
    }

    /// A decoded message, its `Entries` as `EntriesMessage`.
    public init(_ message: Tocsin_V1_Message) {
        if case .entries(let entries) = message.body {
            self = .entries(EntriesMessage(entries))
        } else {
            self = .message(message)
        }
    }

    /// The message as SwiftProtobuf holds it.
    public var protobuf: Tocsin_V1_Message {
        switch self {
        case .entries(let entries): return .with { $0.entries = entries.message }
        case .message(let message): return message
        }
    }
}
