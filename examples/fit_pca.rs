//! Fits the shipped PCA embedding module: 32 components of Fashion-MNIST's first 10,000
//! training images, written to `crates/archinfer-data/assets/pca32.bin`.
//!
//! ```text
//! cargo run --release --example fit_pca -- [FASHION_MNIST_DIR] [OUT]
//! ```

use std::error::Error;
use std::path::PathBuf;

use archinfer::data::{Pca, fashion_mnist_dir, load_mnist_dir};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = fashion_mnist_dir(args.next().map(PathBuf::from).as_deref());
    let out = args.next().unwrap_or_else(|| "crates/archinfer-data/assets/pca32.bin".into());
    let images = load_mnist_dir(&dir)?;
    let reference = &images.pixels[..10_000 * 784];
    let pca = Pca::fit(reference, 784, 32, 0)?;
    std::fs::write(&out, pca.to_bytes())?;
    println!("wrote {out}: 32 components of {} reference images from {}", 10_000, dir.display());
    Ok(())
}
