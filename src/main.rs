// jemalloc serves the server's own allocations: a request makes many small, short-lived values
// (rows, strings, JSON, GraphQL values), and glibc's malloc and free were 16-21% of the CPU of an
// uncached latest page or GraphQL article page. SQLite's C allocations stay with glibc (two
// arenas: `limits::bound_malloc_arenas`). Figures: README, "The uncached path ... the allocator".
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(newsdesk::cli::main());
}
