//! The app end to end: the binary driven as a user would (`cli_*`), and the library parts
//! it is made of. One test binary, so the suite links candle once.

mod common;

mod batch_plan;
mod bundles;
mod cli_batch;
mod cli_compare;
mod cli_draft;
mod cli_generate;
mod cli_img2img;
mod cli_korean;
mod cli_lang;
mod cli_lang_rare;
mod cli_lcm;
mod cli_lightning;
mod cli_lora;
mod cli_print;
mod cli_single_file;
mod cli_title;
mod cli_translate;
mod cli_ux;
mod compare_sheet;
mod disk_full;
mod family_detection;
mod fuzz_files;
mod fuzz_outline;
mod hostile_models;
mod model_source;
mod outline;
mod output;
mod report_output;
mod serve;
mod serve_instances;
mod serve_page;
mod styles;
