/// AutoSeg's own version: `autoseg --version`, the node's start log line, `/health` and
/// `/status`. Analyzers carry their own versions (in result UIDs and the SEG's algorithm
/// version); this one names the node and its tools.
public enum AutoSegVersion {
    public static let current = "0.9.0"
}
