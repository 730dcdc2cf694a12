import RealModule

/// A note of a synthetic test signal, with its ground truth.
public struct SyntheticNote: Sendable, Hashable {
    /// Onset in seconds.
    public var onset: Double
    /// Sounding duration in seconds.
    public var duration: Double
    /// MIDI note number.
    public var midi: Int
    /// Peak amplitude (0...1).
    public var amplitude: Double

    /// Creates a note.
    public init(onset: Double, duration: Double, midi: Int, amplitude: Double = 0.5) {
        self.onset = onset
        self.duration = duration
        self.midi = midi
        self.amplitude = amplitude
    }
}

/// Additive synthesis of test material with known onsets and pitches: harmonic partials with a 1/k rolloff,
/// a fast attack and an exponential decay, like a plucked or struck instrument.
public enum SyntheticMelody {
    /// Renders `notes` (possibly overlapping) at `sampleRate`, with `harmonics` partials per note.
    public static func render(
        _ notes: [SyntheticNote], sampleRate: Double, harmonics: Int = 8, tail: Double = 0.3
    ) -> [Float] {
        let end = (notes.map { $0.onset + $0.duration }.max() ?? 0) + tail
        var samples = [Float](repeating: 0, count: Int(end * sampleRate))
        for note in notes {
            let f0 = 440 * Double.exp2(Double(note.midi - 69) / 12)
            let start = Int(note.onset * sampleRate)
            let length = Int(note.duration * sampleRate)
            let attack = Int(0.004 * sampleRate)
            let release = Int(0.03 * sampleRate)
            for n in 0..<(length + release) where start + n < samples.count {
                let t = Double(n) / sampleRate
                var envelope = n < attack ? Double(n) / Double(attack) : Double.exp(-2.5 * t)
                if n >= length { envelope *= 1 - Double(n - length) / Double(release) }
                var value = 0.0
                for k in 1...harmonics where Double(k) * f0 < sampleRate / 2 {
                    value += Double.sin(2 * Double.pi * Double(k) * f0 * t) / Double(k)
                }
                samples[start + n] += Float(note.amplitude * envelope * value * 0.6)
            }
        }
        return samples
    }

    /// Two notes as a sung or bowed line in a reverberant room sounds them: `previous` sounds from the start and, at
    /// `change` seconds, rings on decaying over 80 ms while `next` swells in over 40 ms, scooped: it starts `scoop`
    /// semitones below its pitch and reaches it over 100 ms. Three harmonics each; lasts `length` seconds.
    public static func scoopOverRinging(
        previous: Double, next: Double, scoop: Double, change: Double, length: Double, sampleRate: Double
    ) -> [Float] {
        var samples = [Float](repeating: 0, count: Int(length * sampleRate))
        var phases = (0.0, 0.0)
        for n in samples.indices {
            let t = Double(n) / sampleRate
            let ringing = t < change ? min(1, t / 0.01) : Double.exp(-(t - change) / 0.08)
            phases.0 += 2 * Double.pi * 440 * Double.exp2((previous - 69) / 12) / sampleRate
            var value = ringing * Self.threePartials(phases.0)
            if t >= change {
                let pitch = next - scoop * max(0, 1 - (t - change) / 0.1)
                phases.1 += 2 * Double.pi * 440 * Double.exp2((pitch - 69) / 12) / sampleRate
                value += min(1, (t - change) / 0.04) * Self.threePartials(phases.1)
            }
            samples[n] = Float(0.4 * value)
        }
        return samples
    }

    private static func threePartials(_ phase: Double) -> Double {
        0.5 * Double.sin(phase) + 0.25 * Double.sin(2 * phase) + 0.12 * Double.sin(3 * phase)
    }

    /// A sustained, phase-continuous tone (three harmonics) that glides to each new pitch over `glide` seconds
    /// without any attack, as a slurred voice or bowed line does: `notes` are (seconds, MIDI pitch) in order; `fadeIn`
    /// is the first attack.
    public static func legato(
        _ notes: [(seconds: Double, midi: Double)], sampleRate: Double, glide: Double = 0.08, fadeIn: Double = 0.005
    ) -> [Float] {
        var samples: [Float] = []
        var phase = 0.0
        var previous = notes.first?.midi ?? 69
        for (seconds, midi) in notes {
            let glideFrames = max(1, glide * sampleRate)
            for n in 0..<Int(seconds * sampleRate) {
                let position = min(1, Double(n) / glideFrames)
                let pitch = previous + (midi - previous) * position
                let gain = min(1, Double(samples.count) / (fadeIn * sampleRate))
                let partials = 0.5 * Double.sin(phase) + 0.2 * Double.sin(2 * phase) + 0.1 * Double.sin(3 * phase)
                samples.append(Float(0.4 * gain * partials))
                phase += 2 * Double.pi * 440 * Double.exp2((pitch - 69) / 12) / sampleRate
            }
            previous = midi
        }
        return samples
    }

