//! The column schema of a table task, fitted on its training rows, and the table modules it
//! writes ([`TableSchema::feature_sets`]).

use std::collections::HashMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::{CLIP, ColumnData, MAX_LEVELS, MIN_LEVEL_COUNT, MISSING, PLE_BINS, QUANTILES, RP_DIM, TABLE_MAX_WIDTH, TABLE_MODULES, TABLE_MODULES_VERSION, Table};
use crate::error::{DataError, Result};
use crate::task::FeatureSet;
use archinfer_classic::Csr;

/// A schema column prepared for the encoders.
enum Prepared {
    Numbers(Vec<f32>),
    Slots(Vec<u32>),
}

/// What a module reads of one column, fitted on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnSchema {
    /// A number.
    Numeric {
        /// Column name.
        name: String,
        /// Training mean.
        mean: f32,
        /// Training standard deviation (1 where it is 0).
        std: f32,
        /// The training quantiles at 0, 1/[`QUANTILES`], …, 1.
        quantiles: Vec<f32>,
        /// Whether the training rows miss values (an indicator slot).
        missing: bool,
    },
    /// A category.
    Categorical {
        /// Column name.
        name: String,
        /// Kept levels, most frequent first (ties by name); the rest are "other".
        levels: Vec<String>,
        /// Whether the training rows miss values (an indicator slot).
        missing: bool,
    },
}

impl ColumnSchema {
    /// The column's name.
    pub fn name(&self) -> &str {
        match self {
            ColumnSchema::Numeric { name, .. } | ColumnSchema::Categorical { name, .. } => name,
        }
    }

    fn missing(&self) -> bool {
        match self {
            ColumnSchema::Numeric { missing, .. } | ColumnSchema::Categorical { missing, .. } => *missing,
        }
    }

    /// The piecewise-linear bin edges: distinct quantiles at every `QUANTILES / PLE_BINS`-th
    /// point.
    fn ple_edges(&self) -> Vec<f32> {
        let ColumnSchema::Numeric { quantiles, .. } = self else { return Vec::new() };
        let step = (QUANTILES / PLE_BINS).max(1);
        let mut e: Vec<f32> = quantiles.iter().step_by(step).copied().collect();
        e.dedup_by(|a, b| (*a - *b).abs() <= f32::EPSILON * b.abs().max(1.0));
        e
    }

    /// Slots this column takes in `module`.
    fn slots(&self, module: &str) -> usize {
        let m = usize::from(self.missing());
        match self {
            ColumnSchema::Categorical { levels, .. } => levels.len() + 1 + m,
            ColumnSchema::Numeric { .. } if module == "tab-ple" => self.ple_edges().len().saturating_sub(1).max(1) + m,
            ColumnSchema::Numeric { .. } => 1 + m,
        }
    }
}

/// The column schema of a table task: what `fit` saves with a model so that `predict` prepares
/// new rows exactly as in training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// The feature columns, in the training table's order.
    pub columns: Vec<ColumnSchema>,
    /// The label column's name, where known.
    #[serde(default)]
    pub label: Option<String>,
    /// Columns the training table had but the modules do not read (ignored, constant,
    /// identifier-like): new rows may carry them.
    #[serde(default)]
    pub ignored: Vec<String>,
    /// [`TABLE_MODULES_VERSION`] when fitted.
    pub version: u32,
}

fn quantile(sorted: &[f32], q: f64) -> f32 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let w = (pos - lo as f64) as f32;
    sorted[lo] + w * (sorted[hi] - sorted[lo])
}

