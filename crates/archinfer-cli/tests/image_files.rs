//! Images as files from the command line: folders of PNG and JPEG files of mixed sizes and
//! colours, cut from the shipped example task (`data/dress-coat-occluded-noisy`), go through
//! `task add`, `build-db`, `infer`, `fit` and `predict`; the same images as IDX and as 28 × 28
//! grey PNG give the same proposal; bad files are typed errors that name the file and leave the
//! database unchanged.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use archinfer::data::{ImageSet, load_mnist_dir};
use image::imageops::FilterType;
use image::{GrayImage, ImageFormat, Luma, RgbImage};

mod common;

/// The example program, compiled into this test so that it runs on what `archinfer fit` saved.
#[allow(dead_code)]
#[path = "../../../examples/predict_fitted.rs"]
mod example;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str], no_images: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archinfer")).args(args).env("ARCHINFER_FASHION_MNIST", no_images).output().unwrap()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn err(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure, got: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn snapshot(db: &Path) -> Vec<Vec<String>> {
    ["tasks", "trials", "task_data", "meta"].iter().map(|t| common::table_rows(db, t, "rowid")).collect()
}

/// The first `per_class` images of each class of the shipped example task, classes in label
/// order (the order a class folder reads them back in).
fn example_images(per_class: usize) -> ImageSet {
    let all = load_mnist_dir(&root().join("data/dress-coat-occluded-noisy")).unwrap();
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for c in 0..2u8 {
        for i in (0..all.len()).filter(|&i| all.labels[i] == c).take(per_class) {
            pixels.extend_from_slice(all.image(i));
            labels.push(c);
        }
    }
    ImageSet { pixels, labels, side: 28 }
}

fn grey(set: &ImageSet, i: usize) -> GrayImage {
    GrayImage::from_fn(28, 28, |x, y| Luma([(set.image(i)[(y * 28 + x) as usize] * 255.0).round() as u8]))
}

/// Writes `set` as one sub-folder per class (named by the label). `mixed`: sizes from 20 to
/// 300 px, every third image RGB, every other one JPEG; else 28 × 28 grey PNG.
fn write_folder(set: &ImageSet, dir: &Path, mixed: bool) {
    for i in 0..set.len() {
        let class = dir.join(set.labels[i].to_string());
        std::fs::create_dir_all(&class).unwrap();
        let img = grey(set, i);
        let path = class.join(format!("{i:04}"));
        if !mixed {
            img.save_with_format(path.with_extension("png"), ImageFormat::Png).unwrap();
            continue;
        }
        let side = [20u32, 45, 28, 300, 64, 128, 33][i % 7];
        let (w, h) = if i % 5 == 0 { (side, (side * 3 / 4).max(20)) } else { (side, side) };
        let scaled = image::imageops::resize(&img, w, h, FilterType::Triangle);
        let ext = if i % 2 == 0 { "png" } else { "jpg" };
        let fmt = if i % 2 == 0 { ImageFormat::Png } else { ImageFormat::Jpeg };
        if i % 3 == 0 {
            let rgb = RgbImage::from_fn(w, h, |x, y| {
                let v = scaled.get_pixel(x, y).0[0];
                image::Rgb([v, v, v])
            });
            rgb.save_with_format(path.with_extension(ext), fmt).unwrap();
        } else {
            scaled.save_with_format(path.with_extension(ext), fmt).unwrap();
        }
    }
}

fn shipped_model() -> String {
    root().join("models/fmnist14-without-dress-coat").display().to_string()
}

