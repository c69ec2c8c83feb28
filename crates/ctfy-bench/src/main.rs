//! `ctfy-bench`: the SDK against raw reqwest + serde_json (see `BENCHMARKS.md`).

fn main() {
    ctfy_bench::main();
}
