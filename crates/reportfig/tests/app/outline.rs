//! Outline reading: the samples parse as documented, and bad outlines get clear messages
//! (pinned here in full, so a change to a message is a reviewed change).

use std::path::Path;

use crate::common;
use common::{sample, style_check};

use reportfig::outline::{
    parse_outline, read_outline, Outline, OutlineError, OutlineFormat, Overrides,
};

fn parse(name: &str, text: &str) -> Result<Outline, OutlineError> {
    let path = Path::new(name);
    parse_outline(
        path,
        OutlineFormat::from_path(path),
        text.to_string(),
        &style_check,
    )
}

fn error(name: &str, text: &str) -> String {
    parse(name, text).unwrap_err().to_string()
}

fn captions(o: &Outline) -> Vec<(usize, &str)> {
    o.items
        .iter()
        .map(|i| (i.line, i.caption.as_str()))
        .collect()
}

#[test]
fn korean_markdown_sample_uses_figure_lines() {
    let o = read_outline(&sample("transport-ko/outline.md"), &style_check).unwrap();
    assert_eq!(o.format, OutlineFormat::Markdown);
    assert_eq!(
        captions(&o),
        vec![
            (10, "출퇴근 시간 버스와 승용차가 뒤섞인 도심 간선도로"),
            (17, "순환도로 중앙 버스 전용차로와 섬식 정류장"),
            (21, "저상버스에 휠체어 이용자가 경사판으로 탑승하는 모습"),
            (25, "하천변을 따라 이어지는 자전거 도로와 산책로"),
            (29, "탄소 배출이 줄어든 깨끗한 도시 하늘과 대중교통"),
        ]
    );
    assert_eq!(o.items[1].overrides.size.as_deref(), Some("slide-16x9"));
    assert_eq!(
        o.items[3].overrides,
        Overrides {
            style: Some("watercolor-cityscape".into()),
            seed: Some(2026),
            ..Overrides::default()
        }
    );
    assert_eq!(
        o.items[4].overrides.negative.as_deref(),
        Some("자동차 정체, text, watermark")
    );
    // Images go right after the figure's line.
    let at = o.items[0].insert_at.unwrap();
    assert!(
        o.source[..at].ends_with("간선도로\n"),
        "{:?}",
        &o.source[at - 20..at + 10]
    );
}

#[test]
fn english_markdown_sample_uses_headings() {
    let o = read_outline(&sample("green-city-en/outline.md"), &style_check).unwrap();
    assert_eq!(
        captions(&o),
        vec![
            (1, "Green City 2030: Annual Climate Action Report"),
            (7, "Rooftop solar panels on public buildings"),
            (11, "Electric buses charging at the central depot"),
            (13, "Tree-lined streets that cool the city in summer"),
            (15, "Household recycling and food-waste collection"),
            (17, "Flood-safe riverside park after the levee upgrade"),
        ]
    );
    assert_eq!(
        o.items[0].overrides.style.as_deref(),
        Some("minimal-corporate-cover")
    );
    assert_eq!(o.items[4].overrides.seed, Some(11));
    assert_eq!(
        o.items[5].overrides.file.as_deref(),
        Some("riverside-park.png")
    );
}

#[test]
fn csv_sample() {
    let o = read_outline(&sample("welfare-csv/figures.csv"), &style_check).unwrap();
    assert_eq!(o.format, OutlineFormat::Csv);
    assert_eq!(
        captions(&o),
        vec![
            (2, "노인복지관 개관식에서 인사하는 어르신들"),
            (3, "아이와 부모가 함께 이용하는 공동육아나눔터"),
            (4, "Volunteers delivering meals, door to door"),
            (5, "치매 안심센터 상담 장면"),
        ]
    );
    assert_eq!(
        o.items[2].overrides,
        Overrides {
            style: Some("community-people".into()),
            size: Some("slide-16x9".into()),
            seed: Some(77),
            file: Some("meal-delivery.png".into()),
            negative: None,
            en: None,
            cover: false,
            layout: None,
            image: None,
            strength: None,
            mask: None,
        }
    );
    assert_eq!(o.items[1].overrides.size.as_deref(), Some("square"));
    assert!(o.items[0].insert_at.is_none());
}

