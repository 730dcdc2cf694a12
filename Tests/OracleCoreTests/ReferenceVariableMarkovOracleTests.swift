import MusicHalCore
import OracleCore
import Testing

/// Compares the optimised VMO construction (dense leading features, batched walk comparisons, the exact pruning
/// index over label representatives, chunked transition storage) with a straightforward transcription of spec §2:
/// every distance `sqrt(Σ (a−b)²)` summed in order, a strict `<`, vmo's `argmin` (first in transition order on a
/// tie), linear scans everywhere. Inputs include exact ties and distances exactly equal to the threshold.
@Suite("VMO construction against a plain reference")
struct ReferenceVariableMarkovOracleTests {
    /// Spec §2 for frames, step by step.
    struct ReferenceOracle {
        let threshold: Double
        var frames: [[Double]] = [[]]
        var sfx: [Int] = [-1]
        var lrs: [Int] = [0]
        var trn: [[Int]] = [[]]
        var rsfx: [[Int]] = [[]]
        var data: [Int] = [-1]
        var latent: [[Int]] = []

        init(threshold: Double) {
            self.threshold = threshold
        }

        static func distance(_ first: [Double], _ second: [Double]) -> Double {
            var sum = 0.0
            for index in first.indices {
                let difference = first[index] - second[index]
                sum += difference * difference
            }
            return sum.squareRoot()
        }

        /// vmo: the matching targets are those strictly below the threshold; the candidate is the first of the
        /// smallest distance among them.
        func candidate(among targets: [Int], for frame: [Double]) -> Int? {
            var best: (target: Int, distance: Double)?
            for target in targets {
                let distance = Self.distance(frame, frames[target])
                guard distance < threshold else { continue }
                if best == nil || distance < best!.distance {
                    best = (target, distance)
                }
            }
            return best?.target
        }

        mutating func append(_ frame: [Double]) {
            let i = data.count
            frames.append(frame)
            sfx.append(-1)
            lrs.append(0)
            trn.append([])
            rsfx.append([])
            data.append(-1)
            trn[i - 1].append(i)
            var k = sfx[i - 1]
            var pi = i - 1
            var candidate: Int?
            while k != -1 {
                if let target = self.candidate(among: trn[k], for: frame) {
                    candidate = target
                    break
                }
                trn[k].append(i)
                pi = k
                k = sfx[k]
            }
            guard let matched = candidate else {
                sfx[i] = 0
                data[i] = latent.count
                latent.append([i])
                rsfx[0].append(i)
                return
            }
            sfx[i] = matched
            data[i] = data[matched]
            latent[data[i]].append(i)
            lrs[i] = lcs(pi, matched - 1) + 1
            let sigma = data[i - lrs[i]]
            if let better = rsfx[sfx[i]].first(where: { lrs[$0] == lrs[i] && data[$0 - lrs[i]] == sigma }) {
                sfx[i] = better
                lrs[i] += 1
            }
            rsfx[sfx[i]].append(i)
        }

        func lcs(_ first: Int, _ second: Int) -> Int {
            if second == sfx[first] { return lrs[first] }
            var walker = second
            while sfx[walker] != sfx[first] && walker != 0 { walker = sfx[walker] }
            return min(lrs[first], lrs[walker])
        }
    }

