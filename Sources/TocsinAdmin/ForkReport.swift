/// `GET /v1/forks`: a fork proof held.
public struct ForkReport: Codable, Sendable, Equatable {
    public var origin: String
    public var firstSize: UInt64
    public var secondSize: UInt64
    /// The protobuf `ForkProof`, base64.
    public var proof: String

    public init(origin: String, firstSize: UInt64, secondSize: UInt64, proof: String) {
        self.origin = origin
        self.firstSize = firstSize
        self.secondSize = secondSize
        self.proof = proof
    }
}
