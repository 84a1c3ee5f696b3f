//! The `trespass` binary, built again inside this package so tests get
//! `CARGO_BIN_EXE_trespass-dup` (Cargo only hands binary paths to tests of the same package).

fn main() -> std::process::ExitCode {
    trespass::cli::main_impl()
}