    /// Frames on an integer lattice: many exactly equal distances and distances exactly equal to thresholds.
    static func latticeFrames(count: Int, dimension: Int, levels: Int, seed: UInt64) -> [[Double]] {
        var generator = SeededRandomGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<dimension).map { _ in Double(Int.random(in: 0..<levels, using: &generator)) }
        }
    }

    /// Groups far apart of a context frame, then `A`, the context, `B`, the context, `q`, where `A - q` and `B - q`
    /// hold the same differences in another order: their distances to `q` are equal in exact arithmetic and differ
    /// only by the rounding of the sum, in the root search and in the walk (both are targets of the context). `A` and
    /// `B` are at least 1 apart, so at threshold 1 both remain labels of their own.
    static func permutedTieFrames(groups: Int, dimension: Int, seed: UInt64) -> [[Double]] {
        var generator = SeededRandomGenerator(seed: seed)
        var frames: [[Double]] = []
        for group in 0..<groups {
            let offset = (0..<dimension).map { _ in Double(group) * 10 + Double.random(in: -3...3, using: &generator) }
            var difference: [Double] = []
            repeat {
                difference = (0..<dimension).map { _ in Double.random(in: -0.5...0.5, using: &generator) }
                let norm = ReferenceOracle.distance(difference, [Double](repeating: 0, count: dimension))
                difference = difference.map { $0 * 0.9 / norm }
            } while ReferenceOracle.distance(difference, difference.reversed()) < 1.05
            let query = offset.map { $0 + Double.random(in: -0.01...0.01, using: &generator) }
            let context = offset.map { $0 + 5 }
            frames += [
                context, zip(query, difference).map(+), context, zip(query, difference.reversed()).map(+), context,
                query,
            ]
        }
        return frames
    }

    /// Distances within single-precision rounding of the threshold 0.1 (`0.1.nextDown` rounds up to a Float above
    /// 0.1), met at the root by a scan, in the walk, and at the root through the index (after 40 far-apart
    /// labels): only the margin of the single-precision estimates sends them to the in-order sums.
    static func thresholdTieFrames() -> [[Double]] {
        let near = 0.1.nextDown
        let context = [1.0, 1, 1]
        var frames = [[0.0, 0, 0], [near, 0, 0], context, [0.0, 0, 0], context, [0, near, 0]]
        frames += (1...40).map { [Double($0) * 100, 0, 0] }
        frames += [[1000, near, 0], [4000, 0, near]]
        return frames
    }

    /// `q` (the origin) after a context whose targets are `A = (x, 0, 0)` then `B = (0, y, y)`: `B` is nearer in
    /// Float64 (by one step of `x`), `A` in single precision, where `y` rounds up and `x` down. At threshold 0.06
    /// both match `q` and are more than 0.06 apart (`B` becomes a transition of the context, not a match of `A`).
    static func orderTieFrames() -> [[Double]] {
        var single = Float(0.035)
        while true {
            single = single.nextUp
            // Just above the midpoint below `single`: rounds up to it by almost half a step.
            let below = Double(single.nextDown)
            let y: Double = (below + Double(single)) / 2 + Double(single.ulp) * 0x1p-8
            let distanceB: Double = (y * y + y * y).squareRoot()
            let x = distanceB.nextUp
            let singleX = Float(x)
            let singleY = Float(y)
            if 2 * (singleY * singleY) > singleX * singleX {
                let context = [1.0, 1, 1]
                return [context, [x, 0, 0], context, [0, y, y], context, [0, 0, 0]]
            }
        }
    }

    /// At threshold 1, after 40 far-apart labels (so the root search uses its index): a centre `c`, a member `m`
    /// of its group 3 away (radius 3, reach just above 4), and `q`, within 1 of `m` and `4 - 2^-30` from `c`, which
    /// matches `m`. The single-precision copies put `q` `4 + 2^-14` from `c`, beyond the reach: only the margin of
    /// the single-precision group test keeps the group from being skipped.
    static func groupReachFrames() -> [[Double]] {
        // Just above the midpoint between two floats (2^-13 apart here): rounds up by almost half a step.
        let query = 1024 + 0x1p-14 + 0x1p-20
        let centre = query - 4 + 0x1p-30
        var frames = (1...40).map { [Double($0) * 100, 0, 0] }
        frames += [[centre, 500, 0], [centre + 3, 500, 0], [query, 500, 0]]
        return frames
    }

    static let cases: [(name: String, frames: [[Double]], thresholds: [Double])] = {
        var cases: [(String, [[Double]], [Double])] = []
        // 22-D clusters with small noise, as in the benchmark: hundreds of labels at the small thresholds.
        let clustered = TestData.clusteredFrames(
            count: 1500, dimension: 22, clusterCount: 12, noise: 0.25, seed: 5
        ).frames
        cases.append(("clusters d22", clustered, [0.5, 0.8, 1.2, 3.0]))
        cases.append(
            ("lattice d5", latticeFrames(count: 1200, dimension: 5, levels: 3, seed: 6), [1, 1.5, 2, 2.0.squareRoot()]))
        cases.append(("lattice d2", latticeFrames(count: 800, dimension: 2, levels: 40, seed: 7), [1, 2, 3]))
        let lattice = latticeFrames(count: 800, dimension: 4, levels: 6, seed: 8)
        cases.append(("lattice d4", lattice, [1, 2, 3]))
        // Norms beyond the single-precision estimates' proven range: every comparison is summed in order.
        let scaled = lattice.map { $0.map { $0 * 0x1p64 } }
        cases.append(("lattice d4 times 2^64", scaled, [1, 2, 3].map { $0 * 0x1p64 }))
        cases.append(("lattice d9", latticeFrames(count: 800, dimension: 9, levels: 3, seed: 9), [1, 2, 3]))
        // Sums that differ only by their rounding decide ties, and thresholds equal to computed distances.
        let ties = permutedTieFrames(groups: 60, dimension: 22, seed: 11)
        let tieThresholds = [1.0] + (0..<3).map { ReferenceOracle.distance(ties[6 * $0 + 5], ties[6 * $0 + 1]) }
        cases.append(("permuted ties d22", ties, tieThresholds))
        let pairThresholds = [(0, 1), (2, 3), (4, 5)].map { ReferenceOracle.distance(clustered[$0.0], clustered[$0.1]) }
        cases.append(("clusters d22 at pair distances", Array(clustered.prefix(600)), pairThresholds))
        cases.append(("single-precision threshold ties d3", thresholdTieFrames(), [0.1]))
        cases.append(("single-precision order ties d3", orderTieFrames(), [0.06]))
        cases.append(("single-precision group reach d3", groupReachFrames(), [1]))
        let scalars = TestData.clusteredFrames(count: 600, dimension: 1, clusterCount: 30, noise: 0.2, seed: 10)
        cases.append(("clusters d1", scalars.frames, [0.05, 0.3]))
        return cases
    }()

    @Test("the VMO equals the plain reference, frame by frame and in batches")
    func audioOracleEqualsReference() throws {
        var mostLabels = 0
        for (name, frames, thresholds) in Self.cases {
            for threshold in thresholds {
                var reference = ReferenceOracle(threshold: threshold)
                for frame in frames {
                    reference.append(frame)
                }
                var batch = try VariableMarkovOracle(dimension: frames[0].count, threshold: threshold)
                try batch.append(contentsOf: frames)
                var single = try VariableMarkovOracle(dimension: frames[0].count, threshold: threshold)
                for frame in frames {
                    try single.append(frame)
                }
                let label = "\(name) t=\(threshold)"
                expectSameArrays("sfx", batch.suffixLinks, reference.sfx, in: label)
                expectSameArrays("lrs", batch.lrs, reference.lrs, in: label)
                expectSameArrays("data", batch.labels, reference.data, in: label)
                expectSameArrays("trn", batch.transitions, reference.trn, in: label)
                expectSameArrays("rsfx", batch.reverseSuffixLinks, reference.rsfx, in: label)
                #expect(batch.latent == reference.latent, "\(label): latent")
                #expect(single == batch, "\(label): frame by frame")
                mostLabels = max(mostLabels, batch.labelCount)
            }
        }
        // The inputs must reach the label counts where the root search uses its index.
        #expect(mostLabels > 200)
    }

    @Test("an oracle restored under another threshold continues as the reference does")
    func restoredUnderAnotherThreshold() throws {
        // Built at 1.0: the context's targets are A, then B (1.03 from A). Continued at 3.0: q is 0.9 from A and
        // 0.5 from B, so the walk must compare both (A is within half the new threshold, but the restored targets
        // are not a threshold apart).
        let context = [10.0, 10, 10]
        let first = [context, [0.9, 0, 0], context, [0, 0.5, 0]]
        let rest = [context, [0.0, 0, 0]]
        var built = try VariableMarkovOracle(dimension: 3, threshold: 1.0)
        try built.append(contentsOf: first)
        var restored = try VariableMarkovOracle(
            dimension: 3, threshold: 3.0, frames: first, suffixLinks: built.suffixLinks, lrs: built.lrs,
            transitions: built.transitions, labels: built.labels)
        var reference = ReferenceOracle(threshold: 3.0)
        reference.frames = [[]] + first
        reference.sfx = built.suffixLinks
        reference.lrs = built.lrs
        reference.trn = built.transitions
        reference.rsfx = built.reverseSuffixLinks
        reference.data = built.labels
        reference.latent = built.latent
        for frame in rest {
            reference.append(frame)
        }
        try restored.append(contentsOf: rest)
        expectSameArrays("sfx", restored.suffixLinks, reference.sfx, in: "restored")
        expectSameArrays("lrs", restored.lrs, reference.lrs, in: "restored")
        expectSameArrays("data", restored.labels, reference.data, in: "restored")
        expectSameArrays("trn", restored.transitions, reference.trn, in: "restored")
        #expect(restored.suffixLink(of: 6) == 4)
    }

    @Test("per-state accessors agree with the whole arrays")
    func accessorsAgree() throws {
        let frames = Self.latticeFrames(count: 500, dimension: 5, levels: 3, seed: 11)
        var oracle = try VariableMarkovOracle(dimension: 5, threshold: 1.5)
        try oracle.append(contentsOf: frames)
        let transitions = oracle.transitions
        let reverse = oracle.reverseSuffixLinks
        let suffixLinks = oracle.suffixLinks
        let lrs = oracle.lrs
        let labels = oracle.labels
        for state in 0..<oracle.stateCount {
            #expect(oracle.transitions(from: state) == transitions[state])
            #expect(oracle.reverseSuffixLinks(of: state) == reverse[state])
            #expect(oracle.suffixLink(of: state) == suffixLinks[state])
            #expect(oracle.lrs(of: state) == lrs[state])
            if state > 0 { #expect(oracle.label(of: state) == labels[state]) }
        }
        let latent = oracle.latent
        #expect(latent.count == oracle.labelCount && oracle.labelCount > 1)
        for label in 0..<oracle.labelCount {
            #expect(oracle.states(ofLabel: label) == latent[label])
            #expect(oracle.representativeState(ofLabel: label) == latent[label][0])
        }
    }
}
