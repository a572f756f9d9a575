// jemalloc serves the server's own allocations: a request makes many small, short-lived values
// (rows, strings, JSON, GraphQL values), and glibc's malloc and free were 16-21% of the CPU of an
// uncached latest page or GraphQL article page. SQLite's C allocations stay with glibc (two
// arenas: `limits::bound_malloc_arenas`). Figures: README, "The uncached path ... the allocator".
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, which it reads from this symbol when it starts. A background thread
/// returns pages left unused for about a second, straight to the system (no "muzzy" stage,
/// whose pages still count in RSS): the memory a flood of connections took comes back once
/// they are gone (`resilience::stalled_bodies_do_not_starve_other_clients`), as glibc's did
/// through `malloc_trim`.
#[cfg(not(target_env = "msvc"))]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: MallocConf =
    MallocConf(c"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string's address, as jemalloc's `malloc_conf` is declared (`const char *`).
#[repr(transparent)]
struct MallocConf(*const std::ffi::c_char);

// SAFETY: it points at a constant string that nothing writes.
unsafe impl Sync for MallocConf {}

fn main() {
    std::process::exit(newsdesk::cli::main());
}
