//! IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or plain.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::error::{DataError, Result};

/// An unsigned-byte IDX array: its dimensions and its values, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimensions, outermost first (`[60000, 28, 28]` for an image file).
    pub dims: Vec<usize>,
    /// `dims.product()` bytes.
    pub data: Vec<u8>,
}

/// Largest IDX array read, after decompression: 1 GiB (Fashion-MNIST's training images are 47 MB).
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// Reads a whole IDX file of unsigned bytes (type code `0x08`); gzip is detected by its magic
/// bytes, not by the file name.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read (or is not valid gzip), [`DataError::Idx`] with
/// the byte offset for a wrong magic number, an unsupported type, a zero dimension, or a file
/// shorter than its header promises. Trailing bytes after the data are an error too.
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let io = |e: std::io::Error| DataError::Io { path: name.clone(), message: e.to_string() };
    // Regular files only (a FIFO would block, a link to a device never ends), and at most
    // MAX_IDX_BYTES after decompression (a small .gz can expand without end).
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(DataError::Io { path: name.clone(), message: "not a regular file".into() });
    }
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let mut head = [0u8; 2];
    let n = file.read(&mut head).map_err(io)?;
    let file = BufReader::new(File::open(path).map_err(io)?);
    let mut bytes = Vec::new();
    if n == 2 && head == [0x1f, 0x8b] {
        GzDecoder::new(file).take(MAX_IDX_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    } else {
        file.take(MAX_IDX_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    }
    if bytes.len() as u64 > MAX_IDX_BYTES {
        return Err(DataError::Io { path: name, message: format!("more than {MAX_IDX_BYTES} bytes of IDX data (after decompression)") });
    }
    parse_idx(&bytes, &name)
}

/// Parses the bytes of an (uncompressed) IDX file; `name` is used in errors.
///
/// # Errors
/// As [`read_idx`].
pub fn parse_idx(bytes: &[u8], name: &str) -> Result<IdxArray> {
    let err = |offset: usize, message: String| DataError::Idx {
        path: name.to_string(),
        offset: offset as u64,
        message,
    };
    if bytes.len() < 4 {
        return Err(err(bytes.len(), format!("file ends after {} bytes, inside the 4-byte magic number", bytes.len())));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(err(0, format!("wrong magic number {:02x} {:02x} {:02x} {:02x} (expected 00 00 08 NDIMS)", bytes[0], bytes[1], bytes[2], bytes[3])));
    }
    if bytes[2] != 0x08 {
        return Err(err(2, format!("data type 0x{:02x} is not unsigned byte (0x08)", bytes[2])));
    }
    let ndims = bytes[3] as usize;
    if ndims == 0 {
        return Err(err(3, "zero dimensions".into()));
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(err(bytes.len(), format!("file ends inside the header ({} of {header} bytes)", bytes.len())));
    }
    let mut dims = Vec::with_capacity(ndims);
    let mut total: usize = 1;
    for i in 0..ndims {
        let o = 4 + 4 * i;
        let d = u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize;
        if d == 0 {
            return Err(err(o, format!("dimension {i} is zero")));
        }
        total = total.checked_mul(d).ok_or_else(|| err(o, "dimensions overflow".into()))?;
        dims.push(d);
    }
    let have = bytes.len() - header;
    if have < total {
        return Err(err(bytes.len(), format!("truncated: header promises {total} data bytes, file has {have}")));
    }
    if have > total {
        return Err(err(header + total, format!("{} unexpected bytes after the data", have - total)));
    }
    Ok(IdxArray { dims, data: bytes[header..].to_vec() })
}

/// How the pixel values of a table were read by [`ImageSet::from_pixel_rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelScale {
    /// Already in [0, 1]: kept as they are.
    Unit,
    /// Whole numbers in 0–255 (some above 1): divided by 255, as IDX bytes are.
    Bytes,
}

/// 28×28 grey images with labels, pixels scaled to [0, 1].
#[derive(Debug, Clone)]
pub struct ImageSet {
    /// `len × 784` pixels in [0, 1], row-major.
    pub pixels: Vec<f32>,
    /// One label per image.
    pub labels: Vec<u8>,
    /// Image side (28).
    pub side: usize,
}

impl ImageSet {
    /// Images from a table of `side × side` pixel columns per row (`values` row-major), read
    /// from `path` (named in errors). Values all in [0, 1] are kept; whole numbers in 0–255
    /// with some above 1 (the usual MNIST-style CSV export) are divided by 255, as IDX bytes
    /// are, and [`PixelScale::Bytes`] says so; anything else is refused rather than guessed.
    ///
    /// # Errors
    /// [`DataError::PixelRange`] naming the first offending value, or
    /// [`DataError::Mismatch`] when `values` is not `labels.len() × side²` long.
    pub fn from_pixel_rows(path: &str, mut values: Vec<f32>, labels: Vec<u8>, side: usize) -> Result<(Self, PixelScale)> {
        let px = side * side;
        if px == 0 || values.len() != labels.len() * px {
            return Err(DataError::Mismatch(format!(
                "{path}: {} pixel values for {} images of {side} × {side}",
                values.len(),
                labels.len()
            )));
        }
        let bytes = values.iter().any(|&v| v > 1.0);
        let bad = |i: usize, v: f32| DataError::PixelRange { path: path.to_string(), sample: i / px, pixel: i % px, value: v };
        for (i, &v) in values.iter().enumerate() {
            let ok = if bytes { (0.0..=255.0).contains(&v) && v.fract() == 0.0 } else { (0.0..=1.0).contains(&v) };
            if !ok {
                return Err(bad(i, v));
            }
        }
        if bytes {
            values.iter_mut().for_each(|v| *v /= 255.0);
        }
        Ok((Self { pixels: values, labels, side }, if bytes { PixelScale::Bytes } else { PixelScale::Unit }))
    }

