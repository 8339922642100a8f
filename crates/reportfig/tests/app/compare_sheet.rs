//! The contact-sheet renderer on plain pictures: grid size, labels actually drawn, Hangul
//! covered by the bundled font, missing glyphs reported, HTML escaped, metadata complete.

use image::{Rgb, RgbImage};
use reportfig::compare::{
    layout_sheet, render_index_html, render_sheet, render_sheet_with_layout, sheet_chunks,
    sheet_metadata, CompareError, ContactSheet, Rect, SheetCell, SheetFont, SHEET_KEYWORD,
};
use reportfig::i18n::Lang;
use reportfig::text::escape_html;
use serde_json::json;

const BACKGROUND: Rgb<u8> = Rgb([255, 255, 255]);

fn cell(w: u32, h: u32, shade: u8, lines: &[&str], seed: u64) -> SheetCell {
    SheetCell {
        image: RgbImage::from_pixel(w, h, Rgb([shade, 128, 255 - shade])),
        label_lines: lines.iter().map(|s| s.to_string()).collect(),
        params_json: json!({ "seed": seed, "style": lines.first().copied().unwrap_or("") }),
        file: Some(format!("cells/{shade}-{seed}.png")),
        snippet: Some(format!("{{seed={seed}}}")),
        snippet_note: None,
    }
}

fn korean_sheet(rows: usize, columns: usize, w: u32, h: u32) -> ContactSheet {
    let styles = [
        ("수채화 도시 · Watercolor city", "steps 4"),
        ("평면 벡터 · Flat vector", "steps 4, guidance 0.0"),
        ("종이 오리기 · Paper cut", "sampler DPM++ 2M Karras"),
        ("아이소메트릭 도시 · Isometric city", "steps 2"),
    ];
    ContactSheet {
        header: "노인복지관 개관식 — Senior welfare centre opening ceremony".to_string(),
        column_labels: (0..columns)
            .map(|c| styles[c % styles.len()].0.to_string())
            .collect(),
        row_labels: (0..rows).map(|r| format!("seed {}", r + 1)).collect(),
        rows: (0..rows)
            .map(|r| {
                (0..columns)
                    .map(|c| {
                        let (title, detail) = styles[c % styles.len()];
                        cell(
                            w,
                            h,
                            (40 * c + 10 * r) as u8,
                            &[title, detail],
                            r as u64 + 1,
                        )
                    })
                    .collect()
            })
            .collect(),
        legend: Vec::new(),
    }
}

fn inside(outer: (u32, u32), rect: Rect) -> bool {
    rect.x + rect.width <= outer.0 && rect.y + rect.height <= outer.1
}

fn has_ink(image: &RgbImage, rect: Rect) -> bool {
    (rect.y..rect.y + rect.height)
        .any(|y| (rect.x..rect.x + rect.width).any(|x| *image.get_pixel(x, y) != BACKGROUND))
}

#[test]
fn grid_has_every_cell_at_full_size() {
    let font = SheetFont::bundled();
    for (rows, columns) in [(1, 1), (2, 3), (3, 2)] {
        let sheet = korean_sheet(rows, columns, 64, 48);
        let (image, layout) = render_sheet_with_layout(&sheet, &font).unwrap();
        assert_eq!(image.dimensions(), (layout.width, layout.height));
        assert_eq!(layout.images.len(), rows);
        assert_eq!(layout.labels.len(), rows);
        for r in 0..rows {
            assert_eq!(layout.images[r].len(), columns);
            for c in 0..columns {
                let rect = layout.images[r][c];
                assert_eq!((rect.width, rect.height), (64, 48));
                assert!(inside(image.dimensions(), rect));
                // The picture is copied pixel for pixel.
                let expected = sheet.rows[r][c].image.get_pixel(0, 0);
                assert_eq!(image.get_pixel(rect.x, rect.y), expected);
                assert_eq!(
                    image.get_pixel(rect.x + 63, rect.y + 47),
                    expected,
                    "cell {r},{c}"
                );
                // Cells do not overlap their neighbours or their labels.
                if c + 1 < columns {
                    assert!(rect.x + rect.width < layout.images[r][c + 1].x);
                }
                assert!(rect.y + rect.height <= layout.labels[r][c].y);
                if r + 1 < rows {
                    let below = layout.labels[r][c];
                    assert!(below.y + below.height <= layout.images[r + 1][c].y);
                }
            }
        }
        // Wider and taller than the pictures alone.
        assert!(layout.width > columns as u32 * 64);
        assert!(layout.height > rows as u32 * 48);
    }
}

