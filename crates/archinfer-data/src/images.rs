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

/// Limits on what reading one image file may cost, checked before the cost is paid: the
/// file's size before it is read, the pixels its header declares before anything is decoded,
/// and the memory the decoded pixels take. A file over a limit is an error naming the file and
/// the limit ([`DataError::FileTooLarge`], [`DataError::TooManyPixels`],
/// [`DataError::DecodeTooLarge`]), never an aborted process.
///
/// The defaults read any photograph of up to 40 megapixels in a file of up to 64 MiB and keep
/// one decode under about 1 GiB; raise them for larger genuine images:
///
/// ```
/// use archinfer_data::{ImageFiles, ImageLimits};
/// let limits = ImageLimits::default().with_max_pixels(100_000_000).with_max_file_bytes(256 << 20);
/// let reader = ImageFiles::new(28).with_limits(limits);
/// assert_eq!(reader.limits.max_pixels, 100_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest image file read, in bytes (default [`ImageLimits::DEFAULT_MAX_FILE_BYTES`],
    /// 64 MiB). At most this many bytes (and one more, to tell) are ever read from a file.
    pub max_file_bytes: u64,
    /// Most pixels (width × height, as the header declares them) of an image decoded (default
    /// [`ImageLimits::DEFAULT_MAX_PIXELS`], 40 megapixels).
    pub max_pixels: u64,
    /// Most memory one decode may allocate, in bytes: the decoded pixels (up to 8 bytes each,
    /// 16-bit RGBA) and the decoder's own buffers (default
    /// [`ImageLimits::DEFAULT_MAX_DECODE_BYTES`], 1 GiB). Holds even where a header lies about
    /// the image within it.
    pub max_decode_bytes: u64,
}

impl ImageLimits {
    /// Default [`ImageLimits::max_file_bytes`]: 64 MiB.
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 20;
    /// Default [`ImageLimits::max_pixels`]: 40 megapixels (a 7,600 × 5,200 photograph).
    pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;
    /// Default [`ImageLimits::max_decode_bytes`]: 1 GiB.
    pub const DEFAULT_MAX_DECODE_BYTES: u64 = 1 << 30;

    /// The default limits.
    #[must_use]
    pub const fn new() -> Self {
        Self { max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES, max_pixels: Self::DEFAULT_MAX_PIXELS, max_decode_bytes: Self::DEFAULT_MAX_DECODE_BYTES }
    }

    /// These limits with files of up to `bytes` bytes read.
    #[must_use]
    pub const fn with_max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes;
        self
    }

    /// These limits with images of up to `pixels` pixels (width × height) decoded.
    #[must_use]
    pub const fn with_max_pixels(mut self, pixels: u64) -> Self {
        self.max_pixels = pixels;
        self
    }

    /// These limits with one decode allowed up to `bytes` bytes of memory.
    #[must_use]
    pub const fn with_max_decode_bytes(mut self, bytes: u64) -> Self {
        self.max_decode_bytes = bytes;
        self
    }
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self::new()
    }
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

fn bad_image(path: &Path, message: String) -> DataError {
    DataError::BadImage { path: path.display().to_string(), message }
}

/// What a path that is not a regular file is, in words.
fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() { "a directory" } else { "not a file that can be read" }
}

/// `O_NONBLOCK` where its value is known without the `libc` crate: 0o4000 on Linux but for
/// Alpha, MIPS, PA-RISC and SPARC; 4 on macOS and the BSDs.
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x",
        target_arch = "loongarch64"
    )
))]
const O_NONBLOCK: Option<i32> = Some(0o4000);
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd", target_os = "dragonfly"))]
const O_NONBLOCK: Option<i32> = Some(4);
#[cfg(not(any(
    all(
        target_os = "linux",
        any(
            target_arch = "x86_64",
            target_arch = "x86",
            target_arch = "aarch64",
            target_arch = "arm",
            target_arch = "riscv64",
            target_arch = "powerpc64",
            target_arch = "s390x",
            target_arch = "loongarch64"
        )
    ),
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
const O_NONBLOCK: Option<i32> = None;

/// Opens a file for reading, where the platform allows without blocking should a FIFO have been
/// put in its place after it was looked at (non-blocking changes nothing for a regular file).
fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(flag) = O_NONBLOCK {
            options.custom_flags(flag);
        }
    }
    #[cfg(not(unix))]
    let _ = O_NONBLOCK;
    options.open(path)
}

