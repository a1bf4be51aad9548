/// Exact farthest pair of a finite point set (its Feret or caliper diameter), without a convex hull.
///
/// Callers first reduce a voxel region to the voxels that can be convex-hull vertices: a voxel that
/// lies strictly between two region voxels on any grid line (along slices, rows or columns) is not a
/// hull vertex, so only the first and last region voxel of every line along each of the three axes
/// can be one (`Regions` keeps voxels that are line ends along all three axes, an O(V) pass over
/// the bounding box that leaves K ≈ O(V^(2/3)) candidates, all of them surface voxels). The farthest
/// pair of a set is always a pair of hull vertices, so the answer over the candidates is exact.
///
/// Here: a lower bound from a double sweep (farthest from the farthest point), then a dual-tree
/// branch and bound over a k-d tree of the candidates: a pair of boxes whose largest possible
/// distance does not exceed the best distance found is skipped with everything inside. Build is
/// O(K log² K); the search is near-linear on lesion-like shapes and O(K²) in the worst case (all
/// points on a sphere, where every antipodal pair of boxes stays open until the boxes are small).
/// The pruning test is exact in floating point: a box bound is computed from the same coordinates
/// the point distances are, and the float operations involved are monotonic.
enum FeretDiameter {
    /// The largest distance between two of `points` and one pair attaining it (`(0, 0, 0)` for
    /// fewer than two points). Deterministic for a given input order.
    static func farthestPair(_ points: [SIMD3<Double>]) -> (distance: Double, first: Int, second: Int) {
        guard points.count >= 2 else { return (0, 0, 0) }
        var search = Search(points: points)
        search.run()
        return (search.best2.squareRoot(), search.bestI, search.bestJ)
    }

    private struct Node {
        var lower: SIMD3<Double>
        var upper: SIMD3<Double>
        var start: Int
        var end: Int
        var left = -1
        var right = -1
        var isLeaf: Bool { left < 0 }
        var count: Int { end - start }
    }

    private struct Search {
        static let leafSize = 16
        let points: [SIMD3<Double>]
        var order: [Int]
        var nodes: [Node] = []
        var best2 = 0.0
        var bestI = 0
        var bestJ = 0

        init(points: [SIMD3<Double>]) {
            self.points = points
            self.order = Array(points.indices)
        }

        @inline(__always)
        static func distance2(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
            let d = a - b
            return d.x * d.x + d.y * d.y + d.z * d.z
        }

        /// Largest squared distance between a point of box `a` and a point of box `b`.
        @inline(__always)
        func bound2(_ a: Node, _ b: Node) -> Double {
            let hi = b.upper - a.lower
            let lo = a.upper - b.lower
            let m = SIMD3<Double>(max(abs(hi.x), abs(lo.x)), max(abs(hi.y), abs(lo.y)), max(abs(hi.z), abs(lo.z)))
            return m.x * m.x + m.y * m.y + m.z * m.z
        }

        mutating func consider(_ i: Int, _ j: Int) {
            let d2 = Search.distance2(points[i], points[j])
            if d2 > best2 {
                best2 = d2
                bestI = min(i, j)
                bestJ = max(i, j)
            }
        }

        func farthest(from i: Int) -> Int {
            var best = i, bestD = -1.0
            for j in points.indices {
                let d = Search.distance2(points[i], points[j])
                if d > bestD { bestD = d; best = j }
            }
            return best
        }

        mutating func run() {
            // Double sweep: usually already the answer, so most of the tree is pruned at once.
            let a = farthest(from: 0)
            let b = farthest(from: a)
            let c = farthest(from: b)
            consider(a, b)
            consider(b, c)
            let root = build(0, points.count)
            search(root, root)
        }

        /// Builds the subtree over `order[start..<end]`, split at the median of its longest side.
        mutating func build(_ start: Int, _ end: Int) -> Int {
            var lower = points[order[start]], upper = lower
            for k in start..<end {
                lower = pointwiseMin(lower, points[order[k]])
                upper = pointwiseMax(upper, points[order[k]])
            }
            let id = nodes.count
            nodes.append(Node(lower: lower, upper: upper, start: start, end: end))
            let extent = upper - lower
            guard end - start > Search.leafSize, extent.max() > 0 else { return id }
            let axis = extent.x >= extent.y ? (extent.x >= extent.z ? 0 : 2) : (extent.y >= extent.z ? 1 : 2)
            let pts = points
            order[start..<end].sort { (pts[$0][axis], $0) < (pts[$1][axis], $1) }
            let mid = (start + end) / 2
            let left = build(start, mid)
            let right = build(mid, end)
            nodes[id].left = left
            nodes[id].right = right
            return id
        }

        mutating func search(_ a: Int, _ b: Int) {
            let na = nodes[a], nb = nodes[b]
            if bound2(na, nb) <= best2 { return }
            if na.isLeaf && nb.isLeaf {
                if a == b {
                    for p in na.start..<na.end {
                        for q in (p + 1)..<na.end { consider(order[p], order[q]) }
                    }
                } else {
                    for p in na.start..<na.end {
                        for q in nb.start..<nb.end { consider(order[p], order[q]) }
                    }
                }
                return
            }
            if a == b {
                search(na.left, na.right)
                search(na.left, na.left)
                search(na.right, na.right)
                return
            }
            // Open the bigger box; visit the child pair with the larger bound first.
            if nb.isLeaf || (!na.isLeaf && na.count >= nb.count) {
                let (x, y) = (na.left, na.right)
                if bound2(nodes[x], nb) >= bound2(nodes[y], nb) {
                    search(x, b); search(y, b)
                } else {
                    search(y, b); search(x, b)
                }
            } else {
                let (x, y) = (nb.left, nb.right)
                if bound2(na, nodes[x]) >= bound2(na, nodes[y]) {
                    search(a, x); search(a, y)
                } else {
                    search(a, y); search(a, x)
                }
            }
        }
    }
}