#[test]
fn layout_matches_render_and_grows_with_cells() {
    let font = SheetFont::bundled();
    let small = layout_sheet(&korean_sheet(1, 2, 64, 64), &font).unwrap();
    let wide = layout_sheet(&korean_sheet(1, 3, 64, 64), &font).unwrap();
    let tall = layout_sheet(&korean_sheet(2, 2, 64, 64), &font).unwrap();
    assert!(wide.width > small.width && wide.height == small.height);
    assert!(tall.height > small.height && tall.width == small.width);
    let (_, rendered) = render_sheet_with_layout(&korean_sheet(1, 2, 64, 64), &font).unwrap();
    assert_eq!(rendered, small);
}

#[test]
fn every_label_band_and_the_header_have_text() {
    let font = SheetFont::bundled();
    let sheet = korean_sheet(2, 3, 96, 64);
    let (image, layout) = render_sheet_with_layout(&sheet, &font).unwrap();
    for (r, row) in layout.labels.iter().enumerate() {
        for (c, band) in row.iter().enumerate() {
            assert!(band.height > 0);
            assert!(inside(image.dimensions(), *band));
            assert!(has_ink(&image, *band), "label band {r},{c} is blank");
        }
    }
    let header = layout.header.expect("a header band");
    assert!(has_ink(&image, header));

    // Without labels, the bands stay empty: the ink above really came from the labels.
    let mut bare = sheet.clone();
    for cell in bare.rows.iter_mut().flatten() {
        cell.label_lines.clear();
    }
    let (image, layout) = render_sheet_with_layout(&bare, &font).unwrap();
    for band in layout.labels.iter().flatten() {
        assert!(!has_ink(&image, *band));
    }
}

#[test]
fn long_labels_wrap_inside_their_cell() {
    let font = SheetFont::bundled();
    let long =
        "아주 긴 스타일 이름과 설정 · a very long style title with many settings that differ";
    let mut sheet = korean_sheet(1, 2, 64, 64);
    let short_layout = layout_sheet(&sheet, &font).unwrap();
    sheet.rows[0][0].label_lines = vec![long.to_string()];
    let (image, layout) = render_sheet_with_layout(&sheet, &font).unwrap();
    assert!(layout.labels[0][0].height > short_layout.labels[0][0].height);
    // Nothing is drawn in the gap between the two label bands.
    let left = layout.labels[0][0];
    let right = layout.labels[0][1];
    let gap = Rect {
        x: left.x + left.width + 1,
        y: left.y,
        width: right.x - (left.x + left.width) - 2,
        height: left.height,
    };
    assert!(!has_ink(&image, gap));
}

#[test]
fn bundled_font_covers_korean_labels() {
    let font = SheetFont::bundled();
    let sheet = korean_sheet(2, 4, 64, 64);
    assert_eq!(sheet.missing_glyphs(&font), Vec::<char>::new());
    let all_hangul: String = ('가'..='힣').step_by(97).collect();
    assert_eq!(font.missing_glyphs(&all_hangul), Vec::<char>::new());
    assert!(render_sheet(&sheet, &font).is_ok());
}

/// The labels a real compare writes (Korean style titles, "단계 2", seeds, the symbols of
/// Korean report text) are all in the bundled font, and Hangul alone draws real glyphs: two
/// labels of different syllables leave different ink (a missing glyph would be the same box).
#[test]
fn hangul_only_labels_draw_their_own_glyphs() {
    let font = SheetFont::bundled();
    assert_eq!(
        font.missing_glyphs(
            "단계 2 · 시드 12345 · 안내 강도 7.5 · 샘플러 DPM++ 2M Karras (기본) \
             면적 1,200㎡, 영하 5℃ ① ※ ○ △ □ → × ～ 「」『』【】〔〕 “인용” ‘작은’ … – —"
        ),
        Vec::<char>::new()
    );
    let ink = |label: &str| {
        let mut sheet = korean_sheet(1, 1, 96, 64);
        sheet.header = String::new();
        sheet.column_labels = Vec::new();
        sheet.row_labels = Vec::new();
        sheet.rows[0][0].label_lines = vec![label.to_string()];
        let (image, layout) = render_sheet_with_layout(&sheet, &font).unwrap();
        let band = layout.labels[0][0];
        assert!(has_ink(&image, band), "label {label:?} left no ink");
        image::imageops::crop_imm(&image, band.x, band.y, band.width, band.height).to_image()
    };
    let a = ink("수채화 도시");
    let b = ink("평면 벡터");
    assert_ne!(a, b, "two Hangul labels drew the same pixels");
}

