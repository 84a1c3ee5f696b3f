fn main() -> std::process::ExitCode {
    trespass::cli::main_impl()
}
