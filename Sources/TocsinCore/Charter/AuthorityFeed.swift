/// The network authority's feed: the charter's amendments, one entry per version after the
/// genesis charter, with checkpoints signed by the authority key.
///
/// Its origin is `tocsin/<network>/charter/authority`: the group id `charter` and the node id
/// `authority` are reserved (a charter naming either is refused). Every node of the charter
/// in force may see it.
public enum AuthorityFeed {
    public static let group = "charter"
    public static let author = "authority"

    /// The authority feed's origin in `network`.
    public static func origin(of network: NetworkID) -> FeedOrigin {
        // Both ids are valid identifiers: this cannot fail.
        try! FeedOrigin(network: network, group: group, author: author)
    }

    /// Whether `origin` names an authority feed (of any network).
    public static func isAuthorityFeed(_ origin: FeedOrigin) -> Bool {
        origin.group == group && origin.author == author
    }
}
