//! matplotlib's `coolwarm`: Kenneth Moreland's diverging map ("Diverging Color Maps for
//! Scientific Visualization", 2009), computed from its definition (blue #3B4CC0 to red
//! #B40426 through white, interpolated in the Msh colour space). The colormap crate hipscut
//! uses has no such map, and matplotlib's own table is a sampling of this same function.

/// The colour at `t` in [0, 1].
pub(super) fn coolwarm(t: f64) -> [u8; 3] {
    let cool = msh_of([59.0, 76.0, 192.0]);
    let warm = msh_of([180.0, 4.0, 38.0]);
    let white_m = cool[0].max(warm[0]).max(88.0);
    let t = t.clamp(0.0, 1.0);
    let (from, to, u) = if t < 0.5 {
        let to = [white_m, 0.0, 0.0];
        (cool, to, 2.0 * t)
    } else {
        let from = [white_m, 0.0, 0.0];
        (from, warm, 2.0 * t - 1.0)
    };
    // Towards or from white, the hue of the white end is the saturated end's, spun so that
    // the path stays perceptually even.
    let mut from_h = from[2];
    let mut to_h = to[2];
    if from[1] < 0.05 && to[1] > 0.05 {
        from_h = adjust_hue(to, from[0]);
    } else if to[1] < 0.05 && from[1] > 0.05 {
        to_h = adjust_hue(from, to[0]);
    }
    let lerp = |a: f64, b: f64| (1.0 - u) * a + u * b;
    rgb_of([
        lerp(from[0], to[0]),
        lerp(from[1], to[1]),
        lerp(from_h, to_h),
    ])
}

fn adjust_hue(saturated: [f64; 3], m_unsaturated: f64) -> f64 {
    let [m, s, h] = saturated;
    if m >= m_unsaturated {
        return h;
    }
    let spin = s * (m_unsaturated * m_unsaturated - m * m).sqrt() / (m * s.sin());
    if h > -std::f64::consts::FRAC_PI_3 {
        h + spin
    } else {
        h - spin
    }
}

/// D65 white, as Moreland uses it.
const WHITE: [f64; 3] = [0.950_47, 1.0, 1.088_83];

fn msh_of(rgb: [f64; 3]) -> [f64; 3] {
    let linear = rgb.map(|c| {
        let c = c / 255.0;
        if c > 0.04045 {
            ((c + 0.055) / 1.055).powf(2.4)
        } else {
            c / 12.92
        }
    });
    let [r, g, b] = linear;
    let xyz = [
        0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b,
        0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b,
        0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b,
    ];
    let f = |v: f64| {
        if v > 0.008_856 {
            v.cbrt()
        } else {
            7.787 * v + 16.0 / 116.0
        }
    };
    let [fx, fy, fz] = [
        f(xyz[0] / WHITE[0]),
        f(xyz[1] / WHITE[1]),
        f(xyz[2] / WHITE[2]),
    ];
    let (l, a, bb) = (116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz));
    let m = (l * l + a * a + bb * bb).sqrt();
    [m, (l / m).acos(), bb.atan2(a)]
}

fn rgb_of(msh: [f64; 3]) -> [u8; 3] {
    let [m, s, h] = msh;
    let (l, a, b) = (m * s.cos(), m * s.sin() * h.cos(), m * s.sin() * h.sin());
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let inv = |v: f64| {
        if v.powi(3) > 0.008_856 {
            v.powi(3)
        } else {
            (v - 16.0 / 116.0) / 7.787
        }
    };
    let [x, y, z] = [inv(fx) * WHITE[0], inv(fy) * WHITE[1], inv(fz) * WHITE[2]];
    let linear = [
        3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z,
        -0.969_266 * x + 1.876_010_8 * y + 0.041_556 * z,
        0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z,
    ];
    linear.map(|c| {
        let c = if c > 0.003_130_8 {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        } else {
            12.92 * c
        };
        (c.clamp(0.0, 1.0) * 255.0).round() as u8
    })
}
