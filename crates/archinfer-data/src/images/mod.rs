//! Images as files: a folder with one sub-folder of images per class (the layout torchvision's
//! `ImageFolder` and Keras read), or an unlabelled folder. PNG, JPEG, BMP, GIF and WebP of any
//! size and colour, each converted to what the embedding modules read: grey, its aspect kept,
//! scaled so that its longer side is the target side, centred on a black square.
//!
//! Every file is decoded before anything is returned, and a bad one is an error that names it
//! ([`DataError::BadImage`]), so a caller that writes only after reading writes nothing.
//!
//! What a file may cost is bounded ([`ImageLimits`], held by an [`ImageFiles`] reader): only
//! regular files are opened, no more bytes are read than the file limit, an image whose header
//! declares too many pixels is refused before it is decoded, and no decode allocates more than
//! the memory limit, so a decompression bomb, a FIFO or `/dev/zero` is an error, not a hung or
//! aborted process. A truncated file is an error in every format.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use image::imageops::FilterType;

mod decode;
mod limits;

pub use limits::ImageLimits;

use decode::decode;
use limits::{bad_image, read_limited};

use crate::error::{DataError, Result};
use crate::idx::ImageSet;

/// What reading a folder did to its images, for the note a command prints (for example
/// "1,204 images of 12 sizes, 32–512 px, RGB → 28×28 grey").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConversion {
    /// Images read.
    pub images: usize,
    /// Distinct (width, height) pairs among them.
    pub sizes: usize,
    /// Smallest side of any image, in pixels.
    pub min_px: u32,
    /// Largest side of any image, in pixels.
    pub max_px: u32,
    /// Whether any image had colour.
    pub colour: bool,
    /// The side every image was converted to.
    pub side: usize,
}

impl fmt::Display for ImageConversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 { format!("1 {one}") } else { format!("{} {many}", thousands(n)) }
        };
        let px = if self.min_px == self.max_px { format!("{} px", self.max_px) } else { format!("{}–{} px", self.min_px, self.max_px) };
        write!(
            f,
            "{} of {}, {px}, {} → {}×{} grey (aspect kept, centred on black)",
            plural(self.images, "image", "images"),
            plural(self.sizes, "size", "sizes"),
            if self.colour { "RGB" } else { "grey" },
            self.side,
            self.side
        )
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Images of a labelled folder: the set (labels index `class_names`), each image's file, and
/// what the conversion did.
#[derive(Debug, Clone)]
pub struct LabelledImages {
    /// The images, `side × side` grey in [0, 1], labels in folder order.
    pub images: ImageSet,
    /// Class names: the sub-folders' names, sorted.
    pub class_names: Vec<String>,
    /// The file of each image, in the set's order.
    pub paths: Vec<PathBuf>,
    /// What was done to them.
    pub conversion: ImageConversion,
}

/// One decoded image: `side × side` grey pixels in [0, 1], its original width and height, and
/// whether it had colour.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertedImage {
    /// Row-major pixels.
    pub pixels: Vec<f32>,
    /// Width and height before conversion.
    pub original: (u32, u32),
    /// Whether the file had colour channels.
    pub colour: bool,
}

/// Reads image files with its settings: the side images are converted to and the
/// [`ImageLimits`] each file is held to. Only regular files are read (a FIFO, a device such as
/// `/dev/zero` or a directory is refused before it is opened, [`DataError::NotAFile`]), and a
/// truncated file is an error, whatever its format.
///
/// ```no_run
/// use archinfer_data::{ImageFiles, ImageLimits};
/// let reader = ImageFiles::new(28).with_limits(ImageLimits::default().with_max_pixels(80_000_000));
/// let photos = reader.read_folder("photos".as_ref(), &mut |_, _| {})?;
/// println!("{}", photos.conversion);
/// # Ok::<(), archinfer_data::DataError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFiles {
    /// Side of the square every image is converted to, in pixels.
    pub side: usize,
    /// What reading one file may cost.
    pub limits: ImageLimits,
}

impl ImageFiles {
    /// A reader converting to `side × side` pixels, with the default [`ImageLimits`].
    #[must_use]
    pub const fn new(side: usize) -> Self {
        Self { side, limits: ImageLimits::new() }
    }

