//! Fooocus and InvokeAI JSON style imports: see `reportfig_fuzz::check_import`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reportfig::style::import::ImportFormat;

fuzz_target!(|data: &[u8]| {
    reportfig_fuzz::check_import(ImportFormat::StyleJson, "styles.json", data);
});
