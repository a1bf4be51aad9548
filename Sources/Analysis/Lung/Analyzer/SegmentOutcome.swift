/// What became of a candidate.
enum SegmentOutcome: Sendable {
    case nodule(SegmentedNodule)
    /// Not a nodule: why, and the radius (mm) around the candidate to skip later candidates in.
    case rejected(String, skipRadius: Double)
}