    /// This reader with other limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: ImageLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads and converts one image file (PNG, JPEG, BMP, GIF or WebP; the format is told by
    /// the content, not the name).
    ///
    /// # Errors
    /// [`DataError::BadImage`] naming the file: missing, unreadable, empty, not an image,
    /// corrupt or truncated; [`DataError::NotAFile`] for a FIFO, device, socket or directory;
    /// [`DataError::FileTooLarge`], [`DataError::TooManyPixels`] and
    /// [`DataError::DecodeTooLarge`] for a file over a limit; [`DataError::BadSetting`] for
    /// `side == 0`.
    pub fn read(&self, path: &Path) -> Result<ConvertedImage> {
        let side = self.side;
        if side == 0 {
            return Err(DataError::BadSetting("images converted to 0 × 0 pixels".into()));
        }
        let bytes = read_limited(path, self.limits.max_file_bytes)?;
        if bytes.is_empty() {
            return Err(bad_image(path, "the file is empty (0 bytes)".into()));
        }
        let (grey, colour) = decode(&bytes, path, &self.limits)?;
        drop(bytes);
        let (w, h) = grey.dimensions();
        Ok(ConvertedImage { pixels: fit_square(&grey, side), original: (w, h), colour })
    }

    /// Reads and converts image files in the order given (a CSV of image paths, say):
    /// `side × side` grey pixels one image after another, and what the conversion did.
    /// `progress(done, total)` is called after each image.
    ///
    /// # Errors
    /// As [`ImageFiles::read`], for the first file that cannot be read.
    pub fn read_files(&self, paths: &[PathBuf], progress: &mut dyn FnMut(usize, usize)) -> Result<(Vec<f32>, ImageConversion)> {
        let side = self.side;
        let mut pixels = Vec::with_capacity(paths.len() * side * side);
        let mut sizes = BTreeSet::new();
        let (mut min_px, mut max_px, mut colour) = (u32::MAX, 0, false);
        for (i, p) in paths.iter().enumerate() {
            let img = self.read(p)?;
            pixels.extend_from_slice(&img.pixels);
            sizes.insert(img.original);
            min_px = min_px.min(img.original.0.min(img.original.1));
            max_px = max_px.max(img.original.0.max(img.original.1));
            colour |= img.colour;
            progress(i + 1, paths.len());
        }
        let conversion = ImageConversion { images: paths.len(), sizes: sizes.len(), min_px: if paths.is_empty() { 0 } else { min_px }, max_px, colour, side };
        Ok((pixels, conversion))
    }

    /// Reads a folder with one sub-folder of images per class. Classes are the sub-folders'
    /// names, sorted; images within a class are read in name order; hidden files and folders
    /// (a leading `.`) are skipped. `progress(done, total)` is called after each image.
    ///
    /// # Errors
    /// As [`ImageFiles::read`] for any file that cannot be read (named);
    /// [`DataError::ImageFolder`] for a folder with loose files beside the class folders, an
    /// empty class folder, fewer than two classes or more than 256; [`DataError::Io`].
    pub fn read_folder(&self, dir: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<LabelledImages> {
        let bad = |path: &Path, message: String| DataError::ImageFolder { path: path.display().to_string(), message };
        let (loose, class_dirs) = files_of(dir)?;
        if let Some(f) = loose.first() {
            return Err(bad(f, "a file beside the class folders (expected one sub-folder of images per class)".into()));
        }
        if class_dirs.len() < 2 {
            return Err(bad(dir, format!("{} class folder(s); a task needs at least two", class_dirs.len())));
        }
        if class_dirs.len() > 256 {
            return Err(bad(dir, format!("{} class folders; at most 256 are supported", class_dirs.len())));
        }
        let mut paths = Vec::new();
        let mut labels = Vec::new();
        let mut class_names = Vec::new();
        for (c, d) in class_dirs.iter().enumerate() {
            let (files, sub) = files_of(d)?;
            if let Some(s) = sub.first() {
                return Err(bad(s, "a folder inside a class folder (classes are one level deep)".into()));
            }
            if files.is_empty() {
                return Err(bad(d, "an empty class folder".into()));
            }
            labels.extend(std::iter::repeat_n(c as u8, files.len()));
            paths.extend(files);
            class_names.push(d.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()));
        }
        let (pixels, conversion) = self.read_files(&paths, progress)?;
        Ok(LabelledImages { images: ImageSet { pixels, labels, side: self.side }, class_names, paths, conversion })
    }

