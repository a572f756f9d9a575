// mimalloc instead of glibc's malloc: a request allocates many small strings on several
// threads (actix workers, the blocking pool), where glibc spent ~10% of a list request in
// `malloc_consolidate` and arena locks and kept more memory per thread.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(newsdesk::cli::main());
}
