//! Writes the four tiny random-weight models (sd15, sd21, turbo, sdxl) into DIR/<family>/,
//! the tiny LCM-distilled models into DIR/sd15-lcm/ and DIR/sdxl-lcm/ and the tiny
//! inpainting models (9-channel UNets) into DIR/sd15-inpaint/ and DIR/sdxl-inpaint/, in the
//! diffusers layout, for the reference scripts in tools/reference/.
//!
//!     cargo run --example tiny_models -- DIR

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: tiny_models DIR"))?;
    for family in reportfig_testkit::TinyFamily::ALL {
        let out = std::path::Path::new(&dir).join(family.name());
        reportfig_testkit::write_tiny_model(&out, family)?;
        println!("{}", out.display());
    }
    for family in [
        reportfig_testkit::TinyFamily::Sd15,
        reportfig_testkit::TinyFamily::Sdxl,
    ] {
        let out = std::path::Path::new(&dir).join(reportfig_testkit::tiny_lcm_name(family));
        reportfig_testkit::write_tiny_lcm_model(&out, family)?;
        println!("{}", out.display());
        let out = std::path::Path::new(&dir).join(reportfig_testkit::tiny_inpaint_name(family));
        reportfig_testkit::write_tiny_inpaint_model(&out, family)?;
        println!("{}", out.display());
    }
    Ok(())
}
