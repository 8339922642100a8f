//! The parts of `reportfig serve`'s page past the first picture, driven in headless Chromium
//! as a person uses them: a starting picture chosen from disk, the compare view, and the
//! history of this browser. Each step checks what the page says and where things sit, and
//! leaves a screenshot in `REPORTFIG_SCREENSHOT_DIR` to be looked at.

use serde_json::Value;
use tempfile::TempDir;

use crate::common;
use crate::serve::{photo_bytes, stored, Browser, Server, SIZE};

/// Whether every element of the page sits inside the page's card (nothing pushed out
/// sideways by a long label or a wide picture), and the window has no sideways scroll.
const FITS: &str = "(() => {
    const main = document.querySelector('main').getBoundingClientRect();
    const out = [...document.querySelectorAll('main *')].filter(e => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && (r.left < main.left - 0.5 || r.right > main.right + 0.5);
    });
    return out.length === 0 && document.documentElement.scrollWidth <= window.innerWidth;
})()";

/// The tops of the boxes (inputs, selects) of one `.row`, to see that they line up.
fn tops(browser: &mut Browser, ids: &[&str]) -> Vec<f64> {
    let list = ids
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let v = browser.eval(&format!(
        "[{list}].map(id => document.getElementById(id).getBoundingClientRect().top)"
    ));
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect()
}

fn assert_level(tops: &[f64], what: &str) {
    let (lo, hi) = tops
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    assert!(hi - lo < 1.5, "{what} do not line up: {tops:?}");
}

