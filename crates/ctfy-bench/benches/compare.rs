//! `cargo bench -p ctfy-bench`: the SDK against raw reqwest + serde_json, side by side (see
//! `BENCHMARKS.md`). A plain program (`harness = false`): it prints Markdown tables.

fn main() {
    ctfy_bench::main();
}
