/// The program's name and version.
public enum MusicHalVersion {
    /// Semantic version of this build.
    public static let version = "0.1.0"
    /// Program name.
    public static let name = "musichal"
}
