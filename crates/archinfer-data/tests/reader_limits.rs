//! The image reader refuses what it cannot safely read: decompression bombs (a header that
//! declares billions of pixels in a few bytes), files that are not regular files (a FIFO,
//! `/dev/zero`), files over the byte limit, and truncated files of every format. Each case is an
//! error naming the file, found fast and without the memory the header asks for.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use archinfer_data::{DataError, ImageFiles, ImageLimits, read_image, read_image_files, read_image_folder, read_unlabelled_folder};
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

// ---------------------------------------------------------------- helpers

/// Runs `f` on a thread and fails the test if it takes more than 10 s (a hang is a failure,
/// not a stuck test run).
fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("reading took more than 10 s (or panicked)")
}

/// The error of reading `path` with `reader`, within 10 s.
fn error_of(reader: ImageFiles, path: &Path) -> DataError {
    let path = path.to_path_buf();
    within_10s(move || reader.read(&path)).expect_err("the file must be refused")
}

/// Asserts the message names the file.
fn names(e: &DataError, name: &str) {
    assert!(e.to_string().contains(name), "the message must name {name}: {e}");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// A PNG of the given header and one `IDAT` chunk holding `zlib`.
fn png(width: u32, height: u32, bit_depth: u8, colour_type: u8, zlib: &[u8]) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, colour_type, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(b"IDAT", zlib));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// A zlib stream of `n` zero bytes: one compressed block of `block` zeros (flushed to a byte
/// boundary, not final) repeated, the rest, an empty final block and the Adler-32 of `n` zeros.
/// About 1,000 : 1, and built in milliseconds whatever `n`.
fn zlib_zeros(n: u64, block: usize) -> Vec<u8> {
    let deflate = |len: usize| {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; len]).unwrap();
        e.flush().unwrap(); // a sync flush: byte-aligned, no final block
        e.get_ref().clone()
    };
    let mut out = vec![0x78, 0x01];
    let full = deflate(block);
    for _ in 0..n / block as u64 {
        out.extend_from_slice(&full);
    }
    let rest = usize::try_from(n % block as u64).unwrap();
    if rest > 0 {
        out.extend(deflate(rest));
    }
    out.extend_from_slice(&[0x03, 0x00]); // a final, empty block of fixed codes
    let adler = (u32::try_from(n % 65_521).unwrap() << 16) | 1; // a = 1, b = n × 1 for zeros
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// A genuine all-black grey PNG (every row filter 0, every pixel 0), however large.
fn black_grey_png(width: u32, height: u32, block: usize) -> Vec<u8> {
    png(width, height, 8, 0, &zlib_zeros((u64::from(width) + 1) * u64::from(height), block))
}

/// A small zlib stream of a few zeros: the `IDAT` of a bomb.
fn tiny_zlib() -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&[0; 4]).unwrap();
    e.finish().unwrap()
}

/// A GIF with a logical screen of `screen` pixels and one frame of `frame` pixels (two colours,
/// the classic 1 × 1 pixel data).
fn gif(screen: (u16, u16), frame: (u16, u16)) -> Vec<u8> {
    let mut g = b"GIF89a".to_vec();
    g.extend_from_slice(&screen.0.to_le_bytes());
    g.extend_from_slice(&screen.1.to_le_bytes());
    g.extend_from_slice(&[0x80, 0, 0]); // a global colour table of 2 colours
    g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    g.push(0x2C);
    g.extend_from_slice(&[0, 0, 0, 0]);
    g.extend_from_slice(&frame.0.to_le_bytes());
    g.extend_from_slice(&frame.1.to_le_bytes());
    g.push(0);
    g.extend_from_slice(&[2, 2, 0x44, 0x01, 0]); // LZW minimum code size 2, one sub-block
    g.push(0x3B);
    g
}

/// A 200 × 200 colour picture with detail (so that every format has data to cut).
fn picture() -> RgbImage {
    RgbImage::from_fn(200, 200, |x, y| Rgb([(x * 5 % 256) as u8, (y * 3 % 256) as u8, ((x * y) % 251) as u8]))
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    match format {
        // WebP and GIF take RGBA here.
        ImageFormat::WebP | ImageFormat::Gif => image::DynamicImage::ImageRgb8(img.clone()).to_rgba8().write_to(&mut std::io::Cursor::new(&mut out), format).unwrap(),
        _ => img.write_to(&mut std::io::Cursor::new(&mut out), format).unwrap(),
    }
    out
}

