//! The machine's peak floating-point rate and a bench's achieved GFLOP/s beside it, so a
//! reader sees the distance to the floor without doing arithmetic (issue 29).
//!
//! Peak = cores × FMA units per core (2, as on every x86-64 core since Haswell and Zen) ×
//! SIMD width in f32 lanes (16 with AVX-512, 8 with AVX2 + FMA, else 4; 8 on AMD, whose Zen 4
//! cores execute a 512-bit FMA on two 256-bit halves) × 2 flops per FMA × the clock (the
//! maximum from cpufreq, else the first `cpu MHz` of /proc/cpuinfo).

use std::time::{Duration, Instant};

/// The detected peak.
pub struct Peak {
    pub cores: usize,
    pub lanes: usize,
    pub ghz: f64,
}

impl Peak {
    pub fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        #[cfg(target_arch = "x86_64")]
        let lanes = if std::arch::is_x86_feature_detected!("avx512f") {
            16
        } else if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            8
        } else {
            4
        };
        #[cfg(not(target_arch = "x86_64"))]
        let lanes = 4;
        let amd = std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|s| s.contains("AuthenticAMD"));
        let lanes = if amd { lanes.min(8) } else { lanes };
        let max_khz = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").ok().and_then(|s| s.trim().parse::<f64>().ok());
        let mhz = || {
            std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
                s.lines().find(|l| l.starts_with("cpu MHz")).and_then(|l| l.split(':').nth(1)).and_then(|v| v.trim().parse::<f64>().ok())
            })
        };
        let ghz = max_khz.map(|k| k / 1e6).or_else(|| mhz().map(|m| m / 1e3)).unwrap_or(3.0);
        Self { cores, lanes, ghz }
    }

    /// Peak GFLOP/s.
    pub fn gflops(&self) -> f64 {
        self.cores as f64 * 2.0 * self.lanes as f64 * 2.0 * self.ghz
    }

    pub fn describe(&self) -> String {
        format!("{} cores × 2 FMA units × {} f32 lanes × 2 flops × {:.2} GHz = {:.0} GFLOP/s", self.cores, self.lanes, self.ghz, self.gflops())
    }
}

/// Runs `f` for at least `budget` (and at least 3 times) and prints its time per run and its
/// achieved GFLOP/s for `flops` floating-point operations per run, beside the peak.
pub fn report(name: &str, flops: f64, peak: &Peak, budget: Duration, mut f: impl FnMut()) {
    f();
    let t0 = Instant::now();
    let mut n = 0u32;
    while n < 3 || t0.elapsed() < budget {
        f();
        n += 1;
    }
    let secs = t0.elapsed().as_secs_f64() / f64::from(n);
    let achieved = flops / secs / 1e9;
    println!(
        "{name}: {:.3} ms per run, {:.3} GFLOP per run, {achieved:.1} GFLOP/s = {:.0} % of the detected peak {:.0} GFLOP/s",
        secs * 1e3,
        flops / 1e9,
        100.0 * achieved / peak.gflops(),
        peak.gflops()
    );
}
