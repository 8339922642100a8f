//! Hex colours into colour words. Text encoders never saw `#1f4e79` next to the colour it
//! names, but they saw "navy blue" millions of times, so a palette reaches the model as words.

/// Colour words models know well, with the sRGB value people usually mean by them. The values
/// are chosen as typical members of each name (a "navy blue" in a brand guide is rarely pure
/// #000080), so the nearest name is the one a designer would say.
const NAMED: [(&str, [u8; 3]); 46] = [
    ("black", [20, 20, 20]),
    ("charcoal gray", [54, 60, 66]),
    ("gray", [128, 128, 128]),
    ("light gray", [200, 200, 200]),
    ("white", [250, 250, 250]),
    ("ivory", [250, 246, 230]),
    ("cream", [245, 235, 205]),
    ("beige", [225, 205, 170]),
    ("sand", [205, 180, 140]),
    ("khaki", [190, 175, 120]),
    ("tan", [210, 170, 120]),
    ("brown", [120, 75, 40]),
    ("chocolate brown", [80, 45, 25]),
    ("terracotta", [200, 100, 70]),
    ("rust orange", [180, 75, 30]),
    ("burgundy", [120, 20, 40]),
    ("crimson red", [190, 20, 45]),
    ("red", [225, 40, 40]),
    ("coral", [250, 125, 100]),
    ("salmon pink", [245, 155, 140]),
    ("peach", [245, 185, 140]),
    ("orange", [245, 135, 30]),
    ("amber", [250, 180, 30]),
    ("gold", [212, 175, 55]),
    ("mustard yellow", [215, 175, 40]),
    ("yellow", [250, 220, 50]),
    ("pale yellow", [252, 240, 160]),
    ("lime green", [160, 210, 60]),
    ("olive green", [110, 120, 50]),
    ("green", [60, 160, 70]),
    ("forest green", [35, 95, 50]),
    ("emerald green", [20, 150, 100]),
    ("mint green", [170, 225, 195]),
    ("teal", [0, 128, 128]),
    ("turquoise", [50, 200, 200]),
    ("sky blue", [125, 190, 235]),
    ("light blue", [185, 215, 240]),
    ("steel blue", [70, 120, 170]),
    ("blue", [40, 100, 210]),
    ("cobalt blue", [0, 70, 170]),
    ("navy blue", [25, 50, 100]),
    ("midnight blue", [20, 25, 60]),
    ("lavender", [190, 170, 225]),
    ("purple", [120, 60, 160]),
    ("magenta", [200, 40, 140]),
    ("pink", [245, 160, 190]),
];

/// `#rgb` or `#rrggbb` (case-insensitive, `#` optional) into RGB.
pub fn parse_hex(s: &str) -> Option<[u8; 3]> {
    let h = s.trim();
    let h = h.strip_prefix('#').unwrap_or(h);
    if !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match h.len() {
        6 => {
            let v = u32::from_str_radix(h, 16).ok()?;
            Some([(v >> 16) as u8, (v >> 8) as u8, v as u8])
        }
        3 => {
            let mut out = [0u8; 3];
            for (i, c) in h.chars().enumerate() {
                let d = c.to_digit(16)? as u8;
                out[i] = d * 17;
            }
            Some(out)
        }
        _ => None,
    }
}

/// The colour word nearest to `rgb`, by the "redmean" weighted distance, a cheap
/// approximation of perceived difference that is much better than plain RGB distance.
pub fn nearest_name(rgb: [u8; 3]) -> &'static str {
    let dist = |a: [u8; 3], b: [u8; 3]| {
        let rm = (a[0] as f64 + b[0] as f64) / 2.0;
        let dr = a[0] as f64 - b[0] as f64;
        let dg = a[1] as f64 - b[1] as f64;
        let db = a[2] as f64 - b[2] as f64;
        (2.0 + rm / 256.0) * dr * dr + 4.0 * dg * dg + (2.0 + (255.0 - rm) / 256.0) * db * db
    };
    NAMED
        .iter()
        .min_by(|x, y| dist(x.1, rgb).total_cmp(&dist(y.1, rgb)))
        .map(|(n, _)| *n)
        .unwrap_or("gray")
}

/// The colour words of a palette, in order, without repeats; invalid entries are skipped
/// (the parser already reported them).
pub fn palette_words(palette: &[String]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for hex in palette {
        if let Some(rgb) = parse_hex(hex) {
            let name = nearest_name(rgb);
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The prompt phrase for a palette: `navy blue, sky blue and white color palette`.
pub fn palette_phrase(palette: &[String]) -> Option<String> {
    let words = palette_words(palette);
    let list = match words.as_slice() {
        [] => return None,
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    Some(format!("{list} color palette"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_common_report_colours() {
        let n = |s: &str| nearest_name(parse_hex(s).unwrap());
        assert_eq!(n("#1f4e79"), "navy blue");
        assert_eq!(n("#ffffff"), "white");
        assert_eq!(n("#000"), "black");
        assert_eq!(n("#2e7d32"), "forest green");
        assert_eq!(n("#f4b183"), "peach");
        assert_eq!(n("#008080"), "teal");
        assert_eq!(n("#e53935"), "red");
    }

    #[test]
    fn rejects_bad_hex() {
        assert!(parse_hex("#12345").is_none());
        assert!(parse_hex("navy").is_none());
        assert!(parse_hex("#ggg").is_none());
    }

    #[test]
    fn phrase() {
        let p = vec!["#1f4e79".to_string(), "#87ceeb".into(), "#fafafa".into()];
        assert_eq!(
            palette_phrase(&p).unwrap(),
            "navy blue, sky blue and white color palette"
        );
        assert_eq!(palette_phrase(&[]), None);
    }
}