    /// Reads an unlabelled folder of images (files directly in it, name order, hidden ones
    /// skipped): what `predict` labels. Returns the files, their `side × side` grey pixels one
    /// image after another, and what the conversion did.
    ///
    /// # Errors
    /// As [`ImageFiles::read`] for a file that cannot be read (named);
    /// [`DataError::ImageFolder`] for a folder without images; [`DataError::Io`].
    pub fn read_unlabelled(&self, dir: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<(Vec<PathBuf>, Vec<f32>, ImageConversion)> {
        let (files, _) = files_of(dir)?;
        if files.is_empty() {
            return Err(DataError::ImageFolder { path: dir.display().to_string(), message: "no image files".into() });
        }
        let (pixels, conversion) = self.read_files(&files, progress)?;
        Ok((files, pixels, conversion))
    }
}

/// Reads and converts one image file (any format the `image` crate reads among PNG, JPEG, BMP,
/// GIF and WebP; the format is told by the content, not the name), within the default
/// [`ImageLimits`]: [`ImageFiles::read`] with `ImageFiles::new(side)`.
///
/// # Errors
/// [`DataError::BadImage`] naming the file: unreadable, empty, not an image, corrupt or
/// truncated; [`DataError::NotAFile`], [`DataError::FileTooLarge`],
/// [`DataError::TooManyPixels`], [`DataError::DecodeTooLarge`] (see [`ImageFiles::read`]);
/// [`DataError::BadSetting`] for `side == 0`.
pub fn read_image(path: &Path, side: usize) -> Result<ConvertedImage> {
    ImageFiles::new(side).read(path)
}

/// Scales `grey` so that its longer side is `side` (aspect kept) and centres it on a black
/// `side × side` square; pixels in [0, 1].
fn fit_square(grey: &image::GrayImage, side: usize) -> Vec<f32> {
    let (w, h) = grey.dimensions();
    let long = w.max(h) as f64;
    let s = side as f64 / long;
    let nw = ((w as f64 * s).round() as u32).clamp(1, side as u32);
    let nh = ((h as f64 * s).round() as u32).clamp(1, side as u32);
    let scaled = if (nw, nh) == (w, h) { grey.clone() } else { image::imageops::resize(grey, nw, nh, FilterType::Triangle) };
    let (ox, oy) = ((side as u32 - nw) / 2, (side as u32 - nh) / 2);
    let mut out = vec![0.0f32; side * side];
    for (x, y, p) in scaled.enumerate_pixels() {
        out[((y + oy) as usize) * side + (x + ox) as usize] = f32::from(p.0[0]) / 255.0;
    }
    out
}

/// The files of `dir` that are not hidden, sorted by name.
fn files_of(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let io = |e: std::io::Error| DataError::Io { path: dir.display().to_string(), message: e.to_string() };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            dirs.push(path);
        } else {
            files.push(path);
        }
    }
    files.sort();
    dirs.sort();
    Ok((files, dirs))
}

/// Reads and converts image files in the order given (a CSV of image paths, say):
/// `side × side` grey pixels one image after another, and what the conversion did.
/// `progress(done, total)` is called after each image. Within the default [`ImageLimits`]:
/// [`ImageFiles::read_files`] with `ImageFiles::new(side)`.
///
/// # Errors
/// As [`ImageFiles::read`], for the first file that cannot be read.
pub fn read_image_files(paths: &[PathBuf], side: usize, progress: &mut dyn FnMut(usize, usize)) -> Result<(Vec<f32>, ImageConversion)> {
    ImageFiles::new(side).read_files(paths, progress)
}

/// Reads a folder with one sub-folder of images per class. Classes are the sub-folders'
/// names, sorted; images within a class are read in name order; hidden files and folders
/// (a leading `.`) are skipped. `progress(done, total)` is called after each image. Within the
/// default [`ImageLimits`]: [`ImageFiles::read_folder`] with `ImageFiles::new(side)`.
///
/// # Errors
/// As [`ImageFiles::read`] for any file that cannot be read (named);
/// [`DataError::ImageFolder`] for a folder with loose files beside the class folders, an empty
/// class folder, fewer than two classes or more than 256; [`DataError::Io`].
pub fn read_image_folder(dir: &Path, side: usize, progress: &mut dyn FnMut(usize, usize)) -> Result<LabelledImages> {
    ImageFiles::new(side).read_folder(dir, progress)
}