#[test]
fn text_sample() {
    let o = read_outline(&sample("captions-txt/captions.txt"), &style_check).unwrap();
    assert_eq!(o.format, OutlineFormat::Text);
    assert_eq!(
        captions(&o),
        vec![
            (3, "스마트 버스 정류장의 실시간 도착 안내 화면"),
            (4, "Night view of the renovated city hall square"),
            (5, "재난 대비 대피소 안내와 비상 물품"),
        ]
    );
    assert_eq!(o.items[1].overrides.style.as_deref(), Some("night-city"));
}

#[test]
fn byte_order_mark_is_ignored() {
    let csv = parse("a.csv", "\u{feff}caption,seed\n버스,3\n").unwrap();
    assert_eq!(captions(&csv), vec![(2, "버스")]);
    assert_eq!(csv.items[0].overrides.seed, Some(3));
    let txt = parse("a.txt", "\u{feff}버스\n").unwrap();
    assert_eq!(captions(&txt), vec![(1, "버스")]);
    let md = parse("a.md", "\u{feff}# 버스\n").unwrap();
    assert_eq!(captions(&md), vec![(1, "버스")]);
}

#[test]
fn markdown_details() {
    let o = parse(
        "r.md",
        "# Title *with* `code`\n\nSetext heading {seed=3 #intro .wide}\n---\n\n```\n# not a heading\n```\n",
    )
    .unwrap();
    assert_eq!(
        captions(&o),
        vec![(1, "Title with code"), (3, "Setext heading")]
    );
    assert_eq!(o.items[1].overrides.seed, Some(3));
    assert_eq!(
        &o.source[o.items[1].insert_at.unwrap()..],
        "\n```\n# not a heading\n```\n"
    );

    // Figure lines anywhere (list items, multi-line paragraphs) switch headings off.
    let o = parse(
        "r.md",
        "# Report\n\n- Figure: bus stop\n- other\n\nSome text.\nFigure 2: bike lane {style=line-icons}\nFigure 3 shows nothing.\n",
    )
    .unwrap();
    assert_eq!(captions(&o), vec![(3, "bus stop"), (7, "bike lane")]);
    assert_eq!(o.items[1].overrides.style.as_deref(), Some("line-icons"));
    // A caption with braces that are not a trailing block keeps them.
    let o = parse("r.txt", "a {b} c\nd {file=x}\n").unwrap();
    assert_eq!(captions(&o), vec![(1, "a {b} c"), (2, "d")]);
    assert_eq!(o.items[1].overrides.file.as_deref(), Some("x.png"));
}