/// An animated GIF of two frames: a cut after the first frame still decodes that frame.
fn animated_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        let frames = [0u8, 200].map(|v| image::Frame::new(RgbaImage::from_fn(100, 100, |x, y| Rgba([v, (x * 2) as u8, (y * 2) as u8, 255]))));
        enc.encode_frames(frames).unwrap();
    }
    out
}

/// Cut points: 64 evenly spaced lengths (1.5 % … 98.4 %) and the last byte or two removed.
fn cuts(len: usize) -> Vec<usize> {
    let mut c: Vec<usize> = (1..64).map(|k| len * k / 64).chain([len / 10, len / 2, len * 9 / 10, len - 2, len - 1]).filter(|&n| n > 0).collect();
    c.sort_unstable();
    c.dedup();
    c
}

/// Every cut of `whole` is a `BadImage` naming the file; the whole file reads.
fn every_cut_is_refused(whole: &[u8], ext: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let ok = write(tmp.path(), &format!("whole.{ext}"), whole);
    read_image(&ok, 28).unwrap_or_else(|e| panic!("the whole {ext} must read: {e}"));
    let mut accepted = Vec::new();
    for n in cuts(whole.len()) {
        let name = format!("cut{n}.{ext}");
        let p = write(tmp.path(), &name, &whole[..n]);
        match read_image(&p, 28) {
            Ok(_) => accepted.push(n),
            Err(e) => {
                assert!(matches!(&e, DataError::BadImage { path, .. } if path.ends_with(&name)), "{name}: {e}");
                names(&e, &name);
            }
        }
    }
    assert!(accepted.is_empty(), "{ext} of {} bytes cut to {accepted:?} bytes was accepted", whole.len());
}

// ---------------------------------------------------------------- decompression bombs

#[test]
fn png_bomb_of_69_bytes_declaring_60000_square_rgba() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = png(60_000, 60_000, 8, 6, &tiny_zlib());
    assert!(bytes.len() <= 70, "{} bytes", bytes.len());
    let p = write(tmp.path(), "bomb.png", &bytes);
    let e = error_of(ImageFiles::new(28), &p);
    assert!(matches!(e, DataError::TooManyPixels { width: 60_000, height: 60_000, limit: ImageLimits::DEFAULT_MAX_PIXELS, .. }), "{e}");
    names(&e, "bomb.png");
    assert!(e.to_string().contains("ImageLimits::max_pixels"), "the message says how to raise the limit: {e}");
}

#[test]
fn png_bomb_of_16_bit_rgba() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "bomb16.png", &png(60_000, 60_000, 16, 6, &tiny_zlib()));
    let e = error_of(ImageFiles::new(28), &p);
    assert!(matches!(e, DataError::TooManyPixels { width: 60_000, height: 60_000, .. }), "{e}");
    names(&e, "bomb16.png");
}

#[test]
fn valid_50000_square_grey_png_is_refused_by_its_header() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = black_grey_png(50_000, 50_000, 1 << 20);
    assert!((1_000_000..4_000_000).contains(&bytes.len()), "{} bytes", bytes.len());
    let p = write(tmp.path(), "big.png", &bytes);
    let e = error_of(ImageFiles::new(28), &p);
    assert!(matches!(e, DataError::TooManyPixels { width: 50_000, height: 50_000, .. }), "{e}");
    names(&e, "big.png");
    // With the pixel limit raised, the memory limit still holds: 2.5 GB of grey is over 1 GiB.
    let raised = ImageFiles::new(28).with_limits(ImageLimits::default().with_max_pixels(3_000_000_000));
    let e = error_of(raised, &p);
    assert!(matches!(e, DataError::DecodeTooLarge { width: 50_000, height: 50_000, bytes: 2_500_000_000, limit: ImageLimits::DEFAULT_MAX_DECODE_BYTES, .. }), "{e}");
    names(&e, "big.png");
    assert!(e.to_string().contains("ImageLimits::max_decode_bytes"), "{e}");
}

#[test]
fn black_png_builder_makes_genuine_files_and_the_pixel_limit_is_exact() {
    let tmp = tempfile::tempdir().unwrap();
    // Small blocks, so that the repeated block is exercised.
    let p = write(tmp.path(), "black.png", &black_grey_png(300, 200, 4096));
    let img = read_image(&p, 28).unwrap();
    assert_eq!((img.original, img.colour), ((300, 200), false));
    assert!(img.pixels.iter().all(|&v| v == 0.0));
    let at = |pixels| ImageFiles::new(28).with_limits(ImageLimits::default().with_max_pixels(pixels));
    assert!(at(60_000).read(&p).is_ok());
    let e = at(59_999).read(&p).unwrap_err();
    assert!(matches!(e, DataError::TooManyPixels { width: 300, height: 200, limit: 59_999, .. }), "{e}");
    names(&e, "black.png");
}