/// Reads an unlabelled folder of images (files directly in it, name order, hidden ones
/// skipped): what `predict` labels. Returns the files, their `side × side` grey pixels one
/// image after another, and what the conversion did. Within the default [`ImageLimits`]:
/// [`ImageFiles::read_unlabelled`] with `ImageFiles::new(side)`.
///
/// # Errors
/// As [`ImageFiles::read`] for a file that cannot be read (named);
/// [`DataError::ImageFolder`] for a folder without images; [`DataError::Io`].
pub fn read_unlabelled_folder(dir: &Path, side: usize, progress: &mut dyn FnMut(usize, usize)) -> Result<(Vec<PathBuf>, Vec<f32>, ImageConversion)> {
    ImageFiles::new(side).read_unlabelled(dir, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use image::{GrayImage, Luma, Rgb, RgbImage};

    #[test]
    fn aspect_is_kept_and_the_rest_is_black() {
        // A white 4 × 2 image into 4 × 4: rows 1 and 2 white, rows 0 and 3 black.
        let px = fit_square(&GrayImage::from_pixel(4, 2, Luma([255])), 4);
        for (i, v) in px.iter().enumerate() {
            assert_relative_eq!(*v, if (4..12).contains(&i) { 1.0 } else { 0.0 });
        }
        // A 2 × 2 grey image of value 51 scaled up to 4 × 4 stays 51 / 255 = 0.2 everywhere.
        for v in fit_square(&GrayImage::from_pixel(2, 2, Luma([51])), 4) {
            assert_relative_eq!(v, 0.2, epsilon = 1e-6);
        }
    }

    #[test]
    fn a_folder_of_classes_reads_with_a_note() {
        let tmp = tempfile::tempdir().unwrap();
        for (c, n) in [("boots", 2), ("coats", 3)] {
            std::fs::create_dir_all(tmp.path().join(c)).unwrap();
            for i in 0..n {
                let p = tmp.path().join(c).join(format!("{i}.png"));
                if c == "boots" {
                    GrayImage::from_pixel(20 + 10 * i, 30, Luma([200])).save(&p).unwrap();
                } else {
                    RgbImage::from_pixel(40, 40, Rgb([255, 0, 0])).save(tmp.path().join(c).join(format!("{i}.jpg"))).unwrap();
                }
            }
        }
        let mut calls = 0;
        let r = read_image_folder(tmp.path(), 28, &mut |done, total| {
            calls += 1;
            assert!(done <= total && total == 5);
        })
        .unwrap();
        assert_eq!(
            (r.images.len(), r.class_names.clone(), r.images.labels.clone(), calls),
            (5, vec!["boots".to_string(), "coats".into()], vec![0, 0, 1, 1, 1], 5)
        );
        assert_eq!(r.conversion.to_string(), "5 images of 3 sizes, 20–40 px, RGB → 28×28 grey (aspect kept, centred on black)");
        // Pure red is grey 0.2126 × 255 ≈ 54 (the `image` crate's Rec. 709 weights; JPEG moves
        // it a little).
        let v = r.images.image(2)[14 * 28 + 14];
        assert!((v - 54.0 / 255.0).abs() < 0.03, "{v}");
    }

    /// The `O_NONBLOCK` value is right where it is set: opening a FIFO without a writer
    /// returns at once instead of waiting for one.
    #[test]
    fn bad_files_and_folders_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        GrayImage::from_pixel(5, 5, Luma([9])).save(a.join("ok.png")).unwrap();
        // An empty class folder.
        let e = read_image_folder(tmp.path(), 28, &mut |_, _| {}).unwrap_err();
        assert!(matches!(&e, DataError::ImageFolder { path, .. } if path.ends_with("b")), "{e}");
        // A zero-byte file, a text file, a truncated PNG.
        let mut png = Vec::new();
        GrayImage::from_pixel(30, 30, Luma([9])).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        for (name, bytes) in [("empty.png", Vec::new()), ("notes.png", b"hello".to_vec()), ("cut.png", png[..png.len() / 2].to_vec())] {
            let f = b.join(name);
            std::fs::write(&f, &bytes).unwrap();
            let e = read_image_folder(tmp.path(), 28, &mut |_, _| {}).unwrap_err();
            assert!(matches!(&e, DataError::BadImage { path, .. } if path.ends_with(name)), "{name}: {e}");
            std::fs::remove_file(&f).unwrap();
        }
        // A single class.
        std::fs::remove_dir(&b).unwrap();
        assert!(matches!(read_image_folder(tmp.path(), 28, &mut |_, _| {}), Err(DataError::ImageFolder { .. })));
        // Unlabelled: the files in order.
        let (files, px, conv) = read_unlabelled_folder(&a, 7, &mut |_, _| {}).unwrap();
        assert_eq!((files.len(), px.len(), conv.images), (1, 49, 1));
        assert!(read_unlabelled_folder(tmp.path(), 7, &mut |_, _| {}).is_err(), "no image files directly in it");
    }
}
