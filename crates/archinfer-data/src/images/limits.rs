//! What one image file may be and hold: a regular file, of at most so many bytes, of at most
//! so many pixels by its header, decoded within so much memory; and reading a file within them
//! without blocking on a FIFO or reading a device without end.

use std::path::Path;

use crate::error::{DataError, Result};

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

pub(super) fn bad_image(path: &Path, message: String) -> DataError {
    DataError::BadImage { path: path.display().to_string(), message }
}

/// What a path that is not a regular file is, in words.
pub(super) fn kind_of(ft: std::fs::FileType) -> &'static str {
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
/// Alpha, MIPS, PA-RISC and SPARC; 4 on macOS and the BSDs; unknown elsewhere.
const O_NONBLOCK: Option<i32> = if cfg!(all(
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
)) {
    Some(0o4000)
} else if cfg!(any(target_os = "macos", target_os = "ios", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd", target_os = "dragonfly")) {
    Some(4)
} else {
    None
};

/// Opens a file for reading, where the platform allows without blocking should a FIFO have been
/// put in its place after it was looked at (non-blocking changes nothing for a regular file).
pub(super) fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
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
pub(super) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