#[test]
fn error_messages() {
    let long = format!("## {}\n", "가".repeat(301));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "empty.md",
            "Just a paragraph.\n".into(),
            "empty.md: the outline has no figures\nhint: write each figure as a heading (## Caption) or a line starting with \"Figure:\" or \"그림:\"",
        ),
        (
            "empty.txt",
            "# only a comment\n\n".into(),
            "empty.txt: the outline has no figures\nhint: write one caption per line; lines starting with # are comments",
        ),
        (
            "empty.csv",
            "caption,style\n".into(),
            "empty.csv: the outline has no figures\nhint: add one row per figure under the header line, with the caption in the caption column",
        ),
        (
            "long.md",
            long,
            "long.md:1: the caption is 301 characters long, over the limit of 300: \"가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가가…\"\nhint: shorten it to one sentence; put longer text in the report itself",
        ),
        (
            "seed.md",
            "# ok\n## 버스 {seed=-4}\n".into(),
            "seed.md:2: seed \"-4\" is not a whole number from 0 to 18446744073709551615\nhint: write it like seed=7",
        ),
        (
            "style.md",
            "# ok\n\n## 버스 정류장 {style=isometric-cty}\n".into(),
            "style.md:3: unknown style \"isometric-cty\": there is no such style\nhint: `reportfig styles list` shows the styles",
        ),
        (
            "style.csv",
            "caption,style\nok,line-icons\n버스,nope\n".into(),
            "style.csv:3: unknown style \"nope\": there is no such style\nhint: `reportfig styles list` shows the styles",
        ),
        (
            "key.txt",
            "버스 {colour=red}\n".into(),
            "key.txt:1: unknown setting \"colour\" in {…}\nhint: the settings are style, size, seed, file, negative, en, cover, layout, image, strength, mask, written like {style=isometric-city seed=7}",
        ),
        (
            "quote.txt",
            "\n버스 {negative=\"text}\n".into(),
            "quote.txt:2: cannot read the settings block {negative=\"text}: the quoted value of \"negative\" is not closed\nhint: write settings like {style=isometric-city seed=7 negative=\"text, watermark\"}",
        ),
        (
            "novalue.txt",
            "버스 {seed}\n".into(),
            "novalue.txt:1: cannot read the settings block {seed}: \"seed\" has no value (write seed=…)\nhint: write settings like {style=isometric-city seed=7 negative=\"text, watermark\"}",
        ),
        (
            "file.txt",
            "버스 {file=../up.png}\n".into(),
            "file.txt:1: file name \"../up.png\" must not contain a folder, a drive or start with a dot\nhint: give a plain name such as bus-lanes.png; it is written inside the figures folder",
        ),
        (
            "heading.md",
            "# Title\n\n## {seed=4}\n".into(),
            "heading.md:3: this heading has no caption\nhint: write the caption after the #, or remove the empty heading",
        ),
        (
            "figure.md",
            "그림: 버스\n\n그림 2.\n".into(),
            "figure.md:3: this figure line has no caption\nhint: write the caption after \"Figure:\" or \"그림:\"",
        ),
        (
            "layout.md",
            "# 보고서\n\n그림: 광장 {cover layout=middle}\n".into(),
            "layout.md:3: title layout \"middle\" is not one of top, bottom, center, band\nhint: write it like {cover layout=band}",
        ),
        (
            "layout.txt",
            "광장 {layout=band}\n".into(),
            "layout.txt:1: layout= only applies to a cover\nhint: add cover to the same settings, e.g. {cover layout=band}",
        ),
        (
            "layout.csv",
            "caption,cover,layout\n광장,no,band\n".into(),
            "layout.csv:2: layout= only applies to a cover\nhint: add cover to the same settings, e.g. {cover layout=band}",
        ),
        (
            "cols.csv",
            "caption,colour\nbus,red\n".into(),
            "cols.csv:1: unknown column \"colour\"\nhint: the columns are caption, style, size, seed, file, negative, en, cover, layout, image, strength, mask (only caption is required)",
        ),
        (
            "nocap.csv",
            "style,seed\nline-icons,3\n".into(),
            "nocap.csv:1: the header has no \"caption\" column\nhint: the first line must name the columns, for example: caption,style,seed",
        ),
        (
            "ragged.csv",
            "caption,seed\nbus,1\n버스, 정류장,2\n".into(),
            "ragged.csv:3: this row has 3 cells but the header has 2\nhint: check the quotes and the number of commas on that line; a cell containing a comma must be in double quotes",
        ),
        (
            "blank.csv",
            "caption,seed\n,4\n".into(),
            "blank.csv:2: this row has no caption\nhint: fill in the caption cell, or delete the row",
        ),
        (
            "seed.csv",
            "caption,seed\nbus,seven\n".into(),
            "seed.csv:2: seed \"seven\" is not a whole number from 0 to 18446744073709551615\nhint: write it like seed=7",
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(error(name, &text), expected, "for {name}");
    }
}

#[test]
fn file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.md");
    let msg = read_outline(&missing, &style_check)
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        format!(
            "cannot read the outline {}: no such file or folder\nhint: check the path and that the file exists and is readable",
            missing.display()
        )
    );

    let latin1 = dir.path().join("old.txt");
    std::fs::write(&latin1, b"bus\ncaf\xe9\n").unwrap();
    let msg = read_outline(&latin1, &style_check).unwrap_err().to_string();
    assert_eq!(
        msg,
        format!(
            "{}:2: the outline is not UTF-8 text\nhint: save it as UTF-8 (in Excel: \"CSV UTF-8\"; in Notepad: Encoding \"UTF-8\")",
            latin1.display()
        )
    );
}

