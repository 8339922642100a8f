//! A Korean desktop: `batch` and `compare` under `LANG=ko_KR.UTF-8`, as a staff member meets
//! them: Korean file names, the gallery as a review page in Korean (checked as text and in
//! headless Chromium), and a comparison whose labels and legend say what changes in words.

use std::path::Path;

use assert_cmd::Command;

use crate::common;
use common::{files, ok, reportfig_offline, tiny_turbo};

fn korean(mut cmd: Command) -> Command {
    cmd.env("LANG", "ko_KR.UTF-8");
    cmd
}

fn batch(home: &Path, outline: &Path) -> Command {
    let mut cmd = korean(reportfig_offline(home));
    cmd.arg("batch").arg(outline).args([
        "--model",
        tiny_turbo().to_str().unwrap(),
        "--size",
        "96x64",
        "--steps",
        "1",
        "--no-translate",
    ]);
    cmd
}

const OUTLINE: &str = "# 2026년 대중교통 개선 계획\n\n\
    ## 1. 버스\n\n\
    그림 1. 버스 전용차로 확대 {style=watercolor-cityscape}\n\n\
    그림 2. 스마트 버스 정류장 {seed=7}\n\n\
    ## 2. 자전거\n\n\
    그림 3. 해안 자전거 도로\n";

/// Writes the outline, runs the batch, rewords figure 3 and runs again: figure 3's first
/// picture is left in the folder, outdated.
fn report_with_an_outdated_picture(home: &Path) -> std::path::PathBuf {
    let outline = home.join("outline.md");
    std::fs::write(&outline, OUTLINE).unwrap();
    ok(batch(home, &outline));
    std::fs::write(
        &outline,
        OUTLINE.replace("해안 자전거 도로", "해안 자전거 도로와 쉼터"),
    )
    .unwrap();
    let again = ok(batch(home, &outline));
    assert!(
        again.stdout.contains("03-해안-자전거-도로.png"),
        "{}",
        again.stdout
    );
    home.join("figures")
}

#[test]
fn korean_batch_writes_korean_names_and_a_review_page() {
    let home = tempfile::tempdir().unwrap();
    let figures = report_with_an_outdated_picture(home.path());
    assert_eq!(
        files(&figures),
        [
            "01-버스-전용차로-확대.png",
            "02-스마트-버스-정류장.png",
            "03-해안-자전거-도로.png",
            "03-해안-자전거-도로와-쉼터.png",
            "index.html",
            "manifest.json",
        ]
    );
    let html = std::fs::read_to_string(figures.join("index.html")).unwrap();
    assert!(html.contains("<html lang=\"ko\">"));
    assert!(html.contains("<h1>2026년 대중교통 개선 계획</h1>"));
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in the page"))
    };
    assert!(at(">1. 버스</h2>") < at("id=\"figure-1\""));
    assert!(at("id=\"figure-2\"") < at(">2. 자전거</h2>"));
    assert!(at(">2. 자전거</h2>") < at("id=\"figure-3\""));
    // The style by its Korean title, settings in words, the snippet, the buttons.
    assert!(html.contains("수채화 도시 풍경 <span class=\"slug\">watercolor-cityscape</span>"));
    assert!(html.contains("96×64 픽셀 · 시드 1 · 단계 1"), "{html}");
    assert!(html.contains("<code>{seed=1 style=watercolor-cityscape}</code>"));
    assert!(html.contains("<code>{seed=7}</code>"));
    assert!(html.contains(">그림 복사</button>") && html.contains(">내려받기</button>"));
    // The reworded figure's old picture is listed apart, below every figure, and kept.
    let outdated = at("id=\"outdated\"");
    assert!(outdated > at("id=\"figure-3\""));
    assert!(html[outdated..].contains("03-해안-자전거-도로.png"));
    assert!(!html[..outdated].contains("03-해안-자전거-도로.png"));
    // Nothing from the network.
    assert!(!html.contains("http://") && !html.contains("https://"));

    // The same folder gives the same page, byte for byte.
    let outline = home.path().join("outline.md");
    ok(batch(home.path(), &outline));
    assert_eq!(
        std::fs::read_to_string(figures.join("index.html")).unwrap(),
        html
    );

    // --names roman is today's ASCII spelling, still cut between words.
    let roman = tempfile::tempdir().unwrap();
    let o = roman.path().join("o.txt");
    std::fs::write(&o, "버스 전용차로 확대\n").unwrap();
    ok(batch(roman.path(), &o).args(["--names", "roman"]));
    assert!(files(&roman.path().join("figures"))
        .contains(&"01-beoseu-jeonyongcharo-hwakdae.png".to_string()));
}

