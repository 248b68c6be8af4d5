// The migrations are embedded with `embed_migrations!`; a new migration directory must
// rebuild the crate even though no Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