#[test]
fn missing_glyphs_are_reported_before_drawing() {
    let font = SheetFont::bundled();
    assert_eq!(font.missing_glyphs("신호등 🚦 and 🚦 again"), vec!['🚦']);
    // Variation selectors and joiners need no glyph of their own.
    assert_eq!(
        font.missing_glyphs("a\u{FE0F}\u{200D}b\n\t"),
        Vec::<char>::new()
    );

    let mut sheet = korean_sheet(1, 2, 32, 32);
    sheet.rows[0][1].label_lines.push("교통 🚦".to_string());
    let err = render_sheet(&sheet, &font).unwrap_err();
    assert!(matches!(err, CompareError::MissingGlyphs { .. }));
    let message = err.to_string();
    assert!(message.contains("'🚦' (U+1F6A6)"), "{message}");
    assert!(message.contains("--font"), "{message}");
    assert!(message.contains("TitleSans (bundled)"), "{message}");
}

#[test]
fn font_option_loads_a_file_and_reports_bad_paths() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("label-font.ttf");
    std::fs::write(
        &copy,
        include_bytes!("../../../../assets/fonts/TitleSans.ttf").as_slice(),
    )
    .unwrap();
    let font = SheetFont::load(Some(&copy)).unwrap();
    assert!(font.name().ends_with("label-font.ttf"));
    assert!(font.missing_glyphs("서울").is_empty());

    let missing = dir.path().join("nope.ttf");
    let err = SheetFont::load(Some(&missing)).unwrap_err();
    assert!(matches!(err, CompareError::FontRead { .. }));
    assert!(err.to_string().contains("nope.ttf"), "{err}");

    let junk = dir.path().join("junk.ttf");
    std::fs::write(&junk, b"not a font").unwrap();
    let err = SheetFont::load(Some(&junk)).unwrap_err();
    assert!(matches!(err, CompareError::FontParse { .. }));
    assert!(err.to_string().contains("--font"), "{err}");

    assert_eq!(SheetFont::load(None).unwrap().name(), "TitleSans (bundled)");
}

#[test]
fn inconsistent_grids_are_rejected_clearly() {
    let font = SheetFont::bundled();
    let empty = ContactSheet::default();
    assert!(matches!(
        render_sheet(&empty, &font),
        Err(CompareError::Empty)
    ));

    let mut ragged = korean_sheet(2, 2, 16, 16);
    ragged.rows[1].pop();
    let err = render_sheet(&ragged, &font).unwrap_err();
    assert!(err.to_string().contains("row 2"), "{err}");

    let mut sizes = korean_sheet(1, 2, 16, 16);
    sizes.rows[0][1].image = RgbImage::new(16, 8);
    let err = render_sheet(&sizes, &font).unwrap_err();
    assert!(err.to_string().contains("16x8"), "{err}");

    let mut labels = korean_sheet(1, 2, 16, 16);
    labels.column_labels.pop();
    let err = render_sheet(&labels, &font).unwrap_err();
    assert!(matches!(err, CompareError::LabelCount { .. }), "{err}");
}

#[test]
fn rendering_is_deterministic_and_works_without_axis_labels() {
    let font = SheetFont::bundled();
    let mut sheet = korean_sheet(2, 2, 48, 48);
    assert_eq!(
        render_sheet(&sheet, &font).unwrap(),
        render_sheet(&sheet.clone(), &font).unwrap()
    );
    sheet.row_labels.clear();
    sheet.column_labels.clear();
    sheet.header.clear();
    let (image, layout) = render_sheet_with_layout(&sheet, &font).unwrap();
    assert!(layout.header.is_none());
    assert_eq!(image.dimensions(), (layout.width, layout.height));
}

#[test]
fn legend_is_drawn_under_the_grid_and_listed_on_the_page() {
    let font = SheetFont::bundled();
    let mut sheet = korean_sheet(2, 2, 48, 48);
    let (_, plain) = render_sheet_with_layout(&sheet, &font).unwrap();
    assert!(plain.legend.is_none());
    sheet.legend = vec![
        "시드: 그림을 처음 그리기 시작하는 번호입니다.".to_string(),
        "단계: 그림을 다듬는 횟수입니다.".to_string(),
    ];
    let (image, layout) = render_sheet_with_layout(&sheet, &font).unwrap();
    let legend = layout.legend.expect("a legend rectangle");
    let last_label = layout.labels[1][1];
    assert!(legend.y >= last_label.y + last_label.height, "{legend:?}");
    assert!(legend.y + legend.height <= layout.height);
    assert!(layout.height > plain.height);
    assert!(has_ink(&image, legend));
    let html = render_index_html(&sheet, None, Lang::Ko);
    assert!(
        html.contains("<li>단계: 그림을 다듬는 횟수입니다.</li>"),
        "{html}"
    );
    assert!(html.contains("<html lang=\"ko\">"));
    assert!(html.contains("<code>{seed=1}</code>"), "{html}");
}

