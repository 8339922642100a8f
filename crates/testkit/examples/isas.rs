//! Prints the kernel instruction sets this CPU runs, widest first, one name a line (what
//! `REPORTFIG_ISA` accepts), so `tools/test` can run the parity suites on each of them.

fn main() {
    for isa in reportfig_engine::pipeline::Isa::supported() {
        println!("{isa}");
    }
}
