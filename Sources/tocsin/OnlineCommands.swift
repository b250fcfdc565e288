import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a running node's status.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let status = try admin.client().status()
        if admin.json { return try printJSON(status) }
        printLine("node      \(status.nodeID) (\(status.role))")
        printLine("network   \(status.network) \(status.networkID)")
        printLine("groups    \(status.groups.joined(separator: ", "))")
        printLine("feeds     \(status.feeds), \(status.entries) entries")
        printLine(
            "peers     \(status.connectedPeers.isEmpty ? "none" : status.connectedPeers.joined(separator: ", ")) connected"
        )
        printLine("charter   version \(status.charterVersion)")
        printLine("forks     \(status.forks)")
        for warning in status.certificateWarnings { printLine("WARNING   \(warning)") }
        if let problem = status.storeProblem {
            printLine("store     CANNOT WRITE since \(problem.since): \(problem.reason)")
            printLine("          appends are refused until it can; free space in the data directory")
        } else {
            printLine("store     writing")
        }
        if let notifications = status.notifications {
            let channels = notifications.channels.joined(separator: ", ")
            printLine("notify    \(channels); \(notifications.pending) deliveries pending")
            for problem in notifications.problems {
                printLine(
                    "WARNING   notifications to \(problem.channel) FAIL since \(problem.since): \(problem.undelivered) undelivered, \(problem.attempts) attempts; last: \(problem.lastError)"
                )
            }
        }
        if let readiness = status.readiness {
            // The same verdict as /readyz.
            let terminal = Terminal.current
            print("ready     " + (readiness.ready ? terminal.paint("yes", .green) : terminal.paint("NO", .red)))
            for missing in readiness.missing { printLine("          - \(missing)") }
        }
    }
}

struct Peers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a running node's peers.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let peers = try admin.client().peers()
        if admin.json { return try printJSON(peers) }
        for peer in peers {
            printLine(
                "\(column(peer.nodeID, 8)) \(column(peer.role, 9)) \(column(peer.address ?? "(inbound)", 22)) \(peer.connected ? "connected" : "not connected")\(peer.lagEntries > 0 ? "  \(peer.lagEntries) entries behind" : "")\(peer.lastContactMs.map { "  last contact \(UTCTime.readable(milliseconds: $0))" } ?? "")\(peer.unansweredWants > 0 ? "  left \(peer.unansweredWants) requests unanswered" : "")"
            )
        }
    }
}

struct Feeds: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the feeds a running node holds, with their heads.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let feeds = try admin.client().feeds()
        if admin.json { return try printJSON(feeds) }
        for feed in feeds {
            let cosigners = feed.cosignedBy.compactMap { $0.split(separator: "/").last }.joined(separator: ",")
            let witnessing =
                feed.witnesses.isEmpty
                ? ""
                : feed.witnessed
                    ? "  witnessed (\(feed.witnessedBy.count) of \(feed.witnessQuorum) needed)"
                    : "  NOT YET WITNESSED (\(feed.witnessedBy.count) of \(feed.witnessQuorum) needed from \(feed.witnesses.joined(separator: ",")))"
            printLine(
                "\(column("\(feed.group)/\(feed.author)", 14)) size \(feed.size)\(feed.firstIndex > 0 ? " (held from #\(feed.firstIndex))" : "")  root \(feed.root.prefix(16))…  cosigned by [\(cosigners)]\(witnessing)\(feed.frozen ? "  FROZEN (fork)" : "")"
            )
        }
    }
}

struct Notify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Notifications: test every channel.", subcommands: [NotifyTest.self, NotifyDeliver.self])
}

struct NotifyTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test event through every notification channel now, and report each result.",
        discussion: "Exit status 1 if any channel failed.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let results = try admin.client().testNotifications()
        if admin.json {
            try printJSON(results)
        } else {
            for result in results {
                printLine(
                    "\(column(result.channel, 16)) \(result.delivered ? "delivered" : "FAILED: \(result.error ?? "?")")"
                )
            }
        }
        if results.contains(where: { !$0.delivered }) { throw ExitCode(1) }
    }
}
