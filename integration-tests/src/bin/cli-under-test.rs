//! liftrescue's command line, built inside this package for the black-box tests.

fn main() -> std::process::ExitCode {
    liftrescue::cli::main()
}
