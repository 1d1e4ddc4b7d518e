//! The `liftrescue` binary: everything lives in the library; this only hands over the arguments.

/// mimalloc instead of the system's allocator: a burst's desk steps build and drop megabytes of
/// rows and statement buffers at a time, where glibc's malloc spent a third of the server's CPU
/// consolidating and moving (see ops/BENCHMARKS.md, Burst).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    liftrescue::cli::main()
}
