import Foundation
import Imaging

/// One frame of one file, to be placed in the volume.
struct SliceCandidate: Sendable {
    var file: Int
    /// 0-based frame index within the file.
    var frame: Int
    /// "path" or "path frame n", for messages.
    var label: String
    var geometry: FrameGeometry
}

/// The DESIGN §6 rules that turn frames into a volume grid: one orientation, one pixel
/// spacing, sorted along the slice normal by projected ImagePositionPatient, spacing from
/// positions (median of consecutive distances), no duplicates, gaps > 1.5× the median
/// reported. Pure: no files, no pixels.
struct SliceStack: Sendable {
    /// Candidate index of each slice, in slice order.
    var order: [Int]
    var geometry: Geometry
    var warnings: [String]

    /// Cosines may differ by this much (DS rounding) and still be one orientation.
    static let orientationTolerance = 1e-3
    /// Relative pixel spacing difference still taken as equal.
    static let pixelSpacingTolerance = 1e-3

    static func arrange(_ candidates: [SliceCandidate], allowGaps: Bool) throws(VolumeError) -> SliceStack {
        guard candidates.count >= 2 else {
            throw VolumeError(.tooFewSlices, "\(candidates.count) slice(s); a volume needs at least 2")
        }
        // Geometry present on every frame.
        var positions: [SIMD3<Double>] = []
        positions.reserveCapacity(candidates.count)
        for c in candidates {
            let g = c.geometry
            guard let p = g.position else {
                throw VolumeError(.missingGeometry, "\(c.label): no ImagePositionPatient")
            }
            guard g.rowCosines != nil, g.columnCosines != nil else {
                throw VolumeError(.missingGeometry, "\(c.label): no ImageOrientationPatient")
            }
            guard let ps = g.pixelSpacing, ps.row > 0, ps.column > 0 else {
                throw VolumeError(.missingGeometry, "\(c.label): no (positive) PixelSpacing")
            }
            positions.append(p)
        }
        // One orientation and one pixel spacing.
        let first = candidates[0]
        let r0 = first.geometry.rowCosines!, c0 = first.geometry.columnCosines!
        let ps0 = first.geometry.pixelSpacing!
        for c in candidates.dropFirst() {
            let r = c.geometry.rowCosines!, col = c.geometry.columnCosines!
            let diff = max(maxAbs(r - r0), maxAbs(col - c0))
            if diff > orientationTolerance {
                throw VolumeError(.mixedOrientation,
                                  "\(c.label): ImageOrientationPatient \(iop(r, col)) differs from \(iop(r0, c0)) of \(first.label)")
            }
            let ps = c.geometry.pixelSpacing!
            if abs(ps.row - ps0.row) > pixelSpacingTolerance * ps0.row
                || abs(ps.column - ps0.column) > pixelSpacingTolerance * ps0.column {
                throw VolumeError(.mixedSize,
                                  "\(c.label): PixelSpacing \(ps.row)\\\(ps.column) differs from \(ps0.row)\\\(ps0.column) of \(first.label)")
            }
        }
        let lr = length(r0), lc = length(c0)
        guard abs(lr - 1) < 0.01, abs(lc - 1) < 0.01, abs(dot(r0, c0)) < 0.01 else {
            throw VolumeError(.missingGeometry, "\(first.label): ImageOrientationPatient \(iop(r0, c0)) is not orthonormal")
        }
        let rowDir = r0 / lr, colDir = c0 / lc
        let normal = normalize(cross(rowDir, colDir))

        // Sort along the normal (ties broken by label, for a deterministic message).
        let along = positions.map { dot($0, normal) }
        let order = candidates.indices.sorted {
            along[$0] != along[$1] ? along[$0] < along[$1] : candidates[$0].label < candidates[$1].label
        }
        let steps = (0..<(order.count - 1)).map { along[order[$0 + 1]] - along[order[$0]] }
        let median = medianOf(steps)
        let duplicateTolerance = max(1e-3, 0.05 * median)
        for (k, step) in steps.enumerated() where step < duplicateTolerance {
            let a = candidates[order[k]], b = candidates[order[k + 1]]
            throw VolumeError(.duplicatePosition,
                              "\(a.label) and \(b.label) are \(fmt(step)) mm apart along the slice normal (position \(vec(positions[order[k]])))")
        }

        var warnings: [String] = []
        for (k, step) in steps.enumerated() where step > 1.5 * median {
            if !allowGaps {
                throw VolumeError(.gap(index: k, size: step, median: median),
                                  "\(fmt(step)) mm between slices \(k) and \(k + 1) (\(candidates[order[k]].label), \(candidates[order[k + 1]].label)), more than 1.5× the median spacing \(fmt(median)) mm")
            }
            warnings.append("gap of \(fmt(step)) mm between slices \(k) and \(k + 1) (median spacing \(fmt(median)) mm); loaded at the median spacing, so slices after it are not at their true positions")
        }
        let regular = steps.filter { $0 <= 1.5 * median }
        if let lo = regular.min(), let hi = regular.max(), hi - lo > max(0.005, 0.01 * median) {
            warnings.append("slice spacing varies from \(fmt(lo)) to \(fmt(hi)) mm; loaded at the median \(fmt(median)) mm")
        }

        // Slice direction: from the first to the last position (differs from the normal
        // only for sheared stacks, e.g. gantry tilt).
        let p0 = positions[order[0]]
        let span = positions[order[order.count - 1]] - p0
        var sliceDir = normalize(span)
        var cosTilt = dot(sliceDir, normal)
        if 1 - cosTilt < 1e-6 {
            sliceDir = normal
            cosTilt = 1
        } else {
            let degrees = (cosTilt >= 1 ? 0 : acos(cosTilt)) * 180 / .pi
            warnings.append("slices step at \(fmt(degrees))° to the slice normal (gantry tilt or shear); the volume's slice direction follows the positions")
        }
        // Every position should lie on the line through p0 along sliceDir.
        var worst = 0.0
        for k in order.indices {
            let expected = p0 + ((along[order[k]] - along[order[0]]) / cosTilt) * sliceDir
            worst = max(worst, length(positions[order[k]] - expected))
        }
        if worst > max(0.01, 0.1 * min(ps0.row, ps0.column)) {
            warnings.append("slice positions are shifted in-plane by up to \(fmt(worst)) mm from a straight stack")
        }

        let geometry = Geometry(
            origin: p0,
            spacing: Spacing(slice: median / cosTilt, row: ps0.row, column: ps0.column),
            columnDirection: rowDir, rowDirection: colDir, sliceDirection: sliceDir)
        return SliceStack(order: order, geometry: geometry, warnings: warnings)
    }
}

private func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
private func length(_ a: SIMD3<Double>) -> Double { dot(a, a).squareRoot() }
private func normalize(_ a: SIMD3<Double>) -> SIMD3<Double> { a / length(a) }
private func maxAbs(_ a: SIMD3<Double>) -> Double { max(abs(a.x), abs(a.y), abs(a.z)) }
private func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

private func medianOf(_ values: [Double]) -> Double {
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

private func fmt(_ x: Double) -> String {
    let r = (x * 1000).rounded() / 1000
    return "\(r)"
}

private func vec(_ v: SIMD3<Double>) -> String { "(\(fmt(v.x)), \(fmt(v.y)), \(fmt(v.z)))" }

private func iop(_ r: SIMD3<Double>, _ c: SIMD3<Double>) -> String {
    [r.x, r.y, r.z, c.x, c.y, c.z].map { fmt($0) }.joined(separator: "\\")
}
