//! Decoding one image file within its limits, and refusing a truncated one: the decoders pad
//! some cut files silently, so each format's stream is walked to its end marker first.

use std::path::Path;

use super::limits::{ImageLimits, bad_image};
use crate::error::{DataError, Result};

/// Decodes an image within `limits`; returns it grey, turned upright as its EXIF orientation
/// says (phone photos are stored sideways with a tag), and whether it had colour.
///
/// The header is read first: too many pixels, or too many bytes to hold them, is an error
/// before anything is allocated for them; a file that ends early is an error before it is
/// decoded; and the decoder itself is held to the memory left.
pub(super) fn decode(bytes: &[u8], path: &Path, limits: &ImageLimits) -> Result<(image::GrayImage, bool)> {
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