#[test]
fn an_outline_beyond_the_size_limit_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.txt");
    // Sparse: the size of a runaway log without writing it.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(reportfig::outline::MAX_OUTLINE_BYTES + 1)
        .unwrap();
    let err = reportfig::outline::read_outline(&path, &style_check).unwrap_err();
    assert!(matches!(err, OutlineError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("huge.txt"), "{err}");
    assert!(err.to_string().contains("16 MB"), "{err}");
    // Exactly at the limit is read (and then judged on its content).
    f.set_len(reportfig::outline::MAX_OUTLINE_BYTES).unwrap();
    if let Err(err) = reportfig::outline::read_outline(&path, &style_check) {
        assert!(!matches!(err, OutlineError::TooLarge { .. }), "{err}");
    }
}

/// An outline of more figures than any report has (a log, a generated list) is refused at
/// the first figure past the limit, with its line, in every format; at the limit it is read.
#[test]
fn an_outline_of_too_many_figures_is_refused_at_the_first_past_the_limit() {
    let limit = reportfig::outline::MAX_OUTLINE_FIGURES;
    let lines = |n: usize, prefix: &str| -> String {
        (1..=n).map(|i| format!("{prefix}Bridge {i}\n")).collect()
    };
    let at = parse("many.txt", &lines(limit, "")).unwrap();
    assert_eq!(at.items.len(), limit);
    for (name, text, line) in [
        ("many.txt", lines(limit + 5, ""), limit + 1),
        // Every heading is a figure, the title too.
        (
            "many.md",
            format!("# Report\n{}", lines(limit, "## ")),
            limit + 1,
        ),
        // With figure lines, only they are.
        (
            "lines.md",
            format!("# Report\n{}", lines(limit + 1, "Figure: ")),
            limit + 2,
        ),
        (
            "many.csv",
            format!("caption\n{}", lines(limit + 1, "")),
            limit + 2,
        ),
    ] {
        let started = std::time::Instant::now();
        let err = parse(name, &text).unwrap_err();
        assert!(
            matches!(err, OutlineError::TooManyFigures { line: l, .. } if l == line),
            "{name}: {err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("more than {limit} figures")),
            "{err}"
        );
        assert!(
            started.elapsed().as_secs() < 10,
            "{name}: {:?}",
            started.elapsed()
        );
    }
}

/// What Markdown reads as inline HTML (`a<b and c>d`, a tag) stays in the caption as it was
/// written, in headings and in figure lines, instead of being dropped from it.
#[test]
fn inline_html_in_markdown_stays_in_the_caption() {
    let o = parse("r.md", "# Income a<b and c>d\n\n## Costs <em>rose</em>\n").unwrap();
    assert_eq!(
        captions(&o),
        vec![(1, "Income a<b and c>d"), (3, "Costs <em>rose</em>")]
    );
    let o = parse("r.md", "# Report\n\nFigure: Income a<b and c>d {seed=3}\n").unwrap();
    assert_eq!(captions(&o), vec![(3, "Income a<b and c>d")]);
    assert_eq!(o.items[0].overrides.seed, Some(3));
}

