/// The program's name and version.
public enum MusicHalVersion {
    /// Semantic version of this build.
    public static let version = "0.1.0"
    /// Program name.
    public static let name = "musichal"
    /// Identifies this exact build: a content hash of the running executable (no build step can stamp one).
    public static let build: String = {
        guard let hash = try? ContentHash.ofFile("/proc/self/exe") else { return "unknown" }
        return String(hash.dropFirst("fnv1a64:".count).prefix(12))
    }()
}
