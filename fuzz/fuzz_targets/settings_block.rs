//! Settings blocks (`{seed=3 file=x.png image="photos/ok.png" strength=0.5}`): the input is
//! the inside of a block at the end of a caption line, in a text outline and as the last
//! line of a Markdown one, with the outline properties of `reportfig_fuzz::check_outline`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reportfig::outline::OutlineFormat;

fuzz_target!(|data: &[u8]| {
    let mut text = b"Bus lanes {".to_vec();
    text.extend_from_slice(data);
    text.push(b'}');
    reportfig_fuzz::check_outline(OutlineFormat::Text, "captions.txt", &text);
    let mut markdown = b"# Report\n\n## Bus lanes {".to_vec();
    markdown.extend_from_slice(data);
    markdown.extend_from_slice(b"}\n");
    reportfig_fuzz::check_outline(OutlineFormat::Markdown, "outline.md", &markdown);
});
