import Testing
import TocsinCore
import TocsinCrypto

/// The RFC 6962 known answers published with the Certificate Transparency reference
/// implementation (the eight leaves below; roots, audit paths and consistency proofs).
enum RFC6962Vectors {
    static let leaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ]

    static let leafHashes = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ]

    /// Roots of the first 0…8 leaves.
    static let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// (leaf index, tree size, audit path).
    static let inclusion: [(UInt64, UInt64, [String])] = [
        (0, 1, []),
        (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
        (
            0, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        ),
        (
            5, 8,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        ),
        (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1, 5,
            [
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        ),
    ]

    /// (old size, new size, consistency proof).
    static let consistency: [(UInt64, UInt64, [String])] = [
        (1, 1, []),
        (
            1, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        ),
        (
            6, 8,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        ),
        (
            2, 5,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        ),
    ]

    static func digest(_ hex: String) -> SHA256Digest { SHA256Digest(hex: hex)! }
    static var tree: MerkleTree { MerkleTree(entries: leaves) }
}

@Suite struct MerkleKnownAnswerTests {
    @Test func leafHashesMatchTheReference() {
        // One context hashes leaf after leaf (a batch's way) to the same digests.
        let context = SHA256.Context()
        for (leaf, expected) in zip(RFC6962Vectors.leaves, RFC6962Vectors.leafHashes) {
            #expect(MerkleHash.leaf(leaf).hex == expected)
            #expect(MerkleHash.leaf(leaf, using: context).hex == expected)
        }
    }

    @Test func rootsOfEveryPrefixMatchTheReference() throws {
        let tree = RFC6962Vectors.tree
        for (size, expected) in RFC6962Vectors.roots.enumerated() {
            #expect(tree.root(size: UInt64(size)).hex == expected)
            var frontier = MerkleFrontier()
            for leaf in RFC6962Vectors.leaves.prefix(size) { frontier.append(MerkleHash.leaf(leaf)) }
            #expect(frontier.root.hex == expected)
        }
    }

    @Test func auditPathsMatchTheReferenceAndVerify() throws {
        let tree = RFC6962Vectors.tree
        for (index, size, expected) in RFC6962Vectors.inclusion {
            let proof = try #require(try tree.proofs.inclusionProof(index: index, size: size))
            #expect(proof.map(\.hex) == expected, "path of leaf \(index) in tree \(size)")
            try MerkleVerification.verifyInclusion(
                leafHash: MerkleHash.leaf(RFC6962Vectors.leaves[Int(index)]), index: index, size: size,
                proof: expected.map(RFC6962Vectors.digest), root: RFC6962Vectors.digest(RFC6962Vectors.roots[Int(size)])
            )
        }
    }

    @Test func consistencyProofsMatchTheReferenceAndVerify() throws {
        let tree = RFC6962Vectors.tree
        for (old, new, expected) in RFC6962Vectors.consistency {
            let proof = try #require(try tree.proofs.consistencyProof(oldSize: old, newSize: new))
            #expect(proof.map(\.hex) == expected, "proof \(old) → \(new)")
            try MerkleVerification.verifyConsistency(
                oldSize: old, newSize: new, oldRoot: RFC6962Vectors.digest(RFC6962Vectors.roots[Int(old)]),
                newRoot: RFC6962Vectors.digest(RFC6962Vectors.roots[Int(new)]),
                proof: expected.map(RFC6962Vectors.digest))
        }
    }

    @Test func emptyTreeRootIsTheHashOfNothing() {
        #expect(MerkleHash.emptyRoot.hex == RFC6962Vectors.roots[0])
        #expect(MerkleFrontier().root == MerkleHash.emptyRoot)
    }
}
