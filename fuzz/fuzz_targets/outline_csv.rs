//! Csv outlines: see `reportfig_fuzz::check_outline`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reportfig::outline::OutlineFormat;

fuzz_target!(|data: &[u8]| {
    reportfig_fuzz::check_outline(OutlineFormat::Csv, "figures.csv", data);
});
