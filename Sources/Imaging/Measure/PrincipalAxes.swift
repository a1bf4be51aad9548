/// Principal axes of a voxel region: eigenvalues of the covariance of its voxel centres in
/// patient millimetres.
enum PrincipalAxes {
    /// Full ellipsoid axis lengths `4·sqrt(λ)`, sorted descending, from the covariance of voxel
    /// centres given in index space (slice, row, column order, population normalisation).
    ///
    /// The index covariance `C` maps to patient space as `M·C·Mᵀ`, where the columns of `M` are the
    /// patient-space steps of one slice, one row and one column (direction × spacing), so oblique
    /// and anisotropic grids are exact.
    static func lengths(indexCovariance c: [[Double]], geometry g: Geometry) -> SIMD3<Double> {
        let steps = [g.sliceDirection * g.spacing.slice, g.rowDirection * g.spacing.row,
                     g.columnDirection * g.spacing.column]
        var p = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 {
            for j in 0..<3 {
                var sum = 0.0
                for a in 0..<3 {
                    for b in 0..<3 { sum += steps[a][i] * c[a][b] * steps[b][j] }
                }
                p[i][j] = sum
            }
        }
        let lambda = symmetricEigenvalues(p).map { 4 * max(0, $0).squareRoot() }.sorted(by: >)
        return SIMD3(lambda[0], lambda[1], lambda[2])
    }

    /// Eigenvalues of a symmetric 3×3 matrix by cyclic Jacobi rotations (robust for repeated and
    /// zero eigenvalues, accurate to a few ulps of the largest one). Unsorted.
    static func symmetricEigenvalues(_ m: [[Double]]) -> [Double] {
        var a = m
        for _ in 0..<64 {
            let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]
            let diag = a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2]
            if off <= 1e-30 * diag || off == 0 { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p][q] != 0 {
                // Rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
                let tau = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (tau >= 0 ? 1.0 : -1.0) / (abs(tau) + (1 + tau * tau).squareRoot())
                let cs = 1 / (1 + t * t).squareRoot()
                let sn = t * cs
                for k in 0..<3 {
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = cs * akp - sn * akq
                    a[k][q] = sn * akp + cs * akq
                }
                for k in 0..<3 {
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = cs * apk - sn * aqk
                    a[q][k] = sn * apk + cs * aqk
                }
            }
        }
        return [a[0][0], a[1][1], a[2][2]]
    }
}