#[test]
fn metadata_lists_every_cell() {
    let sheet = korean_sheet(2, 3, 16, 16);
    let meta = sheet_metadata(&sheet);
    assert_eq!(meta["format_version"], 1);
    assert_eq!(meta["kind"], "contact-sheet");
    assert_eq!(meta["cell_width"], 16);
    let cells = meta["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    assert_eq!(cells[4]["row"], 1);
    assert_eq!(cells[4]["column"], 1);
    assert_eq!(cells[4]["parameters"]["seed"], 2);
    assert_eq!(cells[4]["file"], sheet.rows[1][1].file.clone().unwrap());
    assert_eq!(cells[0]["label"][0], "수채화 도시 · Watercolor city");
    let chunks = sheet_chunks(&sheet);
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].keyword, SHEET_KEYWORD);
    let parsed: serde_json::Value = serde_json::from_str(&chunks[0].text).unwrap();
    assert_eq!(parsed, meta);
}

#[test]
fn sheet_png_carries_its_metadata() {
    let font = SheetFont::bundled();
    let sheet = korean_sheet(1, 2, 32, 32);
    let image = render_sheet(&sheet, &font).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheet.png");
    reportfig::output::save_png(&path, &image, &sheet_chunks(&sheet), false).unwrap();
    let text = reportfig::output::read_text_chunk(&path, SHEET_KEYWORD)
        .unwrap()
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, sheet_metadata(&sheet));
}

#[test]
fn html_escapes() {
    assert_eq!(
        escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
        "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
    );
    let mut sheet = korean_sheet(1, 2, 16, 16);
    sheet.header = "<script>alert('x')</script> & 시청".to_string();
    sheet.column_labels[0] = "A <b>bold</b> style".to_string();
    sheet.rows[0][0].label_lines = vec!["\"quoted\" <title>".to_string()];
    sheet.rows[0][0].file = Some("cells/a b\"<c>.png".to_string());
    sheet.rows[0][1].params_json = json!({ "prompt": "</pre><script>" });
    let html = render_index_html(&sheet, Some("sheet.png"), Lang::En);
    // The page's own copy script only.
    assert_eq!(html.matches("<script>").count(), 1, "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(!html.contains("<title>\""), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 시청"));
    assert!(html.contains("&quot;quoted&quot; &lt;title&gt;"));
    assert!(html.contains("src=\"cells/a%20b%22%3Cc%3E.png\""), "{html}");
    assert!(html.contains("&lt;/pre&gt;&lt;script&gt;"));
    assert!(html.contains("<a href=\"sheet.png\">"));
}

/// The comparison page's content in both languages, with a legend and snippets, pinned.
#[test]
fn html_page_snapshots() {
    let mut sheet = korean_sheet(1, 2, 8, 8);
    sheet.legend = vec!["시드: 그림을 처음 그리기 시작하는 번호입니다.".to_string()];
    sheet.rows[0][1].snippet_note = Some("일괄 작업 명령에 함께 쓸 설정: --steps 2".to_string());
    for lang in Lang::ALL {
        let html = render_index_html(&sheet, Some("../sheet.png"), lang);
        let start = html.find("<body>").unwrap();
        let end = html.find("<script>").unwrap();
        insta::assert_snapshot!(format!("compare_page_body_{lang}"), &html[start..end]);
    }
}

#[test]
fn html_shows_the_full_grid() {
    let sheet = korean_sheet(2, 3, 40, 30);
    let html = render_index_html(&sheet, None, Lang::En);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert_eq!(html.matches("<img ").count(), 6);
    assert_eq!(html.matches("width=\"40\" height=\"30\"").count(), 6);
    assert_eq!(html.matches("<th scope=\"col\">").count(), 3);
    assert_eq!(html.matches("<th scope=\"row\">").count(), 2);
    for row in &sheet.rows {
        for cell in row {
            let file = cell.file.as_ref().unwrap();
            assert!(html.contains(&format!("src=\"{file}\"")), "{file}");
        }
    }
    assert!(html.contains("노인복지관 개관식"));
    assert!(html.ends_with("</html>\n"));
}
