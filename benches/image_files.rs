//! Reading images as files: images per second of `read_image_folder` on 200 files per
//! format (two classes), decoded and converted to 28 × 28 grey, at three sizes: 28 px grey
//! PNG (the databases' own size), 128 px RGB JPEG and 512 px RGB PNG (photo-like).
//!
//! ```text
//! cargo bench --bench image_files
//! ```

use std::path::Path;

use archinfer::data::read_image_folder;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use image::{ImageFormat, Rgb, RgbImage};

/// Smooth shapes with edges, as in the image-module bench, drawn at `side` pixels.
fn write(dir: &Path, side: u32, format: ImageFormat, ext: &str, grey: bool) {
    for i in 0..200u32 {
        let class = dir.join(if i % 2 == 0 { "a" } else { "b" });
        std::fs::create_dir_all(&class).expect("a temporary folder");
        let (cx, cy) = ((side / 4 + (i * 7) % (side / 2)) as f32, (side / 4 + (i * 13) % (side / 2)) as f32);
        let img = RgbImage::from_fn(side, side, |x, y| {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let v = if d < side as f32 / 5.0 {
                230
            } else if (x + i) % side < side / 9 {
                120
            } else {
                10
            };
            if grey { Rgb([v, v, v]) } else { Rgb([v, v / 2, 255 - v]) }
        });
        let path = class.join(format!("{i:04}.{ext}"));
        if grey {
            image::DynamicImage::ImageRgb8(img).to_luma8().save_with_format(path, format).expect("written");
        } else {
            img.save_with_format(path, format).expect("written");
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("image_files");
    g.throughput(Throughput::Elements(200));
    g.sample_size(10);
    for (name, side, format, ext, grey) in [
        ("png_28_grey", 28, ImageFormat::Png, "png", true),
        ("jpeg_128_rgb", 128, ImageFormat::Jpeg, "jpg", false),
        ("png_512_rgb", 512, ImageFormat::Png, "png", false),
    ] {
        let dir = tempfile::tempdir().expect("a temporary folder");
        write(dir.path(), side, format, ext, grey);
        g.bench_function(name, |b| b.iter(|| read_image_folder(dir.path(), 28, &mut |_, _| {}).expect("readable")));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