    /// A task over all these images: labels renumbered `0..k` in sorted order, a random
    /// train / validation / test split with `fractions` and `seed`, and one feature set per
    /// embedder (computed once here).
    ///
    /// # Errors
    /// Embedders made for another image size, fewer than two labels, or splits too small.
    pub fn to_task(&self, name: &str, fractions: [f64; 3], seed: u64, embedders: &[Box<dyn crate::embed::Embedder>]) -> Result<crate::task::Task> {
        let px = self.side * self.side;
        if let Some(e) = embedders.iter().find(|e| e.input_len().is_some_and(|n| n != px)) {
            return Err(DataError::Mismatch(format!(
                "embedding module `{}` reads {}-pixel images, these have {px}",
                e.name(),
                e.input_len().unwrap_or(0)
            )));
        }
        let mut classes: Vec<u8> = self.labels.clone();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            return Err(DataError::TooFewClasses(classes.len()));
        }
        let labels: Vec<u32> = self.labels.iter().map(|l| classes.binary_search(l).unwrap_or(0) as u32).collect();
        let features = embedders.iter().map(|e| crate::task::FeatureSet::new(e.name(), e.dim(), e.embed_all(&self.pixels, px))).collect();
        let splits = crate::task::Splits::random(self.len(), fractions, seed)?;
        crate::task::Task::new(name, features, labels, classes.len(), splits)
    }

    /// Writes the set as an MNIST-format pair `train-images-idx3-ubyte` /
    /// `train-labels-idx1-ubyte` (with `.gz` and gzip-compressed when `gzip`) into `dir`
    /// (created if missing), pixels rounded to bytes.
    ///
    /// # Errors
    /// File-system failures.
    pub fn write_dir(&self, dir: &Path, gzip: bool) -> Result<()> {
        let io = |p: &Path, e: std::io::Error| DataError::Io { path: p.display().to_string(), message: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let n = self.len() as u32;
        let side = self.side as u32;
        let mut img = vec![0, 0, 8, 3];
        for d in [n, side, side] {
            img.extend_from_slice(&d.to_be_bytes());
        }
        img.extend(self.pixels.iter().map(|&p| (p.clamp(0.0, 1.0) * 255.0).round() as u8));
        let mut lab = vec![0, 0, 8, 1];
        lab.extend_from_slice(&n.to_be_bytes());
        lab.extend_from_slice(&self.labels);
        let ext = if gzip { ".gz" } else { "" };
        for (name, bytes) in [("train-images-idx3-ubyte", img), ("train-labels-idx1-ubyte", lab)] {
            let p = dir.join(format!("{name}{ext}"));
            let bytes = if gzip {
                use std::io::Write;
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                enc.write_all(&bytes).map_err(|e| io(&p, e))?;
                enc.finish().map_err(|e| io(&p, e))?
            } else {
                bytes
            };
            std::fs::write(&p, bytes).map_err(|e| io(&p, e))?;
        }
        Ok(())
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image `i`.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn image(&self, i: usize) -> &[f32] {
        let n = self.side * self.side;
        &self.pixels[i * n..(i + 1) * n]
    }
}

/// Environment variable naming the Fashion-MNIST directory.
pub const FASHION_MNIST_ENV: &str = "ARCHINFER_FASHION_MNIST";
/// Where Debian's `dataset-fashion-mnist` package puts the files.
pub const FASHION_MNIST_DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The Fashion-MNIST directory: `explicit` if given, else `$ARCHINFER_FASHION_MNIST`, else
/// Debian's package location.
pub fn fashion_mnist_dir(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(FASHION_MNIST_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(FASHION_MNIST_DEBIAN_DIR))
}

fn find(dir: &Path, stem: &str) -> PathBuf {
    let gz = dir.join(format!("{stem}.gz"));
    if gz.exists() { gz } else { dir.join(stem) }
}

/// Loads an MNIST-format image set from `dir`: `train-images-idx3-ubyte[.gz]` and
/// `train-labels-idx1-ubyte[.gz]` followed by the `t10k-` pair (70,000 images for
/// Fashion-MNIST). A directory with only one pair is fine.
///
/// # Errors
/// Any IDX error, images that are not square, or image and label counts that differ.
pub fn load_mnist_dir(dir: &Path) -> Result<ImageSet> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    let mut side = 0;
    let mut found = false;
    for prefix in ["train", "t10k"] {
        let img_path = find(dir, &format!("{prefix}-images-idx3-ubyte"));
        let lab_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"));
        if !img_path.exists() && !lab_path.exists() {
            continue;
        }
        found = true;
        let img = read_idx(&img_path)?;
        let lab = read_idx(&lab_path)?;
        if img.dims.len() != 3 || img.dims[1] != img.dims[2] {
            return Err(DataError::Mismatch(format!("{}: expected N×S×S images, got dims {:?}", img_path.display(), img.dims)));
        }
        if lab.dims.len() != 1 || lab.dims[0] != img.dims[0] {
            return Err(DataError::Mismatch(format!(
                "{} has dims {:?} for {} images in {}",
                lab_path.display(),
                lab.dims,
                img.dims[0],
                img_path.display()
            )));
        }
        if side != 0 && side != img.dims[1] {
            return Err(DataError::Mismatch(format!("{}: image side {} differs from {side}", img_path.display(), img.dims[1])));
        }
        side = img.dims[1];
        pixels.extend(img.data.iter().map(|&p| f32::from(p) / 255.0));
        labels.extend(lab.data);
    }
    if !found {
        return Err(DataError::Io {
            path: dir.display().to_string(),
            message: format!(
                "no train-/t10k-images-idx3-ubyte[.gz] here (install Debian's dataset-fashion-mnist, or set {FASHION_MNIST_ENV})"
            ),
        });
    }
    Ok(ImageSet { pixels, labels, side })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(data);
        v
    }

    #[test]
    fn parses_a_small_file() {
        let a = parse_idx(&idx(&[2, 3], &[1, 2, 3, 4, 5, 6]), "x").unwrap();
        assert_eq!(a.dims, vec![2, 3]);
        assert_eq!(a.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn truncated_and_bad_magic() {
        let e = parse_idx(&idx(&[2, 3], &[1, 2, 3]), "x").unwrap_err();
        assert!(matches!(e, DataError::Idx { offset: 15, .. }), "{e}");
        let mut b = idx(&[1], &[1]);
        b[1] = 8;
        assert!(matches!(parse_idx(&b, "x").unwrap_err(), DataError::Idx { offset: 0, .. }));
        let mut b = idx(&[1], &[1]);
        b[2] = 0x0d;
        assert!(matches!(parse_idx(&b, "x").unwrap_err(), DataError::Idx { offset: 2, .. }));
        assert!(matches!(parse_idx(&[0, 0], "x").unwrap_err(), DataError::Idx { offset: 2, .. }));
        assert!(matches!(parse_idx(&idx(&[2], &[1, 2, 3]), "x").unwrap_err(), DataError::Idx { offset: 10, .. }));
        assert!(parse_idx(&idx(&[0], &[]), "x").is_err());
        let b = &idx(&[2, 3], &[])[..9];
        assert!(matches!(parse_idx(b, "x").unwrap_err(), DataError::Idx { offset: 9, .. }));
    }
}

#[cfg(test)]
mod pixel_scale_tests {
    use super::*;

    #[test]
    fn unit_pixels_are_kept_and_byte_pixels_scaled() {
        let (set, scale) = ImageSet::from_pixel_rows("a.csv", vec![0.0, 0.5, 1.0, 0.25], vec![0], 2).unwrap();
        assert_eq!(scale, PixelScale::Unit);
        assert_eq!(set.pixels, vec![0.0, 0.5, 1.0, 0.25]);
        let (set, scale) = ImageSet::from_pixel_rows("b.csv", vec![0.0, 255.0, 51.0, 1.0], vec![1], 2).unwrap();
        assert_eq!(scale, PixelScale::Bytes);
        approx::assert_abs_diff_eq!(set.pixels.as_slice(), [0.0f32, 1.0, 0.2, 1.0 / 255.0].as_slice(), epsilon = 1e-7);
    }

    #[test]
    fn other_ranges_are_refused_with_the_place() {
        // 0.5 among whole numbers above 1: neither scale fits.
        let e = ImageSet::from_pixel_rows("c.csv", vec![0.0, 2.0, 3.0, 4.0, 5.0, 0.5, 0.0, 0.0], vec![0, 1], 2).unwrap_err();
        assert!(matches!(e, DataError::PixelRange { sample: 1, pixel: 1, .. }), "{e}");
        assert!(e.to_string().contains("c.csv"));
        let e = ImageSet::from_pixel_rows("d.csv", vec![0.0, -0.1, 0.0, 0.0], vec![0], 2).unwrap_err();
        assert!(matches!(e, DataError::PixelRange { sample: 0, pixel: 1, .. }));
        assert!(matches!(ImageSet::from_pixel_rows("e.csv", vec![300.0, 0.0, 0.0, 0.0], vec![0], 2), Err(DataError::PixelRange { .. })));
        assert!(matches!(ImageSet::from_pixel_rows("f.csv", vec![0.0; 3], vec![0], 2), Err(DataError::Mismatch(_))));
    }
}