/// The bytes of `path`, a regular file (symbolic links followed) of at most `limit` bytes.
/// Nothing else is opened: a FIFO would block and a device such as `/dev/zero` never ends.
/// At most `limit + 1` bytes are read, so a file that grows meanwhile cannot pass the limit.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let named = || path.display().to_string();
    let io = |e: std::io::Error| bad_image(path, e.to_string());
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(DataError::NotAFile { path: named(), kind: kind_of(meta.file_type()) });
        }
        if meta.len() > limit {
            return Err(DataError::FileTooLarge { path: named(), bytes: meta.len(), limit });
        }
        Ok(())
    };
    check(&std::fs::metadata(path).map_err(io)?)?;
    let file = open_file(path).map_err(io)?;
    // What was opened, in case the path changed since it was looked at.
    let meta = file.metadata().map_err(io)?;
    check(&meta)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    let read = bytes.len() as u64;
    if read > limit {
        return Err(DataError::FileTooLarge { path: named(), bytes: read.max(meta.len()), limit });
    }
    Ok(bytes)
}

/// Decodes an image within `limits`; returns it grey, turned upright as its EXIF orientation
/// says (phone photos are stored sideways with a tag), and whether it had colour.
///
/// The header is read first: too many pixels, or too many bytes to hold them, is an error
/// before anything is allocated for them; a file that ends early is an error before it is
/// decoded; and the decoder itself is held to the memory left.
fn decode(bytes: &[u8], path: &Path, limits: &ImageLimits) -> Result<(image::GrayImage, bool)> {
    use image::{DynamicImage, ImageDecoder, ImageError};
    let unreadable = |e: ImageError| {
        let message = match &e {
            ImageError::Limits(_) => format!(
                "not a readable image: decoding it would need more memory than the limit of {} bytes allows (`ImageLimits::max_decode_bytes`; its header may lie about its size): {e}",
                limits.max_decode_bytes
            ),
            ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                "not a readable image: truncated (the file ends before its pixels do)".to_string()
            }
            _ => format!("not a readable image: {e}"),
        };
        bad_image(path, message)
    };
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| unreadable(e.into()))?;
    let format = reader.format();
    // Sizes are checked below, with errors that say which limit; memory from the start.
    let mut header_limits = image::Limits::no_limits();
    header_limits.max_alloc = Some(limits.max_decode_bytes);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(DataError::TooManyPixels { path: path.display().to_string(), width, height, limit: limits.max_pixels });
    }
    let need = decoder.total_bytes();
    if need > limits.max_decode_bytes {
        return Err(DataError::DecodeTooLarge { path: path.display().to_string(), width, height, bytes: need, limit: limits.max_decode_bytes });
    }
    if let Some(format) = format {
        complete(format, bytes).map_err(|why| bad_image(path, format!("not a readable image: {why}")))?;
    }
    let orientation = decoder.orientation().map_err(unreadable)?;
    // The decoder's own limits: no side longer than the pixel limit allows, and the memory
    // left once the pixels are allocated.
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut decode_limits = image::Limits::no_limits();
    decode_limits.max_image_width = Some(side);
    decode_limits.max_image_height = Some(side);
    decode_limits.max_alloc = Some(limits.max_decode_bytes - need);
    decoder.set_limits(decode_limits).map_err(unreadable)?;
    let img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    let colour = img.color().has_color();
    let mut grey = DynamicImage::ImageLuma8(img.to_luma8());
    drop(img);
    grey.apply_orientation(orientation);
    Ok((grey.into_luma8(), colour))
}

/// Whether `bytes` hold a whole file of `format`: `Err` says how it ends early. Decoders fill
/// in what is missing or stop before the end (the JPEG decoder pads a cut scan with grey; the
/// PNG decoder stops after the last row and never reads `IEND`), so the end is checked here.
fn complete(format: image::ImageFormat, bytes: &[u8]) -> std::result::Result<(), String> {
    match format {
        image::ImageFormat::Jpeg => jpeg_complete(bytes),
        image::ImageFormat::Png => png_complete(bytes),
        image::ImageFormat::Gif => gif_complete(bytes),
        image::ImageFormat::WebP => webp_complete(bytes),
        // The BMP decoder reads every row with `read_exact`: a cut file is an error there.
        _ => Ok(()),
    }
}

