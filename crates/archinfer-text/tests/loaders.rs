//! Text loaders on files: a class directory, every bad input with its typed error, and 10,000
//! random byte mutations of a CSV that never panic.

#![allow(clippy::unwrap_used)]

use archinfer_text::{Column, TextError, load_text_csv, load_text_dir, parse_text_csv};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

#[test]
fn class_directories() {
    let tmp = tempfile::tempdir().unwrap();
    for (class, texts) in [("spam", vec!["win money now", "cheap pills"]), ("ham", vec!["lunch at noon?"])] {
        std::fs::create_dir_all(tmp.path().join(class)).unwrap();
        for (i, t) in texts.iter().enumerate() {
            std::fs::write(tmp.path().join(class).join(format!("{i}.txt")), t).unwrap();
        }
    }
    std::fs::write(tmp.path().join("spam/notes.md"), "not a sample").unwrap();
    let set = load_text_dir(tmp.path()).unwrap();
    assert_eq!(set.class_names, vec!["ham", "spam"]);
    assert_eq!(set.texts, vec!["lunch at noon?", "win money now", "cheap pills"]);
    assert_eq!(set.labels, vec![0, 1, 1]);

    std::fs::write(tmp.path().join("ham/bad.txt"), b"ok\n\xc3\x28").unwrap();
    assert!(matches!(load_text_dir(tmp.path()), Err(TextError::Utf8 { line: 2, path }) if path.ends_with("bad.txt")));
    std::fs::write(tmp.path().join("ham/bad.txt"), "  \n").unwrap();
    assert!(matches!(load_text_dir(tmp.path()), Err(TextError::EmptyText { path, .. }) if path.ends_with("bad.txt")));
    std::fs::remove_dir_all(tmp.path().join("ham")).unwrap();
    assert!(matches!(load_text_dir(tmp.path()), Err(TextError::SingleClass { classes: 1, .. })));
    assert!(matches!(load_text_dir(tmp.path().join("missing")), Err(TextError::Io { .. })));
}

#[test]
fn a_csv_file_names_itself_in_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("reviews.csv");
    std::fs::write(&p, "id,review,stars\n1,\"Great, really\",5\n2,bad,1\n").unwrap();
    let set = load_text_csv(&p, &Column::parse("review"), &Column::parse("stars")).unwrap();
    assert_eq!(set.texts, vec!["Great, really", "bad"]);
    let e = load_text_csv(&p, &Column::parse("text"), &Column::parse("stars")).unwrap_err();
    assert!(e.to_string().contains("reviews.csv") && e.to_string().contains("id, review, stars"), "{e}");
}

#[test]
fn ten_thousand_mutations_never_panic() {
    let base = b"text,label\n\"a, quoted\ntext\",x\nplain words,y\n\"q \"\"x\"\"\",x\nmore,y\n".to_vec();
    let mut rng = StdRng::seed_from_u64(11);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..10_000 {
        let mut b = base.clone();
        for _ in 0..rng.random_range(1..6) {
            match rng.random_range(0..4) {
                0 if !b.is_empty() => {
                    let i = rng.random_range(0..b.len());
                    b[i] = rng.random();
                }
                1 => {
                    let i = rng.random_range(0..=b.len());
                    b.insert(i, [b'"', b',', b'\n', b'\r', 0xff, 0xc3, b'x'][rng.random_range(0..7)]);
                }
                2 if !b.is_empty() => {
                    let i = rng.random_range(0..b.len());
                    b.remove(i);
                }
                _ => {
                    let i = rng.random_range(0..=b.len());
                    b.truncate(i);
                }
            }
        }
        match parse_text_csv(&b, "fuzz.csv", &Column::Name("text".into()), &Column::Name("label".into())) {
            Ok(set) => {
                assert_eq!(set.texts.len(), set.labels.len());
                assert!(set.class_names.len() >= 2);
                ok += 1;
            }
            Err(e) => {
                assert!(e.to_string().contains("fuzz.csv"), "{e}");
                err += 1;
            }
        }
    }
    assert!(ok > 0 && err > 0, "the mutations hit both outcomes ({ok} read, {err} refused)");
}
