/// The version of Tocsin's programs (`tocsin --version`, `tocsind --version`, the Debian
/// package's version).
public enum TocsinVersion {
    public static let current = "0.1.0"
}