#[test]
fn bmp_bomb_of_54_bytes_declaring_60000_square() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = b"BM".to_vec();
    for v in [54u32, 0, 54, 40] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&60_000i32.to_le_bytes());
    b.extend_from_slice(&60_000i32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    for v in [0u32, 0, 2835, 2835, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(b.len(), 54);
    let p = write(tmp.path(), "bomb.bmp", &b);
    let e = error_of(ImageFiles::new(28), &p);
    assert!(matches!(e, DataError::TooManyPixels { width: 60_000, height: 60_000, .. }), "{e}");
    names(&e, "bomb.bmp");
}

#[test]
fn jpeg_of_64_square_whose_header_says_65500_square() {
    let tmp = tempfile::tempdir().unwrap();
    let small = RgbImage::from_fn(64, 64, |x, y| Rgb([(x * 4) as u8, (y * 4) as u8, 128]));
    let mut bytes = encode(&small, ImageFormat::Jpeg);
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("a baseline frame header");
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xDC, 0xFF, 0xDC]); // height, width: 65500
    let p = write(tmp.path(), "liar.jpg", &bytes);
    let e = error_of(ImageFiles::new(28), &p);
    assert!(matches!(e, DataError::TooManyPixels { width: 65_500, height: 65_500, .. }), "{e}");
    names(&e, "liar.jpg");
}

#[test]
fn gif_with_a_65535_square_logical_screen() {
    let tmp = tempfile::tempdir().unwrap();
    // The builder makes a genuine GIF.
    assert_eq!(read_image(&write(tmp.path(), "one.gif", &gif((1, 1), (1, 1))), 28).unwrap().original, (1, 1));
    let p = write(tmp.path(), "screen.gif", &gif((65_535, 65_535), (1, 1)));
    let e = error_of(ImageFiles::new(28), &p);
    assert!(matches!(e, DataError::TooManyPixels { width: 65_535, height: 65_535, .. }), "{e}");
    names(&e, "screen.gif");
}

#[test]
fn gif_with_a_65535_square_frame_on_a_small_screen() {
    // The header (screen) is small, the frame is not: the decoder's own limits refuse it.
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "frame.gif", &gif((10, 10), (65_535, 65_535)));
    let e = error_of(ImageFiles::new(28), &p);
    assert!(matches!(&e, DataError::BadImage { .. }), "{e}");
    names(&e, "frame.gif");
}

// ---------------------------------------------------------------- not regular files

#[cfg(unix)]
#[test]
fn fifo_named_p_png_is_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("unlabelled");
    std::fs::create_dir(&dir).unwrap();
    let fifo = dir.join("p.png");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let e = error_of(ImageFiles::new(28), &fifo);
    assert!(matches!(&e, DataError::NotAFile { kind, .. } if kind.contains("FIFO")), "{e}");
    names(&e, "p.png");
    // In a folder read whole.
    let e = within_10s(move || read_unlabelled_folder(&dir, 28, &mut |_, _| {})).unwrap_err();
    assert!(matches!(&e, DataError::NotAFile { path, .. } if path.ends_with("p.png")), "{e}");
}

/// A folder of two classes whose second holds `name`, a symbolic link to `target`.
#[cfg(unix)]
fn classes_with_link(root: &Path, name: &str, target: &str) {
    for c in ["a", "b"] {
        std::fs::create_dir_all(root.join(c)).unwrap();
    }
    picture().save(root.join("a/ok.png")).unwrap();
    std::os::unix::fs::symlink(target, root.join("b").join(name)).unwrap();
}

#[cfg(unix)]
#[test]
fn symlink_to_dev_zero_in_a_class_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    classes_with_link(&root, "z.png", "/dev/zero");
    let e = within_10s(move || read_image_folder(&root, 28, &mut |_, _| {})).unwrap_err();
    assert!(matches!(&e, DataError::NotAFile { path, kind } if path.ends_with("z.png") && kind.contains("character device")), "{e}");
    names(&e, "z.png");
}

#[cfg(unix)]
#[test]
fn symlink_to_dev_urandom_in_a_class_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    classes_with_link(&root, "u.png", "/dev/urandom");
    let e = within_10s(move || read_image_folder(&root, 28, &mut |_, _| {})).unwrap_err();
    assert!(matches!(&e, DataError::NotAFile { path, .. } if path.ends_with("u.png")), "{e}");
    names(&e, "u.png");
}

