//! Writes a synthetic inventory (for trying reports and benchmarks at scale):
//!
//!   cargo run --release --example synth -- 1000 > /tmp/big.yaml
//!   cargo run --release -- report /tmp/big.yaml --html /tmp/big.html
//!
//! Arguments: segment hosts (default 100), primaries per host (default 8).

fn main() {
    let mut args = std::env::args().skip(1);
    let hosts = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let primaries_per_host = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let spec = whpg_plan::synth::SynthSpec {
        hosts,
        primaries_per_host,
        ..Default::default()
    };
    let inv = whpg_plan::synth::synth_inventory(&spec);
    print!(
        "{}",
        whpg_plan::inventory::to_string(&inv, whpg_plan::inventory::InventoryFormat::Yaml)
    );
}
