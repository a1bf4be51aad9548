import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a fixed, platform-independent generator, so a seed
/// gives the same numbers on every run and machine (phantoms, randomized tests).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [−1, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }

    /// Uniform in [0, 1).
    public mutating func fraction() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + fraction() * (range.upperBound - range.lowerBound)
    }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(fraction(), 1e-300)
        let v = fraction()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// A generator for a sub-stream: same seed and key, same numbers, independent of how
    /// much the parent has drawn since.
    public func derived(_ key: UInt64) -> SplitMix64 {
        var g = SplitMix64(state: state ^ (key &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return g
    }
}