#[test]
fn korean_compare_labels_legend_names_and_page() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = korean(reportfig_offline(home.path()));
    cmd.current_dir(home.path()).args([
        "compare",
        "노인복지관 개관식",
        "--styles",
        "watercolor-cityscape,line-icons",
        "--vary",
        "steps=1,2",
        "--seeds",
        "3",
        "--model",
        tiny_turbo().to_str().unwrap(),
        "--size",
        "64x64",
        "--no-translate",
    ]);
    let r = ok(cmd);
    let printed: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        printed,
        [
            "비교-노인복지관-개관식.png",
            "비교-노인복지관-개관식/index.html"
        ]
    );
    let sheet = home.path().join(printed[0]);
    let meta: serde_json::Value = serde_json::from_str(
        &reportfig::output::read_text_chunk(&sheet, reportfig::compare::SHEET_KEYWORD)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        meta["rows"],
        serde_json::json!(["단계 1\n시드 3", "단계 2\n시드 3"])
    );
    let legend: Vec<String> = meta["legend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    assert!(legend[0].starts_with("시드:"), "{legend:?}");
    assert!(legend.iter().any(|l| l.starts_with("단계:")), "{legend:?}");
    assert!(
        !legend.iter().any(|l| l.starts_with("샘플러:")),
        "{legend:?}"
    );
    // Every single image is named with its style and seed, and the page shows the name and
    // the outline block that makes it again.
    let cells = meta["cells"].as_array().unwrap();
    let names: Vec<&str> = cells.iter().map(|c| c["file"].as_str().unwrap()).collect();
    let icons = line_icons_title();
    assert_eq!(
        names,
        [
            "수채화-도시-풍경-시드-3-단계-1.png".to_string(),
            format!("{icons}-시드-3-단계-1.png"),
            "수채화-도시-풍경-시드-3-단계-2.png".to_string(),
            format!("{icons}-시드-3-단계-2.png"),
        ]
    );
    let page = std::fs::read_to_string(home.path().join(printed[1])).unwrap();
    assert!(page.contains("<html lang=\"ko\">"));
    for (cell, name) in cells.iter().zip(&names) {
        assert!(home
            .path()
            .join("비교-노인복지관-개관식")
            .join(name)
            .exists());
        assert!(page.contains(&format!("<div class=\"file\">{name}</div>")));
        assert_eq!(
            cell["snippet"].as_str().unwrap(),
            format!(
                "{{seed=3 style={}}}",
                cell["parameters"]["styles"][0].as_str().unwrap()
            )
        );
    }
    assert!(page.contains("<code>{seed=3 style=watercolor-cityscape}</code>"));
    assert!(page.contains("일괄 작업 명령에 함께 쓸 설정: --steps 2"));
    assert!(page.contains("<li>단계: "));
}

/// The Korean title of `line-icons`, the second style compared, slugged as a file name.
fn line_icons_title() -> String {
    let lib = reportfig::style::StyleLibrary::builtin();
    let title = lib
        .get("line-icons")
        .unwrap()
        .style
        .title
        .ko
        .clone()
        .unwrap();
    reportfig::output::name_slug(&title, 40, reportfig::output::Naming::Korean)
}

