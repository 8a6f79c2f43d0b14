//! # archinfer-data
//!
//! Tasks for archinfer: a [`Task`] holds the same samples seen through several embedding
//! modules ([`FeatureSet`]s), their labels, the number of classes and disjoint
//! train / validation / test [`Splits`]. Every invariant is validated once, in [`Task::new`],
//! and reported as a typed [`DataError`].
//!
//! [`Blobs`] makes small synthetic tasks for tests and examples.
//!
//! ```
//! use archinfer_data::Blobs;
//! let task = Blobs::new(3, 120, 4).projection("proj2", 2).seed(3).task().unwrap();
//! assert_eq!(task.features().len(), 2);
//! assert_eq!(task.splits().train.len(), 72);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod bundle;
mod csv;
mod embed;
mod embedder;
mod error;
mod idx;
mod images;
pub mod input;
mod suite;
mod synthetic;
pub mod table;
mod task;
mod tfidf_modules;

pub use bundle::{BUNDLE_FORMAT, MODULES_VERSION, Samples, TaskBundle, check_modules, modality};
pub use csv::{CsvOptions, CsvTable, LabelColumn, load_csv, load_csv_table, parse_csv, parse_csv_table};
pub use embed::{AvgPool, Embedder, Hog, Pca, RAND_CONV_MIN_SIDE, RandConv, RandomFeatures, Raw, SHIPPED_PCA, default_embedders};
pub use embedder::{SampleEmbedder, feature_sets};
pub use idx::{FASHION_MNIST_DEBIAN_DIR, FASHION_MNIST_ENV, IdxArray, ImageSet, PixelScale, fashion_mnist_dir, load_mnist_dir, parse_idx, read_idx};
pub use suite::{FASHION_CLASSES, Perturbation, SUITES, SYNTHETIC_SUITE, TaskRecipe, build_task, suite, synthetic_suite_tasks, task_images};

pub use error::{DataError, Result};
pub use images::{ConvertedImage, ImageConversion, ImageFiles, ImageLimits, LabelledImages, read_image, read_image_files, read_image_folder, read_unlabelled_folder};
pub use input::{DataSpec, IMAGE_PATH_COLUMNS, IMAGE_SIDE, InputKind, Modality, USER_SPLIT, USER_SPLIT_SEED, UserData, UserSamples, detect, parse_label, read_user_data};
pub use synthetic::Blobs;
pub use table::read::{ReadTable, TableSpec, parse_table, read_table};
pub use table::{Column, ColumnData, ColumnSchema, TABLE_DESCRIPTORS, TABLE_MAX_WIDTH, TABLE_MODULES, TABLE_MODULES_VERSION, Table, TableSchema, is_table_module, table_feature_sets};
pub use task::{FeatureSet, Splits, Task, dense_rows, gather_rows};
pub use tfidf_modules::{TFIDF_MAX_TERMS, TFIDF_MODULES, fit_tfidf_module, is_tfidf_module, tfidf_config, tfidf_feature_set, tfidf_feature_sets};
pub use archinfer_classic::{Csr, Tfidf};
