//! A1111 / Forge `styles.csv` imports: see `reportfig_fuzz::check_import`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reportfig::style::import::ImportFormat;

fuzz_target!(|data: &[u8]| {
    reportfig_fuzz::check_import(ImportFormat::A1111Csv, "styles.csv", data);
});