/// The review page in headless Chromium: title, sections and figures in outline order, every
/// embedded picture decodes to the bytes of its file, pictures sit beside their details, the
/// outdated picture comes after every figure, and the copy buttons answer (where the browser
/// refuses the clipboard, as headless Chromium does without a real click, with the fallback
/// advice).
#[test]
fn gallery_review_page_in_a_browser() {
    let Some(chromium) = crate::common::chromium("gallery_review_page_in_a_browser") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let figures = report_with_an_outdated_picture(home.path());
    let probe = home.path().join("probe.html");
    std::fs::write(
        &probe,
        PROBE.replace(
            "GALLERY",
            &format!("file://{}", figures.join("index.html").display()),
        ),
    )
    .unwrap();
    let dom = crate::common::dump_dom(chromium, &probe, 8000);
    let json = dom
        .split("RESULT ")
        .nth(1)
        .and_then(|rest| rest.split(" END").next())
        .unwrap_or_else(|| panic!("no result from the probe: {dom}"));
    let json = json.replace("&quot;", "\"").replace("&amp;", "&");
    let page: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(page["title"], "2026년 대중교통 개선 계획");
    assert_eq!(
        page["sections"],
        serde_json::json!(["1. 버스", "2. 자전거"])
    );
    let shown = page["figures"].as_array().unwrap();
    assert_eq!(shown.len(), 3);
    for f in shown {
        let file = f["file"].as_str().unwrap();
        let bytes = std::fs::metadata(figures.join(file)).unwrap().len();
        assert_eq!(
            f["bytes"], bytes,
            "{file}: the embedded picture is the file"
        );
        assert_eq!(f["type"], "image/png");
        assert_eq!(f["width"], 96);
        assert_eq!(f["beside"], true, "{file}: picture beside its details");
    }
    assert_eq!(shown[2]["caption"], "그림 3. 해안 자전거 도로와 쉼터");
    assert_eq!(shown[0]["snippet"], "{seed=1 style=watercolor-cityscape}");
    let outdated = page["outdated"].as_array().unwrap();
    assert_eq!(outdated.len(), 1);
    assert!(outdated[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("03-해안-자전거-도로.png"));
    assert_eq!(outdated[0]["loaded"], true);
    assert_eq!(page["outdatedBelow"], true);
    for key in ["statusText", "statusImage"] {
        let status = page[key].as_str().unwrap();
        assert!(
            status.contains("복사했습니다")
                || status.contains("복사하지 못했습니다")
                || status.contains("복사가 허용되지 않았습니다"),
            "{key}: {status}"
        );
    }
}

/// Loads the gallery in a frame and reports what a reader would see, as JSON.
const PROBE: &str = r#"<!DOCTYPE html><html><body><pre id=out>pending</pre>
<iframe id=f style="width:1200px;height:900px" src="GALLERY"></iframe><script>
document.getElementById('f').onload = async () => {
  const d = document.getElementById('f').contentWindow.document;
  const imgs = [...d.images];
  await Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
  const figs = [...d.querySelectorAll('article.figure')];
  const out = {
    title: d.querySelector('h1').textContent,
    sections: [...d.querySelectorAll('h2.section')].map(h => h.textContent),
    figures: [],
    outdated: [...d.querySelectorAll('#outdated li')].map(li => ({ text: li.textContent, loaded: li.querySelector('img').naturalWidth > 0 })),
  };
  for (const a of figs) {
    const img = a.querySelector('img');
    const info = a.querySelector('.info');
    const blob = await (await fetch(img.src)).blob();
    out.figures.push({
      file: a.dataset.file, caption: a.querySelector('.caption').textContent,
      width: img.naturalWidth, bytes: blob.size, type: blob.type,
      beside: img.getBoundingClientRect().right <= info.getBoundingClientRect().left,
      snippet: a.querySelector('.snippet code').textContent,
    });
  }
  out.outdatedBelow = d.getElementById('outdated').getBoundingClientRect().top > figs[figs.length - 1].getBoundingClientRect().bottom;
  figs[0].querySelector('button.copy-text').click();
  await new Promise(r => setTimeout(r, 300));
  out.statusText = d.getElementById('status').textContent;
  figs[0].querySelector('button.copy-image').click();
  await new Promise(r => setTimeout(r, 300));
  out.statusImage = d.getElementById('status').textContent;
  document.getElementById('out').textContent = 'RESULT ' + JSON.stringify(out) + ' END';
};</script></body></html>
"#;
