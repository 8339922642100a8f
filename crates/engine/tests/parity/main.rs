//! The engine against Hugging Face diffusers and transformers: golden files made by
//! `tools/reference/` on tiny random-weight models, compared stage by stage. One test binary,
//! so the suite links candle once.

mod golden;
mod lora_parity;
mod pipeline_parity;
mod scheduler_parity;
mod single_file_lora_parity;
mod single_file_parity;
mod text_parity;
mod tiny_vae_parity;
mod translate_parity;
mod translate_tokenizer;
mod unet_parity;
mod upscale_parity;
mod vae_parity;
mod winograd_real_size;
