import NIOConcurrencyHelpers
import ServiceLifecycle

/// The listeners of a daemon that must be bound before it tells systemd it is ready (the
/// admin socket, the metrics listener): `READY=1` means `tocsin status` and a scrape work.
public final class ListenerGate: Sendable {
    private let remaining: NIOLockedValueBox<Int>

    public init(listeners: Int) {
        remaining = NIOLockedValueBox(max(0, listeners))
    }

    /// One listener is bound.
    public func bound() {
        remaining.withLockedValue { $0 = max(0, $0 - 1) }
    }

    public var isOpen: Bool { remaining.withLockedValue { $0 == 0 } }

    /// Returns once every listener is bound, or when the task is cancelled (a listener that
    /// cannot bind stops the whole service group).
    public func wait() async {
        while !isOpen && !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// A service whose failure names the `node.toml` setting behind it: a listener that cannot
/// bind says which key to change, not only `Address already in use`.
struct NamedService: Service {
    let service: any Service
    let setting: String

    func run() async throws {
        do {
            try await service.run()
        } catch {
            throw StartupFailure(message: "\(setting): \(error)")
        }
    }
}
