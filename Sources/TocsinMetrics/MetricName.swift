/// Every metric a node exports: its Prometheus name, type, labels and help text, in one place.
///
/// Names follow Prometheus conventions: a `tocsin_` prefix, base units in the name
/// (`_seconds`, `_bytes`), `_total` on counters. The process figures use the names every
/// Prometheus client library exports (`process_…`), as etcd's do. Docs/METRICS.md documents
/// each one; a test checks that the two agree.
public enum MetricName: String, CaseIterable, Sendable {
    // Feeds
    case feedEntries = "tocsin_feed_entries"
    case forkProofs = "tocsin_fork_proofs"
    case frozenFeeds = "tocsin_frozen_feeds"
    case charterVersion = "tocsin_charter_version"
    case ready = "tocsin_ready"

    // Peers
    case peerConnected = "tocsin_peer_connected"
    case peerLastContact = "tocsin_peer_last_contact_timestamp_seconds"
    case peerLag = "tocsin_peer_lag_entries"
    case peerSentFrames = "tocsin_peer_sent_frames_total"
    case peerReceivedFrames = "tocsin_peer_received_frames_total"
    case peerSentBytes = "tocsin_peer_sent_bytes_total"
    case peerReceivedBytes = "tocsin_peer_received_bytes_total"
    case peerRejectedMessages = "tocsin_peer_rejected_messages_total"
    case connectionsRefused = "tocsin_connections_refused_total"

    // Store and appends
    case storeCommitDuration = "tocsin_store_commit_duration_seconds"
    case storeWritable = "tocsin_store_writable"
    case appendDuration = "tocsin_append_duration_seconds"
    case replicationDelay = "tocsin_replication_delay_seconds"

    // Consultation
    case openProposals = "tocsin_open_proposals"
    case votesAwaiting = "tocsin_votes_awaiting"
    case flaggedDecisions = "tocsin_flagged_decisions"

    // Admin API
    case adminRequests = "tocsin_admin_requests_total"
    case adminRefusals = "tocsin_admin_refused_requests_total"

    // Notifications
    case notificationDeliveries = "tocsin_notification_deliveries_total"
    case notificationFailures = "tocsin_notification_failures_total"

    // Certificates
    case certificateExpiry = "tocsin_certificate_expiry_timestamp_seconds"

    // The process
    case residentMemory = "process_resident_memory_bytes"
    case openFileDescriptors = "process_open_fds"
    case maximumFileDescriptors = "process_max_fds"
    case startTime = "process_start_time_seconds"
    case cpuSeconds = "process_cpu_seconds_total"

    /// The Prometheus metric type.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public var kind: Kind {
        switch self {
        case .peerSentFrames, .peerReceivedFrames, .peerSentBytes, .peerReceivedBytes, .peerRejectedMessages,
            .connectionsRefused, .adminRequests, .adminRefusals, .cpuSeconds, .notificationDeliveries,
            .notificationFailures:
            return .counter
        case .storeCommitDuration, .appendDuration, .replicationDelay:
            return .histogram
        default:
            return .gauge
        }
    }

    /// The labels each series carries.
    public var labels: [String] {
        switch self {
        case .feedEntries: return ["group", "author"]
        case .peerConnected, .peerLastContact, .peerLag, .peerSentFrames, .peerReceivedFrames, .peerSentBytes,
            .peerReceivedBytes:
            return ["peer"]
        case .peerRejectedMessages: return ["peer", "reason"]
        case .connectionsRefused: return ["reason"]
        case .adminRequests: return ["method"]
        case .adminRefusals: return ["status"]
        case .certificateExpiry: return ["node"]
        case .notificationDeliveries, .notificationFailures: return ["channel"]
        default: return []
        }
    }

    /// The `# HELP` line.
    public var help: String {
        switch self {
        case .feedEntries: return "Entries this node holds of the feed of one author in one group."
        case .forkProofs: return "Fork proofs this node holds (each freezes a feed whose author signed two histories)."
        case .frozenFeeds: return "Feeds frozen by a fork proof or disowned after a key revocation."
        case .charterVersion: return "The version of the charter in force on this node."
        case .ready:
            return
                "1 when the node is ready (/readyz): its store writes, the restore guard has cleared, a peer is connected."
        case .peerConnected: return "1 while this node has an authenticated session with the peer, else 0."
        case .peerLastContact: return "When the peer last sent a frame (Unix time)."
        case .peerLag:
            return "Entries the peer announced that this node does not hold yet (0 once caught up with it)."
        case .peerSentFrames: return "Sync frames written to the peer."
        case .peerReceivedFrames: return "Sync frames read from the peer."
        case .peerSentBytes: return "Frame bytes written to the peer (before TLS)."
        case .peerReceivedBytes: return "Frame bytes read from the peer (after TLS)."
        case .peerRejectedMessages:
            return "Messages or frames of the peer this node refused, by reason (the protocol's error code)."
        case .connectionsRefused: return "Connections closed before or during TLS, by reason."
        case .storeCommitDuration: return "Time to commit one store transaction (a batch, cosignatures, a fork proof)."
        case .storeWritable: return "1 while the store writes, 0 while it cannot (a full disk, most often)."
        case .appendDuration: return "Time from an append of this node's own entries to their being durable."
        case .replicationDelay:
            return "Time from an author signing entries to their being durable here (author's clock to this node's)."
        case .openProposals: return "Proposals open for votes."
        case .votesAwaiting: return "Open proposals this node may vote on and has not."
        case .flaggedDecisions: return "Decisions that do not follow from the votes under the charter (audit findings)."
        case .adminRequests: return "Admin API requests, by method."
        case .adminRefusals: return "Admin API requests refused, by HTTP status."
        case .notificationDeliveries: return "Notifications delivered, by channel."
        case .notificationFailures: return "Failed attempts to deliver a notification, by channel (each is retried)."
        case .certificateExpiry: return "When a node's certificate expires (Unix time): this node's and its peers'."
        case .residentMemory: return "Resident memory size in bytes."
        case .openFileDescriptors: return "Number of open file descriptors."
        case .maximumFileDescriptors: return "Maximum number of open file descriptors."
        case .startTime: return "Start time of the process since the Unix epoch in seconds."
        case .cpuSeconds: return "Total user and system CPU time spent in seconds."
        }
    }

    /// The buckets of a histogram, in seconds.
    public var buckets: [Duration] {
        switch self {
        case .storeCommitDuration:
            return [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .seconds(1),
            ]
        case .appendDuration:
            return [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(5),
            ]
        case .replicationDelay:
            return [
                .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                .seconds(1), .seconds(5), .seconds(30), .seconds(60), .seconds(300), .seconds(3600),
            ]
        default:
            return []
        }
    }
}
