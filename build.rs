//! Marks the PostgreSQL half of the test suite as ignored when `TEST_DATABASE_URL` is unset,
//! so `cargo test` says plainly in its summary that it did not run (rather than passing it).

fn main() {
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    if std::env::var_os("TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
