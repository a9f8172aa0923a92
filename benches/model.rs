//! The model and the reports at cluster sizes users run: 10 to 5,000 segment
//! hosts × 8 primaries + 8 mirrors. Run: `cargo bench --bench model`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use whpg_plan::model::{PlanOptions, estimate};
use whpg_plan::report::{
    Exporter, HtmlExporter, JsonExporter, MarkdownExporter, TableExporter, YamlExporter, charts,
};
use whpg_plan::synth::{SynthSpec, synth_inventory};

fn spec(hosts: usize) -> SynthSpec {
    SynthSpec {
        hosts,
        primaries_per_host: 8,
        filesystems_per_host: 2,
        ..Default::default()
    }
}

/// Every plan, the backup-dir search and the recommendation.
fn model(c: &mut Criterion) {
    let mut g = c.benchmark_group("model");
    g.sample_size(10);
    for hosts in [10, 100, 1000, 5000] {
        let inv = synth_inventory(&spec(hosts));
        let opts = PlanOptions::default();
        g.bench_with_input(BenchmarkId::from_parameter(hosts), &inv, |b, inv| {
            b.iter(|| estimate(black_box(inv), &opts, &[], false).unwrap())
        });
    }
    g.finish();
}

/// `--what-if`: the option matrix at 1,000 hosts (7 codec/levels × the
/// backup targets the search finds, with an external target declared: 24 combinations).
fn what_if(c: &mut Criterion) {
    let mut g = c.benchmark_group("what-if");
    g.sample_size(10);
    let inv = synth_inventory(&spec(1000));
    let opts = PlanOptions {
        external_capacity: Some(1 << 50),
        ..PlanOptions::default()
    };
    let rows = estimate(&inv, &opts, &[], true)
        .unwrap()
        .what_if
        .unwrap()
        .len();
    g.bench_function(format!("1000 hosts, {rows} combinations"), |b| {
        b.iter(|| estimate(black_box(&inv), &opts, &[], true).unwrap())
    });
    g.finish();
}

/// Every output at 1,000 hosts, from a finished estimate.
fn reports(c: &mut Criterion) {
    let mut g = c.benchmark_group("reports-1000-hosts");
    g.sample_size(10);
    let inv = synth_inventory(&spec(1000));
    let e = estimate(&inv, &PlanOptions::default(), &[], false).unwrap();
    g.bench_function("table", |b| b.iter(|| TableExporter.render(black_box(&e))));
    g.bench_function("json", |b| b.iter(|| JsonExporter.render(black_box(&e))));
    g.bench_function("yaml", |b| b.iter(|| YamlExporter.render(black_box(&e))));
    g.bench_function("markdown", |b| {
        b.iter(|| MarkdownExporter::default().render(black_box(&e)))
    });
    g.bench_function("html", |b| {
        b.iter(|| HtmlExporter::default().render(black_box(&e)))
    });
    g.bench_function("png (all charts)", |b| {
        b.iter(|| {
            for chart in charts::charts_for(&e) {
                black_box(charts::png(chart, &e).unwrap());
            }
        })
    });
    g.bench_function("all outputs", |b| {
        b.iter(|| {
            black_box(TableExporter.render(&e));
            black_box(JsonExporter.render(&e));
            black_box(YamlExporter.render(&e));
            black_box(MarkdownExporter::default().render(&e));
            black_box(HtmlExporter::default().render(&e));
            for chart in charts::charts_for(&e) {
                black_box(charts::png(chart, &e).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Criterion's own plots would need a system font; the figures are what matter.
    config = Criterion::default().without_plots();
    targets = model, what_if, reports
}
criterion_main!(benches);