#[test]
fn an_image_folder_goes_through_task_add_build_db_fit_and_predict() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let set = example_images(60);
    let folder = tmp.path().join("photos");
    write_folder(&set, &folder, true);
    let (f, db) = (folder.to_str().unwrap(), tmp.path().join("db.sqlite"));
    let dbs = db.to_str().unwrap();

    let out = run(&["task", "add", "--db", dbs, "--name", "photos", "--data", f], &empty);
    let note = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(&out, "task add");
    assert!(note.contains("120 images of") && note.contains("20–300 px, RGB → 28×28 grey"), "{note}");
    ok(&run(&["build-db", "--db", dbs, "--children", "4", "--pool", "0", "--epochs", "2", "--workers", "1"], &empty), "build-db");
    assert_eq!(common::table_rows(&db, "trials", "rowid").len(), 4);

    let model = shipped_model();
    let fitted = tmp.path().join("fitted");
    let fits = fitted.to_str().unwrap();
    ok(&run(&["fit", "--model", &model, "--data", f, "--out", fits, "--epochs", "2", "--db", dbs], &empty), "fit");
    let info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fitted.join("fitted.json")).unwrap()).unwrap();
    let p: serde_json::Value =
        serde_json::from_str(&ok(&run(&["predict", "--model", fits, "--data", f, "--split", "test", "--json"], &empty), "predict")).unwrap();
    assert_eq!(p["samples"].as_u64(), Some(24));
    approx::assert_abs_diff_eq!(p["accuracy"].as_f64().unwrap(), info["test_accuracy"].as_f64().unwrap(), epsilon = 1e-6);
    assert_eq!(p["paths"].as_array().unwrap().len(), 24);
    // The example program loads the saved model and reproduces `predict`'s accuracy.
    let (labels, acc) = example::label(&fitted, &folder, "test").unwrap();
    approx::assert_abs_diff_eq!(acc.unwrap(), p["accuracy"].as_f64().unwrap(), epsilon = 1e-12);
    assert_eq!(serde_json::json!(labels), p["predictions"]);

    // An unlabelled folder: one line per file, its path and its label.
    let loose = folder.join("1");
    let lines = ok(&run(&["predict", "--model", fits, "--data", loose.to_str().unwrap()], &empty), "predict unlabelled");
    let per_file: Vec<&str> = lines.lines().filter(|l| l.contains('\t')).collect();
    assert_eq!(per_file.len(), 60, "{lines}");
    let classes = info["class_names"].as_array().unwrap();
    for l in per_file {
        let (path, label) = l.split_once('\t').unwrap();
        assert!(Path::new(path).starts_with(&loose) && classes.iter().any(|c| c == label), "{l}");
    }

    // A CSV of image paths (relative to the CSV) reads the same images.
    let mut csv = String::from("path,label\n");
    for c in ["0", "1"] {
        let mut files: Vec<_> = std::fs::read_dir(folder.join(c)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for p in files {
            csv += &format!("photos/{c}/{},{c}\n", p.file_name().unwrap().to_str().unwrap());
        }
    }
    let list = tmp.path().join("list.csv");
    std::fs::write(&list, csv).unwrap();
    let p2: serde_json::Value =
        serde_json::from_str(&ok(&run(&["predict", "--model", fits, "--data", list.to_str().unwrap(), "--split", "test", "--json"], &empty), "predict csv"))
            .unwrap();
    assert_eq!(p2["predictions"], p["predictions"]);
}

#[test]
fn the_same_images_as_idx_and_as_png_get_the_same_proposal() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let set = example_images(100);
    let (idx, png) = (tmp.path().join("idx"), tmp.path().join("png"));
    set.write_dir(&idx, true).unwrap();
    write_folder(&set, &png, false);
    let model = shipped_model();
    let propose = |d: &Path| -> serde_json::Value {
        let out = ok(&run(&["infer", "--model", &model, "--data", d.to_str().unwrap(), "--json"], &empty), "infer");
        serde_json::from_str(&out).unwrap()
    };
    let (a, b) = (propose(&idx), propose(&png));
    assert_eq!(a["architecture"], b["architecture"]);
    assert_eq!(a["predicted_value"], b["predicted_value"]);
    assert_eq!(a["samples"], b["samples"]);
}

#[test]
fn bad_image_files_are_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let set = example_images(10);
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    let good = tmp.path().join("good");
    write_folder(&set, &good, false);
    ok(&run(&["task", "add", "--db", dbs, "--name", "good", "--data", good.to_str().unwrap()], &empty), "task add");
    let snap = snapshot(&db);

    let mut png = Vec::new();
    grey(&set, 0).write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png).unwrap();
    let cases: Vec<(&str, Box<dyn Fn(&Path) -> PathBuf>)> = vec![
        (
            "corrupt",
            Box::new(|d: &Path| {
                let f = d.join("0/bad.png");
                let mut bytes = png.clone();
                for b in bytes.iter_mut().skip(40).take(60) {
                    *b ^= 0x5a;
                }
                std::fs::write(&f, bytes).unwrap();
                f
            }),
        ),
        (
            "truncated",
            Box::new(|d: &Path| {
                let f = d.join("0/cut.png");
                std::fs::write(&f, &png[..png.len() / 2]).unwrap();
                f
            }),
        ),
        (
            "not an image",
            Box::new(|d: &Path| {
                let f = d.join("1/readme.jpg");
                std::fs::write(&f, "this is text").unwrap();
                f
            }),
        ),
        (
            "zero bytes",
            Box::new(|d: &Path| {
                let f = d.join("1/empty.png");
                std::fs::write(&f, b"").unwrap();
                f
            }),
        ),
        (
            "empty class folder",
            Box::new(|d: &Path| {
                let f = d.join("2");
                std::fs::create_dir_all(&f).unwrap();
                f
            }),
        ),
        (
            "single class",
            Box::new(|d: &Path| {
                std::fs::remove_dir_all(d.join("1")).unwrap();
                d.to_path_buf()
            }),
        ),
    ];
    for (i, (what, make)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("case{i}"));
        write_folder(&set, &dir, false);
        let named = make(&dir);
        let e = err(&run(&["task", "add", "--db", dbs, "--name", &format!("bad{i}"), "--data", dir.to_str().unwrap()], &empty));
        assert!(e.contains(&named.display().to_string()), "{what}: the error must name {}: {e}", named.display());
        // What is wrong, not only where.
        let why = match *what {
            "empty class folder" => "empty class folder",
            "single class" => "a task needs at least two",
            "zero bytes" => "0 bytes",
            _ => "not a readable image",
        };
        assert!(e.contains(why), "{what}: the error must say `{why}`: {e}");
        assert_eq!(snapshot(&db), snap, "{what}: the database changed");
    }
    // A CSV of image paths: a missing file and a file that is not an image are named too.
    write_folder(&set, &tmp.path().join("listed"), false);
    std::fs::write(tmp.path().join("listed/0/readme.png"), "text").unwrap();
    for (row, named) in [("listed/0/gone.png,0", "gone.png"), ("listed/0/readme.png,0", "readme.png")] {
        let csv = tmp.path().join("list.csv");
        std::fs::write(&csv, format!("path,label\nlisted/0/0000.png,0\nlisted/1/0010.png,1\n{row}\n")).unwrap();
        let e = err(&run(&["task", "add", "--db", dbs, "--name", "listed", "--data", csv.to_str().unwrap()], &empty));
        assert!(e.contains(named), "{row}: {e}");
        assert_eq!(snapshot(&db), snap, "{row}: the database changed");
    }
}

