/// Exact order statistics of HU values (the radial profile's medians and quantiles), and the
/// radial profile's fade width.
extension NoduleSegmenter {
    /// Distance (mm) over which the radial profile (median HU per shell of width `w`) falls from
    /// 75 % to 25 % of the plateau's contrast above the background, inside the profile's edge.
    static func fadeWidthMM(_ profile: [Double], edge: Int, w: Double, plateau: Double, background: Double) -> Double {
        let high = background + 0.75 * (plateau - background), low = background + 0.25 * (plateau - background)
        guard let k75 = (0...edge).first(where: { profile[$0] < high }) else { return 0 }
        let k25 = (k75...edge).first(where: { profile[$0] < low }) ?? edge
        return Double(k25 - k75) * w
    }

    /// Counts of values in 1 HU bins, for exact order statistics of a box's many lung voxels
    /// without sorting them: the bin holding the wanted rank is found from the counts, then only
    /// that bin's values are selected among.
    struct HUHistogram {
        static let low: Float = -1100, bins = 4400
        var counts = [Int](repeating: 0, count: bins)
        var count = 0

        @inline(__always) static func bin(_ x: Float) -> Int {
            x.isNaN ? bins - 1 : min(bins - 1, max(0, Int((x - low).rounded(.down))))
        }

        @inline(__always) mutating func add(_ x: Float) {
            counts[Self.bin(x)] += 1
            count += 1
        }

        /// The value of rank ⌊q (n − 1)⌋; `values(bin)` returns the counted values in `bin`.
        func quantile(_ q: Double, values: (Int) -> [Float]) -> Float {
            guard count > 0 else { return .nan }
            let k = min(count - 1, max(0, Int(q * Double(count - 1))))
            var below = 0, target = 0
            while below + counts[target] <= k { below += counts[target]; target += 1 }
            var inBin = values(target)
            return NoduleSegmenter.quickselect(&inBin, k - below)
        }
    }

    /// The element of rank ⌊q (n − 1)⌋ (exact order statistic; reorders `a`).
    static func quantile(_ a: inout [Float], _ q: Double) -> Float {
        guard !a.isEmpty else { return .nan }
        return quickselect(&a, min(a.count - 1, max(0, Int(q * Double(a.count - 1)))))
    }

    /// The k-th smallest element (Hoare partitioning; reorders `a`).
    static func quickselect(_ a: inout [Float], _ k: Int) -> Float {
        var lo = 0, hi = a.count - 1
        while lo < hi {
            let pivot = a[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return a[k] }
        }
        return a[k]
    }
}
