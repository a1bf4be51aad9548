/// One axial image of a probed series as the preflight sees it: HU values on a row-major grid
/// with the pixel area and the patient's left–right coordinate of every column and row, and
/// the few 2D operations the measurements need (flood fill from the border, labelling,
/// erosion). Small on purpose: a probe looks at a handful of these, each ≤ 256 × 256.
struct Plane {
    var rows: Int
    var columns: Int
    /// HU, row-major.
    var values: [Float]
    /// Area of one pixel, mm².
    var pixelArea: Double
    /// Pixel edge, mm (the mean of row and column spacing).
    var pixelSize: Double
    /// Patient x (LPS: + is the patient's left) of pixel (row, column) = `x0 + row·dxRow + column·dxColumn`.
    var x0: Double
    var dxRow: Double
    var dxColumn: Double

    func x(_ i: Int) -> Double { x0 + Double(i / columns) * dxRow + Double(i % columns) * dxColumn }

    /// The pixels reached from the image border through 4-connected pixels of `passable`.
    func reachedFromBorder(_ passable: [Bool]) -> [Bool] {
        var reached = [Bool](repeating: false, count: values.count)
        var seeds: [Int] = []
        for c in 0..<columns { seeds += [c, (rows - 1) * columns + c] }
        for r in 0..<rows { seeds += [r * columns, r * columns + columns - 1] }
        fill(from: seeds, where: passable, marking: &reached)
        return reached
    }

    /// 4-connected components of `mask`: the pixel indices of each (largest first).
    func components(_ mask: [Bool]) -> [[Int]] {
        var seen = [Bool](repeating: false, count: mask.count)
        var out: [[Int]] = []
        for start in 0..<mask.count where mask[start] && !seen[start] {
            out.append(fill(from: [start], where: mask, marking: &seen))
        }
        return out.sorted { $0.count > $1.count }
    }

    /// `mask` eroded by a square of half-width `radius` pixels (separable: rows, then columns;
    /// pixels nearer than `radius` to the image edge are dropped).
    func eroded(_ mask: [Bool], radius: Int) -> [Bool] {
        guard radius > 0 else { return mask }
        func pass(_ m: [Bool], count: Int, lines: Int, index: (Int, Int) -> Int) -> [Bool] {
            var out = m
            var holes = [Int](repeating: 0, count: count + 1)
            for line in 0..<lines {
                // holes[k]: pixels outside the mask among the first k of the line.
                for k in 0..<count { holes[k + 1] = holes[k] + (m[index(line, k)] ? 0 : 1) }
                for k in 0..<count {
                    let lo = k - radius, hi = k + radius
                    out[index(line, k)] = lo >= 0 && hi < count && holes[hi + 1] == holes[lo]
                }
            }
            return out
        }
        let byRows = pass(mask, count: columns, lines: rows) { line, k in line * columns + k }
        return pass(byRows, count: rows, lines: columns) { line, k in k * columns + line }
    }

    /// Marks and returns every pixel 4-connected to `seeds` through `passable` not yet marked.
    @discardableResult
    private func fill(from seeds: [Int], where passable: [Bool], marking marked: inout [Bool]) -> [Int] {
        var stack: [Int] = [], out: [Int] = []
        for i in seeds where passable[i] && !marked[i] { marked[i] = true; stack.append(i) }
        while let i = stack.popLast() {
            out.append(i)
            let r = i / columns, c = i % columns
            for (ok, j) in [(c > 0, i - 1), (c + 1 < columns, i + 1), (r > 0, i - columns), (r + 1 < rows, i + columns)]
            where ok && passable[j] && !marked[j] {
                marked[j] = true
                stack.append(j)
            }
        }
        return out
    }
}

/// The median of `values` (0 for none).
func median(_ values: [Float]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    return Double(s[s.count / 2])
}
