//! Loaders on small fixture files written to a temporary directory.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

use archinfer_data::{CsvOptions, DataError, load_csv, load_mnist_dir, read_idx};
use flate2::Compression;
use flate2::write::GzEncoder;

fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

fn write_gz(path: &Path, bytes: &[u8]) {
    let mut e = GzEncoder::new(std::fs::File::create(path).unwrap(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap();
}

#[test]
fn mnist_directory_gz_and_plain() {
    let dir = tempfile::tempdir().unwrap();
    let pixels: Vec<u8> = (0..3 * 16).map(|i| (i * 5) as u8).collect();
    write_gz(&dir.path().join("train-images-idx3-ubyte.gz"), &idx(&[3, 4, 4], &pixels));
    write_gz(&dir.path().join("train-labels-idx1-ubyte.gz"), &idx(&[3], &[0, 1, 2]));
    std::fs::write(dir.path().join("t10k-images-idx3-ubyte"), idx(&[1, 4, 4], &[255; 16])).unwrap();
    std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), idx(&[1], &[7])).unwrap();
    let set = load_mnist_dir(dir.path()).unwrap();
    assert_eq!(set.len(), 4);
    assert_eq!(set.side, 4);
    assert_eq!(set.labels, vec![0, 1, 2, 7]);
    assert_eq!(set.image(3), &[1.0; 16]);
    assert!((set.image(0)[1] - 5.0 / 255.0).abs() < 1e-7);
}

#[test]
fn bad_idx_files_name_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("truncated.gz");
    write_gz(&p, &idx(&[2, 4, 4], &[1; 20]));
    match read_idx(&p).unwrap_err() {
        DataError::Idx { path, offset, message } => {
            assert!(path.ends_with("truncated.gz"));
            assert_eq!(offset, 16 + 20);
            assert!(message.contains("truncated"), "{message}");
        }
        e => panic!("{e}"),
    }
    let p = dir.path().join("magic");
    std::fs::write(&p, [0u8, 0, 9, 1, 0, 0, 0, 1, 5]).unwrap();
    assert!(matches!(read_idx(&p).unwrap_err(), DataError::Idx { offset: 2, .. }));
    // A cut-off gzip stream is an I/O error naming the file, not a panic.
    let p = dir.path().join("cut.gz");
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(&idx(&[100], &[3; 100])).unwrap();
    let bytes = e.finish().unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(read_idx(&p).unwrap_err(), DataError::Io { .. } | DataError::Idx { .. }));
    assert!(matches!(read_idx(dir.path().join("missing")).unwrap_err(), DataError::Io { .. }));
    // Labels that do not match the images.
    write_gz(&dir.path().join("train-images-idx3-ubyte.gz"), &idx(&[2, 2, 2], &[0; 8]));
    write_gz(&dir.path().join("train-labels-idx1-ubyte.gz"), &idx(&[3], &[0, 1, 2]));
    assert!(matches!(load_mnist_dir(dir.path()).unwrap_err(), DataError::Mismatch(_)));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(load_mnist_dir(empty.path()).unwrap_err(), DataError::Io { .. }));
}

#[test]
fn csv_file_round_trip_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("iris-like.csv");
    let mut text = String::from("f1,f2,species\n");
    for i in 0..30 {
        text += &format!("{},{},{}\n", i, 30 - i, ["a", "b", "c"][i % 3]);
    }
    std::fs::write(&p, &text).unwrap();
    let t = load_csv(&p, &CsvOptions::default()).unwrap();
    assert_eq!(t.name(), "iris-like");
    assert_eq!((t.samples(), t.num_classes(), t.features()[0].dim), (30, 3, 2));
    let p = dir.path().join("ragged.csv");
    std::fs::write(&p, "1,2,a\n3,4,b\n5,c\n").unwrap();
    match load_csv(&p, &CsvOptions::default()).unwrap_err() {
        DataError::Csv { path, line, .. } => {
            assert!(path.ends_with("ragged.csv"));
            assert_eq!(line, 3);
        }
        e => panic!("{e}"),
    }
}
