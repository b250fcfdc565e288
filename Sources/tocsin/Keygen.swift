import ArgumentParser
import TocsinCrypto

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a node's Ed25519 key (PEM PKCS#8, mode 0600).",
        discussion: """
            Refuses to overwrite an existing file. Prints the public key as base64 DER \
            SubjectPublicKeyInfo: the `public-key` value of the node's entry in the charter.
            """)

    @Option(help: "Where to write the private key.")
    var out: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let key = try Ed25519PrivateKey.generate()
        try KeyFile.write(key, to: out)
        if json {
            try printJSON(["path": out, "public_key": key.publicKey.spkiBase64])
        } else {
            print("wrote \(out) (mode 0600)")
            print("public-key = \"\(key.publicKey.spkiBase64)\"")
        }
    }
}