#[cfg(unix)]
#[test]
fn dev_zero_and_urandom_in_a_list_of_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let ok = tmp.path().join("ok.png");
    picture().save(&ok).unwrap();
    let link = tmp.path().join("z.png");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    for (bad, name) in [(link, "z.png"), (PathBuf::from("/dev/zero"), "/dev/zero"), (PathBuf::from("/dev/urandom"), "/dev/urandom")] {
        let paths = vec![ok.clone(), bad];
        let e = within_10s(move || read_image_files(&paths, 28, &mut |_, _| {})).unwrap_err();
        assert!(matches!(&e, DataError::NotAFile { .. }), "{name}: {e}");
        names(&e, name);
    }
}

#[test]
fn a_directory_in_a_list_of_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("folder.png");
    std::fs::create_dir(&dir).unwrap();
    let e = ImageFiles::new(28).read_files(&[dir], &mut |_, _| {}).unwrap_err();
    assert!(matches!(&e, DataError::NotAFile { kind: "a directory", .. }), "{e}");
    names(&e, "folder.png");
}

// ---------------------------------------------------------------- the byte limit

#[test]
fn file_over_the_byte_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = encode(&picture(), ImageFormat::Png);
    let len = bytes.len() as u64;
    let p = write(tmp.path(), "heavy.png", &bytes);
    let at = |limit| ImageFiles::new(28).with_limits(ImageLimits::default().with_max_file_bytes(limit));
    assert!(at(len).read(&p).is_ok(), "a file of exactly the limit reads");
    let e = at(len - 1).read(&p).unwrap_err();
    assert!(matches!(e, DataError::FileTooLarge { bytes, limit, .. } if bytes == len && limit == len - 1), "{e}");
    names(&e, "heavy.png");
    assert!(e.to_string().contains("ImageLimits::max_file_bytes"), "{e}");
    // Through a folder reader, too.
    let dir = tmp.path().to_path_buf();
    let e = at(100).read_unlabelled(&dir, &mut |_, _| {}).unwrap_err();
    assert!(matches!(e, DataError::FileTooLarge { limit: 100, .. }), "{e}");
}

// ---------------------------------------------------------------- truncation

#[test]
fn truncated_jpeg_at_every_cut_point() {
    every_cut_is_refused(&encode(&picture(), ImageFormat::Jpeg), "jpg");
}

#[test]
fn truncated_png_at_every_cut_point() {
    every_cut_is_refused(&encode(&picture(), ImageFormat::Png), "png");
}

#[test]
fn truncated_gif_at_every_cut_point() {
    every_cut_is_refused(&encode(&picture(), ImageFormat::Gif), "gif");
}

#[test]
fn truncated_animated_gif_at_every_cut_point() {
    every_cut_is_refused(&animated_gif(), "gif");
}

#[test]
fn truncated_bmp_at_every_cut_point() {
    every_cut_is_refused(&encode(&picture(), ImageFormat::Bmp), "bmp");
}

#[test]
fn truncated_webp_at_every_cut_point() {
    every_cut_is_refused(&encode(&picture(), ImageFormat::WebP), "webp");
}

#[test]
fn jpeg_cut_to_a_tenth_says_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = encode(&picture(), ImageFormat::Jpeg);
    let p = write(tmp.path(), "tenth.jpg", &whole[..whole.len() / 10]);
    let e = read_image(&p, 28).unwrap_err();
    assert!(matches!(&e, DataError::BadImage { message, .. } if message.contains("truncated") && message.contains("not a readable image")), "{e}");
    names(&e, "tenth.jpg");
}

#[test]
fn bytes_after_the_end_of_a_whole_file_are_allowed() {
    // A camera's trailer after a JPEG's end marker, junk after a PNG's IEND or a GIF's trailer.
    let tmp = tempfile::tempdir().unwrap();
    for (format, ext) in [(ImageFormat::Jpeg, "jpg"), (ImageFormat::Png, "png"), (ImageFormat::Gif, "gif"), (ImageFormat::WebP, "webp"), (ImageFormat::Bmp, "bmp")] {
        let mut bytes = encode(&picture(), format);
        bytes.extend_from_slice(b"trailer \xFF\xD8\xFF\x00 bytes");
        let p = write(tmp.path(), &format!("trailer.{ext}"), &bytes);
        let img = read_image(&p, 28).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(img.original, (200, 200));
    }
}