/// A JPEG reaches its end-of-image marker (FF D9): segments are skipped by their lengths, and
/// each scan's entropy-coded data up to the next marker that is neither a stuffed byte nor a
/// restart marker. Bytes after the marker (a camera's trailer) are allowed.
fn jpeg_complete(b: &[u8]) -> std::result::Result<(), String> {
    let cut = |what: &str| -> std::result::Result<(), String> { Err(format!("truncated: the file ends {what}, before its end-of-image marker (FF D9)")) };
    let mut i = 2; // after SOI, which told the format
    loop {
        // The next marker: 0xFF (fill bytes allowed), then its code. Anything between segments
        // is skipped, as decoders do.
        let Some(p) = b.get(i..).and_then(|r| r.iter().position(|&x| x == 0xFF)) else { return cut("between segments") };
        i += p;
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&code) = b.get(i) else { return cut("in a marker") };
        i += 1;
        match code {
            0xD9 => return Ok(()),
            0x00 | 0x01 | 0xD0..=0xD8 => continue, // stray stuffed byte, TEM, RSTn, SOI: no length
            _ => {}
        }
        let Some(len) = b.get(i..i + 2).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else { return cut("in a segment's length") };
        if i + len > b.len() {
            return cut(&format!("inside a segment (marker FF {code:02X}, {len} bytes from byte {i})"));
        }
        i += len;
        if code == 0xDA {
            // Entropy-coded data: FF 00 is a stuffed byte, FF D0–D7 a restart marker, FF FF fill.
            loop {
                let Some(p) = b.get(i..).and_then(|r| r.iter().position(|&x| x == 0xFF)) else { return cut("inside a scan") };
                i += p;
                match b.get(i + 1) {
                    None => return cut("inside a scan"),
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(0xFF) => i += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

/// A PNG reaches the end of its `IEND` chunk (chunks skipped by their lengths).
fn png_complete(b: &[u8]) -> std::result::Result<(), String> {
    let mut i: usize = 8; // after the signature
    loop {
        let Some(head) = b.get(i..i + 8) else { return Err("truncated: the file ends before its IEND chunk, with which a whole PNG ends".into()) };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = String::from_utf8_lossy(&head[4..8]).into_owned();
        let end = i.saturating_add(12).saturating_add(len);
        if end > b.len() {
            return Err(format!("truncated: the file has {} bytes and ends inside its {kind} chunk, which runs to byte {end}; a whole PNG ends with an IEND chunk", b.len()));
        }
        if kind == "IEND" {
            return Ok(());
        }
        i = end;
    }
}

/// A GIF reaches its trailer (3B): blocks skipped by their sub-blocks' lengths.
fn gif_complete(b: &[u8]) -> std::result::Result<(), String> {
    const CUT: &str = "truncated: the file ends before its trailer (3B)";
    let colour_table = |flags: u8| if flags & 0x80 != 0 { 3usize << ((flags & 7) + 1) } else { 0 };
    // Sub-blocks: a length byte, that many bytes, until a zero length.
    let skip_sub_blocks = |mut i: usize| -> std::result::Result<usize, String> {
        loop {
            let n = usize::from(*b.get(i).ok_or(CUT)?);
            i += 1 + n;
            if n == 0 {
                return Ok(i);
            }
        }
    };
    let flags = *b.get(10).ok_or(CUT)?;
    let mut i = 13 + colour_table(flags);
    loop {
        let block = *b.get(i).ok_or(CUT)?;
        i += 1;
        match block {
            0x3B => return Ok(()),
            0x21 => i = skip_sub_blocks(i + 1)?,
            0x2C => {
                let flags = *b.get(i + 8).ok_or(CUT)?;
                i = skip_sub_blocks(i + 9 + colour_table(flags) + 1)?;
            }
            _ => return Err(format!("corrupt: byte {}: {block:02X} starts no GIF block", i - 1)),
        }
    }
}

/// A WebP holds as many bytes as its RIFF header says.
fn webp_complete(b: &[u8]) -> std::result::Result<(), String> {
    let size = b.get(4..8).map(|s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))).ok_or("truncated: the file ends inside its RIFF header")?;
    let whole = size + 8;
    if (b.len() as u64) < whole {
        return Err(format!("truncated: the file has {} bytes, its RIFF header says {whole}", b.len()));
    }
    Ok(())
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
    #[cfg(unix)]
    #[test]
    fn opening_a_fifo_does_not_block() {
        if O_NONBLOCK.is_none() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("p.png");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(open_file(&fifo).map(|_| ())).unwrap());
        let opened = rx.recv_timeout(std::time::Duration::from_secs(5)).expect("open blocked on a FIFO");
        assert!(opened.is_ok(), "{opened:?}");
    }

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