impl TableSchema {
    /// The schema fitted on rows `train` of `table`.
    ///
    /// # Panics
    /// If a row of `train` is past the table's rows (a task's split guarantees it is not).
    pub fn fit(table: &Table, train: &[usize]) -> Self {
        let columns = table
            .columns
            .iter()
            .map(|c| match &c.data {
                ColumnData::Numeric(v) => {
                    let mut x: Vec<f32> = train.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
                    let missing = x.len() < train.len();
                    x.sort_by(f32::total_cmp);
                    let n = x.len().max(1) as f64;
                    let mean = (x.iter().map(|&a| f64::from(a)).sum::<f64>() / n) as f32;
                    let var = x.iter().map(|&a| (f64::from(a) - f64::from(mean)).powi(2)).sum::<f64>() / n;
                    let std = if var > 1e-12 { var.sqrt() as f32 } else { 1.0 };
                    let quantiles = if x.is_empty() { vec![0.0; QUANTILES + 1] } else { (0..=QUANTILES).map(|k| quantile(&x, k as f64 / QUANTILES as f64)).collect() };
                    ColumnSchema::Numeric { name: c.name.clone(), mean, std, quantiles, missing }
                }
                ColumnData::Categorical { codes, levels } => {
                    let mut counts = vec![0usize; levels.len()];
                    let mut missing = false;
                    for &i in train {
                        match codes[i] {
                            MISSING => missing = true,
                            k => counts[k as usize] += 1,
                        }
                    }
                    let mut order: Vec<usize> = (0..levels.len()).filter(|&k| counts[k] >= MIN_LEVEL_COUNT).collect();
                    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(levels[a].cmp(&levels[b])));
                    order.truncate(MAX_LEVELS);
                    ColumnSchema::Categorical { name: c.name.clone(), levels: order.into_iter().map(|k| levels[k].clone()).collect(), missing }
                }
            })
            .collect();
        Self { columns, label: None, ignored: Vec::new(), version: TABLE_MODULES_VERSION }
    }

    /// With the columns the modules do not read.
    pub fn with_ignored(mut self, ignored: Vec<String>) -> Self {
        self.ignored = ignored;
        self
    }

    /// With the label column's name.
    pub fn with_label(mut self, label: Option<String>) -> Self {
        self.label = label;
        self
    }

    /// The [`TABLE_DESCRIPTORS`] of `table` read with this schema (over the training rows
    /// `train` for the missing cells).
    pub fn descriptors(&self, table: &Table, train: &[usize]) -> Vec<f32> {
        let c = self.columns.len().max(1) as f32;
        let cat = self.columns.iter().filter(|s| matches!(s, ColumnSchema::Categorical { .. })).count() as f32;
        let missing: usize = table.columns.iter().map(|col| train.iter().filter(|&&i| col_missing(&col.data, i)).count()).sum();
        let cells = (train.len() * table.columns.len()).max(1) as f32;
        vec![c.log10(), cat / c, missing as f32 / cells]
    }

    /// Columns `module` writes for a row.
    pub fn width(&self, module: &str) -> usize {
        if module == "tab-rp64" {
            return RP_DIM;
        }
        self.columns.iter().map(|c| c.slots(module)).sum()
    }

    /// For each schema column, the index of the same-named column of `table`.
    ///
    /// # Errors
    /// [`DataError::Columns`] naming the columns the table lacks and the ones it has beyond
    /// the schema.
    pub fn align(&self, table: &Table) -> Result<Vec<usize>> {
        let by_name: HashMap<&str, usize> = table.columns.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
        let missing: Vec<&str> = self.columns.iter().map(ColumnSchema::name).filter(|n| !by_name.contains_key(n)).collect();
        let known: std::collections::HashSet<&str> = self.columns.iter().map(ColumnSchema::name).collect();
        let extra: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).filter(|n| !known.contains(n) && !self.ignored.iter().any(|i| i == n) && self.label.as_deref() != Some(*n)).collect();
        if !missing.is_empty() || !extra.is_empty() {
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("missing {}", missing.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")));
            }
            if !extra.is_empty() {
                parts.push(format!("not in the model {}", extra.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")));
            }
            return Err(DataError::Columns(parts.join("; ")));
        }
        Ok(self.columns.iter().map(|c| by_name[c.name()]).collect())
    }

    /// Each schema column of `table` prepared once for the encoders: numbers (NaN missing),
    /// or for a category each row's slot among the kept levels (`levels.len()` = other,
    /// [`MISSING`] = missing), looked up once per level, not per row.
    fn prepare(&self, table: &Table, cols: &[usize]) -> Vec<Prepared> {
        self.columns
            .iter()
            .zip(cols)
            .map(|(s, &ci)| {
                let data = &table.columns[ci].data;
                match s {
                    ColumnSchema::Numeric { .. } => Prepared::Numbers(data.numbers()),
                    ColumnSchema::Categorical { levels, .. } => {
                        let index: HashMap<&str, u32> = levels.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
                        let other = levels.len() as u32;
                        let slot = |name: &str| index.get(name).copied().unwrap_or(other);
                        Prepared::Slots(match data {
                            ColumnData::Categorical { codes, levels: have } => {
                                let map: Vec<u32> = have.iter().map(|l| slot(l)).collect();
                                codes.iter().map(|&c| if c == MISSING { MISSING } else { map[c as usize] }).collect()
                            }
                            ColumnData::Numeric(v) => v.iter().map(|x| if x.is_nan() { MISSING } else { slot(&format!("{x}")) }).collect(),
                        })
                    }
                }
            })
            .collect()
    }

    /// The table's rows as `module` reads them, as sparse rows (zeros left out).
    fn encode(&self, prepared: &[Prepared], rows: usize, module: &str) -> Result<Csr> {
        let width = self.width(module);
        // Per column: its first slot, its PLE edges.
        let mut offsets = Vec::with_capacity(self.columns.len());
        let mut edges = Vec::with_capacity(self.columns.len());
        let mut o = 0u32;
        for s in &self.columns {
            offsets.push(o);
            edges.push(if module == "tab-ple" { s.ple_edges() } else { Vec::new() });
            o += s.slots(module) as u32;
        }
        let mut indptr = Vec::with_capacity(rows + 1);
        indptr.push(0);
        let (mut idx, mut val) = (Vec::with_capacity(rows * self.columns.len()), Vec::with_capacity(rows * self.columns.len()));
        for r in 0..rows {
            let mut put = |c: u32, v: f32| {
                if v != 0.0 {
                    idx.push(c);
                    val.push(v);
                }
            };
            for (k, (s, p)) in self.columns.iter().zip(prepared).enumerate() {
                let off = offsets[k];
                let last = off + s.slots(module) as u32 - 1;
                match (s, p) {
                    (ColumnSchema::Numeric { mean, std, quantiles, missing, .. }, Prepared::Numbers(x)) => {
                        let v = x[r];
                        if v.is_nan() {
                            if *missing {
                                put(last, 1.0);
                            }
                            continue;
                        }
                        match module {
                            "tab-quantile" => put(off, 2.0 * cdf(quantiles, v) - 1.0),
                            "tab-ple" if edges[k].len() >= 2 => {
                                for (t, w) in edges[k].windows(2).enumerate() {
                                    put(off + t as u32, ((v - w[0]) / (w[1] - w[0])).clamp(0.0, 1.0));
                                }
                            }
                            _ => put(off, ((v - mean) / std).clamp(-CLIP, CLIP)),
                        }
                    }
                    (ColumnSchema::Categorical { levels, missing, .. }, Prepared::Slots(slots)) => match slots[r] {
                        MISSING if *missing => put(off + levels.len() as u32 + 1, 1.0),
                        MISSING => {}
                        k => put(off + k, 1.0),
                    },
                    _ => {}
                }
            }
            indptr.push(idx.len());
        }
        Csr::new(indptr, idx, val, width.max(1)).map_err(|e| DataError::BadSpec(format!("table rows: {e}")))
    }

    /// The table's feature sets, in [`TABLE_MODULES`] order.
    ///
    /// # Errors
    /// [`DataError::Columns`] when the table's columns are not the schema's; [`DataError::Table`]
    /// when a module would be wider than [`TABLE_MAX_WIDTH`].
    pub fn feature_sets(&self, table: &Table, task: &str) -> Result<Vec<FeatureSet>> {
        let cols = self.align(table)?;
        for module in &TABLE_MODULES[..3] {
            let width = self.width(module);
            if width > TABLE_MAX_WIDTH {
                return Err(DataError::Table { path: task.to_string(), line: None, column: None, message: format!("module `{module}` would read {width} columns, more than {TABLE_MAX_WIDTH}") });
            }
        }
        let prepared = self.prepare(table, &cols);
        let n = table.rows;
        // The modules are independent but for tab-rp64, which projects tab-std: the widest
        // (tab-ple) on a second thread, the other three here.
        let (mine, ple) = std::thread::scope(|scope| {
            let ple = scope.spawn(|| self.encode(&prepared, n, "tab-ple"));
            let mine = (|| -> Result<(Csr, Csr, Vec<f32>)> {
                let std = self.encode(&prepared, n, "tab-std")?;
                let quantile = self.encode(&prepared, n, "tab-quantile")?;
                let proj = self.projection();
                let mut dense = vec![0.0f32; n * RP_DIM];
                for (i, out) in dense.chunks_exact_mut(RP_DIM).enumerate() {
                    let (cs, vs) = std.row(i);
                    for (&c, &v) in cs.iter().zip(vs) {
                        for (o, w) in out.iter_mut().zip(&proj[c as usize * RP_DIM..(c as usize + 1) * RP_DIM]) {
                            *o += v * w;
                        }
                    }
                }
                Ok((std, quantile, dense))
            })();
            (mine, ple.join())
        });
        let (std, quantile, dense) = mine?;
        let ple = ple.map_err(|_| DataError::BadSpec("a table module's thread panicked".into()))??;
        Ok(vec![
            FeatureSet::new_sparse("tab-std", TABLE_MAX_WIDTH, std),
            FeatureSet::new_sparse("tab-quantile", TABLE_MAX_WIDTH, quantile),
            FeatureSet::new_sparse("tab-ple", TABLE_MAX_WIDTH, ple),
            FeatureSet::new("tab-rp64", RP_DIM, dense),
        ])
    }

    /// `tab-rp64`'s weights, `width("tab-std") × RP_DIM`: each slot's row seeded by its
    /// column's name and its place in the column, `N(0, 1/width)`.
    fn projection(&self) -> Vec<f32> {
        let width = self.width("tab-std");
        let scale = 1.0 / (width.max(1) as f32).sqrt();
        let mut w = Vec::with_capacity(width * RP_DIM);
        for c in &self.columns {
            for slot in 0..c.slots("tab-std") {
                let mut rng = StdRng::seed_from_u64(fnv1a(c.name().as_bytes()) ^ (slot as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                w.extend((0..RP_DIM).map(|_| scale * <StandardNormal as Distribution<f32>>::sample(&StandardNormal, &mut rng)));
            }
        }
        w
    }
}

fn col_missing(d: &ColumnData, i: usize) -> bool {
    match d {
        ColumnData::Numeric(v) => v[i].is_nan(),
        ColumnData::Categorical { codes, .. } => codes[i] == MISSING,
    }
}

/// The empirical CDF at `v` over the quantile grid, linear between grid points.
fn cdf(q: &[f32], v: f32) -> f32 {
    let k = q.len() - 1;
    if v <= q[0] {
        return 0.0;
    }
    if v >= q[k] {
        return 1.0;
    }
    // First grid point above v; equal points (ties) are stepped over.
    let hi = q.partition_point(|&x| x <= v);
    let lo = hi - 1;
    let span = q[hi] - q[lo];
    let frac = if span > 0.0 { (v - q[lo]) / span } else { 0.0 };
    (lo as f32 + frac) / k as f32
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The feature sets of `table` for `task` with `schema` (see [`TableSchema::feature_sets`]).
///
/// # Errors
/// As [`TableSchema::feature_sets`].
pub fn table_feature_sets(schema: &TableSchema, table: &Table, task: &str) -> Result<Vec<FeatureSet>> {
    schema.feature_sets(table, task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Column;
    use approx::assert_abs_diff_eq;

    fn demo() -> Table {
        Table::new(vec![
            Column { name: "x".into(), data: ColumnData::Numeric(vec![1.0, 2.0, 3.0, f32::NAN, 5.0]) },
            Column {
                name: "c".into(),
                data: ColumnData::Categorical { codes: vec![0, 1, 0, 1, 2], levels: vec!["a".into(), "b".into(), "rare".into()] },
            },
        ])
        .unwrap()
    }

    #[test]
    fn the_schema_holds_hand_computed_statistics() {
        let s = TableSchema::fit(&demo(), &[0, 1, 2, 3, 4]);
        let ColumnSchema::Numeric { mean, std, quantiles, missing, .. } = &s.columns[0] else { panic!() };
        // x over 1, 2, 3, 5: mean 2.75, population variance (3.0625 + 0.5625 + 0.0625 + 5.0625) / 4.
        assert_abs_diff_eq!(*mean, 2.75, epsilon = 1e-6);
        assert_abs_diff_eq!(*std, (8.75f32 / 4.0).sqrt(), epsilon = 1e-6);
        assert_eq!((quantiles[0], quantiles[QUANTILES], *missing), (1.0, 5.0, true));
        // The median of 1, 2, 3, 5 is 2.5.
        assert_abs_diff_eq!(quantiles[QUANTILES / 2], 2.5, epsilon = 1e-6);
        // `rare` (one row) goes to "other"; a and b twice each.
        let ColumnSchema::Categorical { levels, missing, .. } = &s.columns[1] else { panic!() };
        assert_eq!((levels.clone(), *missing), (vec!["a".to_string(), "b".into()], false));
        // tab-std: x + its indicator, a + b + other.
        assert_eq!((s.width("tab-std"), s.width("tab-quantile"), s.width("tab-rp64")), (5, 5, 64));
    }

    #[test]
    fn each_module_encodes_a_row_by_hand() {
        let t = demo();
        let s = TableSchema::fit(&t, &[0, 1, 2, 3, 4]);
        let sets = s.feature_sets(&t, "demo").unwrap();
        let dense = |i: usize| sets[i].gather(&[0, 1, 2, 3, 4]);
        let w = s.width("tab-std");
        let std = dense(0);
        let sd = (8.75f32 / 4.0).sqrt();
        // Row 0: x = 1 → (1 − 2.75) / sd; category a.
        assert_abs_diff_eq!(std[0], (1.0 - 2.75) / sd, epsilon = 1e-6);
        assert_eq!(&std[1..w], &[0.0, 1.0, 0.0, 0.0]);
        // Row 3: x missing → 0 and the indicator; category b.
        assert_eq!(&std[3 * w..4 * w], &[0.0, 1.0, 0.0, 1.0, 0.0]);
        // Row 4: category `rare` → other.
        assert_eq!(std[4 * w + 4], 1.0);
        // Quantile: 1 is the lowest → −1; 5 the highest → 1; 2 sits at grid point 1/3 of the
        // way (the grid over 1, 2, 3, 5 reaches 2 at q = 1/3) → 2/3·... = −1/3.
        let q = dense(1);
        assert_abs_diff_eq!(q[0], -1.0, epsilon = 1e-6);
        assert_abs_diff_eq!(q[4 * w], 1.0, epsilon = 1e-6);
        assert_abs_diff_eq!(q[w], 2.0 * (1.0 / 3.0) - 1.0, epsilon = 1e-5);
        // PLE: 8 bins over the quantile edges; x = 5 fills every bin.
        let pw = s.width("tab-ple");
        let p = dense(2);
        let bins = pw - 1 - 3;
        assert!(bins >= 2, "{bins}");
        assert!(p[4 * pw..4 * pw + bins].iter().all(|&v| v == 1.0));
        assert!(p[..bins].iter().all(|&v| v == 0.0), "x = 1 is at the lowest edge");
        // rp64: the std row times the seeded projection, by hand for row 3 (x missing: its
        // indicator, slot 1, and category b, slot 3, are the only non-zeros, both 1).
        assert_eq!(sets[3].dim, 64);
        let proj = s.projection();
        for k in 0..RP_DIM {
            assert_abs_diff_eq!(sets[3].values[3 * RP_DIM + k], proj[RP_DIM + k] + proj[3 * RP_DIM + k], epsilon = 1e-6);
        }
        // Each weight is N(0, 1/width): over 5 × 64 of them the variance is near 1/5.
        let var = proj.iter().map(|w| w * w).sum::<f32>() / proj.len() as f32;
        assert!((var - 0.2).abs() < 0.06, "{var}");
    }

    #[test]
    fn column_order_does_not_matter_and_other_columns_are_named() {
        let t = demo();
        let s = TableSchema::fit(&t, &[0, 1, 2, 3, 4]);
        let swapped = Table::new(vec![t.columns()[1].clone(), t.columns()[0].clone()]).unwrap();
        let (a, b) = (s.feature_sets(&t, "t").unwrap(), s.feature_sets(&swapped, "t").unwrap());
        assert_eq!(a[0].gather(&[0, 1, 2, 3, 4]), b[0].gather(&[0, 1, 2, 3, 4]));
        assert_eq!(a[3].values, b[3].values);
        let other = Table::new(vec![t.columns()[0].clone(), Column { name: "z".into(), data: ColumnData::Numeric(vec![0.0; 5]) }]).unwrap();
        let e = s.feature_sets(&other, "t").unwrap_err().to_string();
        assert!(e.contains("missing `c`") && e.contains("not in the model `z`"), "{e}");
    }

    #[test]
    fn unseen_levels_go_to_other_and_numbers_read_as_categories_match() {
        let t = demo();
        let s = TableSchema::fit(&t, &[0, 1, 2, 3, 4]);
        // A new table whose x came as text and whose c has an unseen level.
        let new = Table::new(vec![
            Column { name: "x".into(), data: ColumnData::Categorical { codes: vec![0, MISSING], levels: vec!["2".into()] } },
            Column { name: "c".into(), data: ColumnData::Categorical { codes: vec![0, 1], levels: vec!["zzz".into(), "a".into()] } },
        ])
        .unwrap();
        let sets = s.feature_sets(&new, "t").unwrap();
        let r = sets[0].gather(&[0, 1]);
        let sd = (8.75f32 / 4.0).sqrt();
        assert_abs_diff_eq!(r[0], (2.0 - 2.75) / sd, epsilon = 1e-6);
        assert_eq!(&r[1..5], &[0.0, 0.0, 0.0, 1.0], "zzz → other");
        assert_eq!(&r[5..10], &[0.0, 1.0, 1.0, 0.0, 0.0], "missing x → indicator; a");
    }

    #[test]
    fn cdf_interpolates_and_steps_over_ties() {
        let q = [0.0, 1.0, 1.0, 3.0];
        assert_abs_diff_eq!(cdf(&q, 0.5), 0.5 / 3.0, epsilon = 1e-6);
        assert_abs_diff_eq!(cdf(&q, 2.0), (2.0 + 0.5) / 3.0, epsilon = 1e-6);
        assert_eq!((cdf(&q, -1.0), cdf(&q, 9.0)), (0.0, 1.0));
    }
}