    /// A sung line whose notes begin with a short blip before the vowel, as a choir soundfont's do: at each change the
    /// old note falls 20 dB within 15 ms, the new one holds that dip for 10 ms, sounds a blip 6 dB above it, falls
    /// back into a second dip as deep, and swells to full level over 40 ms from 45 ms on. Three harmonics; `notes` are
    /// (seconds, MIDI pitch) in order.
    public static func blippedAttacks(_ notes: [(seconds: Double, midi: Double)], sampleRate: Double) -> [Float] {
        var samples: [Float] = []
        var phase = 0.0
        // (seconds from the note's start, gain): linear between points.
        let envelope: [(Double, Double)] = [
            (0, 0.1), (0.01, 0.1), (0.02, 0.2), (0.025, 0.2), (0.035, 0.1), (0.045, 0.1), (0.085, 1),
        ]
        for (index, (seconds, midi)) in notes.enumerated() {
            let frequency = 440 * Double.exp2((midi - 69) / 12)
            let count = Int(seconds * sampleRate)
            for n in 0..<count {
                let t = Double(n) / sampleRate
                var gain = 1.0
                if index > 0, let next = envelope.firstIndex(where: { $0.0 > t }) {
                    let (t0, g0) = envelope[next - 1]
                    let (t1, g1) = envelope[next]
                    gain = g0 + (g1 - g0) * (t - t0) / (t1 - t0)
                }
                if index == 0 { gain = min(1, t / 0.01) }
                // The old note's fall into the first dip.
                let tail = Double(count - n) / sampleRate
                if index < notes.count - 1 && tail < 0.015 { gain *= 0.1 + 0.9 * tail / 0.015 }
                samples.append(Float(0.3 * gain * threePartials(phase)))
                phase += 2 * Double.pi * frequency / sampleRate
            }
        }
        return samples
    }

    /// A quiet blown line (four harmonics over breath noise, about −30 dBFS): each note fades in over `attack`
    /// seconds from a dip 20 dB down and falls back into the next dip over its last 25 ms, as a tongued flute or a
    /// clarinet does; repeated pitches are only set apart by their dips. `notes` are (seconds, MIDI pitch) in order.
    public static func tongued(
        _ notes: [(seconds: Double, midi: Double)], sampleRate: Double, attack: Double = 0.06
    ) -> [Float] {
        var samples: [Float] = []
        var phase = 0.0
        var noise: UInt64 = 0x2545_F491_4F6C_DD1D
        let floor = 0.1
        let release = 0.025
        for (seconds, midi) in notes {
            let count = Int(seconds * sampleRate)
            let frequency = 440 * Double.exp2((midi - 69) / 12)
            for n in 0..<count {
                let t = Double(n) / sampleRate
                let rising = floor + (1 - floor) * min(1, t / attack)
                let falling = floor + (1 - floor) * min(1, max(0, (seconds - t) / release))
                let partials =
                    0.5 * Double.sin(phase) + 0.15 * Double.sin(2 * phase) + 0.08 * Double.sin(3 * phase)
                    + 0.04 * Double.sin(4 * phase)
                noise ^= noise << 13
                noise ^= noise >> 7
                noise ^= noise << 17
                let breath = Double(noise >> 11) * 0x1.0p-53 - 0.5
                samples.append(Float(0.08 * (min(rising, falling) * partials + 0.002 * breath)))
                phase += 2 * Double.pi * frequency / sampleRate
            }
        }
        return samples
    }

    /// A deterministic random monophonic melody: `count` notes, IOIs between 0.15 and 0.5 s, MIDI 48...84.
    public static func randomMelody(count: Int, seed: UInt64, low: Int = 48, high: Int = 84) -> [SyntheticNote] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Double {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Double(state >> 11) * 0x1.0p-53
        }
        var notes: [SyntheticNote] = []
        var time = 0.2
        var pitch = (low + high) / 2
        for _ in 0..<count {
            let ioi = 0.15 + 0.35 * next()
            pitch = max(low, min(high, pitch + Int((next() * 14).rounded()) - 7))
            notes.append(SyntheticNote(onset: time, duration: ioi * 0.9, midi: pitch, amplitude: 0.3 + 0.5 * next()))
            time += ioi
        }
        return notes
    }

    /// The C major scale up and down from C4, quarter notes at 120 bpm.
    public static let scale: [SyntheticNote] = {
        let pitches = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60]
        return pitches.enumerated().map {
            SyntheticNote(onset: 0.2 + 0.5 * Double($0.offset), duration: 0.45, midi: $0.element)
        }
    }()
}
