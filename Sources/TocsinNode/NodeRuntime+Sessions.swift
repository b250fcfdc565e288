import Foundation
import Logging
import NIOCore
import NIOPosix
import TocsinCore
import TocsinCrypto
import TocsinNet

extension NodeRuntime {
    // MARK: - Dialling (from the node queue)

    func dial(_ peer: PeerAddress) {
        let connect = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.configure(channel, role: .client, dialled: peer.nodeID)
                }
            }
            .connect(host: peer.host, port: peer.port)
        connect.whenFailure { [self] error in
            logger.debug("dial failed", metadata: ["peer": "\(peer.nodeID)", "error": "\(error)"])
            redial(peer)
        }
        connect.whenSuccess { [self] channel in
            channel.closeFuture.whenComplete { _ in self.redial(peer) }
        }
    }

    /// Dials again after the backoff delay, unless stopped or already connected. Called from
    /// event loops: it only enqueues.
    func redial(_ peer: PeerAddress) {
        queue.async { [self] in
            guard !stopped, sessions.session(of: peer.nodeID) == nil else { return }
            let attempt = dialAttempts[peer.nodeID, default: 0]
            dialAttempts[peer.nodeID] = attempt + 1
            let delay = backoff.delay(attempt: attempt, jitter: random())
            group.next().scheduleTask(in: delay) { [self] in
                queue.async { [self] in
                    if !stopped && sessions.session(of: peer.nodeID) == nil { dial(peer) }
                }
            }
        }
    }

    // MARK: - Session events (from event loops: each only enqueues)

    func sessionEstablished(
        peer: String, channel: Channel, isClient: Bool, publicKey: Ed25519PublicKey? = nil,
        certificateNotAfter: Date? = nil
    ) {
        queue.async { [self] in
            guard !stopped else {
                channel.close(promise: nil)
                return
            }
            // An amendment adopted since the handshake may no longer pin this key.
            if let publicKey, !sync.charter.pins(nodeID: peer, publicKey: publicKey) {
                logger.warning(
                    "closing session: the charter in force no longer pins the key of its certificate",
                    metadata: ["peer": "\(peer)"])
                metrics.countRejection(peer: peer, reason: "key-not-pinned")
                channel.close(promise: nil)
                return
            }
            let id = ObjectIdentifier(channel)
            switch sessions.established(peer: peer, session: id, openedHere: isClient) {
            case .refused:
                channel.close(promise: nil)
                return
            case .replaced(let old):
                perform(sync.disconnected(peer: peer, now: UInt64(max(0, clock().timeIntervalSince1970))))
                channels.removeValue(forKey: old)?.close(promise: nil)
                serving[old] = nil
            case .accepted:
                break
            }
            channels[id] = channel
            dialAttempts[peer] = 0
            logger.info("session established", metadata: ["peer": "\(peer)"])
            peerKeys[peer] = publicKey
            if let certificateNotAfter {
                peerCertificateExpiry[peer] = certificateNotAfter
                if let warning = CertificateExpiry.warning(
                    for: "\(peer)'s certificate", notAfter: certificateNotAfter, now: clock())
                {
                    logger.warning("\(warning)", metadata: ["peer": "\(peer)"])
                }
            }
            emit(.sessionEstablished(peer: peer))
            perform(sync.connected(peer: peer))
        }
    }

    /// A message from `peer`; `processed` is called once the node queue has dealt with it (the
    /// session's inbound bound).
    func received(
        _ message: PeerMessage, from peer: String, channel: Channel,
        processed: @escaping @Sendable () -> Void = {}
    ) {
        queue.async { [self] in
            // Dealt with now, or once the writer has caught up with the batches verified.
            defer { storeBacklog.withLockedValue { $0.holdBack(processed) }?() }
            guard !stopped, sessions.isHeld(ObjectIdentifier(channel), for: peer) else { return }
            let date = clock()
            lastContact[peer] = date
            let now = UInt64(max(0, date.timeIntervalSince1970))
            perform(sync.received(message, from: peer, now: now))
            if case .message(let message) = message, case .heads = message.body { emit(.headsReceived(peer: peer)) }
            wakeReadinessWaiters()
        }
    }

    /// The session's channel can take writes again: batches owed to the peer resume.
    func becameWritable(_ channel: Channel) {
        queue.async {
            self.unwritableSince[ObjectIdentifier(channel)] = nil
            self.pumpServing(ObjectIdentifier(channel))
        }
    }

    func sessionEnded(peer: String, channel: Channel) {
        queue.async { [self] in
            let id = ObjectIdentifier(channel)
            channels[id] = nil
            serving[id] = nil
            deferredServes[id] = nil
            unwritableSince[id] = nil
            guard sessions.ended(peer: peer, session: id) else { return }
            peerKeys[peer] = nil
            perform(sync.disconnected(peer: peer, now: UInt64(max(0, clock().timeIntervalSince1970))))
            logger.info("session ended", metadata: ["peer": "\(peer)"])
            emit(.sessionEnded(peer: peer))
            wakeReadinessWaiters()
        }
    }

    func sessionFailed(peer: String?, address: SocketAddress?, error: any Error) {
        if let reason = Self.refusalReason(error) {
            if let peer {
                metrics.countRejection(peer: peer, reason: reason)
            } else {
                metrics.countRefusedConnection(reason: reason)
            }
        }
        logger.warning(
            "session failed",
            metadata: [
                "peer": "\(peer ?? "unauthenticated")", "address": "\(address.map { "\($0)" } ?? "?")",
                "error": "\(error)",
            ])
    }

    /// A short label for a failure that is this node refusing the peer (a metric label, never
    /// free text); nil for a connection that merely broke or went quiet.
    static func refusalReason(_ error: any Error) -> String? {
        switch error {
        case let error as PeerSessionError:
            switch error {
            case .frameTooLarge: return "tooLarge"
            case .byteRate: return "overloaded"
            case .malformedMessage: return "malformed"
            case .peerNotInCharter: return "not-in-charter"
            case .handshakeTimeout: return "handshake-timeout"
            default: return nil
            }
        case let limit as SessionLimit:
            switch limit {
            case .frameRate: return "overloaded"
            case .idle: return nil
            case .wrongNode: return "wrong-node"
            }
        case is TLSError:
            return "tls"
        default:
            return nil
        }
    }
}
