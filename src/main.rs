fn main() {
    eprintln!("reportfig: the command line is being built; see the README.");
    std::process::exit(1);
}
