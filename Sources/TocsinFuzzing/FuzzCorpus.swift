import Foundation

/// The committed inputs of the fuzz targets: `Fuzz/corpus/<target>/` (seeds and what runs
/// found worth keeping) and `Fuzz/crashes/<target>/` (reproducers of fixed findings).
public enum FuzzCorpus {
    /// The files at `url`: the file itself, or every regular file under the folder, sorted.
    public static func files(at url: URL) -> [URL] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else { return [url] }
        let enumerator = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        var files: [URL] = []
        while let file = enumerator?.nextObject() as? URL {
            if (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(file) }
        }
        return files.sorted { $0.path < $1.path }
    }
}
