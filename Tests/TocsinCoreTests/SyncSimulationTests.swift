import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

@Suite struct SyncSimulationTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Links the relays with each other and each with the members of its regional group.
    static func linkRelays(_ relays: [String], in simulation: SyncSimulation) {
        let charter = simulation.network.charter
        for (position, relay) in relays.enumerated() {
            for other in relays[(position + 1)...] { simulation.links.append((relay, other)) }
            for member in charter.group(charter.groups(of: relay).first!.id)!.members where member != relay {
                simulation.links.append((relay, member))
            }
        }
    }

    /// Appends `count` entries to `author`'s feed in `group`, as its node does.
    func append(_ simulation: SyncSimulation, author: String, group: String, count: Int) throws {
        let node = simulation.nodes[author]!
        let origin = try FeedOrigin(network: simulation.network.networkID, group: group, author: author)
        guard node.store.forkProofs[origin] == nil else { return }
        var frontier = MerkleFrontier()
        // What the author wrote, durable or still waiting for its writer.
        let waiting = node.pendingStores.filter { $0.origin == origin }.flatMap(\.entries)
        for entry in (node.store.entries[origin] ?? []) + waiting { frontier.append(MerkleHash.leaf(entry)) }
        var feedAuthor = FeedAuthor(origin: origin, key: node.member.key, frontier: frontier)
        let first = Int(frontier.size)
        let batch = try feedAuthor.append(
            (first..<first + count).map {
                SampleEntries.bulletin(number: $0, country: author, byteCount: 80, authorTimeMs: 1_800_000_000_000)
            })
        simulation.perform([.store(batch)], at: author)
        simulation.perform(node.sync.appended(batch), at: author)
    }

    /// An author that signs two different continuations of its feed and shows each to a
    /// different relay.
    func equivocate(_ simulation: SyncSimulation, author: String, group: String) throws {
        let node = simulation.nodes[author]!
        let origin = try FeedOrigin(network: simulation.network.networkID, group: group, author: author)
        let held = node.store.entries[origin] ?? []
        var frontier = MerkleFrontier()
        for entry in held { frontier.append(MerkleHash.leaf(entry)) }
        func branch(_ tag: Int, _ count: Int) throws -> FeedBatch {
            var feedAuthor = FeedAuthor(origin: origin, key: node.member.key, frontier: frontier)
            return try feedAuthor.append(
                (0..<count).map {
                    SampleEntries.bulletin(
                        number: tag + $0, country: author, byteCount: 80, authorTimeMs: 1_800_000_000_000)
                })
        }
        let left = try branch(10_000, 3)
        let right = try branch(20_000, 5)
        for (relay, batch) in [("RN", left), ("RS", right)] {
            let message = Tocsin_V1_Entries.with {
                $0.origin = origin.description
                $0.firstIndex = batch.firstIndex
                $0.entries = batch.entries.map { Data($0) }
                $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
            }
            // At once and without loss: each relay holds its branch before it hears of the other.
            simulation.establish(author, relay)
            simulation.deliverNow(.with { $0.entries = message }, from: author, to: relay)
        }
        simulation.dishonest.insert(author)
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func honestNodesConvergeKeepSecretsAndAllHoldTheForkProof(seed: UInt64) throws {
        let network = try FictionalNetwork.make(nationals: 18, relays: 3, observers: 1, now: Self.now)
        let simulation = SyncSimulation(network: network, seed: seed)
        // Batches are written some deliveries after they are verified, and lost in a crash.
        simulation.deferStores = true
        let relays = ["RN", "RS", "RE"]
        let nationals = network.charter.nodes.filter { $0.role == .national }.map(\.id)
        // Relays peer with each other and with their member states; a few states peer directly.
        Self.linkRelays(relays, in: simulation)
        for position in stride(from: 0, to: nationals.count - 1, by: 4) {
            simulation.links.append((nationals[position], nationals[position + 1]))
        }
        simulation.links.append(("RN", "OBS1"))
        simulation.connectAll()
        #expect(simulation.nodes.count >= 20)

        var generator = SeededGenerator(seed: seed &* 7919)
        simulation.lossRate = 0.05
        simulation.duplicationRate = 0.05
        for tick in 0..<120 {
            simulation.now += 1
            if Int.random(in: 0..<3, using: &generator) == 0 {
                let author = nationals[Int.random(in: 0..<nationals.count, using: &generator)]
                if !simulation.nodes[author]!.crashed {
                    let groups = network.charter.groups(of: author).map(\.id)
                    let group = groups[Int.random(in: 0..<groups.count, using: &generator)]
                    try append(
                        simulation, author: author, group: group, count: Int.random(in: 1...6, using: &generator))
                }
            }
            if tick == 40 { try equivocate(simulation, author: nationals[4], group: FictionalNetwork.networkWideGroup) }
            if tick % 15 == 7 {
                // A partition: one relay cut off from everyone for a while.
                let relay = relays[Int.random(in: 0..<relays.count, using: &generator)]
                for (a, b) in simulation.links where a == relay || b == relay {
                    simulation.partitioned.insert(SyncSimulation.pairKey(a, b))
                    simulation.disconnect(a, b)
                }
            }
            if tick % 15 == 12 { simulation.partitioned = [] }
            if tick % 20 == 9 {
                let victim = nationals[Int.random(in: 0..<nationals.count, using: &generator)]
                if !simulation.dishonest.contains(victim) { simulation.crash(victim) }
            }
            if tick % 20 == 15 {
                for id in simulation.nodes.keys.sorted() where simulation.nodes[id]!.crashed {
                    simulation.nodes[id]!.restart(now: simulation.now)
                }
            }
            if tick % 10 == 0 { simulation.antiEntropy() }
            if tick % 6 == 3 { simulation.expireWants() }
            simulation.connectAll()
            simulation.deliver(Int.random(in: 20...120, using: &generator))
        }
        simulation.settle()

        let forked = try FeedOrigin(
            network: network.networkID, group: FictionalNetwork.networkWideGroup, author: nationals[4])
        let honest = simulation.nodes.keys.sorted().filter { !simulation.dishonest.contains($0) }
        // The authors' own feeds are the reference.
        for id in honest {
            let node = simulation.nodes[id]!
            for group in network.charter.groups.map(\.id) {
                let authors = network.charter.group(group)!.members.filter { !simulation.dishonest.contains($0) }
                for author in authors {
                    let origin = try FeedOrigin(network: network.networkID, group: group, author: author)
                    let reference = simulation.nodes[author]!.store.entries[origin] ?? []
                    let held = node.store.entries[origin] ?? []
                    if Permissions(charter: network.charter).permits(id, .see(group: group)) {
                        #expect(
                            held == reference, "\(id) holds \(held.count) of \(reference.count) entries of \(origin)")
                    } else {
                        #expect(held.isEmpty, "\(id) holds \(origin) of a group it may not see")
                    }
                }
            }
            // Every stored feed verifies: entries hash to the last stored checkpoint.
            for (origin, entries) in node.store.entries {
                let last = try #require(node.store.checkpoints[origin]?.last)
                #expect(MerkleTree(entries: entries).root == last.checkpoint.root)
                #expect(last.checkpoint.size == UInt64(entries.count))
            }
            if Permissions(charter: network.charter).permits(id, .see(group: forked.group)) {
                let proof = try #require(node.store.forkProofs[forked], "\(id) has no fork proof")
                try proof.verify(author: network.member(nationals[4])!.key.publicKey)
                // Frozen: nothing of the feed is accepted any more (a node that had none of it yet
                // holds no feed state, and refuses it as soon as it would create one).
                #expect(node.sync.feeds[forked].map(\.verifier.isFrozen) ?? true)
            }
        }
        // The run exercised what it claims: many entries, crashes, and refused bad input.
        let held = nationals.filter { !simulation.dishonest.contains($0) }.reduce(0) { total, author in
            total + simulation.nodes[author]!.store.entries.values.reduce(0) { $0 + $1.count }
        }
        #expect(held > 100)
        #expect(simulation.crashes > 0)
        #expect(simulation.lostMessages > 0 && simulation.duplicatedMessages > 0)
        print(
            "simulation seed \(seed): \(held) entries held by national nodes, \(simulation.crashes) crashes, \(simulation.lostMessages) messages lost, \(simulation.duplicatedMessages) duplicated, \(simulation.refusals.count) sessions refused"
        )

        // No message ever carried a feed to a node outside its group.
        for (receiver, origin) in simulation.deliveredOrigins {
            let group = try FeedOrigin(parsing: origin).group
            #expect(
                Permissions(charter: network.charter).permits(receiver, .see(group: group)),
                "\(origin) reached \(receiver)")
        }
        // Relays witnessed: the latest checkpoints held carry relay cosignatures.
        let relayHeads = honest.compactMap { simulation.nodes[$0]!.sync.feeds.values.first?.latest }
        #expect(relayHeads.contains { !$0.cosignatures.isEmpty })
    }

    /// Two amendments published at different nodes while relays are cut off in turn, nodes crash
    /// and messages are lost or duplicated: once the faults end, every node holds both and runs
    /// under the last, and every feed still converges.
    @Test(arguments: [4 as UInt64, 5])
    func amendmentsPublishedDuringPartitionsReachEveryNodeAndAreAdopted(seed: UInt64) throws {
        let network = try FictionalNetwork.make(nationals: 9, relays: 3, now: Self.now)
        let simulation = SyncSimulation(network: network, seed: seed)
        let relays = ["RN", "RS", "RE"]
        let nationals = network.charter.nodes.filter { $0.role == .national }.map(\.id)
        Self.linkRelays(relays, in: simulation)
        // XA, moved to sro by version 3, also peers with sro's relay (as its operator would add).
        simulation.links.append(("XA", "RS"))
        simulation.connectAll()
        // Version 2 makes the network-wide group decide by two-thirds; version 3 moves XA from
        // nro to sro. Both take effect at once.
        let second = network.charter.amended(
            version: 2,
            groups: { groups in
                groups.map {
                    $0.id != FictionalNetwork.networkWideGroup
                        ? $0
                        : Charter.Group(
                            id: $0.id, name: $0.name, members: $0.members, convener: $0.convener, policy: .twoThirds,
                            quorumPercent: nil)
                }
            })
        let secondFile = try network.amendment(
            second, after: network.genesisChain, previous: nil, takesEffectMs: Int64(simulation.now) * 1000)
        let secondChain = try secondFile.verify(
            genesis: network.signedCharter, authority: network.authority.key.publicKey)
        let third = second.amended(
            version: 3,
            groups: { groups in
                groups.map { group in
                    switch group.id {
                    case "nro": return group.with(members: group.members.filter { $0 != "XA" })
                    case "sro": return group.with(members: group.members + ["XA"])
                    default: return group
                    }
                }
            })

        var generator = SeededGenerator(seed: seed &* 104_729)
        simulation.lossRate = 0.05
        simulation.duplicationRate = 0.05
        for tick in 0..<100 {
            simulation.now += 1
            if tick == 20 || tick == 55 {
                let at = relays[Int.random(in: 0..<relays.count, using: &generator)]
                let file =
                    tick == 20
                    ? secondFile
                    : try network.amendment(
                        third, after: secondChain, previous: secondFile, takesEffectMs: Int64(simulation.now) * 1000)
                if !simulation.nodes[at]!.crashed,
                    case .success(let actions) = simulation.nodes[at]!.sync.publish(file, now: simulation.now)
                {
                    simulation.perform(actions, at: at)
                } else {
                    // Published where it can be: any relay up.
                    let up = relays.first { !simulation.nodes[$0]!.crashed }!
                    if case .success(let actions) = simulation.nodes[up]!.sync.publish(file, now: simulation.now) {
                        simulation.perform(actions, at: up)
                    }
                }
            }
            if Int.random(in: 0..<3, using: &generator) == 0 {
                let author = nationals[Int.random(in: 0..<nationals.count, using: &generator)]
                let node = simulation.nodes[author]!
                let groups = node.sync.charter.groups(of: author).map(\.id)
                if !node.crashed, !groups.isEmpty {
                    try append(
                        simulation, author: author, group: groups[Int.random(in: 0..<groups.count, using: &generator)],
                        count: 2)
                }
            }
            if tick % 15 == 7 {
                let relay = relays[Int.random(in: 0..<relays.count, using: &generator)]
                for (a, b) in simulation.links where a == relay || b == relay {
                    simulation.partitioned.insert(SyncSimulation.pairKey(a, b))
                    simulation.disconnect(a, b)
                }
            }
            if tick % 15 == 12 { simulation.partitioned = [] }
            if tick % 20 == 9 { simulation.crash(nationals[Int.random(in: 0..<nationals.count, using: &generator)]) }
            if tick % 20 == 15 {
                for id in simulation.nodes.keys.sorted() where simulation.nodes[id]!.crashed {
                    simulation.nodes[id]!.restart(now: simulation.now)
                }
            }
            if tick % 10 == 0 { simulation.antiEntropy() }
            if tick % 3 == 1 { simulation.expireWants() }
            simulation.connectAll()
            simulation.deliver(Int.random(in: 20...120, using: &generator))
        }
        simulation.settle()

        // Amendments in flight are no fault: no session was refused for them.
        #expect(simulation.refusals.isEmpty, "\(Set(simulation.refusals).sorted())")
        let authority = AuthorityFeed.origin(of: network.networkID)
        let reference = try #require(simulation.nodes["RN"]!.store.entries[authority])
        #expect(reference.count == 2)
        for id in simulation.nodes.keys.sorted() {
            let node = simulation.nodes[id]!
            #expect(node.store.entries[authority] == reference, "\(id) holds other amendments")
            #expect(node.sync.chain?.latest.version == 3, "\(id) holds version \(node.sync.chain?.latest.version ?? 0)")
            #expect(node.sync.charter.version == 3, "\(id) runs under version \(node.sync.charter.version)")
        }
        // Under version 3, every feed of every group is the same at all of its members.
        let charter = simulation.nodes["RN"]!.sync.charter
        for group in charter.groups {
            for author in group.members {
                let origin = try FeedOrigin(network: network.networkID, group: group.id, author: author)
                let own = simulation.nodes[author]!.store.entries[origin] ?? []
                for member in group.members {
                    let held = simulation.nodes[member]!.store.entries[origin] ?? []
                    #expect(held == own, "\(member) holds \(held.count) of the \(own.count) entries of \(origin)")
                }
            }
        }
        #expect(simulation.crashes > 0 && simulation.lostMessages > 0)
    }

    /// Once the network is quiet, every node holds the relay's cosignature of the latest
    /// checkpoint of every feed it holds (what proves a convener witnessed a vote), with no
    /// anti-entropy to repair anything, when batches are written some time after they are
    /// verified, as the runtime's writer writes them: a later batch of a feed may be recorded
    /// before an earlier one is durable.
    @Test(arguments: [1 as UInt64, 2, 3, 4, 5, 6, 7, 8])
    func everyFeedHeldIsWitnessedOnceQuietWhenWritesFinishLate(seed: UInt64) throws {
        let network = try FictionalNetwork.make(nationals: 3, relays: 1, now: Self.now)
        let simulation = SyncSimulation(network: network, seed: seed)
        simulation.deferStores = true
        let nationals = network.charter.nodes.filter { $0.role == .national }.map(\.id)
        let relay = try #require(network.charter.nodes.first { $0.role == .relay }?.id)
        for national in nationals { simulation.links.append((national, relay)) }
        simulation.connectAll()
        var generator = SeededGenerator(seed: seed &* 104_729)
        var appended = 0
        for _ in 0..<80 {
            simulation.now += 1
            if Int.random(in: 0..<2, using: &generator) == 0 {
                let author = nationals[Int.random(in: 0..<nationals.count, using: &generator)]
                let groups = network.charter.groups(of: author).map(\.id)
                let group = groups[Int.random(in: 0..<groups.count, using: &generator)]
                let count = Int.random(in: 1...3, using: &generator)
                try append(simulation, author: author, group: group, count: count)
                appended += count
            }
            simulation.deliver(Int.random(in: 1...30, using: &generator))
        }
        simulation.quiesce()
        #expect(appended > 40)
        for id in simulation.nodes.keys.sorted() {
            let node = simulation.nodes[id]!
            for (origin, entries) in node.store.entries where !entries.isEmpty {
                guard network.charter.group(origin.group)?.members.contains(relay) == true else { continue }
                let size = UInt64(entries.count)
                let lines =
                    (node.store.checkpoints[origin] ?? []).filter { $0.checkpoint.size == size }
                    .flatMap(\.cosignatures) + (node.store.cosignatures[origin]?[size] ?? [])
                #expect(!lines.isEmpty, "\(id) holds \(origin) up to \(size) with no cosignature of that checkpoint")
            }
        }
    }
}
