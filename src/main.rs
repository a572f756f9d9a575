fn main() {
    std::process::exit(newsdesk::cli::main());
}