/// A device that never ends (`batch /dev/zero`) is refused once the limit is read, not read
/// until memory runs out.
#[cfg(unix)]
#[test]
fn an_endless_outline_is_refused_at_the_size_limit() {
    let err = reportfig::outline::read_outline(Path::new("/dev/zero"), &style_check).unwrap_err();
    assert!(matches!(err, OutlineError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("/dev/zero"), "{err}");
}

/// A `file=` that Windows keeps for a device (`CON.png` is the console there, whatever the
/// extension) is refused with its line, as a drive (`a:b`) or a backslash is: an outline
/// written on one PC is run on another.
#[test]
fn windows_device_names_drives_and_backslashes_in_file_settings_are_refused() {
    for value in [
        "CON",
        "con.png",
        "Nul.PNG",
        "com1",
        "LPT9.png",
        "aux.tar.png",
        "prn .png",
    ] {
        let err = parse("w.txt", &format!("One\nBus stop {{file={value}}}\n")).unwrap_err();
        assert!(
            matches!(err, OutlineError::BadFileName { line: 2, .. }),
            "{value}: {err}"
        );
        assert!(
            err.to_string().contains("Windows keeps for a device"),
            "{err}"
        );
    }
    for value in ["a:b", "a\\b.png", "C:x.png"] {
        let err = parse("w.txt", &format!("Bus stop {{file={value}}}\n")).unwrap_err();
        assert!(
            matches!(err, OutlineError::BadFileName { line: 1, .. }),
            "{value}: {err}"
        );
    }
    // Names that only begin like a device are ordinary.
    for value in ["console.png", "conference", "com10.png", "nullish.png"] {
        let o = parse("w.txt", &format!("Bus stop {{file={value}}}\n")).unwrap();
        assert!(o.items[0].overrides.file.is_some(), "{value}");
    }
}

#[test]
fn control_characters_are_refused_with_their_line() {
    for (c, code) in [('\0', "U+0000"), ('\u{1b}', "U+001B"), ('\u{7}', "U+0007")] {
        for name in ["o.md", "o.txt", "o.csv"] {
            let text = format!("caption\nA bus stop\nCity {c}hall\n");
            let text = if name.ends_with(".md") {
                text.replacen("caption\n", "# Report\n", 1)
                    .replace("A bus", "## A bus")
                    .replace("City", "## City")
            } else {
                text
            };
            let err = parse(name, &text).unwrap_err();
            assert!(
                matches!(&err, OutlineError::ControlCharacter { line: 3, code: got, .. } if got == code),
                "{name} {code}: {err}"
            );
        }
    }
    // Tabs and Windows line ends are ordinary text.
    assert!(parse("o.txt", "A bus\tstop\r\nCity hall\r\n").is_ok());
}

#[test]
fn a_settings_block_that_is_not_closed_or_not_alone_is_refused_not_kept_as_words() {
    for (text, words) in [
        ("A bridge {seed=3\n", "not closed"),
        ("A bridge {seed=3} over the river\n", "not closed"),
        (
            "A bridge {seed=3} {style=flat-vector}\n",
            "one settings block",
        ),
    ] {
        let err = parse("o.txt", text).unwrap_err();
        assert!(
            matches!(&err, OutlineError::BadSettings { line: 1, .. }),
            "{text:?}: {err}"
        );
        assert!(err.to_string().contains(words), "{text:?}: {err}");
    }
    // Braces in ordinary text stay text.
    let o = parse("o.txt", "Budget {2025} by sector\nA { } b {seed=4}\n").unwrap();
    assert_eq!(o.items[0].caption, "Budget {2025} by sector");
    assert_eq!(o.items[1].caption, "A { } b");
    assert_eq!(o.items[1].overrides.seed, Some(4));
}

/// `{cover layout=…}` (and the CSV columns) set one cover's title layout; figures without it
/// keep the batch-wide one.
#[test]
fn a_cover_takes_its_own_title_layout() {
    use reportfig::title::TitleLayout;
    let o = parse(
        "cover.md",
        "# 보고서\n\n그림: 광장 {cover layout=Band}\n\n그림: 버스 {cover}\n",
    )
    .unwrap();
    assert!(o.items[0].overrides.cover);
    assert_eq!(o.items[0].overrides.layout, Some(TitleLayout::Band));
    assert!(o.items[1].overrides.cover);
    assert_eq!(o.items[1].overrides.layout, None);
    let o = parse(
        "cover.csv",
        "caption,cover,layout\n광장,yes,center\n버스,,\n",
    )
    .unwrap();
    assert_eq!(o.items[0].overrides.layout, Some(TitleLayout::Center));
    assert_eq!(o.items[1].overrides.layout, None);
    assert!(!o.items[1].overrides.cover);
}