/// A PNG whose header declares `w × h` RGBA and whose data are a few bytes: a decompression bomb.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let body: Vec<u8> = kind.iter().chain(data).copied().collect();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
        out
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// What fuzzing `task add` found: a decompression bomb, a FIFO, a link to a device, a truncated
/// JPEG and a folder too small to split are each a typed error naming the file (or the folder
/// and what it lacks), well within 10 s, with the database unchanged.
#[test]
fn hostile_inputs_are_named_bounded_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let set = example_images(4);
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    let good = tmp.path().join("good");
    write_folder(&set, &good, false);
    ok(&run(&["task", "add", "--db", dbs, "--name", "good", "--data", good.to_str().unwrap()], &empty), "task add");
    let snap = snapshot(&db);
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageLuma8(GrayImage::from_fn(200, 200, |x, y| Luma([((x * 7 + y * 3) % 256) as u8])))
        .write_to(&mut std::io::Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .unwrap();
    let cases: Vec<(&str, &str, Box<dyn Fn(&Path) -> PathBuf>)> = vec![
        ("decompression bomb", "pixels", Box::new(|d: &Path| {
            let f = d.join("0/bomb.png");
            std::fs::write(&f, png_bomb(60_000, 60_000)).unwrap();
            f
        })),
        ("truncated JPEG", "truncated", Box::new(|d: &Path| {
            let f = d.join("1/cut.jpg");
            std::fs::write(&f, &jpeg[..jpeg.len() / 10]).unwrap();
            f
        })),
        #[cfg(unix)]
        ("FIFO", "FIFO", Box::new(|d: &Path| {
            let f = d.join("0/p.png");
            assert!(Command::new("mkfifo").arg(&f).status().unwrap().success());
            f
        })),
        #[cfg(unix)]
        ("link to /dev/zero", "not a regular file", Box::new(|d: &Path| {
            let f = d.join("1/z.png");
            std::os::unix::fs::symlink("/dev/zero", &f).unwrap();
            f
        })),
        ("too few to split", "too few to split", Box::new(|d: &Path| {
            for class in ["1", "2", "3", "4", "5", "6", "7", "8", "9"] {
                let _ = std::fs::remove_dir_all(d.join(class));
            }
            let keep: Vec<PathBuf> = std::fs::read_dir(d.join("0")).unwrap().map(|e| e.unwrap().path()).collect();
            for f in keep.iter().skip(1) {
                std::fs::remove_file(f).unwrap();
            }
            std::fs::create_dir_all(d.join("9")).unwrap();
            std::fs::copy(&keep[0], d.join("9/only.png")).unwrap();
            d.to_path_buf()
        })),
    ];
    for (i, (what, why, make)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("hostile{i}"));
        write_folder(&set, &dir, false);
        let named = make(&dir);
        let t0 = std::time::Instant::now();
        let e = err(&run(&["task", "add", "--db", dbs, "--name", &format!("hostile{i}"), "--data", dir.to_str().unwrap()], &empty));
        assert!(t0.elapsed() < std::time::Duration::from_secs(10), "{what}: {:?}", t0.elapsed());
        assert!(e.contains(&named.display().to_string()), "{what}: the error must name {}: {e}", named.display());
        assert!(e.contains(why), "{what}: the error must say `{why}`: {e}");
        assert_eq!(snapshot(&db), snap, "{what}: the database changed");
    }
}