fn text(browser: &mut Browser, id: &str) -> String {
    browser
        .eval(&format!("document.getElementById('{id}').textContent"))
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn serve_page_starts_from_a_picture_compares_and_keeps_a_history_in_chromium() {
    let Some(chromium) = common::chromium(
        "serve_page_starts_from_a_picture_compares_and_keeps_a_history_in_chromium",
    ) else {
        return;
    };
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&tmp.path().join("home"), &data, &[]);
    let mut browser = Browser::start(chromium);
    browser.open(&server.url("/"));
    browser.wait_until(
        "document.readyState === 'complete' && document.querySelectorAll('#compare-styles option').length > 2",
        "the page did not load the styles",
    );
    assert_eq!(
        browser.eval("document.getElementById('history-section').hidden"),
        true
    );
    assert_eq!(
        browser.eval("document.getElementById('picture-options').hidden"),
        true
    );
    assert_eq!(browser.eval(FITS), true, "the empty page fits");
    assert_level(
        &tops(&mut browser, &["style", "size", "seed"]),
        "the style, size and seed boxes",
    );
    assert_level(
        &tops(
            &mut browser,
            &["compare-styles", "compare-seeds", "compare-vary"],
        ),
        "the compare view's boxes",
    );

    // A starting picture chosen from disk: its preview and the strength slider appear.
    use base64::Engine as _;
    let photo = photo_bytes(96, 64, image::ImageFormat::Png);
    let photo64 = base64::engine::general_purpose::STANDARD.encode(&photo);
    browser.eval(&format!(
        "const bytes = Uint8Array.from(atob('{photo64}'), c => c.charCodeAt(0));
         const files = new DataTransfer();
         files.items.add(new File([bytes], '시청 앞.png', {{ type: 'image/png' }}));
         const input = document.getElementById('picture');
         input.files = files.files;
         input.dispatchEvent(new Event('change'));
         const size = document.getElementById('size');
         size.add(new Option('64x64', '{SIZE}'));
         size.value = '{SIZE}';
         true"
    ));
    browser.wait_until(
        "!document.getElementById('picture-options').hidden && document.getElementById('picture-preview').naturalWidth === 96",
        "the chosen picture was not previewed",
    );
    browser.eval(
        "const s = document.getElementById('strength');
         s.value = '0.4';
         s.dispatchEvent(new Event('input'));
         true",
    );
    assert_eq!(text(&mut browser, "strength-value"), "0.4");
    // The preview is a thumbnail, not the photo at full size.
    let preview = browser.eval(
        "(() => { const r = document.getElementById('picture-preview').getBoundingClientRect(); return [r.width, r.height]; })()",
    );
    assert!(preview[0].as_f64().unwrap() <= 192.5, "{preview}");
    browser.eval(
        "document.getElementById('caption').value = '시청 앞 광장의 버스 정류장';
         document.getElementById('seed').value = '5';
         document.getElementById('make').click(); true",
    );
    browser.wait_until(
        "!document.getElementById('result').hidden && document.getElementById('image').naturalWidth === 64",
        "the picture from the starting picture never appeared",
    );
    assert_eq!(
        browser.eval("document.getElementById('error').hidden"),
        true
    );
    assert_eq!(text(&mut browser, "state"), "완성");
    assert_eq!(
        text(&mut browser, "made-seed"),
        "시드 5 (위에 넣으면 같은 그림을 다시 만듭니다)"
    );
    let pngs: Vec<String> = stored(&data)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .collect();
    assert_eq!(pngs.len(), 1, "{pngs:?}");
    let meta = reportfig::output::read_metadata(&data.join("images").join(&pngs[0]))
        .unwrap()
        .unwrap();
    let init = meta
        .init_image
        .expect("the picture started from the upload");
    assert_eq!(init.file, "시청 앞.png");
    assert_eq!(init.sha256, common::sha256_hex(&photo));
    assert_eq!(init.strength, 0.4);
    assert_eq!(meta.seed, 5);
    browser.wait_until(
        "document.querySelectorAll('#history li img').length === 1 && document.querySelector('#history li img').naturalWidth === 64",
        "the picture is not in the history",
    );
    assert_eq!(browser.eval(FITS), true, "the page with a picture fits");
    browser.screenshot("serve-page-picture.png");

    // Taking the picture out hides its settings; the next job starts from noise.
    browser.eval("document.getElementById('picture-clear').click(); true");
    assert_eq!(
        browser.eval("document.getElementById('picture-options').hidden"),
        true
    );
    assert_eq!(
        browser.eval("document.getElementById('picture').files.length"),
        0
    );

    // A comparison too large for the server is refused on the page, in Korean.
    browser.eval(
        "const styles = document.getElementById('compare-styles');
         for (const o of styles.options) o.selected = ['isometric-city', 'blueprint-technical'].includes(o.value);
         document.getElementById('compare-seeds').value = '1, 2';
         document.getElementById('compare-vary').value = 'steps=1,2,3,4,5';
         document.getElementById('compare-make').click(); true",
    );
    browser.wait_until(
        "!document.getElementById('compare-error').hidden && !document.getElementById('compare-make').disabled",
        "a comparison of 20 pictures was not refused",
    );
    let refused = text(&mut browser, "compare-error");
    assert!(
        refused.contains("20") && refused.contains("16"),
        "{refused}"
    );
    assert!(
        refused.chars().any(|c| ('가'..='힣').contains(&c)),
        "{refused}"
    );

    // Two styles by two seeds: one labelled sheet of four pictures.
    browser.eval(
        "document.getElementById('compare-vary').value = '';
         document.getElementById('compare-make').click(); true",
    );
    browser.wait_until(
        "!document.getElementById('compare-result').hidden && document.getElementById('compare-image').naturalWidth > 128",
        "the comparison sheet never appeared",
    );
    assert_eq!(
        browser.eval("document.getElementById('compare-error').hidden"),
        true
    );
    assert_eq!(text(&mut browser, "compare-state"), "완성");
    assert_eq!(
        browser.eval("document.getElementById('compare-bar').value"),
        Value::from(1)
    );
    // Two columns and two rows of 64² pictures, with room for their labels.
    let sheet = browser.eval(
        "[document.getElementById('compare-image').naturalWidth, document.getElementById('compare-image').naturalHeight]",
    );
    assert!(
        sheet[0].as_u64().unwrap() >= 128 && sheet[1].as_u64().unwrap() >= 128,
        "{sheet}"
    );
    let head = browser.eval(
        "fetch(document.getElementById('compare-download').href)
           .then(r => r.arrayBuffer())
           .then(b => Array.from(new Uint8Array(b).slice(0, 8)))",
    );
    assert_eq!(head, serde_json::json!([137, 80, 78, 71, 13, 10, 26, 10]));
    let name = browser.eval("document.getElementById('compare-download').download");
    assert_eq!(name, "reportfig-compare-1.png");
    let compares: Vec<String> = stored(&data)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .collect();
    assert_eq!(compares.len(), 2, "the picture and the sheet: {compares:?}");

    // The history: the sheet first, labelled as a comparison, then the picture.
    browser.wait_until(
        "document.querySelectorAll('#history li img').length === 2 && [...document.querySelectorAll('#history li img')].every(i => i.naturalWidth > 0)",
        "the comparison is not in the history",
    );
    let items =
        browser.eval("[...document.querySelectorAll('#history li')].map(li => li.textContent)");
    let items: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        vec![
            "비교표 · 시청 앞 광장의 버스 정류장 · 시드 1 · 완성",
            "시청 앞 광장의 버스 정류장 · 시드 5 · 완성",
        ]
    );
    // Thumbnails side by side in one row, each inside the card.
    let boxes = browser.eval(
        "[...document.querySelectorAll('#history li')].map(li => { const r = li.getBoundingClientRect(); return [r.left, r.top, r.width]; })",
    );
    let (a, b) = (&boxes[0], &boxes[1]);
    assert_eq!(a[1], b[1], "history items in one row: {boxes}");
    assert!(a[0].as_f64() < b[0].as_f64(), "{boxes}");
    assert!(
        a[2].as_f64().unwrap() < 250.0,
        "a thumbnail, not a full picture: {boxes}"
    );
    assert_eq!(browser.eval(FITS), true, "the page with a sheet fits");
    browser.screenshot("serve-page-compare.png");

    // The history is the browser's: it is there again after the page is opened anew.
    // The old document is marked so the wait cannot be met by it before the reload starts
    // (it shows the history too); the new one has no mark.
    browser.eval("window.reportfigBeforeReload = true; location.reload(); true");
    browser.wait_until(
        "!window.reportfigBeforeReload && document.readyState === 'complete' && !document.getElementById('history-section').hidden && document.querySelectorAll('#history li img').length === 2",
        "the history did not come back with the page",
    );
    browser.screenshot("serve-page-history.png");

    // On a phone's width the rows become one column, and still nothing sticks out.
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({ "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
    );
    browser.wait_until("window.innerWidth === 390", "the window did not narrow");
    assert_eq!(browser.eval(FITS), true, "the page fits a phone");
    let stacked = browser.eval(
        "(() => {
            const r = id => document.getElementById(id).getBoundingClientRect();
            return r('compare-seeds').top > r('compare-styles').bottom
                && r('compare-vary').top > r('compare-seeds').bottom
                && r('size').top > r('style').bottom;
        })()",
    );
    assert_eq!(stacked, true, "one column on a phone");
    browser.screenshot("serve-page-phone.png");
    assert!(server.stop().success());
}
