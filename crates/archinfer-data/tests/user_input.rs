//! The one reader (`read_user_data`) refuses what it cannot safely read with a typed error that
//! names the file or folder, fast, and tells a too-small task from a broken one.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use archinfer_data::{DataError, DataSpec, InputKind, USER_SPLIT, read_user_data};
use image::{GrayImage, Luma};

fn png(path: &Path, v: u8) {
    GrayImage::from_pixel(6, 6, Luma([v])).save(path).unwrap();
}

/// A folder with one sub-folder per class, `per_class` images each.
fn classes(dir: &Path, names: &[&str], per_class: usize) {
    for (c, name) in names.iter().enumerate() {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        for i in 0..per_class {
            png(&dir.join(name).join(format!("{i}.png")), (40 * c + i) as u8);
        }
    }
}

fn read(path: &Path) -> Result<archinfer_data::UserData, DataError> {
    read_user_data(path, &DataSpec::new(), &mut |_, _| {})
}

#[test]
fn too_few_samples_to_split_name_the_folder_the_part_and_what_is_needed() {
    let tmp = tempfile::tempdir().unwrap();
    // Two classes of one image: 60/20/20 of 2 samples leaves validation empty.
    let two_of_one = tmp.path().join("two-of-one");
    classes(&two_of_one, &["a", "b"], 1);
    let e = read(&two_of_one).unwrap().bundle(USER_SPLIT).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DataError::UserData { ref path, .. } if path.ends_with("two-of-one")), "{msg}");
    assert!(msg.contains("2 samples in 2 classes") && msg.contains("the validation part gets none") && msg.contains("at least 4 samples"), "{msg}");

    let three_of_one = tmp.path().join("three-of-one");
    classes(&three_of_one, &["a", "b", "c"], 1);
    let e = read(&three_of_one).unwrap().bundle(USER_SPLIT).unwrap_err();
    assert!(matches!(e, DataError::UserData { ref path, .. } if path.ends_with("three-of-one")), "{e}");
    assert!(e.to_string().contains("3 samples in 3 classes") && e.to_string().contains("the test part gets none"), "{e}");

    // Two images in each of two classes are enough: 2 / 1 / 1.
    let ok = tmp.path().join("ok");
    classes(&ok, &["a", "b"], 2);
    let b = read(&ok).unwrap().bundle(USER_SPLIT).unwrap();
    assert!(b.split.iter().all(|&n| n > 0), "{:?}", b.split);
}

#[test]
fn a_class_folder_named_like_an_idx_file_is_a_class() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    classes(&dir, &["train-images-idx3-ubyte", "zebra"], 5);
    let d = read(&dir).unwrap();
    assert_eq!(d.kind, InputKind::ImageFolder);
    assert_eq!(d.class_names, vec!["train-images-idx3-ubyte".to_string(), "zebra".into()]);
}

#[cfg(unix)]
#[test]
fn a_fifo_among_the_images_is_named_and_not_waited_for() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    classes(&dir, &["a", "b"], 3);
    let fifo = dir.join("a").join("p.png");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let t0 = Instant::now();
    let e = read(&dir).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(e.to_string().contains("p.png"), "{e}");
    // Given as the data itself, a FIFO is refused before it is opened.
    let e = read(&fifo).unwrap_err();
    assert!(matches!(e, DataError::UserData { .. }) && e.to_string().contains("p.png"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_device_behind_a_link_in_a_csv_of_paths_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("imgs");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..4 {
        png(&dir.join(format!("{i}.png")), 10 * i as u8);
    }
    std::os::unix::fs::symlink("/dev/zero", dir.join("z.png")).unwrap();
    let csv = tmp.path().join("list.csv");
    std::fs::write(&csv, "path,label\nimgs/0.png,a\nimgs/1.png,b\nimgs/z.png,a\nimgs/2.png,b\n").unwrap();
    let t0 = Instant::now();
    let e = read(&csv).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(e.to_string().contains("z.png"), "{e}");
    // /dev/urandom as well, in a class folder.
    let folder = tmp.path().join("folder");
    classes(&folder, &["a", "b"], 2);
    std::os::unix::fs::symlink("/dev/urandom", folder.join("b").join("u.png")).unwrap();
    let e = read(&folder).unwrap_err();
    assert!(e.to_string().contains("u.png"), "{e}");
}
